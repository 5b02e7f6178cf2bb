# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
VIEWER := src/amtsweg/processes/static/processes/vendor/bpmn-js/manifest.json

.PHONY: demo test install install-dev check lint openapi messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Run the product on the embedded default (SQLite, local files) with demo data of the Rhein-Kreis Neuss.
demo: $(VENV)/.installed $(VIEWER)
	$(BIN)/amtsweg migrate --noinput -v 0
	$(BIN)/amtsweg createcachetable
	$(BIN)/amtsweg collectstatic --noinput -v 0
	AMTSWEG_DEMO_MODE=true $(BIN)/amtsweg load_demo
	AMTSWEG_DEMO_MODE=true AMTSWEG_EMAIL_BACKEND=$${AMTSWEG_EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend} \
		$(BIN)/amtsweg serve $(HOST):$(PORT)

node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: browser accessibility checks will be skipped"; fi

# bpmn.io's process viewer and Leaflet (the care finder's map), copied from node_modules into static files
# (git-ignored, never committed).
$(VIEWER): node_modules/.package-lock.json | $(VENV)/.installed
	@if [ -d node_modules/bpmn-js ] && [ -d node_modules/leaflet ]; then $(BIN)/amtsweg build_viewer; \
	else echo "bpmn-js/leaflet not installed: the process viewer shows step lists only, the care finder no map"; fi

# The whole test suite, in parallel on all cores (DATABASE_URL selects SQLite or PostgreSQL).
test: $(VENV)/.installed-dev node_modules/.package-lock.json $(VIEWER)
	$(BIN)/pytest -n auto --dist loadfile $(PYTEST_ARGS)

check: $(VENV)/.installed-dev
	$(BIN)/amtsweg check
	$(BIN)/amtsweg makemigrations --check --dry-run
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench
	$(BIN)/mypy src
	$(BIN)/amtsweg spectacular --format openapi-json --validate --fail-on-warn --file $(VENV)/openapi.json
	diff -u docs/api/openapi.json $(VENV)/openapi.json

openapi: $(VENV)/.installed-dev
	$(BIN)/amtsweg spectacular --format openapi-json --validate --fail-on-warn --file docs/api/openapi.json

messages: $(VENV)/.installed-dev
	# English for the whole UI; Turkish, Arabic and Ukrainian for the pages of the instruction under § 43 IfSG.
	cd src/amtsweg && ../../$(BIN)/amtsweg makemessages -l en -l tr -l ar -l uk --no-obsolete && ../../$(BIN)/amtsweg compilemessages

clean:
	rm -rf $(VENV) var node_modules src/amtsweg/processes/static/processes/vendor
