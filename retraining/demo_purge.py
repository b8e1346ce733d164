"""``purge_demo``: remove every trace of demo data from a store.

Demo data (``studentml_site.demo``): generated batches and their rows; a simulated year's
predictions, their label rows and claims, and the runs and drift reports it triggered.
Whatever was made *from* it goes too: the versions whose training window took in a demo
row (with their champion history and audit entries), the drift reports against those
versions and the retrain runs that trained or judged them. A track whose real champion
was displaced by a demo version gets it back (the champion history is the truth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from drift import repository as drift_repository
from predictions import repository as records
from predictions.schema import Track
from registry import repository as registry_repository
from registry import services as registry
from retraining import repository as runs_repository
from studentml_site import demo

Say = Callable[[str], None]


@dataclass
class PurgeSummary:
    dry_run: bool
    batches: list[str] = field(default_factory=list)
    batch_rows: int = 0
    predictions: list[str] = field(default_factory=list)
    label_rows: list[str] = field(default_factory=list)
    versions: dict[str, set[int]] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    tracks_without_champion: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.batches or self.predictions or self.label_rows or self.reports or self.runs
                    or any(self.versions.values()))

    def lines(self) -> list[str]:
        versions = ", ".join(f"{t}:{v}" for t in sorted(self.versions) for v in sorted(self.versions[t])) or "none"
        return [f"generated batches: {len(self.batches)} ({self.batch_rows} rows)",
                f"simulated predictions: {len(self.predictions)}, their label rows: {len(self.label_rows)}",
                f"model versions trained on demo data: {versions}",
                f"drift reports: {len(self.reports)}; retrain runs: {len(self.runs)}"]


def _times_in_window(window: dict, times: list[datetime]) -> bool:
    start, end = window.get("start"), window.get("end")
    return bool(start and end) and any(start <= t.isoformat() <= end for t in times)


def demo_data_purge(*, dry_run: bool = False, progress: Say | None = None) -> PurgeSummary:
    """Find (and unless ``dry_run``, delete) all demo data and what was made from it."""
    say = progress or (lambda _message: None)
    summary = PurgeSummary(dry_run=dry_run)
    batches = demo.demo_batches()
    summary.batches = [b.id for b in batches]
    summary.batch_rows = sum(len(records.find_records_of_batch(b.id)) for b in batches)
    summary.predictions = records.find_prediction_ids_by_source(demo.SIMULATION)
    label_rows = records.find_label_records_of(set(summary.predictions))
    summary.label_rows = [r.id for r in label_rows]
    demo_times = [b.created_at for b in batches] + [r.ingested_at for r in label_rows]

    simulated_runs = set(runs_repository.find_run_ids_triggered_by(demo.SIMULATION))
    trained_by_simulation: dict[str, set[int]] = {}
    for run in runs_repository.find_runs(limit=100_000):
        if run.id in simulated_runs and run.challenger_version is not None:
            trained_by_simulation.setdefault(run.track, set()).add(run.challenger_version)
    for version in registry_repository.find_versions():
        simulated = version.version in trained_by_simulation.get(version.track, ())
        if simulated or _times_in_window(version.window, demo_times):
            summary.versions.setdefault(version.track, set()).add(version.version)

    summary.reports = drift_repository.find_report_ids(trigger=demo.SIMULATION, model_versions=summary.versions)
    summary.runs = [run.id for run in runs_repository.find_runs(limit=100_000)
                    if run.id in simulated_runs
                    or run.challenger_version in summary.versions.get(run.track, ())
                    or run.champion_version in summary.versions.get(run.track, ())]
    for line in summary.lines():
        say(line)
    if dry_run or summary.empty:
        summary.tracks_without_champion = _tracks_without_champion(summary.versions if dry_run else {})
        return summary

    # Derived things first, the data last: a purge interrupted half-way can simply be run again.
    runs_repository.delete_runs(summary.runs)
    drift_repository.delete_reports(summary.reports)
    for track, versions in summary.versions.items():
        registry_repository.delete_champion_changes(track, versions)
        registry_repository.delete_audit_of_versions(track, versions)
        for number in versions:
            registry_repository.delete_version(track, number)
        registry.registry_reconcile(track)
    records.delete_records(summary.label_rows)
    records.delete_label_claims(summary.predictions)
    records.delete_predictions(summary.predictions)
    for batch_id in summary.batches:
        records.delete_records_of_batch(batch_id)
        records.delete_batch(batch_id)
    demo.demo_in_window.clear()
    summary.tracks_without_champion = _tracks_without_champion({})
    return summary


def _tracks_without_champion(removed: dict[str, set[int]]) -> list[str]:
    """Tracks left with no champion (for a dry run: once ``removed`` is gone)."""
    out = []
    for track in Track:
        champion = registry.champion_get(track.value)
        if champion is None or champion.version in removed.get(track.value, ()):
            if removed:
                survivors = [c for c in registry_repository.find_champion_changes(track.value)
                             if c.version not in removed.get(track.value, set())]
                if survivors:
                    continue
            out.append(track.value)
    return out
