"""gunicorn settings for studentml (``gunicorn -c python:studentml_site.gunicorn_conf``).

gthread workers keep HTTP connections alive (a sync worker closes each one). Measured on
2 cores with 16 connections (``manage.py benchmark_http``, 20 s runs): 3 workers x 1
thread served ~670 requests/s with p99 45-68 ms; more threads per worker only added GIL
contention (2 x 4: ~550/s, p99 ~83 ms). Numbers come from the environment so operators can size
them to the machine.
"""

import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "1"))
keepalive = 5
timeout = 60
graceful_timeout = 30
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"


def post_worker_init(worker):
    """Load the champions before the worker accepts a connection (a first load takes ~1 s)."""
    from predictions.champions import warm_up

    warm_up()


def worker_exit(server, worker):
    """Write any buffered prediction-log entries before the worker goes (graceful stop)."""
    from predictions.logwriter import writer

    writer.close()
