# consult-analyser: `make help` lists the targets.
VENV   ?= .venv
PYTHON ?= $(VENV)/bin/python
RAW    ?= data/raw
OUT    ?= data/processed
CONFIG ?= config.yaml
CONFIG_OUT ?= my-config.yaml
BENCH_SIZES ?= 100 1000 10000
# make bench BENCH_ENGINE=dask: the per-item stages on a local dask cluster of 2 workers (bench/results-dask.json).
BENCH_ENGINE ?= local
# make compare REV=<commit>: the working tree against a revision, at one size, alternated ROUNDS times.
BENCH_SIZE ?= 10000
ROUNDS ?= 3
FIXTURES ?= tests/fixtures/generated
# Shared material beside the repository; a labelled set in SHARED_EVAL (labels.yaml, docs/) is scored by make eval when present.
SHARED ?= ../shared
SHARED_EVAL ?= $(SHARED)/eval_suggestions
# The development set for learning asks (issue 14); make eval skips the learning curve without it.
DEV_SET ?= $(SHARED)/datasets/gambling_ads_labelled

.DEFAULT_GOAL := help
.PHONY: help setup test analyse config eval fixtures bench compare clean

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Create .venv and install the package with its test dependencies
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	$(PYTHON) -m pip install --quiet --no-deps bertopic==0.17.4

test: ## Run the test suite
	$(PYTHON) -m pytest -q

analyse: ## Analyse every response file in RAW into OUT (RAW=data/raw OUT=data/processed CONFIG=config.yaml)
	$(PYTHON) -m pipeline analyse $(RAW) --out $(OUT) --config $(CONFIG)

config: ## Inspect RAW and write a starter config that runs as it is (RAW=data/raw CONFIG_OUT=my-config.yaml)
	$(PYTHON) -m pipeline init $(RAW) --out $(CONFIG_OUT)

eval: ## Score every stage on the labelled sets: tests/eval/, tests/eval_voices/ (its held-out part blind), and SHARED_EVAL when present; the learning curve on DEV_SET into docs/learning-curve.md
	@if [ -f "$(SHARED_EVAL)/labels.yaml" ]; then echo "make eval: scoring $(SHARED_EVAL) too"; \
	else echo "make eval: $(SHARED_EVAL) is absent (no labels.yaml there): scoring the sets in tests/ only"; fi
	$(PYTHON) -m pipeline eval tests/eval tests/eval_voices $(patsubst %/labels.yaml,%,$(wildcard $(SHARED_EVAL)/labels.yaml)) --config $(CONFIG)
	@if [ -d "$(DEV_SET)" ]; then $(PYTHON) -m pipeline curve "$(DEV_SET)" --config $(CONFIG) --out docs/learning-curve.md; \
	else echo "Learning curve skipped: no development set at $(DEV_SET) (it lives in ../shared; set DEV_SET=...)"; fi

fixtures: ## Regenerate the test files (docx, pdf, xlsx, csv, eml, doc, broken ones) into FIXTURES=tests/fixtures/generated
	$(PYTHON) tests/fixtures/make_fixtures.py $(FIXTURES)

bench: ## Time, memory and theme quality of analyse on generated corpora (BENCH_SIZES="100 1000 10000", BENCH_ENGINE=local|dask; writes bench/results.json, or results-dask.json)
	BENCH_SIZES="$(BENCH_SIZES)" BENCH_ENGINE="$(BENCH_ENGINE)" $(PYTHON) bench/run.py

compare: ## Time the first run of make bench for git revision REV and the working tree, alternated (REV=<commit> BENCH_SIZE=10000 ROUNDS=3)
	@test -n "$(REV)" || { echo "make compare: give the revision to compare with, e.g. make compare REV=HEAD~1"; exit 2; }
	BENCH_ENGINE="$(BENCH_ENGINE)" $(PYTHON) bench/compare.py "$(REV)" --size $(BENCH_SIZE) --rounds $(ROUNDS)

clean: ## Remove generated outputs (keeps data/raw)
	rm -rf $(OUT)/*.csv $(OUT)/*.parquet $(OUT)/report.html $(OUT)/summary_of_responses.docx $(OUT)/tables.xlsx $(OUT)/charts $(OUT)/publication $(OUT)/cache $(OUT)/model data/interim $(FIXTURES) bench/data
