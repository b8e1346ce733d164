"""The registry's admin pages: who may see them, and that they show what the store holds."""

from __future__ import annotations

import json
import re

import pytest

from drift import repository as drift_repository
from drift.entities import DriftReport, FeatureDrift, Verdict
from registry import services
from studentml_site import clock
from tests.builders import store_snapshot
from tests.registry.conftest import add_version

pytestmark = pytest.mark.django_db

LIST = "/admin/registry/modelversion/"
AUDIT = "/admin/registry/auditentry/"


def rows(html: str) -> list[tuple[str, str]]:
    """(version id, status) of each row of the versions list, in order."""
    return re.findall(r'<tr class="status-[a-z_]+" data-version="([A-C]:\d+)" data-status="([a-z_]+)"', html)


def test_the_admin_index_has_a_model_registry_section(viewer_client):
    html = viewer_client.get("/admin/").content.decode()

    assert "Model registry" in html
    assert f'href="{LIST}"' in html and f'href="{AUDIT}"' in html


@pytest.mark.parametrize("url", [LIST, AUDIT, "/admin/registry/modelversion/A/1/", "/admin/registry/",
                                 "/admin/registry/auditentry/champion-at/?track=A&at=2026-01-01T00:00"])
def test_a_teacher_is_sent_to_the_admin_login(teacher_client, versions, url):
    response = teacher_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(LIST)

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_list_shows_every_version_with_pending_approvals_first(viewer_client, versions):
    response = viewer_client.get(LIST)

    assert response.status_code == 200
    listed = rows(response.content.decode())
    assert listed[:2] == [("A:4", "pending_approval"), ("A:3", "pending_approval")]
    assert sorted(listed) == sorted((v.id, v.status.value) for v in versions.values())
    html = response.content.decode()
    assert "Model versions" in html and 'class="breadcrumbs"' in html and 'id="changelist-filter"' in html


def test_the_list_shows_the_stored_values(viewer_client, versions):
    html = viewer_client.get(LIST + "?track=A&status=pending_approval").content.decode()
    row = html[html.index('data-version="A:3"'):]
    row = row[:row.index("</tr>")]

    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    # The version cell names the model: the estimator's class for a version stored without a label.
    assert cells[:9] == ["A", "A:3 GradientBoostingRegressor", "pending approval", "1.800", "2.520", "0.610",
                         "2.000 (v2)",
                         "+0.200 +0.080 to +0.320", "400 rows 2026-01-05 – 2026-03-01"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d trainer", cells[9])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d retrain", cells[10])
    assert len(cells) == 11


def test_the_champion_row_is_highlighted(viewer_client, versions):
    html = viewer_client.get(LIST + "?track=A").content.decode()

    assert '<tr class="status-champion" data-version="A:2"' in html
    assert html.count('class="status-champion"') == 1


@pytest.mark.parametrize("query,expected", [
    ("?track=B", {"B:1", "B:2", "B:3"}),
    ("?status=champion", {"A:2", "B:1"}),
    ("?track=A&status=archived", {"A:1"}),
    ("?track=C", set()),
    ("?track=Z", {"A:1", "A:2", "A:3", "A:4", "B:1", "B:2", "B:3"}),  # unknown filter values are ignored
])
def test_the_list_filters_by_track_and_status(viewer_client, versions, query, expected):
    assert {v for v, _ in rows(viewer_client.get(LIST + query).content.decode())} == expected


def test_the_list_sorts_by_a_column_both_ways_with_missing_values_last(viewer_client, versions):
    up = [v for v, _ in rows(viewer_client.get(LIST + "?o=mae").content.decode())]
    down = [v for v, _ in rows(viewer_client.get(LIST + "?o=-mae").content.decode())]
    by_gain = [v for v, _ in rows(viewer_client.get(LIST + "?o=-gain").content.decode())]

    assert up == ["A:3", "A:4", "A:2", "A:1", "B:1", "B:3", "B:2"]
    assert down == list(reversed(up))
    assert by_gain[:4] == ["A:3", "A:2", "A:4", "B:3"] and set(by_gain[-2:]) == {"A:1", "B:1"}  # no champion: no gain


def test_the_list_is_paginated(viewer_client, settings):
    for _ in range(53):
        add_version("C", mae=2.0)

    first = viewer_client.get(LIST + "?track=C").content.decode()
    second = viewer_client.get(LIST + "?track=C&p=2").content.decode()

    assert len(rows(first)) == 50 and len(rows(second)) == 3
    assert "53 model versions" in first and 'href="?track=C&amp;p=2"' in first


