# swift-etcd: `make run` starts a single member on 127.0.0.1:2379; `make test` runs every test.

SWIFT        ?= swift
RUN_PACKAGES  = libnghttp2-dev pkg-config
TEST_PACKAGES = $(RUN_PACKAGES) protobuf-compiler libprotobuf-c-dev etcd-client etcd-server golang-go golang-etcd-server-dev curl
DEBUG_BIN     = .build/debug/swift-etcd
RELEASE_BIN   = .build/release/swift-etcd

.PHONY: run build build-debug test unit-test interop interop-etcd interop-swift-etcd deps-run deps-test clean

run: deps-run build
	$(RELEASE_BIN) $(ARGS)

build:
	$(SWIFT) build -c release --product swift-etcd

build-debug:
	$(SWIFT) build --build-tests

test: deps-test build-debug unit-test interop crash-test-swift-etcd cluster-test-etcd cluster-test-swift-etcd cluster-failure-test-swift-etcd

unit-test:
	$(SWIFT) test --skip-build

# The same interop suite runs against the real etcd and against swift-etcd, so a check that
# etcd itself fails is a wrong test, and any difference from etcd is a failing test.
interop: interop-etcd interop-swift-etcd

interop-etcd:
	scripts/interop.sh etcd

interop-swift-etcd:
	scripts/interop.sh swift-etcd $(DEBUG_BIN)

deps-run:
	@scripts/install-packages.sh $(RUN_PACKAGES)

deps-test:
	@scripts/install-packages.sh $(TEST_PACKAGES)

clean:
	rm -rf .build .build-interop

# Benchmark (docs/performance.md): the same workloads against swift-etcd (release build, unless
# SWIFT_ETCD_BIN is set) and the real etcd, alternately, in one run; the table with the
# swift-etcd / etcd ratios is written into docs/performance.md. bench-quick runs in under
# 2 minutes once built.
.PHONY: bench bench-quick

bench: deps-test
	scripts/bench.sh full

bench-quick: deps-test
	scripts/bench.sh quick

# The Raft simulation over more seeds than `make test` runs (2000); see docs/raft.md.
# `make sim SEEDS=100000 FIRST_SEED=1 STEPS=500`
SEEDS      ?= 10000
FIRST_SEED ?= 1
STEPS      ?= 500

.PHONY: sim
sim: build-debug
	RAFT_SIM_SEEDS=$(SEEDS) RAFT_SIM_FIRST_SEED=$(FIRST_SEED) RAFT_SIM_STEPS=$(STEPS) \
		$(SWIFT) test --skip-build --filter RaftTests.SimulationTests

# Crash test (issue 5): writers load the server, it is killed with SIGKILL at random moments
# (CRASH_KILLS, default 20) and restarted on the same data dir, and every acknowledged write must
# survive at its revision; against etcd, then swift-etcd's debug binary. CRASH_SEED=<n> replays
# a run's kill times. About 1 minute against etcd.
.PHONY: crash-test crash-test-etcd crash-test-swift-etcd

crash-test: crash-test-etcd crash-test-swift-etcd

crash-test-etcd:
	scripts/crash-test.sh etcd

crash-test-swift-etcd:
	scripts/crash-test.sh swift-etcd $(DEBUG_BIN)

# Cluster failure tests: every test starts its own 3-member cluster on 127.0.0.1 and kills the
# leader, stops one or two members, replaces a member through a learner, checks MemberList and
# Status, require-leader watches without a leader, and a follower serving every request. About
# 45 s against etcd. Member logs: .build-cluster/server-<target>.log.
.PHONY: cluster-failure-test-etcd cluster-failure-test-swift-etcd

cluster-failure-test-etcd:
	scripts/cluster-failure-test.sh etcd

cluster-failure-test-swift-etcd:
	scripts/cluster-failure-test.sh swift-etcd $(DEBUG_BIN)

# A local 3-member cluster (etcd-0..2 on 127.0.0.1:2379, 22379, 32379; data and logs in .cluster/),
# swift-etcd's release build unless CLUSTER_SERVER=etcd; see docs/clustering.md.
# cluster-test-* run the nine etcdctl conformance checks against a fresh cluster on free ports.
.PHONY: cluster cluster-stop cluster-test-etcd cluster-test-swift-etcd

cluster: deps-run $(if $(filter etcd,$(CLUSTER_SERVER)),,build)
	@scripts/install-packages.sh etcd-client $(if $(filter etcd,$(CLUSTER_SERVER)),etcd-server)
	scripts/cluster.sh start

cluster-stop:
	scripts/cluster.sh stop

cluster-test-etcd:
	CLUSTER_SERVER=etcd scripts/test-etcd-cluster.sh local

cluster-test-swift-etcd:
	CLUSTER_SERVER=swift-etcd SWIFT_ETCD_BIN=$(DEBUG_BIN) scripts/test-etcd-cluster.sh local
