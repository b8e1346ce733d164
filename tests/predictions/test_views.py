"""The teacher pages (/ and /upload/), through Django's test client."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from predictions import repository, schema, services
from predictions.forms import INPUT_FIELDS, StudentForm
from predictions.schema import Kind, Track
from retraining.training import model_versions_train
from tests.builders import csv_bytes, import_labelled, labelled_students_csv, make_student, store_snapshot

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-2026"


# --- helpers -------------------------------------------------------------------------------

class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside elements with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag not in ("input", "br", "meta", "link", "img"):
            self._open.append((tag, found.get("id")))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, _ = self._open.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            if ident:
                self.text_by_id[ident] = self.text_by_id.get(ident, "") + data


def parse(response: Any) -> _Elements:
    parser = _Elements()
    parser.feed(response.content.decode())
    return parser


def element(page: _Elements, tag: str, **attrs: str) -> dict[str, str | None]:
    matches = [a for t, a in page.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]
    assert len(matches) == 1, f"expected one <{tag} {attrs}>, found {len(matches)}"
    return matches[0]


def text(page: _Elements, ident: str) -> str:
    return " ".join(page.text_by_id.get(ident, "").split())


def selected(response: Any, name: str) -> str | None:
    """The selected option's value in the <select> called ``name``."""
    html = response.content.decode()
    block = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert block is not None
    chosen = re.search(r'<option value="([^"]*)" selected>', block.group(0))
    return chosen.group(1) if chosen else None


def form_data(**overrides: Any) -> dict[str, str]:
    """The student form as a browser posts it: every input, empty strings for blanks."""
    student = make_student(G3=None, **overrides)
    return {f.name: "" if student.get(f.name) is None else str(student[f.name]) for f in INPUT_FIELDS}


def user_client(name: str = "teacher", **extra: Any) -> Client:
    user = get_user_model().objects.create_user(name, password=PASSWORD, **extra)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trained():
    import_labelled(labelled_students_csv(300))
    return {v.track: v for v in model_versions_train(by="tests")}


@pytest.fixture
def teacher() -> Client:
    return user_client("teacher")


def upload(client: Client, data: bytes, name: str = "class.csv") -> Any:
    return client.post("/upload/", {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def logged(**filters: Any) -> list:
    return repository.find_predictions(limit=10_000, **filters)


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/upload/", "/upload/0123abcd/", "/upload/0123abcd.csv",
                                 "/upload/template.csv"])
def test_pages_need_a_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_the_login_page_logs_a_teacher_in(client):
    get_user_model().objects.create_user("teacher", password=PASSWORD)

    page = client.get("/accounts/login/?next=/upload/")
    response = client.post("/accounts/login/", {"username": "teacher", "password": PASSWORD, "next": "/upload/"})

    assert page.status_code == 200 and b'name="username"' in page.content
    assert response.status_code == 302 and response["Location"] == "/upload/"


def test_the_top_bar_links_every_section_and_admin_only_for_staff(teacher):
    page = parse(teacher.get("/"))
    hrefs = {a.get("href") for t, a in page.tags if t == "a"}
    staff = parse(user_client("head", is_staff=True).get("/"))

    assert {"/", "/upload/", "/drift/", "/api/docs/"} <= hrefs
    assert "/admin/" not in hrefs
    assert "/admin/" in {a.get("href") for t, a in staff.tags if t == "a"}
    assert [a.get("href") for t, a in page.tags if t == "a" and a.get("aria-current") == "page"] == ["/"]


# --- the student form ----------------------------------------------------------------------

def test_the_form_class_is_generated_from_the_schema():
    assert list(StudentForm.base_fields) == list(schema.INPUTS)


