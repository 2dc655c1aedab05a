# The two commands of the README are `make run` and `make test`; both start from `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR_STAMP := src/healthcode/web/static/vendor/.vendored

.PHONY: install run test lint typecheck unit bench bench-tools browser prometheus drill clean

install: $(STAMP) $(VENDOR_STAMP)

# Reinstall only when the pinned lock or the project metadata changed (idempotent).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The browser assets pinned in package-lock.json (the checkpoint's QR reader, the API explorer, the
# tests' accessibility checker) copied where they are used; the stamp sits in the generated
# folder, so deleting the folder brings them back.
$(VENDOR_STAMP): package.json package-lock.json scripts/vendor_browser_assets.sh
	bash scripts/vendor_browser_assets.sh

# The demo population (idempotent), then the web application on http://127.0.0.1:8000. Texts to
# residents (sign-in codes) go to the development outbox page, /dev/outbox: never in production.
# `exec`: the server replaces the recipe's shell, so the process make waits for is the server,
# whose stop on Ctrl-C or SIGTERM is clean (status 0): no "make: *** [run] Interrupt" or
# "Error 143" after it.
run: install
	HEALTHCODE_MESSAGE_SENDER=outbox $(BIN)/healthcode demo
	HEALTHCODE_MESSAGE_SENDER=outbox exec $(BIN)/healthcode serve --host 127.0.0.1 --port 8000

test: lint typecheck browser prometheus unit

# The browser tests drive Debian's chromium (never a browser download); fonts-noto-cjk makes Chinese
# legible in their screenshots; poppler-utils' pdftoppm rasterises a printed paper code. Installed
# only when missing, so a second run does nothing.
BROWSER_PACKAGES := chromium fonts-noto-cjk poppler-utils
browser:
	@missing=$$(for package in $(BROWSER_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q 'ok installed' || echo $$package; \
	done); \
	if [ -x /usr/bin/chromium ] && [ -z "$$missing" ]; then \
		echo "browser: $(BROWSER_PACKAGES) are installed"; \
	else \
		echo "browser: installing $$missing from Debian (apt-get update, then apt-get install)"; \
		apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

# The alert rules are checked by promtool (tests/unit/test_alert_rules.py) and the drills run a
# Prometheus against a private server (ops/drills/): Debian's prometheus package, installed only
# when missing. Its service is not started (no systemd here; the drills start their own).
prometheus:
	@if command -v promtool >/dev/null && command -v prometheus >/dev/null; then \
		echo "prometheus: promtool and prometheus are installed"; \
	else \
		echo "prometheus: installing prometheus from Debian (apt-get update, then apt-get install)"; \
		apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; \
	fi

lint: install
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/ruff check --no-cache .

typecheck: install
	$(BIN)/mypy

# Every core: tests keep to their own databases, ports and folders; a module's tests share a worker.
unit: install
	$(BIN)/pytest -q -n auto --dist loadfile

# The HTTP benchmarks' load generator (bench/http_requests.py, bench/serve_peak.py): Debian's wrk,
# installed only when missing.
bench-tools:
	@if command -v wrk >/dev/null; then echo "bench-tools: wrk is installed"; else \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; \
	fi

bench: install
	$(BIN)/python bench/assess_population.py
	$(BIN)/python bench/columnar.py

# The drills of the emergency plan (docs/operations.md) on private servers in a temporary folder:
# the backup and restore drill, then every incident at the production scrape interval (15 s).
drill: install prometheus
	cd ops && ../$(BIN)/python -m drills backup
	cd ops && ../$(BIN)/python -m drills incidents --interval 15

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
