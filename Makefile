# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export MICROCOURT_INSTANCE_PATH ?= $(CURDIR)/instance
MEDIA_SOCKET ?= $(MICROCOURT_INSTANCE_PATH)/media.sock

# Debian packages: the CJK font for documents, poppler for the independent PDF check,
# chromium for the browser tests (driven by Playwright, never downloaded by it).
RUN_APT := fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0
TEST_APT := $(RUN_APT) chromium poppler-utils openssl

.PHONY: run test lint bench system-run system-test deps clean

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

system-run:
	@command -v $(PYTHON) >/dev/null || { $(call apt_install,python3 python3-venv) ; }
	$(call apt_install,$(RUN_APT))

system-test:
	@command -v $(PYTHON) >/dev/null || { $(call apt_install,python3 python3-venv) ; }
	$(call apt_install,$(TEST_APT))

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	touch $(STAMP)

deps: $(STAMP)

run: system-run deps
	$(VENV)/bin/flask --app wsgi court init
	$(VENV)/bin/flask --app wsgi court seed-demo
	@echo "serving on http://$(HOST):$(PORT)/  (staff pages: /staff/, API docs: /api/v1/docs)"
	@# The hearings media node is its own process; every web worker talks to it on a Unix
	@# socket. It offers 127.0.0.1 to browsers here (one machine); stopping make stops it,
	@# and it finalises recordings as it stops.
	@$(PY) -m hearings.server --socket $(MEDIA_SOCKET) \
	  --recordings $(MICROCOURT_INSTANCE_PATH)/recordings --loopback & media=$$!; \
	trap 'kill -TERM $$media 2>/dev/null; wait $$media' EXIT INT TERM; \
	MICROCOURT_MEDIA_SOCKET=$(MEDIA_SOCKET) MICROCOURT_MEDIA_LOOPBACK=true \
	$(VENV)/bin/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 32 --no-control-socket \
	  --access-logfile - --forwarded-allow-ips 127.0.0.1 wsgi:app

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: system-test deps lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: system-test deps
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
