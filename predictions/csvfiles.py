"""Reading students' CSV files: the UCI format (``;``, quoted strings) or plain commas.

Accepts UTF-8 with or without a BOM, LF, CRLF or CR line ends. Refuses, with a message a
person can act on: empty files, a header with no rows, binary data, an unrecognised
delimiter or header, rows with too many fields, and files over the row limit.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from predictions import schema


class CsvError(ValueError):
    """The file cannot be read as a students' table; the message says why."""


class TooManyRows(CsvError):
    """The file has more rows than the caller accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file has more than {limit:,} rows, the most one import accepts; split it")
        self.limit = limit


@dataclass(frozen=True)
class CsvTable:
    frame: pd.DataFrame  # every cell a string (empty string = missing)
    delimiter: str


_LINE_END = re.compile(r"\r\n|\r|\n")
_DELIMITERS = {";": "semicolon (UCI format)", ",": "comma", "\t": "tab", "|": "pipe"}
_ACCEPTED = (";", ",")


def decode(data: bytes) -> str:
    if not data or not data.strip():
        raise CsvError("the file is empty")
    if b"\x00" in data[:65536]:
        raise CsvError("the file is not a text CSV (it contains binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets on Windows still save cp1252; accept it only if it looks like text.
        text = data.decode("cp1252", errors="replace")
        controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t")
        if controls or text.count("\ufffd") > len(text) // 100:
            raise CsvError("the file is not a text CSV (it is not valid UTF-8 text)") from None
    if not text.strip():  # e.g. only a byte-order mark, as spreadsheets save an empty sheet
        raise CsvError("the file is empty")
    return text


def _header_fields(line: str, delimiter: str) -> list[str]:
    try:
        return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter, quotechar='"'), [])]
    except csv.Error as exc:  # e.g. a name longer than the csv module's field limit
        raise CsvError(f"the first line cannot be read as a header of column names ({exc})") from None


def detect_delimiter(header: str) -> str:
    """The delimiter under which the header names the most schema columns."""
    known = set(schema.BY_NAME)
    scores = {d: sum(name in known for name in _header_fields(header, d)) for d in _DELIMITERS}
    best = max(scores, key=lambda d: scores[d])
    if scores[best] < 3:
        raise CsvError(
            "the first line is not a header of UCI column names: expected a header row such as "
            "school;sex;age;… (UCI format, ';') or school,sex,age,… (comma-separated)"
        )
    if best not in _ACCEPTED:
        raise CsvError(
            f"the file is {_DELIMITERS[best]}-separated; save it with ';' (UCI format) or ',' between fields"
        )
    return best


def _too_many_fields(text: str, delimiter: str) -> str | None:
    """A message naming the first line with more fields than the header, if there is one."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    width = None
    try:
        for cells in reader:
            if not cells:
                continue
            if width is None:
                width = len(cells)
            elif len(cells) > width:
                return (
                    f"the file is not a well-formed CSV: line {reader.line_num} has {len(cells)} fields but the "
                    f"header has {width}; look for an extra '{delimiter}' or a value containing '{delimiter}' "
                    f"that is not in quotes"
                )
    except csv.Error:
        return None  # the caller's own message stands
    return None


def read_students_csv(data: bytes, *, max_rows: int) -> CsvTable:
    """Parse a students' CSV into a table of strings, without judging the values."""
    text = decode(data)
    # Lines may end in LF, CRLF or a lone CR (old Mac spreadsheets): pandas reads all three.
    header, *rest = _LINE_END.split(text.lstrip("\r\n"), maxsplit=1)
    body = rest[0] if rest else ""
    delimiter = detect_delimiter(header)
    if not body.strip():
        raise CsvError("the file has a header but no rows")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quotechar='"',
            skip_blank_lines=True,
            engine="c",
            nrows=max_rows + 1,
        )
    except pd.errors.ParserError as exc:
        raise CsvError(_too_many_fields(text, delimiter) or f"the file is not a well-formed CSV: {exc}") from exc
    except (pd.errors.EmptyDataError, UnicodeError) as exc:
        raise CsvError(f"the file cannot be read: {exc}") from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas turns extra leading cells into an index when the first row is one field too
        # long, shifting every value one column; refuse instead.
        raise CsvError(_too_many_fields(text, delimiter) or "the file is not a well-formed CSV: a row has more "
                       "fields than the header")
    if len(frame) > max_rows:
        raise TooManyRows(max_rows)
    # pandas renames repeated headers ("age.1"); restore the names so validation can say so.
    names = _header_fields(header, delimiter)
    if len(names) < len(frame.columns):
        # A quoted name ran past the end of the first line, so pandas saw a different header.
        raise CsvError("the first line is not a well-formed header: a quoted column name is not closed on it")
    frame.columns = names[: len(frame.columns)]
    frame = frame.fillna("")
    if frame.empty:
        raise CsvError("the file has a header but no rows")
    return CsvTable(frame=frame, delimiter=delimiter)