def test_the_form_shows_every_schema_field_with_its_label_help_and_widget(teacher):
    response = teacher.get("/")
    page = parse(response)
    html = response.content.decode()

    assert response.status_code == 200
    for f in INPUT_FIELDS:
        element(page, "label", **{"for": f"id_{f.name}"})
        assert f'<label for="id_{f.name}">{escape(f.label)}' in html
        assert text(page, f"id_{f.name}_helptext") == f.help_text
        if f.kind is Kind.CATEGORICAL or f.scale:
            select = element(page, "select", name=f.name)
            offered = [a.get("value") for t, a in page.tags if t == "option"]
            expected = f.values if f.kind is Kind.CATEGORICAL else [str(code) for code, _ in f.scale]
            assert set(expected) <= set(offered)
            for code, meaning in (f.choices or f.scale):
                assert escape(str(meaning).removeprefix(f"{code} ")) in html
            assert select.get("aria-describedby") == f"id_{f.name}_helptext"
        else:
            number = element(page, "input", name=f.name)
            assert (number.get("type"), number.get("min"), number.get("max")) == (
                "number", str(f.min_value), str(f.max_value))
        assert ("required" in (element(page, "select", name=f.name) if f.kind is Kind.CATEGORICAL or f.scale
                               else element(page, "input", name=f.name))) is f.required
    assert 'name="G3"' not in html
    legends = re.findall(r"<legend>(.*?)</legend>", html)
    assert legends == [g.value for g in schema.Group]
    assert "csrfmiddlewaretoken" in html
    assert re.search(r"<form[^>]*novalidate", html)


def test_coded_scales_show_their_meanings(teacher):
    html = teacher.get("/").content.decode()

    assert '<option value="4">4 – higher education</option>' in html
    assert '<option value="1">1 – under 15 min</option>' in html
    assert '<option value="3">3</option>' in html
    assert '<option value="5">5 – excellent</option>' in html


def test_a_valid_student_is_predicted_logged_once_and_shown_after_a_redirect(teacher, trained):
    response = teacher.post("/", form_data())

    entries = logged()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.source, entry.user, entry.track) == ("form", "teacher", "A")
    assert response.status_code == 302 and response["Location"] == f"/?prediction={entry.id}"

    result = teacher.get(response["Location"])
    page = parse(result)
    expected = services.predict_students([make_student(G3=None)])[0]
    assert result.status_code == 200
    assert text(page, "predicted-g3") == f"{expected.predicted_g3:.1f}"
    assert text(page, "risk-flag") == ("At risk: predicted below the pass mark of 10" if expected.at_risk
                                       else "On track")
    assert text(page, "track-words") == "Track A: using both period grades"
    assert text(page, "model-version") == str(trained["A"].version)
    assert text(page, "model-words") == f"({trained['A'].params['label']})"
    assert text(page, "chance-words") == (
        f"Most likely between {entry.interval_low:.0f} and {entry.interval_high:.0f} (80 % of students like this "
        f"land in such a range); {entry.p_at_risk * 100:.0f} % chance of a final grade below 10.")
    assert text(page, "prediction-id") == entry.id
    contributions = services.prediction_explain(expected.student, Track.A)
    assert contributions, "the generated students should differ from the typical one somewhere"
    shown = text(page, "contributions")
    for c in contributions:
        assert c.label in shown and (f"{c.effect:+.1f}" in shown or f"{c.effect:+.2f}" in shown)
    # The form comes back holding this student, for a "what if" change.
    assert element(page, "input", name="age").get("value") == "17"
    assert len(logged()) == 1


def test_the_result_survives_a_reload_without_logging_again(teacher, trained):
    location = teacher.post("/", form_data())["Location"]

    first, second = teacher.get(location), teacher.get(location)

    assert text(parse(first), "predicted-g3") == text(parse(second), "predicted-g3") != ""
    assert len(logged()) == 1


def test_the_result_is_there_at_once_with_the_buffered_log(teacher, trained, settings):
    settings.PREDICTION_LOG_MODE = "buffered"  # production's default: a background thread writes the log

    location = teacher.post("/", form_data())["Location"]
    result = teacher.get(location)

    assert result.status_code == 200 and text(parse(result), "predicted-g3") != ""


@pytest.mark.parametrize("grades,track,words", [
    ({"G2": None}, "B", "using the first period grade"),
    ({"G1": None, "G2": None}, "C", "early-year estimate: no period grades yet"),
])
def test_the_track_is_said_in_words(teacher, trained, grades, track, words):
    location = teacher.post("/", form_data(**grades))["Location"]

    page = parse(teacher.get(location))

    assert text(page, "track-words") == f"Track {track}: {words}"
    assert text(page, "model-version") == str(trained[track].version)


def test_the_risk_flag_is_in_words_and_colour(teacher, trained):
    weak = form_data(G1=3, G2=2, failures=3, absences=40, higher="no")
    location = teacher.post("/", weak)["Location"]

    page = parse(teacher.get(location))

    assert float(text(page, "predicted-g3")) < 10
    assert text(page, "risk-flag") == "At risk: predicted below the pass mark of 10"
    assert "is-risk" in (element(page, "section", id="result").get("class") or "")


