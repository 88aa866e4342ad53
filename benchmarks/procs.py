"""Processes the benchmark starts, measures and stops: one-shot commands (wall time and peak
RSS from ``wait4``), a Chroma server, and ``kakehashi serve``. Every process is stopped by the
id it was started with."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_s: float  # user + system time of the command
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of a measured command: this one without KAKEHASHI_* (so the default,
    extractive path runs), quiet libraries, and ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAKEHASHI_")}
    env.update(
        ANONYMIZED_TELEMETRY="False",
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


# The command is spawned by a bare interpreter (``python -S``, ~10 MB): a child's ru_maxrss
# starts from the RSS of the process that forked it, so spawning from the benchmark itself
# (hundreds of MB with a model loaded) would report the benchmark's memory, not the command's.
_SPAWNER = """
import json, os, sys, time
out, *command = sys.argv[1:]
started = time.perf_counter()
pid = os.posix_spawn(command[0], command, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(out, "w") as handle:
    json.dump({"seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime,
               "maxrss_kb": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}, handle)
"""


def run_measured(command: Sequence[str], env: Mapping[str, str], timeout: float = 300.0) -> Run:
    """Run ``command`` to completion: wall and CPU seconds, and its peak RSS (from ``wait4``)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".json") as result,
    ):
        spawner = subprocess.Popen(
            [sys.executable, "-S", "-c", _SPAWNER, result.name, *command],
            stdout=out,
            stderr=err,
            env=dict(env),
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            spawner.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(spawner.pid, signal.SIGKILL)  # the group we started: spawner and command
            spawner.wait()
            raise
        measured = json.loads(Path(result.name).read_text() or "{}")
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=float(measured["seconds"]),
            cpu_s=float(measured["cpu_s"]),
            peak_rss_mb=float(measured["maxrss_kb"]) / 1024,  # KiB on Linux
            returncode=int(measured["code"]),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float, process: subprocess.Popen[bytes]) -> bool:
    """Poll ``url`` until it answers (any HTTP status), the process dies, or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    return False


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process we started (by its id), then SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(grace)


@dataclass(frozen=True)
class Service:
    url: str
    pid: int
    started: float  # time.time() when the command was started (browser clocks are epoch-based)
    ready_s: float  # seconds until ``url`` answered HTTP


@contextlib.contextmanager
def service(
    command: Sequence[str], url: str, env: Mapping[str, str], timeout: float, what: str
) -> Iterator[Service]:
    """Start ``command``, wait until ``url`` answers HTTP, stop it (by its id) on the way out.
    Raises ``RuntimeError`` with the last lines of its output when it never answers."""
    with tempfile.TemporaryFile() as log:
        started, clock = time.time(), time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=log, stderr=subprocess.STDOUT, env=dict(env), cwd=ROOT
        )
        try:
            if not wait_http(url, timeout, process):
                log.seek(0)
                tail = log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                raise RuntimeError(f"{what} did not answer HTTP: " + " | ".join(tail))
            yield Service(url, process.pid, started, time.perf_counter() - clock)
        finally:
            stop(process)


@contextlib.contextmanager
def chroma_server(path: Path, timeout: float = 60.0) -> Iterator[str]:
    """A Chroma server on a free loopback port, storing under ``path``; yields its URL."""
    port = free_port()
    command = [str(BIN / "chroma"), "run", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    heartbeat = f"{url}/api/v2/heartbeat"
    with service([*command, "--path", str(path)], heartbeat, bench_env(), timeout, "chroma run"):
        yield url


def kakehashi_serve(
    env: Mapping[str, str], timeout: float = 120.0
) -> contextlib.AbstractContextManager[Service]:
    """``kakehashi serve`` on a free loopback port, until the chat page answers."""
    port = free_port()
    command = [str(BIN / "kakehashi"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return service(command, f"http://127.0.0.1:{port}/", env, timeout, "kakehashi serve")


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """(peak RSS of ``pid`` itself, current RSS of ``pid`` and its descendants), in MB."""

    def status(p: int) -> dict[str, str]:
        try:
            text = Path(f"/proc/{p}/status").read_text()
        except OSError:
            return {}
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def kb(value: str | None) -> float:
        return float(value.split()[0]) if value else 0.0

    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = status(int(entry.name)).get("PPid")
            if parent:
                children.setdefault(int(parent.strip()), []).append(int(entry.name))
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += kb(status(current).get("VmRSS"))
        stack.extend(children.get(current, []))
    return kb(status(pid).get("VmHWM")) / 1024, total / 1024


@dataclass(frozen=True)
class ServeResult:
    startup_s: float
    peak_rss_mb: float
    tree_rss_mb: float


def measure_serve(env: Mapping[str, str]) -> ServeResult:
    """Start ``kakehashi serve``, wait until it answers HTTP, read its memory, stop it."""
    with kakehashi_serve(env) as served:
        time.sleep(1.0)  # let lazy start-up work settle before reading memory
        peak, tree = tree_rss_mb(served.pid)
        return ServeResult(served.ready_s, peak, tree)
