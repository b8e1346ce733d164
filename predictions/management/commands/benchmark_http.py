"""Benchmark the HTTP API under gunicorn with wrk, optionally beside the reference stack.

Everything runs on 127.0.0.1, bounded in time, in a temporary VAR_DIR (its own SQLite,
embedded store and artifacts), and stops by itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.generator import generate_students, write_students_csv
from predictions.schema import INPUTS

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token {token}"
wrk.body = [==[{body}]==]
done = function(summary, latency, requests)
  io.write(string.format("p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d\\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.errors.status))
end
"""


def _wrk(url: str, script: Path, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, timeout=duration + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    tail = re.search(r"p50_ms=([\d.]+) p99_ms=([\d.]+) requests=(\d+)(?: non2xx=(\d+))?", out)
    if not rps or not tail:
        raise CommandError(f"could not read wrk's output:\n{out}")
    return {"rps": float(rps.group(1)), "p50": float(tail.group(1)), "p99": float(tail.group(2)),
            "requests": int(tail.group(3)), "non2xx": int(tail.group(4) or 0)}


class Command(BaseCommand):
    help = ("Serve the app with gunicorn on 127.0.0.1 and load it with wrk: single predictions (logging on) "
            "and 1,000-row batches; with --reference DIR, also run the reference stack there and print ratios.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--duration", type=int, default=20, help="seconds per load run")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--port", type=int, default=8097)
        parser.add_argument("--repeat", type=int, default=3,
                            help="load runs of single predictions (and of the reference); medians are printed")
        parser.add_argument("--reference", help="folder of the reference stack (its run.sh is run as is)")

    def handle(self, *args: Any, **options: Any) -> None:
        if shutil.which("wrk") is None:
            raise CommandError("wrk is not installed (Debian: apt-get install -y wrk)")
        with tempfile.TemporaryDirectory(prefix="studentml-http-") as tmp:
            self._run(Path(tmp), options)
        if options["reference"]:
            self._reference(Path(options["reference"]), options)

    def _manage(self, env: dict[str, str], *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def _run(self, tmp: Path, options: dict[str, Any]) -> None:
        env = {**os.environ, "VAR_DIR": str(tmp), "MONGO_URI": f"montydb://{tmp / 'mongo'}", "DEBUG": "false",
               "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
               "ARTIFACT_DIR": str(tmp / "artifacts"), "OMP_NUM_THREADS": "1", "THROTTLE_USER": "10000000/hour",
               "PORT": str(options["port"]), "WEB_CONCURRENCY": str(options["workers"]),
               "WEB_THREADS": str(options["threads"])}
        env.pop("ACCESS_LOG", None)
        students = tmp / "students.csv"
        write_students_csv(generate_students(2000, seed=1), str(students))
        self._manage(env, "migrate", "-v0")
        self._manage(env, "import_students", str(students), "--labeled")
        self._manage(env, "train")
        token = self._manage(env, "create_token", "bench", "--create-user").strip()

        one = {k: v for k, v in generate_students(1, seed=3).iloc[0].to_dict().items() if k in INPUTS}
        one = {k: (v.item() if hasattr(v, "item") else v) for k, v in one.items()}
        batch = generate_students(1000, seed=4)[list(INPUTS)].astype(object).to_dict("records")
        single_lua, batch_lua = tmp / "single.lua", tmp / "batch.lua"
        single_lua.write_text(LUA.format(token=token, body=json.dumps(one)))
        batch_lua.write_text(LUA.format(token=token, body=json.dumps(batch, default=int)))

        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "studentml_site.wsgi", "-c",
                                   "python:studentml_site.gunicorn_conf"], cwd=settings.BASE_DIR, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        base = f"http://127.0.0.1:{options['port']}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 - our own http://127.0.0.1
                    break
                except OSError:
                    time.sleep(0.1)
            # Warm up: every worker loads its champions.
            _wrk(f"{base}/api/v1/predictions/", single_lua, options["connections"], 3)
            singles = [_wrk(f"{base}/api/v1/predictions/", single_lua, options["connections"], options["duration"])
                       for _ in range(max(1, options["repeat"]))]
            batches = _wrk(f"{base}/api/v1/predictions/batch/", batch_lua, 4, max(5, options["duration"] // 2))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        logged = self._manage(env, "shell", "-c",
                              "from predictions import repository; print(repository.count_predictions())",
                              "--no-imports").strip()
        head = (f"studentml (gunicorn {options['workers']} gthread workers x {options['threads']} threads, "
                f"logging on, {options['connections']} connections, {options['duration']}s)")
        for i, run in enumerate(singles, 1):
            self.stdout.write(f"{head} run {i}: {run['rps']:.0f} requests/s, p50 {run['p50']:.1f} ms, "
                              f"p99 {run['p99']:.1f} ms, non-2xx {run['non2xx']}")
        self.single = _median(singles)
        self.stdout.write(f"{head} median of {len(singles)}: {self.single['rps']:.0f} requests/s, "
                          f"p50 {self.single['p50']:.1f} ms, p99 {self.single['p99']:.1f} ms, "
                          f"non-2xx {sum(r['non2xx'] for r in singles)} in all")
        self.stdout.write(f"batches of 1,000 (4 connections): {batches['rps'] * 1000:,.0f} rows/s, "
                          f"p50 {batches['p50']:.0f} ms per batch, non-2xx {batches['non2xx']}")
        self.stdout.write(f"predictions logged: {logged} (the warm-up, every run and the batches)")

    def _reference(self, folder: Path, options: dict[str, Any]) -> None:
        env = {**os.environ, "DUR": f"{options['duration']}s", "CONC": str(options["connections"])}
        runs = []
        for i in range(1, max(1, options["repeat"]) + 1):
            done = subprocess.run(["bash", str(folder / "run.sh")], env=env, capture_output=True, text=True,
                                  timeout=options["duration"] + 900)
            rps = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
            tail = re.search(r"p50_ms=([\d.]+) p90_ms=[\d.]+ p99_ms=([\d.]+)", done.stdout)
            if not rps or not tail:
                raise CommandError(f"the reference stack did not report:\n{done.stdout}\n{done.stderr}")
            runs.append({"rps": float(rps.group(1)), "p50": float(tail.group(1)), "p99": float(tail.group(2))})
            self.stdout.write(f"reference stack (FastAPI + uvicorn, same load) run {i}: {runs[-1]['rps']:.0f} "
                              f"requests/s, p50 {runs[-1]['p50']:.1f} ms, p99 {runs[-1]['p99']:.1f} ms")
        ref = _median(runs)
        self.stdout.write(f"reference stack median of {len(runs)}: {ref['rps']:.0f} requests/s, "
                          f"p50 {ref['p50']:.1f} ms, p99 {ref['p99']:.1f} ms")
        self.stdout.write(f"ratio studentml / reference (medians): {self.single['rps'] / ref['rps']:.1f}x requests/s")


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs (a noisy shared machine: one run is an anecdote)."""
    return {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
