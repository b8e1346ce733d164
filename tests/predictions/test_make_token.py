"""`make token USER=name`, exactly as the README writes it, in a fresh process without SECRET_KEY."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    dropped = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["VAR_DIR"] = str(var_dir)  # the database goes here, not into the checkout's var/
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_readme_command_prints_a_token_and_the_same_one_again(tmp_path):
    assert "make token USER=ana" in (ROOT / "README.md").read_text()

    first = make("token", "USER=ana", var_dir=tmp_path)

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    again = make("token", "USER=ana", var_dir=tmp_path)
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == key


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_without_user_it_says_how_to_call_it(tmp_path):
    result = make("token", var_dir=tmp_path)

    assert result.returncode != 0
    assert "make token USER=name" in result.stderr