@pytest.mark.parametrize("overrides,field,message", [
    ({"age": "30"}, "age", "Age must be from 15 to 22"),
    ({"absences": "lots"}, "absences", "School absences must be a whole number from 0 to 93"),
    ({"school": "XX"}, "school", "School must be one of GP, MS"),
    ({"G1": "", "G2": "13"}, "G2", "Second period grade was given without G1"),
    ({"sex": ""}, "sex", "Sex is required"),
])
def test_invalid_answers_come_back_beside_their_field_with_the_values_kept(teacher, trained, overrides, field,
                                                                           message):
    before = store_snapshot()
    data = {**form_data(), **overrides}

    response = teacher.post("/", data)
    page = parse(response)

    assert response.status_code == 200
    assert message in text(page, f"id_{field}_error")
    assert message in text(page, "error-summary")
    widget = [a for t, a in page.tags if a.get("name") == field and t in ("input", "select")][0]
    assert widget.get("aria-invalid") == "true"
    assert f"id_{field}_error" in (widget.get("aria-describedby") or "")
    # What the teacher typed is still there, the bad value included.
    assert element(page, "input", name="absences").get("value") == data["absences"]
    assert selected(response, "Mjob") == "services"
    if data[field] and field in ("age", "absences"):
        assert element(page, "input", name=field).get("value") == data[field]
    if field == "school":
        assert selected(response, "school") == "XX"
    assert store_snapshot() == before
    assert logged() == []


def test_several_errors_are_all_shown(teacher, trained):
    response = teacher.post("/", {**form_data(), "age": "14", "Medu": "9", "Mjob": ""})
    page = parse(response)

    assert "3 answers need attention" in text(page, "error-summary")
    assert "Age must be from 15 to 22" in text(page, "id_age_error")
    assert "Mother's education must be from 0 to 4" in text(page, "id_Medu_error")
    assert "Mother's job is required" in text(page, "id_Mjob_error")


def test_the_form_needs_its_csrf_token(trained):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user("teacher", password=PASSWORD))

    response = client.post("/", form_data())

    assert response.status_code == 403
    assert logged() == []


def test_without_a_model_the_page_says_so_and_logs_nothing(teacher):
    before = store_snapshot()

    response = teacher.post("/", form_data())
    page = parse(response)

    assert response.status_code == 503
    assert ("No prediction could be made: no model is available yet for track A (using both period grades). "
            "Nothing was logged.") in text(page, "problem")
    assert element(page, "input", name="age").get("value") == "17"
    assert store_snapshot() == before


def test_another_teacher_cannot_see_a_prediction(teacher, trained):
    location = teacher.post("/", form_data())["Location"]
    other = user_client("someone-else")

    response = other.get(location)
    page = parse(response)

    assert response.status_code == 404
    assert "predicted-g3" not in page.text_by_id
    assert "does not exist, or it was made by someone else" in text(page, "problem")


def test_an_unknown_prediction_id_is_a_404(teacher, trained):
    assert teacher.get("/?prediction=not-an-id").status_code == 404
    assert teacher.get("/?prediction=0123456789abcdef").status_code == 404


# --- the class upload ----------------------------------------------------------------------

def named(rows: list[dict[str, Any]], names: list[str]) -> bytes:
    """A class sheet with a name column first, as a teacher keeps it."""
    with_names = [{"name": n, **r} for n, r in zip(names, rows, strict=True)]
    return csv_bytes(with_names, columns=["name", *schema.INPUTS])


def test_the_upload_page_offers_a_file_input(teacher):
    page = parse(teacher.get("/upload/"))

    file_input = element(page, "input", type="file")
    assert file_input.get("name") == "file" and ".csv" in (file_input.get("accept") or "")
    assert element(page, "form", id="upload-form").get("enctype") == "multipart/form-data"


