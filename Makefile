# The two commands of the README: `make demo` and `make test`. Each sets
# up .venv first (once, and again when the requirements change).
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.installed

.PHONY: all venv demo test docs bench minicloud clean

all: test

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml requirements.txt test-requirements.txt doc/requirements.txt upper-constraints.txt tools/make-venv.sh
	tools/make-venv.sh $(PYTHON) $(VENV)
	touch $@

demo: $(STAMP)
	$(VENV)/bin/python tools/demo.py

# Every tier (tools/run-tests.sh); the tox envs of tox.ini run them one
# by one (tox -e pep8,py3,functional,minicloud,matrix,docs,wheel,...).
test: $(STAMP)
	VENV=$(VENV) tools/run-tests.sh

# The HTML docs, the release notes and the sample config (also part of
# make test): doc/build/html, releasenotes/build/html, etc/.
docs: $(STAMP)
	VENV=$(VENV) tools/docs.sh

# Benchmarks against a local Glance (doc/source/benchmarks.rst); e.g.
# make bench BENCH_ARGS=--quick
bench: $(STAMP)
	$(VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

# Benchmarks through the mini-cloud's services: heat-api, two heat-engine
# services (convergence, 2 workers each), RabbitMQ, MariaDB
# (doc/source/benchmarks.rst): stacks of images side by side and under a
# common root, and one stack updated 50 times in a row with and without
# the engine thread remedy (doc/source/operators-engines.rst). The full
# run takes about 45 minutes on 2 cores; e.g.
# make bench-services BENCH_ARGS=--quick
# make bench-services BENCH_ARGS='--only long_lived'
.PHONY: bench-services
bench-services: $(STAMP)
	tools/setup-system.sh
	$(VENV)/bin/python benchmarks/services.py $(BENCH_ARGS)

# The local cloud of the mini-cloud test tier, until Ctrl-C (prints the
# OS_* variables for the openstack command).
minicloud: $(STAMP)
	tools/setup-system.sh
	$(VENV)/bin/python -m tests.minicloud.cloud

clean:
	rm -rf $(VENV) .stestr *.egg-info build .tox doc/build releasenotes/build
