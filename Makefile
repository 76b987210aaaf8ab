# Everything a fresh machine needs: `make demo` and `make test` create .venv and install
# the project with its dev extra from pyproject.toml first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

SHARED_PEER := ../shared/peer
PEER        := .peer

.PHONY: install lint typecheck test test-min demo bench bench-fair docs dist clean peer conformance system screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks tools docs/hooks.py

typecheck: $(STAMP)
	$(BIN)/mypy src

test: lint typecheck peer system
	$(BIN)/python -m pytest

# The declared floors really work: a fresh venv with every runtime dependency at the version
# pyproject.toml names as its minimum, then the CLI tests (CI runs this after `make test`).
MIN_VENV := .venv-min
test-min:
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(PYTHON) .ci/min_constraints.py > $(MIN_VENV)/constraints.txt
	$(MIN_VENV)/bin/python -m pip install --quiet -e . "pytest>=8" "hypothesis>=6.100" \
	  --constraint $(MIN_VENV)/constraints.txt
	$(MIN_VENV)/bin/python -m pytest -p no:cacheprovider -q tests/test_cli_keys.py \
	  tests/test_cli_verify.py tests/test_cli_documents.py tests/test_cli_issue.py

# Debian packages the tests use when they can: chromium (the browser tests, driven by
# Playwright) and postgresql (the PostgreSQL ledger's tests start a throwaway server of
# their own; the package's own cluster is not used). Installed with apt-get when running as
# root; otherwise those tests skip and say why.
export DEBIAN_FRONTEND := noninteractive
SYSTEM_PACKAGES := $(if $(wildcard /usr/bin/chromium),,chromium) \
                   $(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql)
system:
	@if [ -z "$(strip $(SYSTEM_PACKAGES))" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's $(strip $(SYSTEM_PACKAGES)) for the tests"; \
	  apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && \
	    apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1; } || \
	  echo "could not install $(strip $(SYSTEM_PACKAGES)): the tests needing them will skip"; \
	else echo "not root: no apt-get install of $(strip $(SYSTEM_PACKAGES));" \
	  "the tests needing them will skip (and say why)"; fi

# The screenshots docs/web.md shows, taken by the browser tests.
screenshots: $(STAMP) system
	MCBADGE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py

# Optional cross-check peer (Digital Bazaar's JS stack): installed into .peer when
# ../shared/peer and node are there; the peer tests skip cleanly otherwise.
peer:
	@if [ -d $(SHARED_PEER) ] && command -v npm >/dev/null 2>&1; then \
	  if [ ! -d $(PEER)/node_modules ]; then \
	    rm -rf $(PEER) && cp -r $(SHARED_PEER) $(PEER) && chmod -R u+w $(PEER) && \
	    (cd $(PEER) && npm ci --no-audit --no-fund --loglevel=error) || \
	    { echo "peer install failed; cross-checks will be skipped"; rm -rf $(PEER); }; \
	  fi; \
	else echo "no ../shared/peer or npm: peer cross-checks will be skipped"; fi

# The W3C test suites (../shared/conformance, offline) against `mcbadge serve` on loopback
# https; prints each suite's counts. Skips cleanly without ../shared or npm.
conformance: $(STAMP)
	$(BIN)/python tools/conformance.py

demo: $(STAMP)
	$(BIN)/mcbadge demo

# the documentation site (mkdocs-material; API and CLI reference generated), warnings fail
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# the wheel and the sdist, built in isolation from pyproject.toml and checked (twine check)
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# mcbadge and Digital Bazaar's stack interleaved in one run (needs the peer: make peer)
bench-fair: $(STAMP) peer
	$(BIN)/python benchmarks/fair.py

clean:
	rm -rf $(VENV) $(MIN_VENV) $(PEER) build dist site .bench-work .pytest_cache .mypy_cache .ruff_cache .hypothesis