def test_a_class_file_is_predicted_logged_and_listed(teacher, trained):
    students = [make_student(G3=None), make_student(G3=None, G2=None), make_student(G3=None, G1=None, G2=None)]
    data = named(students, ["Ana", "Bruno", "Carla"])

    response = upload(teacher, data)

    entries = sorted(logged(), key=lambda e: e.features["G1"] or -1, reverse=True)
    assert len(entries) == 3 and {e.source for e in entries} == {"csv-page"}
    assert {e.user for e in entries} == {"teacher"} and len({e.request_id for e in entries}) == 1
    request_id = entries[0].request_id
    assert response.status_code == 302 and response["Location"] == f"/upload/{request_id}/"

    page = teacher.get(response["Location"])
    html = page.content.decode()
    parsed = parse(page)
    expected = services.predict_students(students)
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"num\">(\d+)</td>\s*<td[^>]*>(\w+)</td>\s*"
                      r"<td class=\"num grade-cell\">([-\d.]+)</td>.*?<span class=\"pill[^\"]*\">([^<]+)</span>"
                      r".*?<span class=\"track-letter\"[^>]*>(\w)</span>.*?<td class=\"num[^\"]*\">(\d+)</td>",
                      html, re.S)
    assert rows == [(str(i + 2), name, f"{r.predicted_g3:.1f}", "At risk" if r.at_risk else "On track",
                     r.track.value, str(trained[r.track.value].version))
                    for i, (name, r) in enumerate(zip(["Ana", "Bruno", "Carla"], expected, strict=True))]
    assert text(parsed, "predicted-count") == "3" and text(parsed, "rejected-count") == "0"
    assert text(parsed, "at-risk-count") == str(sum(r.at_risk for r in expected))
    assert "rejected-summary" not in parsed.text_by_id


def test_comma_separated_files_work_too(teacher, trained):
    data = csv_bytes([make_student(G3=None)] * 2, delimiter=",", quote_strings=False)

    response = upload(teacher, data)

    assert response.status_code == 302
    assert len(logged(source="csv-page")) == 2


def test_rejected_rows_are_listed_with_row_field_and_reason_and_the_rest_predicted(teacher, trained):
    students = [make_student(G3=None), make_student(G3=None, age=30), make_student(G3=None),
                make_student(G3=None, Mjob="astronaut", G1=None)]
    data = named(students, ["Ana", "Bruno", "Carla", "Dinis"])

    response = upload(teacher, data)
    page = parse(teacher.get(response["Location"]))

    assert len(logged()) == 2
    assert text(page, "predicted-count") == "2" and text(page, "rejected-count") == "2"
    assert "2 of 4 rows could not be predicted and were not logged" in text(page, "rejected-summary")
    rejected = text(page, "rejected-table")
    assert "3 Bruno Age age must be from 15 to 22 (got “30”)" in rejected
    assert "5 Dinis Mother's job Mjob must be one of teacher, health, services, at_home, other" in rejected
    assert "Second period grade" in rejected  # row 5 also has G2 without G1
    assert "Bruno" not in text(page, "results-table") and "Carla" in text(page, "results-table")


def test_the_download_holds_every_row_and_neutralises_formulas(teacher, trained):
    names = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@import", "\tTabby", "Ana"]
    students = [make_student(G3=None) for _ in names[:-1]] + [make_student(G3=None, age=99)]
    data = named(students, names)
    location = upload(teacher, data)["Location"]
    request_id = location.strip("/").split("/")[-1]

    teacher.get(location)  # a reload in between changes nothing
    response = teacher.get(f"/upload/{request_id}.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert table[0] == ["row", "name", "predicted_G3", "at_risk", "track", "model_version", "prediction_id",
                        "problems", "interval_low", "interval_high", "p_at_risk"]
    assert [r[1] for r in table[1:]] == ["'=cmd|' /C calc'!A0", "'+SUM(1,2)", "'-2+3", "'@import", "'\tTabby", "Ana"]
    for line in table[1:]:
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    ids = {e.id: e for e in logged()}
    for line in table[1:6]:
        entry = ids[line[6]]
        assert (line[2], line[3], line[4], line[5]) == (f"{entry.predicted_g3:.1f}", "yes" if entry.at_risk else "no",
                                                        entry.track, str(entry.model_version))
        assert (line[8], line[9], line[10]) == (f"{entry.interval_low:.1f}", f"{entry.interval_high:.1f}",
                                                f"{entry.p_at_risk:.2f}")
    assert table[6][0] == "7" and table[6][2] == "" and "age: must be from 15 to 22" in table[6][7]


def test_a_formula_in_a_column_name_is_neutralised_too(teacher, trained):
    rows = [{"=HYPERLINK(\"http://x\")": "a", **make_student(G3=None)}]
    data = csv_bytes(rows, columns=["=HYPERLINK(\"http://x\")", *schema.INPUTS], quote_strings=False,
                     delimiter=",")
    request_id = upload(teacher, data)["Location"].strip("/").split("/")[-1]

    body = teacher.get(f"/upload/{request_id}.csv").content.decode("utf-8-sig")

    assert next(csv.reader(io.StringIO(body)))[1] == "'=HYPERLINK(\"http://x\")"


