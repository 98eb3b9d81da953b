"""tools/bench/compile_reqs.py: comparing two compiled, hashed requirement files."""

from __future__ import annotations

from tools.bench.compile_reqs import differences, pins_of

OURS = """\
# header
anyio==4.16.0 \\
    --hash=sha256:aa \\
    --hash=sha256:bb
    # via fastapi
fastapi==0.120.0 \\
    --hash=sha256:cc
"""


def test_pins_of_reads_versions_and_hashes():
    assert pins_of(OURS) == {
        "anyio": ("4.16.0", frozenset({"sha256:aa", "sha256:bb"})),
        "fastapi": ("0.120.0", frozenset({"sha256:cc"})),
    }


def test_differences_same_pins_other_order_and_notes_is_none():
    theirs = "fastapi==0.120.0 --hash=sha256:cc\nanyio==4.16.0 --hash=sha256:bb --hash=sha256:aa\n"

    assert differences(OURS, theirs) == ([], [])


def test_differences_names_versions_and_hash_sets_that_differ():
    theirs = "anyio==4.17.0 --hash=sha256:aa\nfastapi==0.120.0 --hash=sha256:dd\nidna==3.10\n"

    pins, hashes = differences(OURS, theirs)

    assert pins == ["anyio: 4.16.0 / 4.17.0", "idna: - / 3.10"]
    assert hashes == ["anyio", "fastapi"]
