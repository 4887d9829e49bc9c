# capi_manifests benchmark: a spec with 100 worker groups (docs/benchmarks.md, ## Manifests)
.PHONY: bench-manifests
bench-manifests: venv ## benchmark capi_manifests rendering (100 worker groups)
	cd "$(ROOT)" && $(VENV_PYTHON) bench/manifests.py --groups 100 --repeat 5
