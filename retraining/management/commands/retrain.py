"""Retrain one track or all: challenger vs champion on the same rows, the 0.01 MAE rule."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from predictions.schema import Track
from retraining.entities import Decision, RetrainRun
from retraining.services import POLICIES, RetrainBusy, retrain_check, retrain_run
from retraining.training import MIN_ROWS


def _mae(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _gain(run: RetrainRun) -> str:
    if run.gain is None:
        return "-"
    low, high = run.gain_ci or (None, None)
    interval = f" [{low:+.4f}, {high:+.4f}]" if low is not None else ""
    return f"{run.gain:+.4f}{interval}"


class Command(BaseCommand):
    help = ("Train a challenger per track on the most recent TRAINING_WINDOW labelled rows and compare it with "
            "the champion on the same held-out rows: it wins only if it lowers MAE by more than "
            "PROMOTION_MIN_MAE_GAIN. Exits 0 whatever the decision, non-zero if a run failed or a track is busy.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--track", choices=[t.value for t in Track], help="one track (default: all three)")
        parser.add_argument("--window", type=int, help="most recent labelled rows to read (default TRAINING_WINDOW)")
        parser.add_argument("--policy", choices=POLICIES,
                            help="approval: a winner waits for an admin; auto: it becomes champion "
                                 "(default PROMOTION_POLICY)")
        parser.add_argument("--check", action="store_true",
                            help="only retrain tracks that drifted or gathered RETRAIN_MIN_NEW_LABELS new labels "
                                 "(what the schedule runs)")
        parser.add_argument("--by", default="cli", help="who retrains (recorded with the run and the version)")

    def handle(self, *args: Any, track: str | None, window: int | None, policy: str | None, check: bool,
               by: str, **options: Any) -> None:
        if window is not None and window < MIN_ROWS:
            raise CommandError(f"--window must be at least {MIN_ROWS}")
        if check and track:
            raise CommandError("--check looks at every track; leave out --track")
        tracks = [track] if track else [t.value for t in Track]
        self.stdout.write(f"policy {policy or settings.PROMOTION_POLICY}, window "
                          f"{window or settings.TRAINING_WINDOW}, required gain > {settings.PROMOTION_MIN_MAE_GAIN}"
                          + (", significance required" if settings.PROMOTION_REQUIRE_SIGNIFICANCE else ""))
        runs: list[RetrainRun] = []
        busy: list[str] = []
        with tqdm(total=len(tracks), desc="retraining", unit="track", file=self.stderr._out, leave=False,
                  disable=None) as bar:
            def progress(message: str) -> None:
                bar.write(message, file=self.stdout._out)

            if check:
                runs = retrain_check(trigger="cli", by=by, policy=policy, progress=progress)
                bar.update(len(tracks))
            else:
                for name in tracks:
                    try:
                        runs.append(retrain_run(name, trigger="manual", window=window, policy=policy, by=by,
                                                progress=progress))
                    except RetrainBusy as exc:
                        busy.append(str(exc))
                    bar.update(1)
        self._table(runs)
        failed = [r for r in runs if r.decision is Decision.FAILED]
        for run in failed:
            self.stderr.write(f"track {run.track}: {run.error}")
        problems = [f"track {r.track} failed: {r.error}" for r in failed] + busy
        if problems:
            raise CommandError("; ".join(problems))

    def _table(self, runs: list[RetrainRun]) -> None:
        if not runs:
            self.stdout.write("no track needed retraining")
            return
        header = ("track", "rows", "champion MAE", "challenger MAE", "gain [95% CI]", "decision")
        rows = [(r.track, str(r.window.get("usable", "-")), _mae(r.champion_mae) +
                 (f" (v{r.champion_version})" if r.champion_version else ""),
                 _mae(r.challenger_mae) + (f" (v{r.challenger_version})" if r.challenger_version else ""),
                 _gain(r), r.decision.value) for r in runs]
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
        line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
        self.stdout.write(line)
        self.stdout.write("-" * len(line))
        for row in rows:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        for run in runs:
            self.stdout.write(f"{run.track}: {run.reason}")
