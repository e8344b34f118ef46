# `make test` and `make demo` each create .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
CONSTRAINTS := requirements/constraints.txt

.PHONY: test demo bench check clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# One stamp per extra, so `make demo` after `make test` installs only what is missing.
$(VENV)/.stamp-%: pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[$*]'
	touch $@

# Kernel modules built by the tests and the demo go to .cache/ in the checkout, never to the user's home.
test: $(VENV)/.stamp-test
	$(VENV)/bin/codegen check
	FKT_CACHE_DIR=$(CURDIR)/.cache/fkt $(PY) -m pytest -q -n 2 --dist loadgroup

demo: $(VENV)/.stamp-demo
	FKT_CACHE_DIR=$(CURDIR)/.cache/fkt $(PY) examples/sst_smoothing.py

# Side-by-side benchmarks with peers; results in benchmarks/results, summary in docs/benchmarks.md.
bench: $(VENV)/.stamp-bench
	$(PY) benchmarks/codegen/build_times.py
	$(PY) benchmarks/fkt/scaling.py
	$(PY) benchmarks/krylov/ciq_accuracy.py
	$(PY) benchmarks/krylov/vs_linear_operator.py
	$(PY) benchmarks/krylov/ciq_fkt.py --n 20000 --quadrature 15
	$(PY) benchmarks/rational/bench_aaa.py

check: $(VENV)/.stamp-test
	$(VENV)/bin/codegen check

clean:
	rm -rf $(VENV) build *.egg-info
