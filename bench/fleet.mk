# Fleet benchmark (docs/benchmarks.md, ## Fleet): after make demo, N workload clusters of the demo's management cluster
# ($(DEMO_DIR)) created by N concurrent runs of the create, N = 1, 3, 5, capi-sim's delay at zero for them, on the demo's
# lab (it grows the lab's pool: an API server per workload cluster); the clusters of a round are deleted after it.
.PHONY: bench-fleet
bench-fleet: venv ## after make demo: 1, 3 and 5 workload clusters created concurrently, per-cluster cost and ratio
	@echo "bench/fleet.py --sizes 1,3,5 --demo-dir $(DEMO_DIR) --management $(DEMO_CLUSTER)  (the lab's environment is read silently: it holds its passwords)"
	@eval "$$($(LAB_CLI) env)" && cd "$(ROOT)" && $(VENV_PYTHON) bench/fleet.py --sizes 1,3,5 --demo-dir "$(DEMO_DIR)" \
	  --management "$(DEMO_CLUSTER)"
