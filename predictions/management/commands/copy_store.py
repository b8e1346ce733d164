"""Copy the whole store (collections and model artifacts) to another one and verify the copy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from studentml_site.storecopy import GRIDFS, CopyReport, StoreAddress, StoreCopyError, store_copy


class _Bars:
    """One tqdm bar per unit of work, on stderr; notes go to stdout."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command
        self.bar: tqdm | None = None

    def start(self, label: str, total: int) -> None:
        self.close()
        self.bar = tqdm(total=total, desc=label, unit="doc" if label != "artifacts" else "file",
                        file=self.command.stderr._out, leave=False, disable=None)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def note(self, message: str) -> None:
        self.command.stdout.write(self.command.style.WARNING(message))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _short(digest: str) -> str:
    return digest[:16] if digest else "-"


class Command(BaseCommand):
    help = (
        "Copy every collection and every model artifact from one store to another, then verify the "
        "copy (document counts, content hashes, artifact sha256). Moves the embedded store to a "
        "MongoDB server or Atlas, makes backups (--to montydb:///folder --artifacts-to DIR) and "
        "restores them (--from ...). Safe to run again: what is already copied is skipped. A "
        "destination holding other data is refused unless --overwrite. --from and --to default to "
        "the configured store (MONGO_URI, MONGO_DB); exits non-zero naming whatever differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", metavar="URI",
                            help="store to copy from (default MONGO_URI)")
        parser.add_argument("--from-db", metavar="NAME", help="database to copy from (default MONGO_DB)")
        parser.add_argument("--to", dest="target", metavar="URI", help="store to copy to (default MONGO_URI)")
        parser.add_argument("--to-db", metavar="NAME", help="database to copy to (default MONGO_DB)")
        parser.add_argument("--artifacts-from", metavar="DIR",
                            help="folder holding the source's artifact files (default ARTIFACT_DIR); "
                                 "GridFS artifacts are read from the source store")
        parser.add_argument("--artifacts-to", metavar="DIR|gridfs",
                            help="where the copy's artifacts go: a folder, or 'gridfs' in the destination "
                                 "store (default the configured one: ARTIFACT_STORE / ARTIFACT_DIR)")
        parser.add_argument("--overwrite", action="store_true",
                            help="make a destination that holds other data equal to the source "
                                 "(replace its differing documents, delete its extra ones)")
        parser.add_argument("--verify-only", action="store_true", help="compare the two stores; write nothing")

    def handle(self, *args: Any, source: str | None, from_db: str | None, target: str | None,
               to_db: str | None, artifacts_from: str | None, artifacts_to: str | None, overwrite: bool,
               verify_only: bool, **options: Any) -> None:
        if not source and not target:
            raise CommandError("give --to URI (or --from URI): the other side defaults to the configured store")
        src = StoreAddress(uri=source or settings.MONGO_URI, db=from_db or settings.MONGO_DB)
        dst = StoreAddress(uri=target or settings.MONGO_URI, db=to_db or settings.MONGO_DB)
        self.stdout.write(f"{'verifying' if verify_only else 'copying'} {src} -> {dst}")
        bars = _Bars(self)
        try:
            report = store_copy(src, dst, artifacts_from=artifacts_from, artifacts_to=artifacts_to,
                                overwrite=overwrite, verify_only=verify_only, progress=bars)
        except StoreCopyError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bars.close()
        self._table(report)
        if not report.ok:
            raise CommandError("the copy differs from the source:\n  " + "\n  ".join(report.differences))
        where = "GridFS" if report.artifacts_to == GRIDFS else str(report.artifacts_to)
        documents = sum(c.target_count for c in report.collections)
        self.stdout.write(self.style.SUCCESS(
            f"verified: {len(report.collections)} collections, {documents} documents and "
            f"{len(report.artifacts)} artifacts ({where}) equal to the source"))

    def _table(self, report: CopyReport) -> None:
        width = max([len("collection")] + [len(c.name) for c in report.collections])
        header = (f"{'collection':<{width}}  {'source':>8}  {'copy':>8}  {'copied':>7}  {'skipped':>7}  "
                  f"{'replaced':>8}  {'deleted':>7}  {'source hash':<16}  {'copy hash':<16}  check")
        self.stdout.write(header)
        for c in report.collections:
            work = ("-", "-", "-", "-") if report.verify_only else (c.copied, c.skipped, c.replaced, c.deleted)
            self.stdout.write(
                f"{c.name:<{width}}  {c.source_count:>8}  {c.target_count:>8}  {work[0]:>7}  {work[1]:>7}  "
                f"{work[2]:>8}  {work[3]:>7}  {_short(c.source_hash):<16}  {_short(c.target_hash):<16}  "
                + ("ok" if c.ok else "DIFFERS"))
        for a in report.artifacts:
            self.stdout.write(f"artifact {a.sha256[:16]}  {a.size:>9} bytes  {a.action:<8}  "
                              f"{'ok' if a.ok else 'BAD'}  {', '.join(a.versions)}")
