# Create-workflow benchmark (docs/benchmarks.md, ## Create): the whole create in a lab of its own with capi-sim's delays at zero.
BENCH_LAB_STATE ?= $(or $(TMPDIR),/tmp)/eksa-anywhere-lab-bench
.PHONY: bench-create
bench-create: venv ## benchmark the whole create in the lab, split by phase
	LAB_STATE_DIR="$(BENCH_LAB_STATE)" LAB_CAPI_SIM_DELAY=0 $(LAB_CLI) up >/dev/null
	eval "$$(LAB_STATE_DIR="$(BENCH_LAB_STATE)" $(LAB_CLI) env)" && cd "$(ROOT)" && $(VENV_PYTHON) bench/create.py --repeat 3; \
	  rc=$$?; LAB_STATE_DIR="$(BENCH_LAB_STATE)" $(LAB_CLI) down >/dev/null; exit $$rc
