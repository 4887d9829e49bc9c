# Real Cluster API controllers against capi-sim (tests/lab/README.md, "Real controllers"): the demo's create in a fresh lab
# of each mode, in labs of their own (never the demo's), with the lab's memory; prints the ratio real/sim.
.PHONY: bench-controllers
bench-controllers: venv ## the create with the real Cluster API controllers against capi-sim, same run (time, lab memory, ratio)
	cd "$(ROOT)" && $(VENV_PYTHON) bench/controllers.py --repeat 1
