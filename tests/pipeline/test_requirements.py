"""scripts.requirements: the hand-written .in file and pip-compile's hashed output."""

from __future__ import annotations

import pytest

from scripts.proc import ScriptError
from scripts.requirements import parse_pins, requirement_lines, requirements_in


def test_requirement_lines_drop_comments_join_continuations_squeeze_spaces() -> None:
    text = "# header\n\nfastapi   >=0.115  # why\nuvicorn[standard] \\\n  >=0.30\n  \n"

    assert requirement_lines(text) == ["fastapi >=0.115", "uvicorn[standard] >=0.30"]


def test_requirement_lines_keep_a_hash_inside_a_url() -> None:
    assert requirement_lines("pkg @ https://h.example/p.whl#sha256=ab\n") == [
        "pkg @ https://h.example/p.whl#sha256=ab"
    ]


def test_requirements_in_skips_option_lines_and_keeps_markers() -> None:
    text = (
        "-c constraints.txt\n--index-url https://x\nFastAPI>=0.115\norjson; python_version<'3.13'\n"
    )

    found = requirements_in(text)

    assert [(r.name, str(r.specifier), str(r.marker or "")) for r in found] == [
        ("FastAPI", ">=0.115", ""),
        ("orjson", "", 'python_version < "3.13"'),
    ]


def test_requirements_in_bad_line_is_named_with_the_file() -> None:
    with pytest.raises(ScriptError, match=r"^reqs.in: 'fastapi >>= 1' is not a requirement: "):
        requirements_in("fastapi >>= 1\n", "reqs.in")


COMPILED = """\
#
# header
#
Foo_Bar[x]==1.0 ; python_version >= "3.8" \\
    --hash=sha256:aa \\
    --hash=sha256:bb
    # via
    #   -c uv.lock
    #   baz
qux>=2
    # via -r requirements-render.in
-e ./local
wild==1.*
    # via qux

exact===1.0b1 \\
    --hash=sha256:cc
"""


def test_parse_pins_reads_versions_hashes_and_split_annotations() -> None:
    foo, qux, wild, exact = parse_pins(COMPILED)

    assert (foo.name, foo.version, foo.hashes, foo.via, foo.line) == (
        "foo-bar",
        "1.0",
        2,
        ("-c uv.lock", "baz"),
        4,
    )
    assert foo.spec == "Foo_Bar[x]==1.0"
    assert (qux.name, qux.version, qux.hashes, qux.via, qux.line) == (
        "qux",
        None,
        0,
        ("-r requirements-render.in",),
        10,
    )
    assert (wild.name, wild.version, wild.via) == ("wild", None, ("qux",))
    assert (exact.name, exact.version, exact.hashes) == ("exact", None, 1)


def test_parse_pins_unparsable_line_keeps_its_name_and_no_version() -> None:
    (pin,) = parse_pins("broken-pkg==1.0==2\n")

    assert (pin.name, pin.version, pin.line) == ("broken-pkg", None, 1)
