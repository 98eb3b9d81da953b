"""Measure the service's HTTP edges against a real uvicorn run with render.yaml's start command.

  spool      the bytes the server spools to disk for an oversized chunked multipart upload
  slowloris  how long a connection that never finishes its request headers stays open
  origin     what a foreign page's Origin gets from WS /ws/asr and POST /api/transcribe
  forwarded  which client address the server logs for a spoofed X-Forwarded-For

Each command starts its own server (render.yaml's startCommand under bash, its env vars, a
free port on 0.0.0.0) in the directory given by --root, and prints one result line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.blueprint import load_web_service
from scripts.proc import ScriptError

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PREFIXES = ("USE_LOCAL_ASR", "LOCAL_ASR_", "HF_", "SENSEVOICE_", "RENDER_", "MAX_")
EPILOG = """examples:
  uv run python -m tools.edge_probe spool --size-mb 100
  uv run python -m tools.edge_probe slowloris --wait 60
  uv run python -m tools.edge_probe origin
  uv run python -m tools.edge_probe forwarded --root /tmp/old-checkout
"""


@dataclass
class Server:
    url: str
    port: int
    pgid: int
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def render_server(
    root: Path, env: dict[str, str] | None = None, log_dir: Path | None = None
) -> Iterator[Server]:
    """render.yaml's start command in `root`, with its env vars plus `env`, from /live
    answering until SIGTERM; its output goes to server.log in `log_dir` (default: a new one)."""
    service = load_web_service(root / "render.yaml")
    if not service.start_command:
        raise ScriptError("render.yaml has no startCommand")
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    full_env = clean | service.env | {"PORT": str(port), "PYTHONUNBUFFERED": "1"} | (env or {})
    log = (log_dir or Path(tempfile.mkdtemp(prefix="edge-probe-"))) / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", service.start_command],
            cwd=root,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", port, process.pid, log)
    try:
        wait_live(server, process)
        yield server
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def wait_live(server: Server, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ScriptError(f"the server exited with {process.returncode}: see {server.log}")
        try:
            with urllib.request.urlopen(f"{server.url}/live", timeout=1):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise ScriptError(f"the server did not answer /live within {timeout:g} s: see {server.log}")


def group_pids(pgid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            pids.append(int(stat.parent.name))
    return pids


def spooled_bytes(pgid: int) -> int:
    """The total size of the deleted temporary files the server's processes hold open."""
    total = 0
    for pid in group_pids(pgid):
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
                if target.endswith("(deleted)") or "/#" in target:
                    total += os.stat(fd).st_size
            except OSError:
                continue
    return total


def chunked_upload(url: str, size: int, sent: list[int]) -> int | str:
    """POST a multipart body of `size` bytes in chunked encoding; the status or the error."""
    boundary = "edgeprobeboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(
            b"POST /api/transcribe HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
            b"Content-Type: multipart/form-data; boundary=" + boundary.encode() + b"\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk, tail = b"\0" * 65536, f"\r\n--{boundary}--\r\n".encode()
        try:
            for piece in [head] + [chunk] * (size // len(chunk)) + [tail]:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent[0] += len(piece)
            sock.sendall(b"0\r\n\r\n")
        except OSError as exc:
            return f"connection closed while sending ({exc.strerror or exc})"
        reply = sock.recv(4096)
    return reply.split(b"\r\n", 1)[0].decode(errors="replace") or "no reply"


def measure_spool(root: Path, size_mb: int) -> str:
    with render_server(root) as server:
        sent, peak, outcome = [0], 0, []
        worker = threading.Thread(
            target=lambda: outcome.append(chunked_upload(server.url, size_mb << 20, sent))
        )
        worker.start()
        while worker.is_alive():
            peak = max(peak, spooled_bytes(server.pgid))
            time.sleep(0.005)
        worker.join()
    return (
        f"spool: {size_mb} MiB chunked upload -> {outcome[0]}; "
        f"client sent {sent[0]} bytes; server spooled at most {peak} bytes to disk"
    )


def measure_slowloris(root: Path, wait: float) -> str:
    """Send an unfinished request line and one header line a second, until the server closes."""
    with render_server(root) as server, socket.create_connection(("127.0.0.1", server.port)) as s:
        started = time.monotonic()
        s.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\n")
        s.settimeout(1.0)
        while time.monotonic() - started < wait:
            try:
                closed = s.recv(4096) == b""
            except TimeoutError:
                closed = False
            try:
                if not closed:
                    s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
            if closed:
                took = time.monotonic() - started
                return f"slowloris: server closed the connection after {took:.1f} s"
    return f"slowloris: connection still open after {wait:g} s"


def measure_origin(root: Path) -> str:
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect
    from websockets.typing import Origin

    results = []
    with render_server(root, {"RENDER_EXTERNAL_URL": "https://featherweight.onrender.com"}) as srv:
        for origin in ("https://evil.example", "null"):
            ws_url = srv.url.replace("http", "ws") + "/ws/asr"
            try:
                with connect(ws_url, origin=Origin(origin), open_timeout=10) as ws:
                    first = json.loads(ws.recv(timeout=10))
                    if first.get("type") == "ready":
                        results.append(f"WS Origin {origin}: accepted (ready)")
                    else:
                        with contextlib.suppress(ConnectionClosed):
                            ws.recv(timeout=10)
                        code = f"{first.get('type')} {first.get('code')}, close {ws.close_code}"
                        results.append(f"WS Origin {origin}: {code}")
            except InvalidStatus as exc:
                results.append(f"WS Origin {origin}: HTTP {exc.response.status_code}")
            headers = {"Content-Type": "audio/wav", "Origin": origin}
            request = urllib.request.Request(f"{srv.url}/api/transcribe", b"RIFF", headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            results.append(f"POST Origin {origin}: HTTP {status}")
    return "origin: " + "; ".join(results)


def measure_forwarded(root: Path) -> str:
    spoofed = "6.6.6.6, 203.0.113.7, 104.16.0.1"  # client's own, what Cloudflare adds, its edge
    with render_server(root) as server:
        request = urllib.request.Request(f"{server.url}/live", headers={"X-Forwarded-For": spoofed})
        with urllib.request.urlopen(request, timeout=10):
            pass
        time.sleep(0.5)
        lines = [line for line in server.log.read_text().splitlines() if "GET /live" in line]
    seen = lines[-1].split()[1] if lines else "(no access log line)"
    return f"forwarded: X-Forwarded-For {spoofed!r} -> the server logged client {seen}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.edge_probe",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("what", choices=["spool", "slowloris", "origin", "forwarded"])
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)"
    )
    parser.add_argument("--size-mb", type=int, default=100, help="spool: upload MiB (default 100)")
    parser.add_argument(
        "--wait", type=float, default=60, help="slowloris: longest wait in s (default 60)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.what == "spool":
            print(measure_spool(args.root, args.size_mb))
        elif args.what == "slowloris":
            print(measure_slowloris(args.root, args.wait))
        elif args.what == "origin":
            print(measure_origin(args.root))
        else:
            print(measure_forwarded(args.root))
    except ScriptError as exc:
        print(f"edge_probe: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
