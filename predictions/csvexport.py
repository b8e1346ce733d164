"""A class upload's results: kept in the store for the uploader's session, shown as a table, downloaded as CSV.

The prediction log keeps every prediction. What only the page needs — spreadsheet row
numbers, extra columns such as a name, the rejected rows and why — is stored (the
``upload_results`` collection) under a key only the uploader's session holds, so nobody
else can open or download it, and a reload or a later download reads it back without
predicting again. The session keeps the key and a one-line summary (a session row stays a
few hundred bytes); results expire after UPLOAD_RESULTS_DAYS, and extra cells are cut to
EXTRA_CELL_CHARS so one upload's document stays far below MongoDB's 16 MB.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from predictions import repository, schema
from predictions.entities import PredictionLog
from predictions.forms import TRACK_WORDS, ClassSheet

SESSION_KEY = "class_uploads"  # the previous release kept whole results here: still read
SESSION_KEYS = "class_upload_keys"  # {store key: summary}
KEEP = 5  # uploads kept per session: enough to go back to
EXTRA_CELL_CHARS = 100
EXTRA_COLUMNS_KEPT = 5

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection), also
# after leading spaces, which spreadsheets trim (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A ';' file opened as comma-separated (or the reverse) splits a cell at the other delimiter,
# and the piece after it becomes a cell of its own: "x,=2+2" would run "=2+2".
_AFTER_DELIMITER = re.compile(r"([,;])([ ]*)(?=[=+\-@\t\r])")


def spreadsheet_safe(cell: str) -> str:
    """The cell with a ' before anything a spreadsheet would run as a formula: at its start
    (after any spaces) and after a ',' or ';' inside it."""
    cell = _AFTER_DELIMITER.sub(r"\1\2'", cell)
    return "'" + cell if cell.lstrip(" ").startswith(FORMULA_STARTS) else cell


@dataclass(frozen=True)
class Problem:
    field: str | None
    reason: str
    value: str | None

    @property
    def label(self) -> str:
        f = schema.BY_NAME.get(self.field or "")
        return f.label if f is not None else (self.field or "the whole row")

    def __str__(self) -> str:
        got = f" (got {self.value!r})" if self.value is not None else ""
        return f"{self.field + ': ' if self.field else ''}{self.reason}{got}"


@dataclass(frozen=True)
class ResultRow:
    row: int  # spreadsheet numbering: the header is row 1
    extra: list[str]
    prediction_id: str | None = None
    predicted_g3: float | None = None
    at_risk: bool | None = None
    track: str | None = None
    model_version: int | None = None
    problems: tuple[Problem, ...] = ()
    interval_low: float | None = None
    interval_high: float | None = None
    p_at_risk: float | None = None

    @property
    def predicted(self) -> bool:
        return self.prediction_id is not None

    @property
    def track_words(self) -> str:
        return TRACK_WORDS.get(self.track or "", "")

    @property
    def chance_words(self) -> str:
        """ "between 9 and 13 · 35 % chance of failing", or "" when the model gave no interval."""
        if self.interval_low is None or self.interval_high is None or self.p_at_risk is None:
            return ""
        return (f"most likely {self.interval_low:.0f}-{self.interval_high:.0f}; "
                f"{self.p_at_risk * 100:.0f} % chance below 10")

    @property
    def chance_short(self) -> str:
        """The same in a phone's width: "8-10 · 55 %"."""
        if self.interval_low is None or self.interval_high is None or self.p_at_risk is None:
            return ""
        return f"{self.interval_low:.0f}-{self.interval_high:.0f} · {self.p_at_risk * 100:.0f} %"


@dataclass(frozen=True)
class ClassResults:
    request_id: str
    user: str  # who uploaded: checked again on every read, should a session ever change hands
    filename: str
    created_at: str  # ISO 8601, UTC
    delimiter: str
    extra_columns: list[str]
    rows: list[ResultRow]

    @property
    def predicted_rows(self) -> list[ResultRow]:
        return [r for r in self.rows if r.predicted]

    @property
    def rejected_rows(self) -> list[ResultRow]:
        return [r for r in self.rows if not r.predicted]

    @property
    def at_risk_count(self) -> int:
        return sum(1 for r in self.rows if r.at_risk)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    def to_csv(self) -> str:
        """Every row in file order, predictions or reasons, safe to open in a spreadsheet."""
        buffer = io.StringIO()
        # Every cell quoted: a reader splitting at the other delimiter still keeps each cell whole.
        # The interval columns come last, so sheets built on the earlier layout keep their columns.
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        header = ["row", *self.extra_columns, "predicted_G3", "at_risk", "track", "model_version",
                  "prediction_id", "problems", "interval_low", "interval_high", "p_at_risk"]
        writer.writerow([spreadsheet_safe(h) for h in header])
        for r in self.rows:
            cells = [str(r.row), *r.extra]
            if r.predicted:
                cells += [f"{r.predicted_g3:.1f}", "yes" if r.at_risk else "no", str(r.track), str(r.model_version),
                          str(r.prediction_id), "", _decimal(r.interval_low, 1), _decimal(r.interval_high, 1),
                          _decimal(r.p_at_risk, 2)]
            else:
                cells += ["", "", "", "", "", "; ".join(str(p) for p in r.problems), "", "", ""]
            writer.writerow([spreadsheet_safe(c) for c in cells])
        return buffer.getvalue()


