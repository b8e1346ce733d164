"""Load without loss: the app under gunicorn on 127.0.0.1, a bounded burst from 16 concurrent
clients, a champion promotion in the middle of it, a graceful stop (SIGTERM).

Afterwards: no 5xx; every response's model version was champion of its track at some
point (the registry's champion history); the ``predictions`` collection holds exactly one
entry per served prediction, with the served id, request id and model version — none lost
(buffered log writer, flushed by gunicorn's worker_exit), none doubled. The workers run
with ``CELERY_BROKER_URL`` pointing at a closed port: serving never needs the broker.
The figures are printed (also on success) and repeated in every assertion message.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from predictions import repository
from predictions.generator import generate_students
from predictions.schema import INPUTS
from registry import services as registry
from retraining.training import model_versions_train
from tests.reliability.conftest import ROOT, free_port, process_env, run_python, wait_ready

SINGLES = 5_000
BATCHES = 50
BATCH_SIZE = 20
CLIENTS = 16
WORKERS = 3
TRACKS = ("A", "B", "C")


def _students(count: int, seed: int) -> list[dict[str, Any]]:
    """JSON-ready students, a third on each track (G1 and G2 / G1 only / neither)."""
    frame = generate_students(count, seed=seed)[list(INPUTS)].astype(object)
    rows = frame.to_dict("records")
    out = []
    for i, row in enumerate(rows):
        student = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        if i % 3 == 1:
            student["G2"] = None
        elif i % 3 == 2:
            student["G1"] = student["G2"] = None
        out.append(student)
    return out


@pytest.mark.slow
def test_a_burst_with_a_promotion_in_the_middle_loses_nothing(trained_store, settings, tmp_path, capsys):
    started = time.monotonic()
    port = free_port()
    env = process_env(tmp_path, PREDICTION_LOG_MODE="buffered", PORT=str(port), WEB_CONCURRENCY=str(WORKERS),
                      WEB_THREADS="1", THROTTLE_USER="100000000/hour",
                      CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    token = run_python("from django.core.management import call_command\n"
                       "call_command('migrate', verbosity=0)\n"
                       "call_command('create_token', 'load-test', create_user=True)\n", env).strip()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "studentml_site.wsgi", "-c",
                                   "python:studentml_site.gunicorn_conf"], cwd=ROOT, env=env,
                                  stdout=log_file, stderr=log_file, start_new_session=True)
    try:
        # Challengers, trained while gunicorn starts; promoted in the middle of the burst.
        challengers = {v.track: v.version for v in model_versions_train(by="load-test")}
        wait_ready(port, server, log)
        setup_s = time.monotonic() - started

        singles = _students(SINGLES, seed=21)
        batch_rows = _students(BATCHES * BATCH_SIZE, seed=22)
        jobs: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        for i in range(SINGLES):
            jobs.put(("single", i))
            if i % (SINGLES // BATCHES) == 0:
                jobs.put(("batch", i // (SINGLES // BATCHES)))
        total = SINGLES + BATCHES
        results: list[tuple[str, int, int | None, Any]] = []
        results_lock = threading.Lock()
        halfway = threading.Event()
        headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                while True:
                    try:
                        kind, i = jobs.get_nowait()
                    except queue.Empty:
                        return
                    if kind == "single":
                        url, body = "/api/v1/predictions/", singles[i]
                    else:
                        url, body = "/api/v1/predictions/batch/", batch_rows[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
                    try:
                        conn.request("POST", url, json.dumps(body), {**headers, "X-Request-ID": f"{kind}-{i}"})
                        response = conn.getresponse()
                        status, data = response.status, json.loads(response.read())
                    except (OSError, http.client.HTTPException, ValueError) as exc:
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                        status, data = None, repr(exc)
                    with results_lock:
                        results.append((kind, i, status, data))
                        if len(results) == total // 2:
                            halfway.set()
            finally:
                conn.close()

        burst_started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(client) for _ in range(CLIENTS)]
            assert halfway.wait(timeout=300), "the burst did not reach its middle"
            promoted_at = time.monotonic() - burst_started
            for track, version in challengers.items():
                registry.model_version_promote(track, version, by="load-test", reason="promoted mid-burst")
            for future in futures:
                future.result()
        burst_s = time.monotonic() - burst_started
    finally:
        stop_started = time.monotonic()
        os.killpg(server.pid, signal.SIGTERM)  # graceful: workers finish and flush their log buffers
        try:
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    stop_s = time.monotonic() - stop_started

    statuses = Counter(status for _, _, status, _ in results)
    served = {}  # prediction id -> (request id, track, model version)
    for kind, i, status, data in results:
        if status == 201:
            for item in data if kind == "batch" else [data]:
                served[item["id"]] = (f"{kind}-{i}", item["track"], item["model_version"])
    logged = repository.find_predictions(offset=0, limit=10 * total * BATCH_SIZE)
    logged_ids = Counter(p.id for p in logged)
    history = {t: [c.version for c in registry.champion_history(t)] for t in TRACKS}
    versions_served = {t: dict(sorted(Counter(v for _, track, v in served.values() if track == t).items()))
                       for t in TRACKS}
    figures = (
        f"load: {len(results):,} requests ({SINGLES:,} single + {BATCHES} batches of {BATCH_SIZE}) from {CLIENTS} "
        f"clients to gunicorn {WORKERS} workers, buffered log, broker down; statuses {dict(statuses)}; "
        f"5xx: {sum(n for s, n in statuses.items() if s and s >= 500)}; predictions served {len(served):,}, "
        f"logged {len(logged):,}; burst {burst_s:.1f} s ({len(results) / burst_s:.0f} requests/s), "
        f"promotion at {promoted_at:.1f} s; setup {setup_s:.1f} s; graceful stop {stop_s:.1f} s; "
        f"champion history {history}; versions served {versions_served}")
    with capsys.disabled():
        print(f"\n{figures}")

    assert server.returncode == 0, f"{figures}\n{log.read_text()[-3000:]}"
    assert len(results) == total, figures
    assert statuses == {201: total}, f"{figures}; first failures: {[r for r in results if r[2] != 201][:5]}"
    assert len(served) == SINGLES + BATCHES * BATCH_SIZE, figures
    for track in TRACKS:
        assert history[track] == [1, challengers[track]], figures
        assert set(versions_served[track]) <= set(history[track]), figures
        assert challengers[track] in versions_served[track], f"the promotion was never served: {figures}"
    assert max(logged_ids.values()) == 1, f"doubled: {[i for i, n in logged_ids.items() if n > 1][:5]}; {figures}"
    assert set(logged_ids) == set(served), (
        f"lost: {len(set(served) - set(logged_ids))}, unexpected: {len(set(logged_ids) - set(served))}; {figures}")
    for entry in logged:
        assert (entry.request_id, entry.track, entry.model_version) == served[entry.id], figures
