"""gunicorn settings for studentml (``gunicorn -c python:studentml_site.gunicorn_conf``).

gthread workers keep HTTP connections alive (a sync worker closes each one), and a few
threads per worker overlap the store's I/O with the next request's work. Numbers come
from the environment so operators can size them to the machine.
"""

import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 5
timeout = 60
graceful_timeout = 30
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"


def worker_exit(server, worker):  # noqa: ANN001 - gunicorn's hook signature
    """Write any buffered prediction-log entries before the worker goes (graceful stop)."""
    from predictions.logwriter import writer

    writer.close()
