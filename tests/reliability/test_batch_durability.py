"""An answered batch is in the store: SIGKILL right after its 201 loses none of it (real gunicorn)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from predictions import repository, schema
from predictions.generator import generate_students
from studentml_site import mongo
from tests.reliability.conftest import free_port, process_env, run_python, wait_ready

ROOT = Path(__file__).resolve().parents[2]
ROWS = 1_000


@pytest.mark.slow
def test_sigkill_right_after_a_batchs_201_loses_none_of_it(trained_store, tmp_path):
    port = free_port()
    env = process_env(tmp_path, PREDICTION_LOG_MODE="buffered", PORT=str(port), WEB_CONCURRENCY="1",
                      WEB_THREADS="1", THROTTLE_USER="100000000/hour")
    token = run_python("from django.core.management import call_command\n"
                       "call_command('migrate', verbosity=0)\n"
                       "call_command('create_token', 'durable', create_user=True)\n", env).strip()
    students = generate_students(ROWS, seed=5)[list(schema.INPUTS)].astype(object).to_dict("records")
    body = json.dumps([{k: (v.item() if hasattr(v, "item") else v) for k, v in s.items()} for s in students])
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "studentml_site.wsgi", "-c",
                                   "python:studentml_site.gunicorn_conf"], cwd=ROOT, env=env,
                                  stdout=log_file, stderr=log_file, start_new_session=True)
    try:
        wait_ready(port, server, log)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/api/v1/predictions/batch/", body,
                     {"Content-Type": "application/json", "Authorization": f"Token {token}"})
        response = conn.getresponse()
        status = response.status
        answered = json.loads(response.read()) if status == 201 else response.read()[:500]
        os.killpg(server.pid, signal.SIGKILL)  # no shutdown, no flush
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()

    assert status == 201, answered
    mongo.reset()
    stored = {p.id for p in repository.find_predictions(limit=ROWS + 10, source="api-batch")}
    assert stored == {item["id"] for item in answered}
