"""The model registry in Django admin: pages over the MongoDB registry, not over the ORM.

Two unmanaged models (``registry.models``) give the admin index a "Model registry"
section and own the ``registry.approve_promotion`` permission. Their ModelAdmins add the
pages through ``get_urls()``, each wrapped in ``admin_site.admin_view()`` (active staff
only; anyone else goes to the admin login) and rendered with templates extending
``admin/base_site.html``. Staff may look; deciding needs the permission. Every decision is
one ``registry.services`` call, which checks the rules and writes the audit log; a GET
never changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from drift import repository as drift_repository
from predictions.schema import Track
from registry import charts, display, models, services
from registry.entities import TRANSITIONS, ModelVersion, Status
from registry.forms import ChampionAtForm, DecisionForm
from registry.models import APPROVE_PERMISSION
from retraining import repository as retraining_repository

PER_PAGE = 50
TRACKS = [t.value for t in Track]


def can_decide(user: Any) -> bool:
    """Approve, reject and roll back: users holding ``registry.approve_promotion`` (superusers do)."""
    return bool(user.is_active and user.has_perm(APPROVE_PERMISSION))


def _query(params: QueryDict, **changes: str | None) -> str:
    """The current query string with some parameters changed (None removes one)."""
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _page(request: HttpRequest, items: Any) -> tuple[Page, list[tuple[int | str, str]]]:
    """The requested page (``?p=``, from 1, as the admin's lists) and links to pages around it ("…" between)."""
    paginator = Paginator(items, PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    return page, [(n, _query(request.GET, p=str(n)) if isinstance(n, int) else "")
                  for n in paginator.get_elided_page_range(page.number)]


def _track_or_404(track: str) -> str:
    if track not in TRACKS:
        raise Http404(f"there is no track {track}")
    return track


class RegistryPageAdmin(admin.ModelAdmin):
    """Read access for staff; no ORM add / change / delete (there is no table)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _wrap(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return self.admin_site.admin_view(view)

    def _url_name(self, suffix: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{suffix}"

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title,
                "can_decide": can_decide(request.user), **extra}


@dataclass(frozen=True)
class Decision:
    """One of the three actions an approver can take on a version."""

    name: str
    verb: str  # button and title
    done: str  # past tense, for messages
    reason_required: bool
    default_reason: str
    switches_champion: bool

    def applies_to(self, v: ModelVersion) -> bool:
        """Whether to offer it for ``v`` (the service has the last word)."""
        if self.name == "approve":
            return v.status is Status.PENDING_APPROVAL
        if self.name == "reject":
            return Status.REJECTED in TRANSITIONS[v.status]
        return v.status is Status.ARCHIVED


DECISIONS = {
    "approve": Decision("approve", "Approve", "approved", False, "approved in admin", True),
    "reject": Decision("reject", "Reject", "rejected", True, "", False),
    "rollback": Decision("rollback", "Roll back to", "re-instated", False, "rolled back in admin", True),
}


def _run(decision: Decision, v: ModelVersion, *, by: str, reason: str, expected_seq: int | None) -> ModelVersion:
    if decision.name == "approve":
        if v.status is not Status.PENDING_APPROVAL:
            raise services.IllegalTransition(
                f"version {v.id} is {v.status.value}: only a version pending approval can be approved")
        return services.model_version_promote(v.track, v.version, by=by, reason=reason, expected_seq=expected_seq)
    if decision.name == "reject":
        return services.model_version_reject(v.track, v.version, by=by, reason=reason)
    return services.model_version_rollback(v.track, by=by, reason=reason, to_version=v.version,
                                           expected_seq=expected_seq)


@admin.register(models.ModelVersion)
class ModelVersionAdmin(RegistryPageAdmin):
    # (sort key or None, heading), in the order of the list's columns
    COLUMNS = [("track", "Track"), ("version", "Version"), ("status", "Status"), ("mae", "MAE"), ("rmse", "RMSE"),
               ("r2", "R²"), ("champion_mae", "Champion MAE"), ("gain", "Gain (95 % CI)"),
               ("window_rows", "Training window"), ("created_at", "Created (UTC)"), ("decided_at", "Decided (UTC)")]

    def get_urls(self) -> list[URLPattern]:
        return [
            path("", self._wrap(self.list_view), name=self._url_name("changelist")),
            path("<str:track>/<int:version>/", self._wrap(self.detail_view), name=self._url_name("detail")),
            *[path(f"<str:track>/<int:version>/{name}/", self._wrap(self.decision_view), {"decision": name},
                   name=self._url_name(name)) for name in DECISIONS],
        ]

    def detail_url(self, v: ModelVersion) -> str:
        return reverse(f"{self.admin_site.name}:{self._url_name('detail')}", args=[v.track, v.version])

    def decision_url(self, v: ModelVersion, d: Decision) -> str:
        return reverse(f"{self.admin_site.name}:{self._url_name(d.name)}", args=[v.track, v.version])

    # --- the list ----------------------------------------------------------------------

    def list_view(self, request: HttpRequest) -> HttpResponse:
        track = request.GET.get("track") if request.GET.get("track") in TRACKS else None
        status = request.GET.get("status") if request.GET.get("status") in {s.value for s in Status} else None
        rows = [display.version_row(v) for v in services.model_versions_list(track, Status(status) if status else None)]
        order = request.GET.get("o", "")
        sortable = {key for key, _ in self.COLUMNS if key}
        if order.lstrip("-") in sortable:
            rows = display.sort_rows(rows, order.lstrip("-"), descending=order.startswith("-"))
        else:
            rows, order = display.default_order(rows), ""
        headers = []
        for key, label in self.COLUMNS:
            current = bool(key) and order.lstrip("-") == key
            descending = current and order.startswith("-")
            headers.append({"label": label, "sortable": bool(key), "sorted": current,
                            "direction": ("descending" if descending else "ascending") if current else "",
                            "url": _query(request.GET, o=f"-{key}" if current and not descending else key, p=None)
                            if key else ""})
        filters = [
            ("track", [("All", _query(request.GET, track=None, p=None), track is None)]
             + [(f"Track {t}", _query(request.GET, track=t, p=None), track == t) for t in TRACKS]),
            ("status", [("All", _query(request.GET, status=None, p=None), status is None)]
             + [(display.STATUS_LABELS[s], _query(request.GET, status=s.value, p=None), status == s.value)
                for s in sorted(Status, key=display.STATUS_ORDER.__getitem__)]),
        ]
        page, links = _page(request, rows)
        return TemplateResponse(request, "registry/admin/version_list.html", self._context(
            request, "Model versions", page=page, links=links, count=len(rows), headers=headers, filters=filters,
            filtered=bool(track or status), clear_url=_query(request.GET, track=None, status=None, p=None),
            pending=sum(1 for r in rows if r.v.status is Status.PENDING_APPROVAL),
            audit_url=reverse(f"{self.admin_site.name}:registry_auditentry_changelist"),
            is_nav_sidebar_enabled=False,  # the table needs the width
        ))

    # --- one version -------------------------------------------------------------------

    def _version(self, track: str, version: int) -> ModelVersion:
        try:
            return services.model_version_get(_track_or_404(track), version)
        except services.VersionNotFound as exc:
            raise Http404(str(exc)) from exc

    def detail_view(self, request: HttpRequest, track: str, version: int) -> HttpResponse:
        v = self._version(track, version)
        versions = services.model_versions_list(track)
        champion = next((x for x in versions if x.status is Status.CHAMPION), None)
        report_id = v.extra.get("drift_report_id")
        report = drift_repository.get_report(str(report_id)) if report_id else None
        run_id = v.extra.get("retrain_run")
        run = retraining_repository.get_run(str(run_id)) if run_id else None
        audit = [e for e in services.audit_log_list(track, limit=500) if e.version == v.version]
        summary = display.gain_summary(v)
        groups, group_gap = display.group_rows(v, champion)
        comparison = [
            ("MAE", display.fmt(v.metrics.get("mae")), display.fmt(v.holdout.get("champion_mae")),
             display.fmt(v.holdout.get("naive_mae"))),
            ("RMSE", display.fmt(v.metrics.get("rmse")), display.fmt(v.holdout.get("champion_rmse")),
             display.fmt(v.holdout.get("naive_rmse"))),
            ("R²", display.fmt(v.metrics.get("r2")), display.fmt(v.holdout.get("champion_r2")),
             display.fmt(v.holdout.get("naive_r2"))),
        ]
        return TemplateResponse(request, "registry/admin/version_detail.html", self._context(
            request, f"Track {v.track} · version {v.version}", v=v, row=display.version_row(v),
            summary=summary, comparison=comparison, champion=champion, model=display.model_label(v),
            candidates=display.candidate_rows(v), groups=groups, group_gap=group_gap,
            fields=display.stored_fields(v), report_id=report_id, report=report, run_id=run_id, run=run, audit=audit,
            decisions=[(d, self.decision_url(v, d)) for d in DECISIONS.values() if d.applies_to(v)],
            artifact_size=display.fmt_size(v.artifact.size), window_span=display.window_span(v.window),
            charts={"mae": charts.mae_chart(versions, highlight=v.version)},
        ))

    # --- approve, reject, roll back ----------------------------------------------------

    def decision_view(self, request: HttpRequest, track: str, version: int, decision: str) -> HttpResponse:
        if not can_decide(request.user):
            raise PermissionDenied(f"deciding on model versions needs the permission {APPROVE_PERMISSION}")
        d = DECISIONS[decision]
        v = self._version(track, version)
        current = services.champion_change_latest(v.track)
        form = DecisionForm(request.POST if request.method == "POST" else None,
                            initial={"reason": d.default_reason, "champion_seq": services.champion_seq(current)},
                            reason_required=d.reason_required, needs_seq=d.switches_champion)
        if request.method == "POST" and form.is_valid():
            return self._decide(request, d, v, form.cleaned_data)
        champion = services.model_version_get(v.track, current.version) if current else None
        return TemplateResponse(request, "registry/admin/version_decision.html", self._context(
            request, f"{d.verb} track {v.track} · version {v.version}?", v=v, decision=d, form=form,
            champion=champion, applies=d.applies_to(v), summary=display.gain_summary(v),
            row=display.version_row(v), detail_url=self.detail_url(v),
        ))

    def _decide(self, request: HttpRequest, d: Decision, v: ModelVersion, data: dict[str, Any]) -> HttpResponseRedirect:
        before = services.champion_change_latest(v.track)
        try:
            done = _run(d, v, by=request.user.get_username(), reason=data["reason"].strip() or d.default_reason,
                        expected_seq=data.get("champion_seq"))
        except services.RegistryError as exc:
            messages.error(request, f"Version {v.id} was not {d.done}: {exc}")
            return redirect(self.detail_url(v))
        if d.switches_champion:
            replaced = f" Version {v.track}:{before.version} was archived." if before else ""
            messages.success(request, f"Version {done.id} {d.done}: it is now the champion of track {done.track}."
                                      f"{replaced} Serving processes switch to it within a second.")
        else:
            messages.success(request, f"Version {done.id} rejected: {done.reason}")
        return redirect(self.detail_url(v))


@admin.register(models.AuditEntry)
class AuditEntryAdmin(RegistryPageAdmin):
    def get_urls(self) -> list[URLPattern]:
        return [
            path("", self._wrap(self.list_view), name=self._url_name("changelist")),
            path("champion-at/", self._wrap(self.champion_at_view), name=self._url_name("champion_at")),
        ]

    def list_view(self, request: HttpRequest) -> HttpResponse:
        track = request.GET.get("track") if request.GET.get("track") in TRACKS else None
        count = services.audit_log_count(track)
        page, links = _page(request, range(count))  # the store pages; the paginator only counts
        entries = services.audit_log_list(track, offset=page.start_index() - 1 if count else 0, limit=PER_PAGE)
        filters = [("track", [("All", _query(request.GET, track=None, p=None), track is None)]
                    + [(f"Track {t}", _query(request.GET, track=t, p=None), track == t) for t in TRACKS])]
        return TemplateResponse(request, "registry/admin/audit_log.html", self._context(
            request, "Audit log", entries=entries, page=page, links=links, count=count, filters=filters,
            filtered=bool(track), clear_url=_query(request.GET, track=None, p=None),
            champion_form=ChampionAtForm(initial={"track": track or "A"}),
        ))

    def champion_at_view(self, request: HttpRequest) -> HttpResponse:
        form = ChampionAtForm(request.GET or None)
        answer, history = None, []
        if form.is_valid():
            track, moment = form.cleaned_data["track"], form.cleaned_data["at"]
            answer = services.champion_at(track, moment)
            history = list(reversed(services.champion_history(track)))
        return TemplateResponse(request, "registry/admin/champion_at.html", self._context(
            request, "Champion at time t", form=form, answer=answer, history=history,
            asked=form.cleaned_data if form.is_bound and form.is_valid() else None,
        ))