def _too_many(settings):
    settings.BATCH_MAX_ROWS = 3
    return csv_bytes([make_student(G3=None)] * 4)


@pytest.mark.parametrize("make_data,message", [
    (lambda s: b"", "The file is empty."),
    (lambda s: b"\xef\xbb\xbf", "The file is empty."),
    (lambda s: csv_bytes([make_student(G3=None)], delimiter="\t", quote_strings=False),
     "The file is tab-separated; save it with ';' (UCI format) or ',' between fields."),
    (lambda s: bytes(range(256)) * 8, "The file is not a text CSV (it contains binary data)."),
    (lambda s: b"school;sex;age\n", "The file has a header but no rows."),
    (lambda s: b"hello,world\n1,2\n", "The first line is not a header of UCI column names"),
    (_too_many, "The file has more than 3 students, the most one upload accepts. Split it into smaller files."),
    (lambda s: csv_bytes([make_student(G3=None, age=None)], columns=[n for n in schema.INPUTS if n != "age"]),
     "age: column is missing"),
])
def test_unreadable_files_get_a_clear_message_and_nothing_is_logged(teacher, trained, settings, make_data, message):
    before = store_snapshot()

    response = upload(teacher, make_data(settings))
    page = parse(response)

    assert response.status_code == 200
    assert message in text(page, "id_file_error")
    assert "results" not in page.text_by_id
    assert store_snapshot() == before


def test_no_file_chosen(teacher):
    response = teacher.post("/upload/", {})

    assert "Choose a CSV file to upload." in text(parse(response), "id_file_error")


def test_a_file_with_no_valid_row_lists_the_reasons_and_logs_nothing(teacher, trained):
    before = store_snapshot()
    data = named([make_student(G3=None, age=40), make_student(G3=None, school="XX")], ["Ana", "Bruno"])

    response = upload(teacher, data)
    page = parse(response)

    assert response.status_code == 200
    assert "None of the 2 rows can be predicted" in text(page, "id_file_error")
    assert "2 Ana Age age must be from 15 to 22" in text(page, "rejected-table")
    assert "3 Bruno School school must be one of GP, MS" in text(page, "rejected-table")
    assert store_snapshot() == before


def test_without_a_model_the_upload_says_so_and_logs_nothing(teacher):
    before = store_snapshot()

    response = upload(teacher, csv_bytes([make_student(G3=None)]))

    assert response.status_code == 503
    assert "no model is available" in text(parse(response), "problem")
    assert store_snapshot() == before


def test_the_upload_needs_its_csrf_token(trained):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user("teacher", password=PASSWORD))

    response = upload(client, csv_bytes([make_student(G3=None)]))

    assert response.status_code == 403
    assert logged() == []


def test_another_teacher_cannot_see_or_download_the_results(teacher, trained):
    location = upload(teacher, named([make_student(G3=None)], ["Ana"]))["Location"]
    request_id = location.strip("/").split("/")[-1]
    other = user_client("someone-else")

    assert other.get(location).status_code == 404
    assert other.get(f"/upload/{request_id}.csv").status_code == 404
    assert b"Ana" not in other.get("/upload/").content
    assert teacher.get(f"/upload/{request_id}.csv").status_code == 200


def test_recent_uploads_are_listed_for_their_teacher(teacher, trained):
    location = upload(teacher, named([make_student(G3=None)], ["Ana"]), name="class-7b.csv")["Location"]

    page = teacher.get("/upload/").content.decode()

    assert f'href="{location}"' in page and "class-7b.csv" in page


def test_the_template_has_the_schema_header(teacher):
    response = teacher.get("/upload/template.csv")

    assert response.status_code == 200
    assert response.content.decode().strip().split(";") == ["name", *schema.INPUTS]


def test_a_long_class_is_cut_on_the_page_but_whole_in_the_download(teacher, trained, monkeypatch):
    from predictions import views

    monkeypatch.setattr(views, "SHOW_ROWS", 2)
    location = upload(teacher, csv_bytes([make_student(G3=None)] * 3))["Location"]

    html = teacher.get(location).content.decode()
    body = teacher.get(location.rstrip("/") + ".csv").content.decode("utf-8-sig")

    table = html.split('id="results-table"')[1].split("</table>")[0]
    assert table.count("<tr") == 1 + 2  # the header and two students
    assert "Showing the first 2 of 3 students; the download has them all." in html
    assert len(body.strip().splitlines()) == 1 + 3


