# The test lab (tests/lab/README.md): real etcd, kube-apiserver, kube-controller-manager, clusterctl and
# govmomi's vCenter simulator, built once into $(LAB_CACHE_DIR); capi-sim is the one simulated part.
# Included by the top-level Makefile; needs $(VENV_PYTHON) and the `venv` target from it.
LAB_PYTHON    ?= $(VENV_PYTHON)
LAB_CLI        = $(LAB_PYTHON) $(ROOT)/tests/lab/lab.py
LAB_GO        ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export LAB_GO
# Who reconciles the Cluster API objects (tests/lab/README.md): `real` - the real Cluster API managers, with the VM
# guests and the etcdadm controller simulated (guest-sim) - for the demo's lab and the benchmarks; make test runs two
# labs of its own (scripts/integration.sh): real for the create tests, the AWX jobs and molecule, capi-sim for the rest.
LAB_CONTROLLERS ?= real
export LAB_CONTROLLERS

.PHONY: lab-build lab-up lab-down lab-status lab-env lab-test
lab-build: venv ## build the lab's binaries into the cache (once per pinned version)
	$(LAB_CLI) build

lab-up: venv shared-data ## start the lab (builds first if needed); prints its environment without the passwords
	$(LAB_CLI) up

lab-down: ## stop every lab process and remove the lab state dir
	@if [ -x "$(LAB_PYTHON)" ]; then $(LAB_CLI) down; else echo "no venv: nothing to stop"; fi

lab-status: venv ## show the lab processes and endpoints
	@$(LAB_CLI) status

lab-env: venv ## print `export LAB_...` lines for the running lab, passwords included (eval "$$(make -s lab-env)")
	@$(LAB_CLI) env

lab-test: venv ## integration tests proving each lab component is real (starts the lab if needed)
	cd "$(ROOT)" && $(LAB_PYTHON) -m pytest tests/integration/lab -m lab -q -p no:cacheprovider
