// Command etcd-bench is swift-etcd's benchmark: a load generator built on Debian's Go
// clientv3 (the client our services use), so swift-etcd and the real etcd are driven by the
// same client code, and a driver that runs a matrix of workloads against both servers on this
// machine, alternately, in one run, and reports the ratios.
//
// Load subcommands (each prints one JSON line on stdout; progress and markers go to stderr):
//
//	etcd-bench put             --endpoints ... --conns N --clients M --total T [--key-size --val-size --key-space-size --sequential-keys]
//	etcd-bench range           ... --consistency l|s [--prefill N]
//	etcd-bench txn-put         ... --txn-ops 4
//	etcd-bench watch-latency   ... (put on one connection, event on another; --clients watchers)
//	etcd-bench watch-fanout    ... (--clients watchers over --conns connections, one putter)
//	etcd-bench lease-keepalive ... --mode stream|once
//	etcd-bench watch-idle      ... (--total idle watches over --clients Watch streams; the driver reads memory)
//	etcd-bench lease-expiry    ... --ttl 5 (--total leases with a key each; time until every key is deleted)
//
// watch-latency and watch-fanout take --streams S: the watchers are spread over S Watch streams
// (clientv3 opens one per distinct outgoing metadata), stream s on connection s % conns.
//
// Driver:
//
//	etcd-bench matrix --mode full|quick --swift-etcd-bin PATH [--etcd-bin /usr/bin/etcd] [--out docs/performance.md]
//	                  [--rows ids] [--nodes 1,3] [--servers swift-etcd,etcd] [--restart-keys N]
//	(env: BENCH_CLUSTER=1 makes --nodes default to 1,3; BENCH_TARGETS is the default --servers)
//
// Profile summary (from `matrix --perf` recordings):
//
//	perf script -i .build-bench/perf/1node-put-10x100-swift-etcd.data | etcd-bench perf-summary
//
// Build and run it through scripts/bench.sh (`make bench`, `make bench-quick`).
package main

import (
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage: etcd-bench <command> [flags]

load commands: put, range, txn-put, watch-latency, watch-fanout, lease-keepalive, watch-idle, lease-expiry
driver:        matrix
profiles:      perf-summary [perf script output file, default stdin]
re-render:     report RESULTS.json [DOC.md]   (tables of a recorded run, e.g. .build-bench/results-quick.json)

Run "etcd-bench <command> -h" for the flags of one command.
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "matrix":
		os.Exit(matrixMain(args))
	case "perf-summary":
		os.Exit(perfSummaryMain(args))
	case "report":
		os.Exit(reportMain(args))
	case "-h", "--help", "help":
		usage()
		return
	default:
		if _, ok := loadOps[cmd]; ok {
			os.Exit(loadMain(cmd, args))
		}
		fmt.Fprintf(os.Stderr, "etcd-bench: unknown command %q\n", cmd)
		usage()
		os.Exit(2)
	}
}
