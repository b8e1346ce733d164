"""Fetching the official UCI archive (data set 320, Student Performance).

The archive holds ``student.zip`` which holds ``student-mat.csv`` and ``student-por.csv``;
we look through nested zips rather than rely on that layout staying put.
"""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
import zipfile

SUBJECTS = {"mat": "student-mat.csv", "por": "student-por.csv"}
# The published files, for a warning (not a refusal) if the archive ever changes.
KNOWN_SHA256 = {
    "student-mat.csv": "e47f9ee225e1ee6e69b7564e6dac7123e80b8486677fe111f351964cef5dec80",
    "student-por.csv": "a7594a11d7771c0efe1a740824e0e833da9c4cad07c39a9766a874575563fb3f",
}
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024


class UciDownloadError(Exception):
    pass


def download(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - URL from settings
            data = response.read(MAX_ARCHIVE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UciDownloadError(
            f"could not download the UCI archive from {url} ({reason}). If this machine is offline, "
            "download student.zip elsewhere, unzip it and run: "
            "python manage.py import_students path/to/student-por.csv --labeled"
        ) from exc
    if len(data) > MAX_ARCHIVE_BYTES:
        raise UciDownloadError(f"the archive at {url} is larger than {MAX_ARCHIVE_BYTES // 2**20} MB; refusing it")
    return data


def find_member(archive: bytes, name: str, depth: int = 0) -> bytes:
    """The bytes of ``name`` anywhere in the zip, looking inside nested zips (two levels)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as outer:
            for info in outer.infolist():
                if info.filename.rsplit("/", 1)[-1] == name:
                    return outer.read(info)
            if depth < 2:
                for info in outer.infolist():
                    if info.filename.lower().endswith(".zip"):
                        try:
                            return find_member(outer.read(info), name, depth + 1)
                        except UciDownloadError:
                            continue
    except zipfile.BadZipFile as exc:
        raise UciDownloadError(f"the downloaded file is not a zip archive ({exc})") from exc
    raise UciDownloadError(f"{name} was not found in the downloaded archive")


def fetch_subject(subject: str, url: str, timeout: float) -> tuple[bytes, bool]:
    """The CSV of one subject and whether it matches the published file byte for byte."""
    if subject not in SUBJECTS:
        raise UciDownloadError(f"unknown subject {subject!r}: choose mat or por")
    name = SUBJECTS[subject]
    data = find_member(download(url, timeout), name)
    return data, hashlib.sha256(data).hexdigest() == KNOWN_SHA256[name]
