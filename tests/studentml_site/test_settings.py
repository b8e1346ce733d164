"""Bad settings stop start-up with the variable named; good ones are read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from studentml_site import env as envmod

ROOT = Path(__file__).resolve().parents[2]


def start(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    """Run `manage.py check` in a fresh process with the given environment."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DEBUG", "SECRET_KEY", "MONGO_URI", "DJANGO_SETTINGS_MODULE"}}
    environment.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", **variables})
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name,value", [
    ("DRIFT_P_VALUE", "abc"),
    ("PROMOTION_POLICY", "maybe"),
    ("TRAINING_WINDOW", "-5"),
])
def test_invalid_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    result = start(tmp_path, **{name: value})

    assert result.returncode != 0
    assert name in result.stderr and "configuration error" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = start(tmp_path, DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_defaults_start_cleanly(tmp_path):
    result = start(tmp_path)

    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in {"DEBUG", "MONGO_URI"}},
             "VAR_DIR": str(tmp_path), "DEBUG": "false", "HTTPS": "true",
             "SECRET_KEY": "a-long-random-production-secret-0f3c9a7e5b1d2c4e6f8a0b9c7d5e3f1a",
             "ALLOWED_HOSTS": "studentml.example.org"},
        capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr


# The helpers themselves, in-process (fast), for the cases above and their neighbours.

@pytest.mark.parametrize("value,message", [
    ("abc", "DRIFT_P_VALUE='abc' is not valid"),
    ("0", "out of range"),
    ("1.5", "out of range"),
])
def test_p_value_must_be_a_probability(monkeypatch, value, message):
    monkeypatch.setenv("DRIFT_P_VALUE", value)

    with pytest.raises(ImproperlyConfigured, match=message):
        envmod.float_in("DRIFT_P_VALUE", 0.05, 0.0, 1.0, open_low=True)


def test_choice_is_case_insensitive_and_strict(monkeypatch):
    monkeypatch.setenv("PROMOTION_POLICY", "AUTO")
    assert envmod.choice("PROMOTION_POLICY", "approval", ["approval", "auto"]) == "auto"

    monkeypatch.setenv("PROMOTION_POLICY", "maybe")
    with pytest.raises(ImproperlyConfigured, match="PROMOTION_POLICY='maybe' .* approval, auto"):
        envmod.choice("PROMOTION_POLICY", "approval", ["approval", "auto"])


@pytest.mark.parametrize("value", ["0 2 * *", "61 2 * * *", "0 2 * * mon-funday", "every night"])
def test_bad_cron_is_refused(monkeypatch, value):
    monkeypatch.setenv("DRIFT_SCHEDULE", value)

    with pytest.raises(ImproperlyConfigured, match="DRIFT_SCHEDULE"):
        envmod.cron("DRIFT_SCHEDULE", "0 2 * * *")


def test_cron_uses_the_standard_field_order(monkeypatch):
    monkeypatch.setenv("RETRAIN_SCHEDULE", "30 2 1 * 0")

    schedule = envmod.crontab_from(envmod.cron("RETRAIN_SCHEDULE", "0 2 * * *"))

    assert schedule.minute == {30} and schedule.hour == {2}
    assert schedule.day_of_month == {1} and schedule.day_of_week == {0}


@pytest.mark.parametrize("value,expected", [
    ("", {"ks": 0.1, "chi2": 0.1}),
    ("0.2", {"ks": 0.2, "chi2": 0.2}),
    ("ks=0.15, chi2=0.05", {"ks": 0.15, "chi2": 0.05}),
])
def test_effect_thresholds(monkeypatch, value, expected):
    monkeypatch.setenv("DRIFT_MIN_EFFECT", value)

    assert envmod.effect_thresholds("DRIFT_MIN_EFFECT", {"ks": 0.1, "chi2": 0.1}) == expected


@pytest.mark.parametrize("value", ["big", "ks=0.1,t=0.2", "ks=2"])
def test_bad_effect_thresholds(monkeypatch, value):
    monkeypatch.setenv("DRIFT_MIN_EFFECT", value)

    with pytest.raises(ImproperlyConfigured, match="DRIFT_MIN_EFFECT"):
        envmod.effect_thresholds("DRIFT_MIN_EFFECT", {"ks": 0.1, "chi2": 0.1})


@pytest.mark.parametrize("value", ["postgres://x", "montydb:/x", "redis://localhost"])
def test_mongo_uri_scheme_is_checked(monkeypatch, value):
    monkeypatch.setenv("MONGO_URI", value)

    with pytest.raises(ImproperlyConfigured, match="MONGO_URI"):
        envmod.mongo_uri("MONGO_URI", "mongomock://")


def test_static_files_collect_with_production_storage(tmp_path):
    """`make run` collects static files with the hashed-manifest storage; a missing file fails it."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in {"DEBUG", "MONGO_URI"}},
             "VAR_DIR": str(tmp_path), "DEBUG": "false",
             "SECRET_KEY": "a-long-random-production-secret-0f3c9a7e5b1d2c4e6f8a0b9c7d5e3f1a"},
        capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles" / "staticfiles.json").is_file()


def test_timeouts_spelled_out_in_the_mongodb_uri_win_over_mongo_timeout_ms(settings):
    from studentml_site import mongo

    settings.MONGO_TIMEOUT_MS = 5000
    from_uri = mongo._make_client("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=250&connecttimeoutms=300")
    from_setting = mongo._make_client("mongodb://127.0.0.1:9/")
    try:
        assert from_uri.options.server_selection_timeout == 0.25
        assert from_uri.options.pool_options.connect_timeout == 0.3
        assert from_setting.options.server_selection_timeout == 5.0
        assert from_uri.options.pool_options.socket_timeout == 30.0  # not in the URI: from the setting
    finally:
        from_uri.close()
        from_setting.close()


OLD_KEY, NEW_KEY = "the-old-secret-key-" + "x" * 40, "the-new-secret-key-" + "y" * 40


@pytest.mark.django_db
@pytest.mark.parametrize("fallbacks,signed_in", [([OLD_KEY], True), ([], False)])
def test_rotating_the_secret_key_with_the_old_one_as_fallback_keeps_teachers_signed_in(
        client, settings, django_user_model, fallbacks, signed_in):
    settings.SECRET_KEY = OLD_KEY
    client.force_login(django_user_model.objects.create_user("ana"))
    assert client.get("/").status_code == 200

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, fallbacks

    response = client.get("/")
    assert (response.status_code == 200) is signed_in
    if not signed_in:
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_secret_key_fallbacks_are_read_from_the_environment(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    environment.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", "SECRET_KEY_FALLBACKS": f"{OLD_KEY},older-key"})
    done = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c",
                           "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)"],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)

    assert done.stdout.strip() == str([OLD_KEY, "older-key"])