def _decimal(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def class_results_build(sheet: ClassSheet, entries: Sequence[PredictionLog], *, request_id: str, user: str,
                        filename: str, created_at: datetime) -> ClassResults:
    """Join the file's rows with their logged predictions (in order) and the rejected rows' reasons."""
    by_row = dict(zip(sheet.student_rows, entries, strict=True))
    problems: dict[int, list[Problem]] = {}
    for e in sheet.rejected:
        problems.setdefault(e.row or 0, []).append(
            Problem(e.field, e.reason, None if e.value is None else str(e.value)))
    rows: list[ResultRow] = []
    for number in sheet.all_rows:
        extra = sheet.extra_cells.get(number, [])
        entry = by_row.get(number)
        if entry is not None:
            rows.append(ResultRow(number, extra, entry.id, entry.predicted_g3, entry.at_risk, entry.track,
                                  entry.model_version, interval_low=entry.interval_low,
                                  interval_high=entry.interval_high, p_at_risk=entry.p_at_risk))
        else:
            rows.append(ResultRow(number, extra, problems=tuple(problems.get(number, ()))))
    return ClassResults(request_id=request_id, user=user, filename=filename, created_at=created_at.isoformat(),
                        delimiter=sheet.delimiter, extra_columns=sheet.extra_columns, rows=rows)


def rows_refused(sheet: ClassSheet) -> list[ResultRow]:
    """The rejected rows of a sheet, with their reasons (for a file with nothing to predict)."""
    return class_results_build(sheet, [], request_id="", user="", filename="",
                               created_at=datetime.now()).rejected_rows


# --- the stored document: rows as short lists, as a class of 10,000 must still fit ---------

def _pack(results: ClassResults) -> dict[str, Any]:
    columns = EXTRA_COLUMNS_KEPT
    return {
        "request_id": results.request_id, "user": results.user, "filename": results.filename[:200],
        "created_at": results.created_at,
        "delimiter": results.delimiter,
        "extra_columns": [c[:EXTRA_CELL_CHARS] for c in results.extra_columns[:columns]],
        "rows": [[r.row, [c[:EXTRA_CELL_CHARS] for c in r.extra[:columns]], r.prediction_id, r.predicted_g3,
                  r.at_risk, r.track, r.model_version,
                  [[p.field, p.reason, p.value] for p in r.problems], r.interval_low, r.interval_high, r.p_at_risk]
                 for r in results.rows],
    }


def _unpack(data: Mapping[str, Any]) -> ClassResults:
    # Sessions saved before intervals existed hold 8 cells a row.
    rows = [ResultRow(row, list(extra), pid, predicted, at_risk, track, version,
                      tuple(Problem(*p) for p in problems), *(bounds or (None, None, None)))
            for row, extra, pid, predicted, at_risk, track, version, problems, *bounds in data["rows"]]
    return ClassResults(request_id=data["request_id"], user=data["user"], filename=data["filename"],
                        created_at=data["created_at"], delimiter=data["delimiter"],
                        extra_columns=list(data["extra_columns"]), rows=rows)


def session_save(session: MutableMapping[str, Any], results: ClassResults) -> None:
    """Store ``results`` for this session, dropping its oldest beyond ``KEEP`` and every expired one."""
    at = datetime.fromisoformat(results.created_at)
    key = repository.upload_result_key(at, results.user, results.request_id)
    repository.insert_upload_result(key, _pack(results))
    repository.delete_upload_results_before(datetime.now(UTC) - timedelta(days=settings.UPLOAD_RESULTS_DAYS))
    kept = dict(session.get(SESSION_KEYS, {}))
    kept[key] = {"request_id": results.request_id, "user": results.user, "filename": results.filename[:100],
                 "created_at": results.created_at, "predicted": len(results.predicted_rows),
                 "rejected": len(results.rejected_rows)}
    newest = sorted(kept, key=lambda k: kept[k]["created_at"], reverse=True)
    for dropped in newest[KEEP:]:
        repository.delete_upload_result(dropped)
    session[SESSION_KEYS] = {k: kept[k] for k in newest[:KEEP]}  # a new dict marks the session modified


def _uploads_of(session: Mapping[str, Any], user: str) -> dict[str, Any]:
    return {key: data for key, data in session.get(SESSION_KEYS, {}).items() if data.get("user") == user}


def _old_uploads_of(session: Mapping[str, Any], user: str) -> dict[str, Any]:
    return {key: data for key, data in session.get(SESSION_KEY, {}).items() if data.get("user") == user}


def session_load(session: Mapping[str, Any], request_id: str, user: str) -> ClassResults | None:
    """The results of ``request_id``, if ``user`` uploaded them in this session (and they have not expired)."""
    for key, summary in _uploads_of(session, user).items():
        if summary["request_id"] == request_id:
            data = repository.get_upload_result(key)
            return _unpack(data) if data and data.get("user") == user else None
    old = _old_uploads_of(session, user).get(request_id)
    return _unpack(old) if old else None


def session_recent(session: Mapping[str, Any], user: str) -> list[dict[str, Any]]:
    """A short summary of ``user``'s uploads in this session, newest first."""
    out = [{"request_id": s["request_id"], "filename": s["filename"], "when": datetime.fromisoformat(s["created_at"]),
            "predicted": s["predicted"], "rejected": s["rejected"]} for s in _uploads_of(session, user).values()]
    for data in _old_uploads_of(session, user).values():
        rows = data["rows"]
        out.append({"request_id": data["request_id"], "filename": data["filename"],
                    "when": datetime.fromisoformat(data["created_at"]),
                    "predicted": sum(1 for r in rows if r[2] is not None),
                    "rejected": sum(1 for r in rows if r[2] is None)})
    return sorted(out, key=lambda item: item["when"], reverse=True)
