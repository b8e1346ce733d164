"""Play a school year: a cohort, predictions per period, drift checks, labels, retraining."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from predictions.generator import SHIFTS
from predictions.services import ModelUnavailable
from retraining.bootstrap import first_run_setup
from retraining.services import POLICIES
from retraining.simulation import (
    PERIODS,
    NotADemoStore,
    SimulationSummary,
    demo_environment,
    require_demo_store,
    simulate_year,
)


def _mae(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = ("Simulate a school year against this installation: a generated cohort (optionally shifted) gets "
            "predictions as grades become known (tracks C, B, A), the drift check runs after each period, the "
            "final grades arrive as labels and every track is retrained. Deterministic for a seed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cohort", type=int, default=300, help="students in the cohort")
        parser.add_argument("--shift", choices=sorted(SHIFTS), help="a drift preset: " + "; ".join(
            f"{name}: {shift.description}" for name, shift in SHIFTS.items()))
        parser.add_argument("--periods", type=int, default=len(PERIODS), choices=range(1, len(PERIODS) + 1),
                            help="grading periods played: 1 = start of year only (track C) … 3 = up to G2 (A)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--policy", choices=POLICIES, help="default PROMOTION_POLICY")
        parser.add_argument("--label-share", type=float, default=1.0,
                            help="share of the cohort whose final grade is reported (0-1]")
        parser.add_argument("--demo", action="store_true",
                            help="play it in the demo store (var/demo, set up first if new), never the real one; "
                                 "`make demo` serves that store")

    def handle(self, *args: Any, cohort: int, shift: str | None, periods: int, seed: int, policy: str | None,
               label_share: float, demo: bool, **options: Any) -> None:
        if demo and not settings.DEMO_STORE:
            # A process of its own on the demo store: this one's settings point at the real store.
            argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "simulate", "--demo",
                    "--cohort", str(cohort), "--periods", str(periods), "--seed", str(seed),
                    "--label-share", str(label_share), *(["--shift", shift] if shift else []),
                    *(["--policy", policy] if policy else [])]
            with subprocess.Popen(argv, env=demo_environment(dict(os.environ)), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) as child:
                assert child.stdout is not None
                for line in child.stdout:
                    self.stdout.write(line.rstrip("\n"))
            if child.returncode:
                raise CommandError(f"the demo simulation failed (exit {child.returncode})")
            return
        try:
            require_demo_store()
        except NotADemoStore as exc:
            raise CommandError(str(exc)) from exc
        if demo:
            first_run_setup(self.stdout.write)
        steps = periods + 2
        with tqdm(total=steps, desc="school year", unit="step", file=self.stderr._out, leave=False,
                  disable=None) as bar:
            def progress(message: str) -> None:
                bar.update(1)
                bar.write(message, file=self.stdout._out)

            try:
                summary = simulate_year(cohort=cohort, shift=shift, periods=periods, seed=seed, policy=policy,
                                        label_share=label_share, progress=progress)
            except (ValueError, ModelUnavailable) as exc:
                raise CommandError(str(exc)) from exc
        self._summary(summary)

    def _summary(self, s: SimulationSummary) -> None:
        w = self.stdout.write
        w("")
        w(f"summary (seed {s.seed}, cohort {s.cohort}, shift {s.shift or 'none'}, policy {s.policy})")
        w(f"  predictions logged: {s.predictions}; labels recorded: {s.labels}")
        for p in s.periods:
            flagged = ", ".join(p.drift.drifted_features) or "-"
            w(f"  {p.name:<15} track {p.track}: {p.predictions} predictions, drift {p.drift.verdict.value}, "
              f"flagged: {flagged}")
        for r in s.runs:
            w(f"  retrain {r.track}: champion MAE {_mae(r.champion_mae)}, challenger MAE {_mae(r.challenger_mae)}, "
              f"gain {_mae(r.gain)} -> {r.decision.value}")
        for message in s.busy:
            w(f"  {message}")
        for track, before in s.champions_before.items():
            after = s.champions_after.get(track)
            pending = f", version {s.pending[track]} waits for approval" if track in s.pending else ""
            w(f"  champion {track}: {before} -> {after}{pending}")
