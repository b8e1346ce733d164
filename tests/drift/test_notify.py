"""Notifications: one email per event to approvers only, each kind can be turned off, the webhook is
signed and retried until the receiver takes it, every attempt recorded."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from drift import notify, repository
from registry import services as registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(django_user_model, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_APPROVAL = settings.NOTIFY_DRIFT = settings.NOTIFY_ACCURACY = True
    user = django_user_model.objects.create_user("ana", email="ana@school.example", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="approve_promotion"))
    django_user_model.objects.create_user("tom", email="tom@school.example", is_staff=True)  # may not approve
    django_user_model.objects.create_user("tea", email="tea@school.example")  # a teacher
    return user


def test_each_event_is_emailed_once_to_approvers_only(approver):
    for _ in range(3):  # the nightly check sees the same drift of the same champion again
        notify.drift_found("C", 1, ["studytime", "absences"], ["School absences, typical student: 2 → 10"], "r1")
    notify.drift_found("C", 1, ["absences"], [], "r2")  # another change: another event

    assert [m.to for m in mail.outbox] == [["ana@school.example"], ["ana@school.example"]]
    assert "School absences, typical student: 2 → 10" in mail.outbox[0].body


def test_a_challenger_waiting_for_approval_is_emailed(approver):
    common = dict(track="A", pipeline={"x": 1}, holdout={"rows": 80, "champion_mae": 2.0, "naive_mae": 2.5},
                  window={"rows": 400}, params={}, by="tests")
    registry.model_version_promote("A", registry.model_version_register(metrics={"mae": 2.0}, **common).version,
                                   by="setup")
    challenger = registry.model_version_register(metrics={"mae": 1.8}, **common)

    registry.model_version_submit("A", challenger.version, by="retrain", reason="beats the champion")

    [message] = mail.outbox
    assert message.subject == "[studentml] Track A: version 2 waits for approval"
    assert "MAE 1.800 against the champion's 2.000" in message.body


def test_a_kind_turned_off_sends_nothing(approver, settings):
    settings.NOTIFY_ACCURACY = False
    assert notify.accuracy_alert("A", 1, "Live MAE 2.10 is 1.10 worse", 2.1, 1.0) is False
    assert notify.drift_found("A", 1, ["age"], [], "r1") is True  # the other kinds still go out
    assert [m.subject for m in mail.outbox] == [
        "[studentml] Track A: the students differ from those the model learnt from"]
    assert repository.get_notification("accuracy:A:v1") is None


class _FlakyReceiver(BaseHTTPRequestHandler):
    failures = 2
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:  # http.server's name for the handler
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((body, self.headers["X-Studentml-Signature"]))
        self.send_response(503 if len(type(self).received) <= type(self).failures else 204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_webhook_is_signed_and_retried_until_the_receiver_takes_it(approver, settings):
    server = HTTPServer(("127.0.0.1", 0), _FlakyReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.NOTIFY_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.NOTIFY_WEBHOOK_SECRET = "s3cret-for-tests"
    _FlakyReceiver.received = []
    try:
        notify.accuracy_alert("B", 3, "Live MAE 2.40 is 0.90 worse", 2.4, 1.5)
    finally:
        server.shutdown()

    assert len(_FlakyReceiver.received) == 3  # two 503s, then taken
    for body, sent in _FlakyReceiver.received:
        assert sent == "sha256=" + hmac.new(b"s3cret-for-tests", body, hashlib.sha256).hexdigest()
        assert json.loads(body)["payload"] == {"track": "B", "version": 3, "live_mae": 2.4, "holdout_mae": 1.5}
    doc = repository.get_notification("accuracy:B:v3")
    assert [d["status"] for d in doc["deliveries"]] == [503, 503, 204] and doc["delivered"] is True
