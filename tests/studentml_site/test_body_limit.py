"""Oversized bodies are refused before anything reads them: pages with a page, the API with JSON."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.builders import store_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(client, django_user_model, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    client.force_login(django_user_model.objects.create_user("ana"))
    return client


def test_a_huge_class_file_gets_a_page_saying_the_limit(teacher):
    huge = SimpleUploadedFile("class.csv", b"school;sex;age\n" + b"GP;F;16\n" * 200_000)  # 1.6 MB

    response = teacher.post("/upload/", {"file": huge})

    assert response.status_code == 413
    text = response.content.decode()
    assert "File too large" in text and "1.6 MB" in text and "0.1 MB" in text
    assert store_snapshot() == {}


def test_a_file_just_over_the_limit_gets_the_forms_own_message(teacher):
    response = teacher.post("/upload/", {"file": SimpleUploadedFile("class.csv", b"x" * 150_000)})

    assert response.status_code == 200
    assert "the most one upload accepts is" in response.content.decode()
    assert store_snapshot() == {}


def test_the_api_answers_in_its_json_error_shape(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000

    response = api.post("/api/v1/predictions/batch/", data=b"x" * 100_001, content_type="text/csv")

    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is 100,001 bytes; the limit is 100,000 bytes", "errors": []}
