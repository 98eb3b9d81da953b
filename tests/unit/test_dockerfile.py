"""This project's Dockerfile stays in step with its render.yaml (read as text: no Docker here)."""

from __future__ import annotations

import re

import pytest

from scripts.blueprint import WebService, load_web_service
from scripts.project import RENDER_YAML
from scripts.requirements import RENDER_TXT
from tests.conftest import ROOT


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines if line and line[0] != "#")
    ]


def arguments(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


@pytest.fixture(scope="module")
def service() -> WebService:
    return load_web_service(ROOT / RENDER_YAML)


def test_dockerfile_python_matches_render_python_version(service: WebService) -> None:
    (image,) = arguments("FROM")

    assert re.fullmatch(r"python:(\d+\.\d+\.\d+)-slim", image)
    assert image == f"python:{service.python_version}-slim"


def test_dockerfile_installs_the_render_file_with_hashes_then_the_project_without_deps() -> None:
    runs = " && ".join(arguments("RUN"))

    assert f"pip install --require-hashes -r {RENDER_TXT}" in runs
    assert "pip install --no-deps ." in runs
    assert runs.index("--require-hashes") < runs.index("--no-deps")
    assert "uv.lock" not in " ".join(arguments("COPY"))


def test_dockerfile_sets_use_local_asr_false() -> None:
    assert re.search(r"(^|\s)USE_LOCAL_ASR=false(\s|$)", " ".join(arguments("ENV")))


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = arguments("USER")

    assert users, "the Dockerfile never switches away from root"
    assert users[-1] not in ("root", "0", "0:0")


def test_dockerfile_command_honours_port_and_matches_the_start_command(service: WebService) -> None:
    (command,) = arguments("CMD")

    assert not command.startswith("["), "exec form cannot expand $PORT: use the shell form"
    assert "${PORT:-10000}" in command
    as_on_render = command.removeprefix("exec ").replace('"${PORT:-10000}"', "$PORT")
    assert as_on_render == service.start_command
    assert arguments("EXPOSE") == ["10000"]


def test_dockerignore_lets_through_everything_the_dockerfile_copies() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    sources = {src.rstrip("/") for copy in arguments("COPY") for src in copy.split()[:-1]}

    assert sources <= allowed, f"COPY sources that .dockerignore excludes: {sources - allowed}"


def test_dockerfile_trusts_the_same_proxies_as_render_yaml(service):
    match = re.search(r'FORWARDED_ALLOW_IPS="([^"]*)"', " ".join(arguments("ENV")))

    assert match, "the Dockerfile sets no FORWARDED_ALLOW_IPS: uvicorn would trust no proxy"
    assert match.group(1) == service.env["FORWARDED_ALLOW_IPS"]
    assert "*" not in match.group(1).split(","), "'*' lets any client forge its address"
