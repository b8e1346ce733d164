"""Teacher-facing pages: one student's prediction, a class file's, and the teacher's log to grade."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from predictions import csvexport, grading, schema, services
from predictions.champions import champions
from predictions.entities import PredictionLog
from predictions.forms import (
    AT_RISK_WORDS,
    INPUT_FIELDS,
    ON_TRACK_WORDS,
    TRACK_WORDS,
    ClassUploadForm,
    StudentForm,
    display_value,
)
from predictions.schema import Track


def _user(request: HttpRequest) -> str:
    return request.user.get_username()


def _wait_for_log() -> None:
    # In the buffered log mode the entries reach the store a moment later; the redirect's
    # GET may be served by another worker that reads the store, so wait for the write.
    services.prediction_log_flush()


def _own_prediction(request: HttpRequest, prediction_id: str) -> PredictionLog | None:
    found = services.prediction_get(prediction_id) if prediction_id.isalnum() else None
    return found if found is not None and found.user == _user(request) else None


def _unavailable(exc: services.ModelUnavailable) -> str:
    return (f"No prediction could be made: no model is available yet for track {exc.track.value} "
            f"({TRACK_WORDS[exc.track]}). Nothing was logged. Ask an administrator to train the models "
            f"(python manage.py train).")


def _points(effect: float) -> str:
    # One decimal, but a small effect must not read as "+0.0".
    return f"{effect:+.1f}" if abs(effect) >= 0.05 else f"{effect:+.2f}"


def _model_words(track: str, version: int) -> str:
    """What made the prediction, honestly named ("rule: G3 = G2" when the rule is the champion)."""
    from registry import services as registry
    from registry.display import model_label

    model = champions.get(track)
    if model is not None and model.version.version == version:
        return model_label(model.version)
    try:
        return model_label(registry.model_version_get(track, version))
    except registry.RegistryError:
        return ""


def _chance_words(p: PredictionLog) -> str:
    """The uncertainty in a teacher's words; "" for a prediction made before intervals existed."""
    if p.interval_low is None or p.interval_high is None or p.p_at_risk is None:
        return ""
    level = f"{(p.interval_level or 0) * 100:.0f} %"
    return (f"Most likely between {p.interval_low:.0f} and {p.interval_high:.0f} ({level} of students like this "
            f"land in such a range); {p.p_at_risk * 100:.0f} % chance of a final grade below 10.")


def _result(prediction: PredictionLog) -> dict[str, Any]:
    """What the result card shows for one logged prediction."""
    try:
        contributions = services.prediction_explain(prediction.features, Track(prediction.track),
                                                    version=prediction.model_version)
        explained = True
    except services.ModelUnavailable:
        contributions, explained = [], False
    largest = max((abs(c.effect) for c in contributions), default=0.0) or 1.0
    return {
        "prediction": prediction,
        "grade": f"{prediction.predicted_g3:.1f}",
        # Where the grade and the pass mark sit on the 0-20 scale drawn under the number.
        "position": round(min(100.0, max(0.0, prediction.predicted_g3 * 5)), 1),
        "pass_position": schema.PASS_MARK * 5,
        "risk_words": AT_RISK_WORDS if prediction.at_risk else ON_TRACK_WORDS,
        "chance_words": _chance_words(prediction),
        "track_words": TRACK_WORDS[prediction.track],
        "model_words": _model_words(prediction.track, prediction.model_version),
        "explained": explained,
        "contributions": [{
            "label": c.label, "value": display_value(c.field, c.value), "typical": display_value(c.field, c.typical),
            "effect": _points(c.effect), "raises": c.effect > 0, "width": round(100 * abs(c.effect) / largest),
        } for c in contributions],
    }


