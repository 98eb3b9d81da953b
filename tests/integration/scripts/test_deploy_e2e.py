"""`make deploy` end to end: a real bare remote, real pushes, loopback stand-ins for Render."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts import deploy
from scripts.deploy import Gate
from tests.gitrepo import branch_sha, commit, git, isolate_git, make_remote, make_repo

SECRET = "rnd_SECRETkey0123456789"
COMMAND_GATES = [g.name for g in deploy.GATES]


@dataclass
class Site:
    repo: Path
    bare: Path
    before: str  # what the remote holds before the deploy
    head: str  # the commit to deploy
    log: Path  # each cheap gate appends its name here


@dataclass
class Server:
    """A loopback HTTP server; `replies` are served in turn, the last one repeats."""

    replies: list[tuple[int, dict]]
    requests: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git(monkeypatch, tmp_path / "home")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    repo = make_repo(tmp_path / "work")
    bare = make_remote(tmp_path / "remote.git", repo)
    before = git(repo, "rev-parse", "HEAD")
    head = commit(repo, "app.py", "print('v2')\n", "Ship v2")
    return Site(repo, bare, before, head, tmp_path / "gates.log")


def cheap_gates(log: Path, failing: str | None = None) -> tuple[Gate, ...]:
    """The real gate names, each a tiny Python command that logs its name; one may fail."""
    gates = []
    for name in COMMAND_GATES:
        code = 3 if name == failing else 0
        script = f"open({str(log)!r}, 'a').write({name!r} + '\\n'); raise SystemExit({code})"
        gates.append(Gate(name, (sys.executable, "-c", script)))
    return tuple(gates)


def gates_run(site: Site) -> list[str]:
    return site.log.read_text().split() if site.log.exists() else []


@pytest.fixture
def serve() -> Iterator:
    servers: list[ThreadingHTTPServer] = []

    def start(*replies: tuple[int, dict]) -> Server:
        state = Server(list(replies))

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                state.requests.append(f"{self.command} {self.path}")
                index = min(len(state.requests), len(state.replies)) - 1
                status, body = state.replies[index]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def render(serve, site: Site, monkeypatch: pytest.MonkeyPatch):
    """Stand-ins for Render: the deploy hook, and /health reporting the new commit at poll 3."""
    hook = serve((200, {"deploy": {"id": "dep-test123"}}))
    health = serve(
        (200, {"status": "ok", "version": site.before}),
        (503, {"status": "starting"}),
        (200, {"status": "ok", "version": site.head}),
    )
    monkeypatch.setenv(deploy.HOOK_ENV, f"{hook.url}/deploy/srv-abc?key={SECRET}")
    monkeypatch.setenv(deploy.SERVICE_ENV, health.url + "/")
    return hook, health


def run_deploy(site: Site, *args: str, failing: str | None = None) -> int:
    argv = ["--repo", str(site.repo), "--interval", "0.05", "--timeout", "10", *args]
    return deploy.main(argv, gates=cheap_gates(site.log, failing))


def assert_refused(site: Site, render, capfd, gate: str) -> str:
    """Exit 1 with one line naming `gate`, nothing pushed, no hook call, no poll."""
    out, err = capfd.readouterr()
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"deploy: gate '{gate}' failed")
    assert "Traceback" not in err
    assert branch_sha(site.bare) == site.before
    hook, health = render
    assert hook.requests == [] and health.requests == []
    assert "pushed" not in out
    return message


def test_deploy_all_gates_pass_pushes_calls_hook_and_waits(site, render, capfd):
    assert run_deploy(site) == 0

    out, err = capfd.readouterr()
    hook, health = render
    assert branch_sha(site.bare) == site.head
    assert gates_run(site) == COMMAND_GATES
    assert hook.requests == [f"POST /deploy/srv-abc?key={SECRET}"]
    assert health.requests == ["GET /health"] * 3
    assert f"pushed {site.head} to origin/main" in out
    assert "deploy dep-test123" in out
    assert f"reports {site.head[:12]}" in out
    assert f"version '{site.before}'" in err and "no version (HTTP 503" in err
    assert SECRET not in out + err
    for number, name in enumerate(["clean-tree", "branch", "remote", *COMMAND_GATES], 1):
        assert f"==> [{number}/8] {name} passed in " in err


def test_deploy_without_render_variables_only_pushes(site, capfd):
    assert run_deploy(site) == 0

    assert branch_sha(site.bare) == site.head
    assert capfd.readouterr().out.splitlines() == [f"pushed {site.head} to origin/main"]


@pytest.mark.parametrize("gate", COMMAND_GATES)
def test_deploy_command_gate_fails_refuses_and_pushes_nothing(site, render, capfd, gate):
    assert run_deploy(site, failing=gate) == 1

    message = assert_refused(site, render, capfd, gate)
    assert "exited with code 3" in message
    assert gates_run(site) == COMMAND_GATES[: COMMAND_GATES.index(gate) + 1]


def test_deploy_modified_file_refuses_naming_it(site, render, capfd):
    (site.repo / "README.md").write_text("edited\n")

    assert run_deploy(site) == 1

    assert "README.md" in assert_refused(site, render, capfd, "clean-tree")
    assert gates_run(site) == []


def test_deploy_untracked_file_refuses_naming_it(site, render, capfd):
    (site.repo / "notes.txt").write_text("todo\n")

    assert run_deploy(site) == 1

    assert "notes.txt" in assert_refused(site, render, capfd, "clean-tree")


def test_deploy_wrong_branch_refuses_naming_both(site, render, capfd):
    git(site.repo, "switch", "--quiet", "-c", "feature")

    assert run_deploy(site) == 1

    message = assert_refused(site, render, capfd, "branch")
    assert "'feature'" in message and "expected 'main'" in message


def test_deploy_custom_branch_pushes_that_branch(site, capfd):
    git(site.repo, "switch", "--quiet", "-c", "release")

    assert run_deploy(site, "--branch", "release") == 0

    assert branch_sha(site.bare, "release") == site.head
    assert branch_sha(site.bare) == site.before


def test_deploy_remote_has_newer_commits_refuses(site, render, capfd, tmp_path):
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(site.bare), str(other))
    git(other, "config", "user.email", "other@example.invalid")
    git(other, "config", "user.name", "Other")
    theirs = commit(other, "theirs.txt", "x\n", "Their change")
    git(other, "push", "--quiet", "origin", "main")

    assert run_deploy(site) == 1

    _, err = capfd.readouterr()
    assert err.strip().splitlines()[-1].startswith("deploy: gate 'remote' failed")
    assert "git pull --rebase origin main" in err
    assert branch_sha(site.bare) == theirs
    assert gates_run(site) == []


def test_deploy_dry_run_prints_plan_and_changes_nothing(site, render, capfd):
    assert run_deploy(site, "--dry-run") == 0

    out, err = capfd.readouterr()
    hook, health = render
    assert branch_sha(site.bare) == site.before
    assert hook.requests == [] and health.requests == []
    assert gates_run(site) == COMMAND_GATES
    assert "push    git push origin main" in out
    assert f"hook    POST {hook.url}/deploy/srv-abc?key=***" in out
    assert f"wait    GET {health.url}/health until version = {site.head[:12]}" in out
    assert "result  all gates passed" in out
    assert SECRET not in out + err


def test_deploy_dry_run_failing_gate_exits_1_with_plan(site, render, capfd):
    assert run_deploy(site, "--dry-run", failing="tests") == 1

    out, err = capfd.readouterr()
    hook, _ = render
    assert "push    git push origin main" in out
    assert "result  gate 'tests' failed" in out
    assert err.strip().splitlines()[-1].startswith("deploy: gate 'tests' failed")
    assert branch_sha(site.bare) == site.before
    assert hook.requests == []


def test_deploy_wait_never_sees_commit_times_out_naming_last_version(
    site, serve, capfd, monkeypatch
):
    health = serve((200, {"status": "ok", "version": "0ld5ha0ld5ha"}))
    monkeypatch.setenv(deploy.SERVICE_ENV, health.url)

    assert run_deploy(site, "--timeout", "0.3", "--interval", "0.05") == 1

    _, err = capfd.readouterr()
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"deploy: pushed {site.head} to origin/main, but timed out after")
    assert "version '0ld5ha0ld5ha'" in message
    assert branch_sha(site.bare) == site.head  # the push happened; only the wait failed
    assert len(health.requests) >= 2


def test_deploy_hook_error_says_push_happened_without_key(site, serve, capfd, monkeypatch):
    hook = serve((500, {"error": "boom"}))
    monkeypatch.setenv(deploy.HOOK_ENV, f"{hook.url}/deploy/srv-abc?key={SECRET}")

    assert run_deploy(site) == 1

    _, err = capfd.readouterr()
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"deploy: pushed {site.head} to origin/main, but the deploy hook")
    assert "HTTP 500" in message
    assert SECRET not in err


def test_deploy_skip_sim_warns_and_skips_only_the_sim(site, capfd):
    assert run_deploy(site, "--skip-sim") == 0

    _, err = capfd.readouterr()
    assert "WARNING: --skip-sim" in err
    assert gates_run(site) == [g for g in COMMAND_GATES if g != "render-sim"]
    assert branch_sha(site.bare) == site.head


def test_deploy_first_push_creates_the_remote_branch(site, tmp_path, capfd):
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    git(site.repo, "remote", "add", "fresh", str(bare))

    assert run_deploy(site, "--remote", "fresh") == 0

    assert branch_sha(bare) == site.head
