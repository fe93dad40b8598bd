# Two commands set everything up on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test bench lint messages clean-var

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed (found %d.%d)" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
	bin/system-deps
	$(PY) manage.py compilemessages --ignore=$(VENV) --verbosity 0

demo: install
	$(PY) manage.py migrate --no-input --verbosity 0
	$(PY) manage.py load_demo
	$(PY) manage.py lab up --pin
	@echo
	@echo "  Portal: http://$(HOST):$(PORT)/   (log in with one of the demo users above; Ctrl-C stops it)"
	@echo
	trap '$(PY) manage.py lab down' EXIT; PORTAL_DEBUG=true $(VENV)/bin/daphne -b $(HOST) -p $(PORT) portal.asgi:application

test: install
	bin/system-deps --test
	$(VENV)/bin/pytest

bench: install
	$(PY) -m benchmarks

lint: install
	$(VENV)/bin/ruff check .
