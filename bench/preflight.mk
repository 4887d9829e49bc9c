# bench-preflight: the vSphere preflight (eksa.anywhere's client) versus EKS Anywhere's govc command sequence,
# on the lab's vCenter simulator, for specs with 1, 10 and 50 worker node groups. Included by the top Makefile.
.PHONY: bench-preflight
bench-preflight: venv ## benchmark the vSphere preflight against the govc sequence (starts the lab if needed)
	@$(VENV_PYTHON) $(ROOT)/tests/lab/lab.py up > /dev/null
	cd "$(ROOT)" && $(VENV_PYTHON) bench/preflight.py
