"""tools/bench/report.py: the JSON report, merged across runs, and its markdown."""

from __future__ import annotations

import json

from tools.bench import report
from tools.bench.figure import Figure, Goal

MACHINE = {
    "cores": 2,
    "usable_cores": 2,
    "cpu_model": "AMD EPYC",
    "memory_gib": 23.5,
    "load_at_start": [0.7, 0.6, 0.5],
    "date": "2026-11-29T19:00:00+00:00",
    "commit": "5830d7fb0bc6",
    "python": "3.11.7",
    "kernel": "6.1",
}
RUN = {
    "date": MACHINE["date"],
    "command": "python -m tools.bench --only frames",
    "quick": False,
    "figures": ["frames"],
    "seconds": 600.0,
}
ORDER = ["coldstart", "frames", "download"]


def figure(key: str, **fields) -> Figure:
    base = Figure(
        key,
        f"Title of {key}",
        f"python -m tools.bench --only {key}",
        headline=f"{key} in one line",
        measured_at=MACHINE["date"],
    )
    for name, value in fields.items():
        setattr(base, name, value)
    return base


def test_build_orders_figures_and_keeps_previous_ones():
    previous = report.build(MACHINE, RUN, [figure("download"), figure("coldstart")], None, ORDER)
    rerun = figure("download", headline="new")

    built = report.build(MACHINE, RUN, [rerun], previous, ORDER)

    assert list(built["figures"]) == ["coldstart", "download"]
    assert built["figures"]["download"]["headline"] == "new"


def test_write_then_load_round_trips(tmp_path):
    built = report.build(MACHINE, RUN, [figure("frames")], None, ORDER)

    markdown, json_path = report.write(built, tmp_path)

    assert report.load(json_path) == built
    assert markdown.read_text().startswith("# Bench report\n")


def test_load_other_format_or_missing_is_none(tmp_path):
    (tmp_path / "report.json").write_text(json.dumps({"format": 99}))

    assert report.load(tmp_path / "report.json") is None
    assert report.load(tmp_path / "absent.json") is None


def test_render_lists_each_goal_with_its_verdict_and_gap():
    goals = [
        Goal("cold start ≤ 1.2x", "2.44x", False, "FastAPI's import"),
        Goal("same pins", "identical", True),
        Goal("0 keepalive", "—", None, "no PyPI"),
    ]
    built = report.build(MACHINE, RUN, [figure("coldstart", goals=goals)], None, ORDER)

    text = report.render(built)

    assert (
        "| Title of coldstart | cold start ≤ 1.2x | 2.44x | **not met**: FastAPI's import |" in text
    )
    assert "| Title of coldstart | same pins | identical | met |" in text
    assert "| not measured: no PyPI |" in text
    assert "1. **Title of coldstart:** coldstart in one line" in text


def test_render_header_names_the_last_run_and_its_figures():
    text = report.render(report.build(MACHINE, RUN, [figure("frames")], None, ORDER))

    assert "`python -m tools.bench --only frames` (frames), 10.0 min; each figure" in text


def test_render_busy_machine_and_quick_run_say_so():
    busy = MACHINE | {"load_at_start": [2.5, 2.0, 1.0]}
    quick = figure("frames", quick=True, load_at_start=(2.5, 2.0, 1.0))
    built = report.build(busy, RUN | {"quick": True}, [quick], None, ORDER)

    text = report.render(built)

    assert text.count("**Busy machine:** the 1-minute load average was 2.5") == 2
    assert "(**--quick**: short smoke runs, not the figures)" in text
    assert "by a --quick run" in text


def test_render_failed_figure_says_it_could_not_be_measured():
    failed = figure("download", error="uv not found: install it", headline="")
    built = report.build(MACHINE, RUN, [failed], None, ORDER)

    text = report.render(built)

    assert "**Could not be measured:** uv not found: install it" in text
    assert "could not be measured (uv not found: install it)" in text


def test_table_escapes_pipes_and_newlines():
    assert report.table([["a|b"], ["c\nd"]]) == ["| a\\|b |", "|---|", "| c<br>d |"]
