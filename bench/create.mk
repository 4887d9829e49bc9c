# Create-workflow benchmark (docs/benchmarks.md, ## Create): the whole create in a lab of its own with capi-sim's delays at
# zero, against a no-op playbook and the same API work scripted by hand (bench/create_cli.sh); each measured run starts
# from a fresh lab.
BENCH_LAB_STATE ?= $(or $(TMPDIR),/tmp)/eksa-anywhere-lab-bench
.PHONY: bench-create
bench-create: venv ## benchmark the whole create in the lab, split by phase, against the same work done by hand
	export LAB_STATE_DIR="$(BENCH_LAB_STATE)" LAB_CAPI_SIM_DELAY=0 && cd "$(ROOT)" \
	  && $(VENV_PYTHON) bench/create.py --repeat 3 --fresh-lab; \
	  rc=$$?; LAB_STATE_DIR="$(BENCH_LAB_STATE)" $(LAB_CLI) down >/dev/null; exit $$rc
