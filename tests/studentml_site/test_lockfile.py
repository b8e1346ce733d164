"""The lock files pin, with hashes, every dependency pyproject.toml declares, within its bounds.

`make run` installs `.requirements.lock` and `make test` `.requirements-dev.lock` with
`--require-hashes`; a dependency added to pyproject.toml but not locked would be missing
from a deployment, and a lock outside the declared bounds would not be what was meant.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)."""
    text = (ROOT / lock).read_text()
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^\s\\]+)", block)
        if match:
            out[canonicalize_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return out


@pytest.mark.parametrize("lock, declared", [
    (".requirements.lock", PROJECT["dependencies"]),
    (".requirements-dev.lock", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]),
])
def test_every_declared_dependency_is_pinned_with_hashes_within_its_bounds(lock, declared):
    locked = pins(lock)
    for line in declared:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is declared in pyproject.toml but not in {lock}: run `make lock`"
        version, hashes = locked[name]
        assert hashes >= 1, f"{name} is pinned without a hash in {lock}"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, outside pyproject.toml's {requirement.specifier}")


def test_the_locks_name_no_machine_specific_index():
    for lock in (".requirements.lock", ".requirements-dev.lock"):
        text = (ROOT / lock).read_text()
        assert "--index-url" not in text.replace("--no-emit-index-url", "")
        assert "file://" not in text
