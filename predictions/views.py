"""Teacher-facing pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from predictions import repository


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "labeled": repository.count_records(labeled=True),
        "unlabeled": repository.count_records(labeled=False),
        "batches": repository.find_batches(limit=10),
    }
    return render(request, "predictions/home.html", context)
