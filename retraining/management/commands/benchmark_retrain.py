"""Benchmark: retrain wall time and peak memory by window size, from a store much bigger than any window."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

BATCH_ROWS = 50_000
_DJANGO = ("import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'studentml_site.settings'); "
           "django.setup()\n")
_STORE_SETUP = """
import io
import sys
from predictions import repository
from predictions.entities import BatchKind
from predictions.services import batch_import
from predictions.generator import generate_students
target, done = int(sys.argv[1]), repository.count_labeled_since(None)
part = done // {batch}
while done < target:
    rows = min({batch}, target - done)
    buffer = io.StringIO()
    generate_students(rows, seed=1000 + part).to_csv(buffer, sep=";", index=False)
    batch_import(buffer.getvalue().encode(), kind=BatchKind.LABELED, source=f"bench-{{part}}.csv",
                 created_by="benchmark", allow_duplicate=True)
    done += rows
    part += 1
    print(done, flush=True)
"""


def _run_measured(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes and output of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise CommandError(f"{' '.join(args[1:])} failed ({child.returncode}):\n{out[-3000:]}")
    return elapsed, usage.ru_maxrss * 1024, out  # ru_maxrss is in KiB on Linux


class Command(BaseCommand):
    help = ("Fill an embedded store with --store-rows labelled rows (kept under var/ for reuse), then run "
            "`retrain` for each window size in its own process and print wall time and peak memory: "
            "memory follows the window, not the store.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store-rows", type=int, default=1_000_000)
        parser.add_argument("--windows", default="1000,10000,100000", help="comma-separated window sizes")
        parser.add_argument("--track", default="A", choices=["A", "B", "C"])
        parser.add_argument("--repeat", type=int, default=3, help="runs per window (the median is printed)")
        parser.add_argument("--store", default=str(Path(settings.VAR_DIR) / "bench" / "retrain-store"),
                            help="folder of the benchmark store (filled once, reused)")

    def handle(self, *args: Any, store_rows: int, windows: str, track: str, repeat: int, store: str,
               **options: Any) -> None:
        try:
            sizes = [int(w) for w in windows.split(",")]
        except ValueError as exc:
            raise CommandError(f"--windows must be comma-separated integers, not {windows!r}") from exc
        small_rows = store_rows // 10
        if any(s > small_rows or s < 50 for s in sizes):
            raise CommandError(f"every window must be from 50 to a tenth of --store-rows ({small_rows:,})")
        big_env = self._store(Path(store), store_rows)
        small_env = self._store(Path(store + "-tenth"), small_rows)

        base_rss = statistics.median(
            _run_measured([sys.executable, "-c", _DJANGO + "from retraining import services; "
                           "from predictions import repository; repository.count_labeled_since(None)"], big_env)[1]
            for _ in range(repeat))
        self.stdout.write(f"stores: {store_rows:,} and {small_rows:,} labelled rows; track {track}; "
                          f"medians of {repeat} runs, each in its own process")
        self.stdout.write(f"baseline process (Django, pandas, scikit-learn loaded, store opened, nothing read): "
                          f"peak RSS {base_rss / 2**20:.0f} MiB")
        self.stdout.write(f"{'window':>8}  {'wall s':>7}  {'peak MiB':>8}  {'above base':>10}  {'KiB/row':>7}  "
                          f"{'peak MiB, store/10':>18}  {'ratio':>5}")
        for size in sizes:
            wall, peak = self._measure(big_env, size, track, repeat)
            _, small_peak = self._measure(small_env, size, track, repeat)
            above = max(0.0, peak - base_rss)
            self.stdout.write(f"{size:>8,}  {wall:>7.1f}  {peak / 2**20:>8.0f}  {above / 2**20:>10.0f}  "
                              f"{above / 1024 / size:>7.2f}  {small_peak / 2**20:>18.0f}  {peak / small_peak:>5.2f}")
        self.stdout.write("ratio: peak memory in the full store / in a store ten times smaller (1.00: the "
                          "store's size does not matter)")

    def _store(self, root: Path, rows: int) -> dict[str, str]:
        root.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MONGO_URI": f"montydb://{root / 'mongo'}", "ARTIFACT_DIR": str(root / "artifacts"),
               "DEBUG": "true", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(settings.BASE_DIR))}
        self._fill(root, rows, env)
        return env

    def _measure(self, env: dict[str, str], size: int, track: str, repeat: int) -> tuple[float, float]:
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        runs = [_run_measured([*manage, "retrain", "--track", track, "--window", str(size), "--policy", "approval",
                               "--by", "benchmark"], env) for _ in range(repeat)]
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    def _fill(self, root: Path, rows: int, env: dict[str, str]) -> None:
        script = _STORE_SETUP.format(batch=BATCH_ROWS)
        child = subprocess.Popen([sys.executable, "-c", _DJANGO + f"import sys; sys.argv = ['', '{rows}']\n{script}"],
                                 env=env, stdout=subprocess.PIPE, text=True)
        with tqdm(total=rows, desc="filling the store", unit="row", file=self.stderr._out, disable=None) as bar:
            assert child.stdout is not None
            for line in child.stdout:
                bar.n = int(line)
                bar.refresh()
        if child.wait() != 0:
            raise CommandError("filling the benchmark store failed")
