"""Import a CSV of students (labelled or unlabelled) or the official UCI data."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from predictions import services, uci
from predictions.entities import BatchKind

MAX_ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = (
        "Import students from a CSV file (UCI ';' format or comma-separated). A file with any "
        "invalid row imports nothing unless --skip-invalid; the same file twice is refused "
        "unless --allow-duplicate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="CSV file to import")
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument("--labeled", action="store_true", help="rows carry the final grade G3 (training data)")
        kind.add_argument("--unlabeled", action="store_true", help="rows have no G3 (e.g. a new cohort)")
        parser.add_argument("--uci", choices=sorted(uci.SUBJECTS), help="download and import the official "
                            "UCI data for mat (Mathematics) or por (Portuguese); labelled")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="import the valid rows and record the rejected ones in the batch")
        parser.add_argument("--allow-duplicate", action="store_true", help="import a file already imported")
        parser.add_argument("--by", default=None, help="who is importing (recorded in the batch)")

    def handle(self, *args: Any, **options: Any) -> None:
        path, subject = options["path"], options["uci"]
        if bool(path) == bool(subject):
            raise CommandError("give either a PATH or --uci mat|por")
        if subject:
            if options["unlabeled"]:
                raise CommandError("the UCI data is labelled: drop --unlabeled")
            data, source, kind = self._fetch_uci(subject), f"uci:{subject}", BatchKind.LABELED
        else:
            if not (options["labeled"] or options["unlabeled"]):
                raise CommandError("say whether the file is --labeled (has G3) or --unlabeled")
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"{path}: no such file")
            data, source = file.read_bytes(), file.name
            kind = BatchKind.LABELED if options["labeled"] else BatchKind.UNLABELED

        bar: tqdm | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="rows", desc="importing", disable=total < 20_000,
                           file=self.stderr._out)
            bar.update(done - bar.n)

        try:
            report = services.batch_import(
                data,
                kind=kind,
                source=source,
                created_by=options["by"] or _whoami(),
                skip_invalid=options["skip_invalid"],
                allow_duplicate=options["allow_duplicate"],
                progress=progress,
            )
        except services.ImportRejected as exc:
            self._print_errors(exc.errors)
            raise CommandError(exc.message) from exc
        finally:
            if bar is not None:
                bar.close()

        batch = report.batch
        if report.errors:
            self.stdout.write(self.style.WARNING(f"skipped {batch.rows_rejected} invalid rows:"))
            self._print_errors(report.errors)
        if batch.ignored_columns:
            ignored = ", ".join(batch.ignored_columns)
            self.stdout.write(self.style.WARNING(f"ignored columns not in the schema: {ignored}"))
        if batch.duplicate_rows:
            self.stdout.write(self.style.WARNING(f"{batch.duplicate_rows} rows repeat an earlier row of this file"))
        self.stdout.write(self.style.SUCCESS(
            f"{source}: imported {batch.rows_imported} {kind.value} rows of {batch.rows_total} "
            f"as batch {batch.id[:12]}"
        ))

    def _fetch_uci(self, subject: str) -> bytes:
        self.stdout.write(f"downloading {settings.UCI_DOWNLOAD_URL} …")
        try:
            data, published = uci.fetch_subject(subject, settings.UCI_DOWNLOAD_URL, settings.UCI_DOWNLOAD_TIMEOUT)
        except uci.UciDownloadError as exc:
            raise CommandError(str(exc)) from exc
        if not published:
            self.stdout.write(self.style.WARNING(
                f"{uci.SUBJECTS[subject]} differs from the published file (sha256); importing it after validation"
            ))
        return data

    def _print_errors(self, errors: list) -> None:
        for error in errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(f"  {error}")
        if len(errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(f"  … and {len(errors) - MAX_ERRORS_SHOWN} more")


def _whoami() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
