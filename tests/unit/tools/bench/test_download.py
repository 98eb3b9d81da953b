"""tools/bench/download.py: which file each package would download, and the two sets."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from tools.bench.download import (
    choose_file,
    downloads,
    full_pins,
    lean_pins,
    tag_ranking,
    target_environment,
)

RANKING = tag_ranking(28)
BASE = "https://files.example/p"


def wheel(name: str, size: int) -> dict[str, object]:
    return {"url": f"{BASE}/{name}", "hash": "sha256:00", "size": size}


def test_choose_file_prefers_the_most_specific_compatible_wheel():
    entry = {
        "wheels": [
            wheel("x-1.0-py3-none-any.whl", 10),
            wheel("x-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 30),
            wheel("x-1.0-cp311-cp311-win_amd64.whl", 20),
            wheel("x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", 40),
        ]
    }

    assert choose_file(entry, RANKING) == (
        "x-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        30,
    )


def test_choose_file_newer_glibc_than_the_target_is_skipped():
    entry = {
        "wheels": [
            wheel("x-1.0-cp311-cp311-manylinux_2_34_x86_64.whl", 5),
            wheel("x-1.0-py3-none-any.whl", 9),
        ]
    }

    assert choose_file(entry, RANKING) == ("x-1.0-py3-none-any.whl", 9)


def test_choose_file_without_a_wheel_takes_the_sdist_and_without_sizes_none():
    assert choose_file({"sdist": {"url": f"{BASE}/x-1.0.tar.gz", "size": 7}}, RANKING) == (
        "x-1.0.tar.gz",
        7,
    )
    assert choose_file({"wheels": [{"url": f"{BASE}/x-1.0-py3-none-any.whl"}]}, RANKING) is None


def test_downloads_names_the_pins_the_lock_lacks():
    entries = {(canonicalize_name("x"), "1.0"): {"wheels": [wheel("x-1.0-py3-none-any.whl", 3)]}}

    found, missing = downloads([("x", "1.0"), ("y", "2.0")], entries, RANKING)

    assert [(d.name, d.size) for d in found] == [("x", 3)]
    assert missing == ["y==2.0"]


def test_full_pins_drops_requirements_whose_markers_do_not_hold():
    exported = (
        "# header\ntorch==2.9.1\n    # via funasr\n"
        "colorama==0.4.6 ; sys_platform == 'win32'\n"
        "cuda-toolkit==13.2.2 ; sys_platform == 'linux'\n"
        "librosa==1.0.0 ; python_full_version >= '3.12'\n"
    )

    assert full_pins(exported, target_environment()) == [
        ("torch", "2.9.1"),
        ("cuda-toolkit", "13.2.2"),
    ]


def test_lean_pins_reads_a_compiled_file():
    text = "annotated-types==0.8.0 \\\n    --hash=sha256:13\n    # via pydantic\nfastapi==0.120.0\n"

    assert lean_pins(text) == [("annotated-types", "0.8.0"), ("fastapi", "0.120.0")]
