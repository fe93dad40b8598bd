# Two commands set everything up on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install system-deps demo demo-prod test bench lint

# Debian packages first (python3-venv makes the venv possible); `make test` and `make demo-prod` ask for their
# extra packages here, so a bare machine gets everything in one apt-get run.
test: DEPS_FLAGS = --test
demo-prod: DEPS_FLAGS = --prod
system-deps:
	bin/system-deps $(DEPS_FLAGS)

$(VENV)/.installed: pyproject.toml | system-deps
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed (found %d.%d)" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: system-deps $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=$(VENV) --verbosity 0

# A demonstration: debug off (the portal's own error pages), every page says it is a demo, the demo accounts work.
demo: install
	$(PY) manage.py migrate --no-input --verbosity 0
	PORTAL_DEMO=true $(PY) manage.py load_demo
	$(PY) manage.py lab up --pin
	$(PY) manage.py lab existing gmxcl03 --previous-directory /GMAXDB
	@echo
	@echo "  Portal: http://$(HOST):$(PORT)/   (log in with one of the demo users above; Ctrl-C stops it)"
	@echo
	trap '$(PY) manage.py lab down' EXIT; trap 'exit 130' INT TERM; \
	PORTAL_DEMO=true $(VENV)/bin/daphne -b $(HOST) -p $(PORT) portal.asgi:application

# The production profile on this machine (bin/demo-prod): DATABASE_URL and REDIS_URL if set, else a PostgreSQL
# and a Redis of its own under var/servers; a Celery worker, the reaper and Daphne. docs/DEPLOY.md has the rest.
demo-prod: install
	HOST=$(HOST) PORT=$(PORT) bin/demo-prod

# The embedded suite (never on the user's DATABASE_URL/REDIS_URL: it is the embedded profile), then tests/prod on
# the production profile: PostgreSQL, Redis and real Celery workers. tests/servers.py starts a PostgreSQL and a
# Redis of the suite's own (temporary folder, free ports) unless DATABASE_URL / REDIS_URL are set. Both parts run;
# either failing fails, and so does a part that ran no test (pytest's exit code 5).
test: install lint
	@status=0; \
	for part in embedded prod; do \
	  if [ $$part = embedded ]; then \
	    env -u DATABASE_URL -u REDIS_URL -u PORTAL_PROFILE $(VENV)/bin/pytest --ignore=tests/prod; code=$$?; \
	  else \
	    $(PY) -m pytest -p tests.servers tests/prod; code=$$?; \
	  fi; \
	  if [ $$code -eq 5 ]; then echo "make test: the $$part part ran no test" >&2; fi; \
	  if [ $$code -ne 0 ]; then status=$$code; fi; \
	done; \
	exit $$status

bench: install
	$(PY) -m benchmarks

# Style and the layers: ruff, and the import-linter contracts of pyproject.toml (which module may import which).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