@pytest.mark.parametrize("cell,safe", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Ana", "Ana"), ("", ""), ("1=1", "1=1"), ("'=x", "'=x"),
    # spreadsheets trim leading spaces, then run the formula
    (" =1+1", "' =1+1"), ("   @SUM(A1)", "'   @SUM(A1)"), (" Ana", " Ana"),
    # a ';' file opened as comma-separated splits here: the piece after the delimiter is a cell
    ("x,=2+2", "x,'=2+2"), ("x, +2", "x, '+2"), ("a;-1", "a;'-1"), ("=a,@b", "'=a,'@b"), ("1,2", "1,2"),
])
def test_spreadsheet_safe(cell, safe):
    from predictions.csvexport import spreadsheet_safe

    assert spreadsheet_safe(cell) == safe


def test_the_download_quotes_every_cell_so_the_other_delimiter_cannot_split_one():
    from predictions import csvexport
    from predictions.forms import ClassSheet

    sheet = ClassSheet(students=[], student_rows=[], all_rows=[2], extra_columns=["name"],
                       extra_cells={2: ["x,=2+2"]}, rejected=[], delimiter=";")
    body = csvexport.class_results_build(sheet, [], request_id="r1", user="ana", filename="a.csv",
                                         created_at=datetime.now(UTC)).to_csv()

    for delimiter in (";", ","):
        for line in csv.reader(io.StringIO(body), delimiter=delimiter):
            assert not any(cell.lstrip(" ").startswith(csvexport.FORMULA_STARTS) for cell in line), line
    assert body.splitlines()[1].startswith('"2";"x,\'=2+2";')


def test_stored_results_answer_only_to_their_uploader():
    from predictions import csvexport
    from predictions.forms import ClassSheet

    sheet = ClassSheet(students=[], student_rows=[], all_rows=[2], extra_columns=[], extra_cells={2: []},
                       rejected=[], delimiter=";")
    session: dict[str, Any] = {}
    results = csvexport.class_results_build(sheet, [], request_id="r1", user="ana", filename="a.csv",
                                            created_at=datetime.now(UTC))
    csvexport.session_save(session, results)

    assert csvexport.session_load(session, "r1", "ana") == results
    assert csvexport.session_load(session, "r1", "bruno") is None
    assert csvexport.session_recent(session, "bruno") == []


def test_the_rejected_rows_a_page_lists_are_capped_and_it_says_so(teacher, trained, settings):
    settings.PAGE_MAX_REJECTED_ROWS = 2
    students = [make_student(G3=None)] + [make_student(G3=None, age=30 + n) for n in range(4)]

    page = parse(teacher.get(upload(teacher, named(students, ["A", "B", "C", "D", "E"]))["Location"]))

    rejected = text(page, "rejected-table")
    assert "got “30”" in rejected and "got “31”" in rejected and "got “32”" not in rejected
    assert text(page, "rejected-count") == "4"
    assert "first 2 of 4 rejected rows" in text(page, "rejected-more")
    assert "PAGE_MAX_REJECTED_ROWS" in text(page, "rejected-more")


def test_upload_results_live_in_the_store_and_the_session_row_stays_small(teacher, trained):
    from django.contrib.sessions.models import Session

    long_name = "N" * 5_000
    students = [make_student(G3=None) for _ in range(50)]
    for _ in range(2):
        location = upload(teacher, named(students, [long_name] * 50))["Location"]

    session = Session.objects.get(pk=teacher.session.session_key)
    assert len(session.session_data) < 3_000
    page = teacher.get(location)
    assert page.status_code == 200
    assert "N" * 100 in text(parse(page), "results-table") and "N" * 101 not in text(parse(page), "results-table")


def test_results_kept_in_a_session_by_the_previous_release_still_open():
    from predictions import csvexport
    from predictions.forms import ClassSheet

    sheet = ClassSheet(students=[], student_rows=[], all_rows=[2], extra_columns=["name"], extra_cells={2: ["Ana"]},
                       rejected=[], delimiter=";")
    results = csvexport.class_results_build(sheet, [], request_id="old1", user="ana", filename="a.csv",
                                            created_at=datetime.now(UTC))
    session: dict[str, Any] = {csvexport.SESSION_KEY: {"old1": csvexport._pack(results)}}

    assert csvexport.session_load(session, "old1", "ana") == results
    assert [u["request_id"] for u in csvexport.session_recent(session, "ana")] == ["old1"]