def test_the_detail_page_shows_every_stored_field_and_the_comparison(viewer_client, versions):
    response = viewer_client.get("/admin/registry/modelversion/A/3/")

    assert response.status_code == 200
    html = response.content.decode()
    v = versions["A:3"]
    metrics = html[html.index('id="metrics"'):html.index("</table>", html.index('id="metrics"'))]
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", metrics)] == [
        "1.800", "2.000", "2.500", "2.520", "—", "—", "0.610", "—", "—"]
    assert "Champion v2, same holdout" in html and "80 rows held out, 320 trained on" in html
    assert "+0.080 to +0.320" in html and "excludes zero" in html
    assert v.artifact.sha256 in html and f"{v.artifact.size:,} bytes" in html
    for name in ("window.data_hash", "params.estimator", "extra.retrain_run", "holdout.gain_ci_low", "created_by"):
        assert f"<code>{name}</code>" in html
    assert "run-17" in html and "feature counts of the training window for 2 features" in html
    assert "[1, 2, 3]" not in html  # the profile is summarised, not dumped
    charts = json.loads(re.search(r'<script id="registry-charts" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert charts["mae"]["data"]["labels"] == ["v1", "v2 ★", "v3", "v4"]
    assert charts["mae"]["data"]["datasets"][0]["data"] == [2.2, 2.0, 1.8, 1.95]
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_the_detail_page_says_when_the_interval_includes_zero(viewer_client, versions):
    html = viewer_client.get("/admin/registry/modelversion/A/4/").content.decode()

    assert "-0.040 to +0.140" in html and "includes zero" in html and "could be noise" in html


def test_the_detail_page_shows_dashes_for_a_version_without_the_new_keys(viewer_client):
    services.model_version_register(track="C", pipeline={"old": True}, metrics={"mae": 2.0}, holdout={"rows": 10},
                                    window={"rows": 50}, params={}, by="old-trainer")

    html = viewer_client.get("/admin/registry/modelversion/C/1/").content.decode()

    assert "no champion to compare with" in html
    assert html.count("—") >= 8


def test_the_detail_page_shows_the_triggering_drift_report(viewer_client):
    report = DriftReport(id="rep-42", created_at=clock.now(), track="A", verdict=Verdict.DRIFT, model_version=1,
                         reference_rows=400, current_rows=120, current_since=None, current_until=None,
                         features=[FeatureDrift("absences", "ks", 0.3, 0.001, 0.002, 0.3, True, "", [1], [2], [0])],
                         settings={}, trigger="schedule")
    drift_repository.insert_report(report)
    add_version("A", extra={"drift_report_id": "rep-42"})
    add_version("A", extra={"drift_report_id": "gone"})

    with_report = viewer_client.get("/admin/registry/modelversion/A/1/").content.decode()
    missing = viewer_client.get("/admin/registry/modelversion/A/2/").content.decode()

    assert "rep-42" in with_report and "absences" in with_report and "drift" in with_report
    assert "Drift report gone is recorded as the trigger but is no longer stored" in missing


@pytest.mark.parametrize("url", ["/admin/registry/modelversion/A/99/", "/admin/registry/modelversion/Q/1/"])
def test_an_unknown_version_is_a_404(viewer_client, versions, url):
    assert viewer_client.get(url).status_code == 404


def test_a_viewer_sees_no_decision_buttons_and_is_told_why(viewer_client, approver_client, versions):
    as_viewer = viewer_client.get("/admin/registry/modelversion/A/3/").content.decode()
    as_approver = approver_client.get("/admin/registry/modelversion/A/3/").content.decode()

    assert "/admin/registry/modelversion/A/3/approve/" not in as_viewer
    assert "need the permission" in as_viewer
    assert "/admin/registry/modelversion/A/3/approve/" in as_approver
    assert "/admin/registry/modelversion/A/3/reject/" in as_approver


def test_an_archived_version_offers_rollback_only(approver_client, versions):
    html = approver_client.get("/admin/registry/modelversion/A/1/").content.decode()

    assert "/A/1/rollback/" in html and "/A/1/approve/" not in html and "/A/1/reject/" not in html


def test_the_audit_log_page_lists_entries_filtered_by_track(viewer_client, versions):
    everything = viewer_client.get(AUDIT).content.decode()
    track_b = viewer_client.get(AUDIT + "?track=B").content.decode()

    assert everything.count('<tr class="audit-') == services.audit_log_count() == 14
    assert track_b.count('<tr class="audit-') == services.audit_log_count("B") == 5
    assert "worse than G2" in track_b and "beats the champion" not in track_b
    assert 'class="audit-reject"' in track_b


def test_the_audit_log_is_paginated(viewer_client):
    for _ in range(30):
        add_version("C", status="pending_approval")  # two entries each

    second = viewer_client.get(AUDIT + "?p=2").content.decode()

    assert second.count('<tr class="audit-') == 10 and "60 entries" in second


def test_champion_at_time_t_names_the_version_who_and_why(viewer_client, versions):
    history = services.champion_history("A")
    between = history[0].at.replace(tzinfo=None).isoformat(timespec="milliseconds")

    at_first = viewer_client.get(AUDIT + f"champion-at/?track=A&at={between}").content.decode()
    now = viewer_client.get(AUDIT + "champion-at/?track=A&at=2999-01-01T00:00").content.decode()
    before = viewer_client.get(AUDIT + "champion-at/?track=A&at=2000-01-01T00:00").content.decode()
    bad = viewer_client.get(AUDIT + "champion-at/?track=A&at=yesterday")

    assert 'data-version="1"' in at_first and "setup" in at_first and "first version" in at_first
    assert 'data-version="2"' in now
    assert "had no champion yet" in before
    assert bad.status_code == 200 and "Enter a date and time" in bad.content.decode()


def test_pages_change_nothing(viewer_client, approver_client, versions):
    before = store_snapshot()

    for url in [LIST, LIST + "?o=-gain&track=A", "/admin/registry/modelversion/A/3/", AUDIT,
                AUDIT + "champion-at/?track=A&at=2026-01-01T00:00"]:
        assert viewer_client.get(url).status_code == 200
    for action in ("approve", "reject"):
        assert approver_client.get(f"/admin/registry/modelversion/A/3/{action}/").status_code == 200
    assert approver_client.get("/admin/registry/modelversion/A/1/rollback/").status_code == 200

    assert store_snapshot() == before


def test_the_detail_page_shows_the_retrain_run_that_made_the_version(viewer_client):
    from retraining import repository as retraining_repository
    from retraining.entities import Decision, RetrainRun

    retraining_repository.save_run(RetrainRun(id="run-99", track="A", trigger="drift", policy="approval",
                                              started_at=clock.now(), decision=Decision.PENDING_APPROVAL,
                                              reason="gain 0.12 >= 0.01", by="scheduler"))
    add_version("A", extra={"retrain_run": "run-99"})

    html = viewer_client.get("/admin/registry/modelversion/A/1/").content.decode()

    assert "run-99" in html and "pending_approval: gain 0.12 &gt;= 0.01" in html and "policy approval" in html


def test_the_detail_page_is_a_model_card_with_candidates_and_groups(viewer_client):
    group = {"rows": 40, "mae": 0.9, "rmse": 1.2, "coverage": 0.8, "at_risk_precision": 0.5, "at_risk_recall": 0.6}
    add_version("A", status="champion", extra={
        "refit": True, "cv_folds": 5,
        "candidates": [{"name": "rule", "label": "rule: G3 = G2", "cv_mae": 1.01, "cv_mae_se": 0.04,
                        "cv_rmse": 1.4, "chosen": True},
                       {"name": "estimator", "label": "gradient boosting", "cv_mae": 0.99, "cv_mae_se": 0.05,
                        "cv_rmse": 1.3, "chosen": False}],
        "metrics_by_group": {"school": {"GP": group, "MS": {**group, "rows": 20, "mae": 1.45}}}})

    html = viewer_client.get("/admin/registry/modelversion/A/1/").content.decode()

    assert "5-fold CV on the training part only" in html
    candidates = html[html.index('id="candidates"'):html.index("</table>", html.index('id="candidates"'))]
    assert "rule: G3 = G2" in candidates and "1.010" in candidates and "gradient boosting" in candidates
    assert "Largest gap: school = MS (MAE 1.450) against school = GP (MAE 0.900), 0.550 grade points." in html
    assert "refitted on the whole window" in html
