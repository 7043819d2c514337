// Package testserver holds what the Go suites (Tests/interop, Tests/crash,
// Tests/cluster) and the benchmark (Tests/bench) share to run etcd or
// swift-etcd processes on 127.0.0.1: which binary to run, free ports, the
// etcd flags of a member, starting and stopping a process by its PID, the
// tail of its log and quiet clientv3 clients.
//
// It is built in GOPATH mode as "swiftetcd/testserver": scripts/go-suite.sh
// and scripts/bench.sh link it into the GOPATH they create.
package testserver
