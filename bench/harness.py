"""Shared benchmark machinery: a real gunicorn server on 127.0.0.1 and a bounded HTTP load."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoadResult:
    latencies: tuple[float, ...]
    errors: int
    seconds: float

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def _quantile(self, q: int) -> float:
        cuts = statistics.quantiles(self.latencies, n=100)
        return cuts[q - 1] * 1000

    @property
    def p50_ms(self) -> float:
        return self._quantile(50)

    @property
    def p99_ms(self) -> float:
        return self._quantile(99)

    def __add__(self, other: LoadResult) -> LoadResult:
        return LoadResult(
            self.latencies + other.latencies,
            self.errors + other.errors,
            self.seconds + other.seconds,
        )

    def line(self, label: str) -> str:
        return (
            f"{label:<28} {self.rps:9.1f} req/s   p50 {self.p50_ms:6.2f} ms   "
            f"p99 {self.p99_ms:6.2f} ms   ({self.requests} requests, {self.errors} errors)"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    port: int
    #: The gunicorn master; its children are the workers.
    pid: int
    #: Where the server writes its stderr (warnings and tracebacks).
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's log: what a failing test shows beside its assertion."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], *, workers: int = 2, threads: int = 4
) -> Iterator[Server]:
    """Run gunicorn as `make run` does, on a free loopback port; stop it afterwards."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="microcourt-gunicorn-")) / "server.log"
    # A file, not a pipe: a pipe nobody reads fills up and stalls the server mid-request.
    log_file = log.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            # gunicorn 27's control socket defaults to one path per user: servers running
            # side by side (tests, benchmarks, `make run`) would share it. We do not use it.
            "--no-control-socket",
            app_spec,
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(log.read_text(errors="replace") or "gunicorn died") from None
                time.sleep(0.1)
        yield Server(port, proc.pid, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # open live streams outlast the graceful stop
            proc.kill()
            proc.wait(timeout=30)
        log_file.close()


def load(
    port: int, path: str, headers: dict[str, str], *, clients: int, seconds: float
) -> LoadResult:
    """GET ``path`` from ``clients`` keep-alive connections for ``seconds``; bounded in time."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[i].append(time.perf_counter() - started)
            if response.status != 200:
                errors[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    flat = tuple(x for per in latencies for x in per)
    return LoadResult(latencies=flat, errors=sum(errors), seconds=elapsed)


def temp_instance() -> Path:
    return Path(tempfile.mkdtemp(prefix="microcourt-bench-"))
