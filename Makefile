# Two commands set everything up on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The production profile: the machine's PostgreSQL and Redis (`make demo-prod`; `make test` runs tests/prod on them).
PROD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
PROD_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_REDIS_URL ?= redis://127.0.0.1:6379/11

.PHONY: install demo demo-prod test bench lint messages clean-var

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed (found %d.%d)" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
	bin/system-deps
	$(PY) manage.py compilemessages --ignore=$(VENV) --verbosity 0

# A demonstration: debug off (the portal's own error pages), every page says it is a demo, the demo accounts work.
demo: install
	$(PY) manage.py migrate --no-input --verbosity 0
	PORTAL_DEMO=true $(PY) manage.py load_demo
	$(PY) manage.py lab up --pin
	@echo
	@echo "  Portal: http://$(HOST):$(PORT)/   (log in with one of the demo users above; Ctrl-C stops it)"
	@echo
	trap '$(PY) manage.py lab down' EXIT; trap 'exit 130' INT TERM; \
	PORTAL_DEMO=true $(VENV)/bin/daphne -b $(HOST) -p $(PORT) portal.asgi:application

# The production profile on this machine: PostgreSQL database `portal` (made if missing), Redis, a Celery worker,
# the reaper and Daphne. Plain HTTP on localhost, so no HTTPS redirect or HSTS here (docs/DEPLOY.md has the rest).
PROD_ENV = DATABASE_URL=$(PROD_DATABASE_URL) REDIS_URL=$(PROD_REDIS_URL) PORTAL_SSL_REDIRECT=false PORTAL_HSTS_SECONDS=0 \
	PORTAL_DEMO=true
define CREATE_DATABASE
import environ, psycopg
from psycopg import sql
db = environ.Env.db_url_config("$(PROD_DATABASE_URL)")
with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
                     dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        print("Created the PostgreSQL database", db["NAME"])
endef
export CREATE_DATABASE

demo-prod: install
	$(PY) -c "$$CREATE_DATABASE"
	$(PROD_ENV) $(PY) manage.py migrate --no-input --verbosity 0
	$(PROD_ENV) $(PY) manage.py collectstatic --no-input --verbosity 0
	$(PROD_ENV) $(PY) manage.py load_demo --production-demo
	$(PROD_ENV) $(PY) manage.py lab up --pin
	@echo
	@echo "  Portal (production profile): http://localhost:$(PORT)/   (demo log-ins above; Ctrl-C stops it all)"
	@echo "  PostgreSQL $(PROD_DATABASE_URL), Redis $(PROD_REDIS_URL), one Celery worker, the reaper, Daphne"
	@echo
	export $(PROD_ENV); \
	$(VENV)/bin/celery -A portal worker --pool=threads -c 4 -l warning & worker=$$!; \
	$(PY) manage.py reap --loop & reaper=$$!; \
	trap 'kill $$worker $$reaper 2>/dev/null; wait $$worker $$reaper; $(PY) manage.py lab down' EXIT; \
	trap 'exit 130' INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) portal.asgi:application

# The embedded suite, then tests/prod on PostgreSQL, Redis and real Celery workers (pytest-django makes and drops
# its own test database; Redis $(TEST_REDIS_URL), keys of its own per run). Both run; either failing fails.
test: install lint
	bin/system-deps --test
	@status=0; \
	$(VENV)/bin/pytest --ignore=tests/prod || status=$$?; \
	DATABASE_URL=$(PROD_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest tests/prod || status=$$?; \
	exit $$status

bench: install
	$(PY) -m benchmarks

# Style and the layers: ruff, and the import-linter contracts of pyproject.toml (which module may import which).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
