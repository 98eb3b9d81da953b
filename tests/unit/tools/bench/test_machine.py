"""tools/bench/machine.py: the machine's facts as the report states them."""

from __future__ import annotations

from tools.bench.machine import busy_note, cpu_model, memory_gib


def test_cpu_model_reads_the_first_model_name():
    cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: other\n"

    assert cpu_model(cpuinfo) == "AMD EPYC 7B13"


def test_cpu_model_absent_is_unknown():
    assert cpu_model("processor\t: 0\n") == "unknown"


def test_memory_gib_reads_memtotal():
    assert memory_gib("MemTotal:       24641536 kB\nMemFree: 1 kB\n") == 23.5


def test_busy_note_above_one_and_a_half_names_the_load():
    note = busy_note((2.67, 2.0, 1.0))

    assert note is not None and "2.67" in note
    assert busy_note((1.5, 3.0, 3.0)) is None