def _home(request: HttpRequest, form: Any, *, result: dict[str, Any] | None = None, problem: str = "",
          status: int = 200) -> HttpResponse:
    context = {"form": form, "result": result, "problem": problem, "pass_mark": schema.PASS_MARK,
               "retention_days": settings.LOG_RETENTION_DAYS}
    return render(request, "predictions/home.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The student form; a valid submit is predicted, logged and shown after a redirect."""
    if request.method == "POST":
        form = StudentForm(request.POST)
        if form.is_valid():
            try:
                entries = services.prediction_create([form.student], source="form", user=_user(request))
            except services.InvalidStudents as exc:  # the form ran the same rules; kept for safety
                form.add_schema_errors(exc.errors)
            except services.ModelUnavailable as exc:
                return _home(request, form, problem=_unavailable(exc), status=503)
            else:
                _wait_for_log()
                return redirect(f"{reverse('predictions:home')}?prediction={entries[0].id}")
        return _home(request, form)

    prediction_id = request.GET.get("prediction", "")
    if not prediction_id:
        return _home(request, StudentForm())
    prediction = _own_prediction(request, prediction_id)
    if prediction is None:
        return _home(request, StudentForm(), status=404,
                     problem="That prediction does not exist, or it was made by someone else.")
    # The form comes back filled in with this student, ready for a "what if" change.
    initial = {f.name: prediction.features.get(f.name) for f in INPUT_FIELDS}
    return _home(request, StudentForm(initial=initial), result=_result(prediction))


SHOW_ROWS = 1000  # rows drawn on the page; the download has them all


def _upload_page(request: HttpRequest, form: ClassUploadForm, *, results: csvexport.ClassResults | None = None,
                 problem: str = "", status: int = 200) -> HttpResponse:
    sheet = form.sheet
    context = {
        "form": form, "results": results, "problem": problem, "retention_days": settings.LOG_RETENTION_DAYS,
        "recent": csvexport.session_recent(request.session, _user(request)),
        # A file none of whose rows could be predicted still shows why, row by row.
        "refused": csvexport.rows_refused(sheet) if sheet is not None and not sheet.students else [],
        "show_limit": SHOW_ROWS,
        "rejected_limit": settings.PAGE_MAX_REJECTED_ROWS, "rejected_slice": f":{settings.PAGE_MAX_REJECTED_ROWS}",
        "columns": INPUT_FIELDS,
        "max_rows": f"{settings.BATCH_MAX_ROWS:,}",
    }
    return render(request, "predictions/upload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """A class CSV: predict the valid rows, list the rejected ones, redirect to the results."""
    if request.method != "POST":
        return _upload_page(request, ClassUploadForm())
    form = ClassUploadForm(request.POST, request.FILES)
    if not form.is_valid() or form.sheet is None:
        return _upload_page(request, form)
    request_id = uuid.uuid4().hex
    try:
        entries = services.prediction_create(form.sheet.students, source="csv-page", user=_user(request),
                                             request_id=request_id)
    except services.ModelUnavailable as exc:
        return _upload_page(request, form, problem=_unavailable(exc), status=503)
    _wait_for_log()
    results = csvexport.class_results_build(form.sheet, entries, request_id=request_id, user=_user(request),
                                            filename=form.cleaned_data["file"].name or "upload.csv",
                                            created_at=entries[0].created_at)
    csvexport.session_save(request.session, results)
    return redirect("predictions:upload-result", request_id=request_id)


def _own_results(request: HttpRequest, request_id: str) -> csvexport.ClassResults:
    results = csvexport.session_load(request.session, request_id, _user(request))
    if results is None:
        raise Http404("No results with this id were uploaded in this session.")
    return results


@login_required
@require_GET
def upload_result(request: HttpRequest, request_id: str) -> HttpResponse:
    """A class upload's results, for the teacher who uploaded it."""
    return _upload_page(request, ClassUploadForm(), results=_own_results(request, request_id))


@login_required
@require_GET
def upload_download(request: HttpRequest, request_id: str) -> HttpResponse:
    """A class upload's results as a CSV a spreadsheet can open safely."""
    results = _own_results(request, request_id)
    # The byte-order mark makes Excel read the file as UTF-8 (names with accents).
    response = HttpResponse("\ufeff" + results.to_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="studentml-predictions-{request_id[:8]}.csv"'
    return response


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """What is stored about a student, who sees it and how long it is kept (open to everyone)."""
    return render(request, "predictions/privacy.html", {
        "retention_days": settings.LOG_RETENTION_DAYS,
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
    })


@login_required
@require_GET
def upload_template(request: HttpRequest) -> HttpResponse:
    """An empty class file with the expected header (UCI format), to fill in a spreadsheet."""
    header = ";".join(["name", *(f.name for f in INPUT_FIELDS)])
    response = HttpResponse(header + "\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="studentml-class-template.csv"'
    return response


def _predictions_page(request: HttpRequest, show: str, *, typed: dict[str, str] | None = None,
                      placed: dict[str, str] | None = None, loose: list[str] | None = None) -> HttpResponse:
    page = grading.page_of(_user(request), show, request.GET.get("page"))
    rows = grading.rows(page.object_list, typed or {}, placed or {})
    context = {
        "page": page, "rows": rows, "show": show, "filters": grading.FILTERS,
        "page_links": grading.page_links(page), "count_words": grading.count_words(page),
        "ellipsis": page.paginator.ELLIPSIS,
        "problems": grading.problems(rows, placed or {}, loose or []),
        "can_enter": any(not r.graded for r in rows),
    }
    return render(request, "predictions/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def my_predictions(request: HttpRequest) -> HttpResponse:
    """The teacher's own logged predictions, newest first; the actual grades are entered here.

    Even a user with predictions.view_all_predictions sees only their own rows: this is a
    teacher's worklist, and the API already serves everyone's log to those who may read it.
    """
    show = grading.shown(request.GET.get("show"))
    if request.method == "POST":
        typed = grading.entered_grades(request.POST)
        if not typed:
            messages.info(request, "No grade was entered, so nothing was saved.")
            return redirect(request.get_full_path())
        try:
            outcomes = services.prediction_label(grading.label_items(typed), by=_user(request), owner=_user(request))
        except services.LabelError as exc:
            placed, loose = grading.errors_by_id(exc.errors, typed)
            return _predictions_page(request, show, typed=typed, placed=placed, loose=loose)
        messages.success(request, grading.saved_message(outcomes))
        return redirect(request.get_full_path())  # the same page and filter, without a resubmit on reload
    _wait_for_log()
    return _predictions_page(request, show)
