# Upgrade benchmark (docs/benchmarks.md, ## Upgrade): a version upgrade of the demo cluster against the same run's create,
# in a lab of its own with capi-sim's delays at zero.
BENCH_UPGRADE_LAB_STATE ?= $(or $(TMPDIR),/tmp)/eksa-anywhere-lab-bench-upgrade
.PHONY: bench-upgrade
bench-upgrade: venv ## benchmark a Kubernetes version upgrade against the same run's create, split by phase
	LAB_STATE_DIR="$(BENCH_UPGRADE_LAB_STATE)" LAB_CAPI_SIM_DELAY=0 $(LAB_CLI) up >/dev/null
	@echo "bench/upgrade.py --repeat 1  (lab state $(BENCH_UPGRADE_LAB_STATE); the lab's environment is read silently: it holds its passwords)"
	@eval "$$(LAB_STATE_DIR="$(BENCH_UPGRADE_LAB_STATE)" $(LAB_CLI) env)" && cd "$(ROOT)" && $(VENV_PYTHON) bench/upgrade.py --repeat 1; \
	  rc=$$?; LAB_STATE_DIR="$(BENCH_UPGRADE_LAB_STATE)" $(LAB_CLI) down >/dev/null; exit $$rc
