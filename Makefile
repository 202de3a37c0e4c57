# Everything installs itself: a venv under the repo, from pyproject.toml.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint unit acceptance bench bench-quick clean system runtimes peers

# Debian packages: slirp4netns gives environments their outbound network, iproute2 makes the
# network tests' own test host, ceph-mon, ceph-osd and radosgw make the S3 notification tests'
# real Ceph RGW (tests/fixtures/rgw.py); redis-server, nats-server and rabbitmq-server are the
# real peers of the event-source-mapping tests (tests/fixtures/redis_server.py, nats_server.py,
# rabbitmq.py); awscli is the AWS CLI v2, for `aws logs tail --follow` (the venv's v1 has no
# `logs tail`); chromium is the browser the console's tests drive (Playwright). Installed as root
# where missing; elsewhere the server says which protection is off and those tests skip, naming
# what is missing. The tests start each daemon themselves, so the install starts none:
# a policy-rc.d answering 101 (kept if one is there) stops the packages' postinst from starting
# redis, nats or RabbitMQ and its epmd as system services.
# Each entry is command:package.
SYSTEM_COMMANDS := slirp4netns:slirp4netns ip:iproute2 ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw \
	redis-server:redis-server nats-server:nats-server rabbitmq-server:rabbitmq-server /usr/bin/aws:awscli \
	chromium:chromium
system:
	@missing=""; for pair in $(SYSTEM_COMMANDS); do \
		command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=/usr/sbin/policy-rc.d; \
				printf '#!/bin/sh\nexit 101\n' > $$policy && chmod 755 $$policy; fi; \
			DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends $$missing \
			|| { apt-get update && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends $$missing; }; \
			status=$$?; [ -z "$$policy" ] || rm -f $$policy; exit $$status; \
		else echo "note:$$missing not installed (needs root and apt-get): those tests skip" >&2; fi; \
	fi

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is needed" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# What each Python runtime lets a function import, as AWS's do (boto3 and kin, pip, setuptools
# before 3.12), installed from PyPI once per interpreter found; then AWS's blank-python sample's
# layer and the web frameworks' (FastAPI, Mangum, Powertools) for their acceptance tests. The
# network is needed here, never by the server.
RUNTIMES := $(VENV)/share/lambent/.runtimes
runtimes: $(RUNTIMES)
$(RUNTIMES): $(STAMP) src/lambent/runtimes/python/requirements.txt tests/fixtures/samples.py tests/fixtures/web_frameworks.py
	$(BIN)/python -m lambent.runtimes.python_libs
	$(BIN)/python -m tests.fixtures.samples
	$(BIN)/python -m tests.fixtures.web_frameworks
	touch $@

# Kinesalite, a Kinesis API server on Node.js, for the Kinesis event-source-mapping tests
# (tests/fixtures/kinesalite.py): from npm once, into the venv's share, never onto the system.
# Where node or npm is missing those tests skip, naming it.
KINESALITE := kinesalite@3
PEERS := $(VENV)/share/lambent/peers
peers: $(PEERS)/.installed
$(PEERS)/.installed: | $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p $(PEERS) && npm install --silent --no-audit --no-fund --prefix $(PEERS) $(KINESALITE) && touch $@; \
	else echo "note: npm not installed: the Kinesis tests skip" >&2; fi

serve: $(STAMP) $(RUNTIMES) system  ## start the server on the embedded defaults (SQLite and ./.lambent)
	$(BIN)/lambent serve

lint: $(STAMP) system
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	@# The code inside the sandbox runs under the function's interpreter (3.9+): checked again
	@# against the oldest Python this mypy can target.
	$(BIN)/mypy --python-version 3.10 src/lambent/sandbox/inside

test: lint $(RUNTIMES) $(PEERS)/.installed  ## the whole suite: lint, types, unit, acceptance, security
	$(BIN)/pytest -q

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

acceptance: $(STAMP) $(RUNTIMES) $(PEERS)/.installed system
	$(BIN)/pytest -q tests/acceptance

bench: $(STAMP)  ## the full benchmark, for the record (docs/performance.md)
	$(BIN)/python bench/run.py --full

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) .lambent .pytest_cache .mypy_cache .ruff_cache
