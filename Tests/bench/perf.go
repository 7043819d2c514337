package main

// Profiles. `matrix --perf` runs `perf record --call-graph dwarf` on the server processes during each row's
// timed part (files in <work-dir>/perf/); `perf-summary` reads `perf script` output and says
// where the samples are: by component (the function the CPU was in) and by stage of the
// request path (the innermost known stage on the call stack).
//
//	perf script -i .build-bench/perf/1node-put-10x100-swift-etcd.data | etcd-bench perf-summary

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// startPerf attaches perf to pids; stop it with the returned function (SIGINT, wait).
func startPerf(pids []int, out string) (func(), error) {
	var ps []string
	for _, p := range pids {
		ps = append(ps, fmt.Sprint(p))
	}
	// DWARF unwinding: glibc and the Swift runtime have no frame pointers, so -g alone loses
	// the callers of malloc and swift_retain/release.
	cmd := exec.Command("perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-q", "-p", strings.Join(ps, ","), "-o", out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // let it attach before the clock starts
	return func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}, nil
}

type frame struct{ sym, dso string }

type rule struct {
	name  string
	match func(f frame) bool
}

func symHas(subs ...string) func(f frame) bool {
	return func(f frame) bool {
		for _, s := range subs {
			if strings.Contains(f.sym, s) {
				return true
			}
		}
		return false
	}
}

func isKernel(f frame) bool { return strings.Contains(f.dso, "kernel") }

const (
	kernSend  = "kernel: socket write (TCP send)"
	kernRecv  = "kernel: socket read (TCP receive)"
	kernSched = "kernel: epoll, futex, scheduler (thread hand-offs)"
	kernFile  = "kernel: file write / fsync"
	kernOther = "kernel: other (page faults, timers, interrupts)"
)

// Component of a user-space sample: the first rule that matches its leaf frame. Kernel
// samples are named by the system call or activity further up (kernelKind).
var componentRules = []rule{
	{"malloc / free", func(f frame) bool {
		return (strings.Contains(f.dso, "libc") || f.dso == "inlined") && (strings.Contains(f.sym, "malloc") || strings.Contains(f.sym, "free") ||
			strings.Contains(f.sym, "_int_") || strings.Contains(f.sym, "unlink_chunk") || strings.Contains(f.sym, "tcache"))
	}},
	{"Swift runtime: retain/release, exclusivity, metadata", symHas("swift_retain", "swift_release", "swift_beginAccess",
		"swift_endAccess", "AccessSet", "RefCounts", "swift_allocObject", "swift_deallocObject", "swift_dynamicCast",
		"swift_isUniquelyReferenced", "swift_instantiate", "__swift_instantiate", "swift_getGenericMetadata",
		"swift_arrayDestroy", "swift_arrayInitWithCopy", "tuple_destroy", "__tls_get_addr", "swift_bridgeObject",
		"swift_unknownObject", "swift_weak", "swift_conformsTo", "swift_getWitnessTable")},
	{"libnghttp2 (HTTP/2 framing, HPACK)", func(f frame) bool { return strings.Contains(f.dso, "nghttp2") }},
	{"GRPCTransport (Swift: HTTP/2 session glue, gRPC calls)", symPrefix("$s13GRPCTransport")},
	{"EtcdWire (protobuf codec)", symPrefix("$s8EtcdWire")},
	{"MVCC (store, key index)", symPrefix("$s4MVCC")},
	{"EtcdServer (services, apply loop)", symPrefix("$s10EtcdServer")},
	{"SwiftNIO (event loop, channel pipeline)", symPrefix("$s7NIOCore", "$s8NIOPosix", "$s21NIOConcurrencyHelpers", "$s18_NIODataStructures")},
	{"Swift stdlib (String, Array, Dictionary, hashing)", func(f frame) bool {
		return strings.Contains(f.dso, "libswiftCore") || strings.HasPrefix(f.sym, "$ss") || strings.HasPrefix(f.sym, "$sS")
	}},
	{"libc other (memcpy, memcmp, locks)", func(f frame) bool { return strings.Contains(f.dso, "libc") }},
	{"etcd (Go): GC and allocation", goSym("runtime.gcBgMarkWorker", "runtime.mallocgc", "runtime.scanobject",
		"runtime.gcDrain", "runtime.markroot", "runtime.sweep", "runtime.memclr", "runtime.greyobject", "runtime.findObject",
		"runtime.heapBits", "runtime.(*mspan)", "runtime.(*mheap)", "runtime.(*mcache)", "runtime.wbBuf", "runtime.bulkBarrier")},
	{"etcd (Go): scheduler", goSym("runtime.schedule", "runtime.findrunnable", "runtime.futex", "runtime.park",
		"runtime.mcall", "runtime.runqget", "runtime.netpoll", "runtime.stealWork", "runtime.casgstatus", "runtime.lock", "runtime.unlock")},
	{"etcd (Go): grpc-go and HTTP/2", goSym("google.golang.org/grpc", "golang.org/x/net/http2")},
	{"etcd (Go): protobuf", goSym("github.com/golang/protobuf", "github.com/gogo/protobuf", "etcdserverpb.", "mvccpb.", "raftpb.")},
	{"etcd (Go): bbolt, mvcc, wal, raft", goSym("bbolt", "go.etcd.io/etcd/mvcc", "go.etcd.io/etcd/wal", "go.etcd.io/etcd/raft")},
	{"etcd (Go) user space (Debian's binary is stripped: no finer split)", func(f frame) bool { return strings.HasSuffix(f.dso, "/etcd") }},
}

func symPrefix(prefixes ...string) func(f frame) bool {
	return func(f frame) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(f.sym, p) {
				return true
			}
		}
		return false
	}
}

func goSym(subs ...string) func(f frame) bool {
	return func(f frame) bool { return strings.HasSuffix(f.dso, "/etcd") && symHas(subs...)(f) }
}

// kernelKind names a kernel sample by what is on its stack.
func kernelKind(stack []frame) string {
	for _, f := range stack {
		switch {
		case strings.Contains(f.sym, "tcp_sendmsg") || strings.Contains(f.sym, "sock_write_iter") || strings.Contains(f.sym, "sock_sendmsg"):
			return kernSend
		case strings.Contains(f.sym, "tcp_recvmsg") || strings.Contains(f.sym, "sock_read_iter") || strings.Contains(f.sym, "sock_recvmsg"):
			return kernRecv
		case strings.Contains(f.sym, "ep_poll") || strings.Contains(f.sym, "epoll") || strings.Contains(f.sym, "futex") ||
			strings.Contains(f.sym, "schedule") || strings.Contains(f.sym, "try_to_wake_up") || strings.Contains(f.sym, "eventfd"):
			return kernSched
		case strings.Contains(f.sym, "fsync") || strings.Contains(f.sym, "ext4_") || strings.Contains(f.sym, "jbd2") ||
			strings.Contains(f.sym, "blk_") || strings.Contains(f.sym, "vfs_write"):
			return kernFile
		}
		if !isKernel(f) {
			break
		}
	}
	return kernOther
}

// Stages of the request path: the innermost one found walking from the leaf to the root.
var stageRules = []rule{
	{"decode request, route, hand to apply loop", symHas("ServiceRouterC6handle", "10EtcdServer5unary", "ProtoReader",
		"deliverMessages")},
	{"encode and send response (gRPC finish, HTTP/2 frames, socket write)", symHas("GRPCServerCallC6finish",
		"GRPCServerConnectionC4send", "GRPCServerConnectionC6finish", "readResponseBody", "withNameValueArray",
		"drainOutput", "nghttp2_session_mem_send", "invokeFlush", "flushNow", "writeToSocket", "PendingWritesManager")},
	{"end of stream, call teardown", symHas("onStreamClose", "streamDidClose", "GRPCServerCallCfD", "releaseCallbacks")},
	{"per-call deadline timer (NIO scheduled task)", symHas("ScheduledTask", "_prepareToSchedule", "GRPCTimeout")},
	{"apply loop (MVCC write, watch/lease bookkeeping)", symHas("9ApplyLoop", "KVStateMachine", "$s4MVCC")},
	{"HTTP/2 receive (nghttp2_session_mem_recv, headers, stream bookkeeping)", symHas("nghttp2_session_mem_recv", "nghttp2_session_recv")},
	{"socket read", symHas("readable", "readFromSocket", "ksys_read", "sock_read_iter")},
	{"event loop wait and wake-ups (epoll, futex)", symHas("_blockingWaitForWork", "epoll_wait", "futex", "whenReady")},
	{"malloc/free with no usable call stack (glibc has no frame pointers)", symHas("malloc", "_int_free", "unlink_chunk", "cfree")},
}

func perfSummaryMain(args []string) int {
	in := io.Reader(os.Stdin)
	if len(args) > 0 {
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "perf-summary:", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	comp := map[string]int{}
	stage := map[string]int{}
	cross := map[[2]string]int{}
	threads := map[string]int{}
	total := 0
	var stack []frame
	var comm string
	flush := func() {
		if len(stack) == 0 {
			return
		}
		total++
		threads[comm]++
		leaf := stack[0]
		c := "other"
		if isKernel(leaf) {
			c = kernelKind(stack)
		} else {
			for _, r := range componentRules {
				if r.match(leaf) {
					c = r.name
					break
				}
			}
		}
		comp[c]++
		s := "other"
		// The last rule (malloc/free) only names samples no other stage claims.
		staged := stageRules[:len(stageRules)-1]
	walk:
		for _, f := range stack {
			for _, r := range staged {
				if r.match(f) {
					s = r.name
					break walk
				}
			}
		}
		if s == "other" && stageRules[len(stageRules)-1].match(stack[0]) {
			s = stageRules[len(stageRules)-1].name
		}
		stage[s]++
		cross[[2]string{s, bucket(c)}]++
		stack = stack[:0]
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			// "<comm> <tid> <time>: <period> <event>:" — comm may contain spaces; thread
			// names like NIO-ELT-2-#1 are folded to their group.
			f := strings.Fields(line)
			comm = "?"
			if len(f) > 0 {
				comm = f[0]
				if i := strings.LastIndex(comm, "-#"); i > 0 {
					comm = comm[:i]
				}
			}
			continue
		}
		// "\t addr sym+off (dso)"
		t := strings.TrimSpace(line)
		var fr frame
		if i := strings.LastIndex(t, " ("); i >= 0 && strings.HasSuffix(t, ")") {
			fr.dso = t[i+2 : len(t)-1]
			t = t[:i]
		}
		if j := strings.IndexByte(t, ' '); j >= 0 {
			fr.sym = t[j+1:]
		}
		if k := strings.LastIndex(fr.sym, "+0x"); k > 0 {
			fr.sym = fr.sym[:k]
		}
		stack = append(stack, fr)
	}
	flush()
	if total == 0 {
		fmt.Fprintln(os.Stderr, "perf-summary: no samples (feed it `perf script` output)")
		return 1
	}
	print := func(title string, m map[string]int) {
		type kv struct {
			k string
			v int
		}
		var kvs []kv
		for k, v := range m {
			kvs = append(kvs, kv{k, v})
		}
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].v > kvs[j].v })
		fmt.Printf("| %s | share of CPU samples |\n|---|---:|\n", title)
		for _, e := range kvs {
			fmt.Printf("| %s | %.1f %% |\n", e.k, 100*float64(e.v)/float64(total))
		}
		fmt.Println()
	}
	fmt.Printf("%d samples\n\n", total)
	print("component (where the CPU was)", comp)
	print("stage of the request path (innermost on the stack)", stage)
	print("thread", threads)

	// Stage × component group, in % of all samples.
	fmt.Printf("| stage \\ component | %s | total |\n|---|%s---:|\n", strings.Join(buckets, " | "), strings.Repeat("---:|", len(buckets)))
	type kv struct {
		k string
		v int
	}
	var stages []kv
	for k, v := range stage {
		stages = append(stages, kv{k, v})
	}
	sort.Slice(stages, func(i, j int) bool { return stages[i].v > stages[j].v })
	for _, st := range stages {
		fmt.Printf("| %s |", st.k)
		for _, b := range buckets {
			fmt.Printf(" %.1f |", 100*float64(cross[[2]string{st.k, b}])/float64(total))
		}
		fmt.Printf(" %.1f |\n", 100*float64(st.v)/float64(total))
	}
	fmt.Println()
	return 0
}

var buckets = []string{"malloc/free", "ARC + runtime", "Swift stdlib", "nghttp2", "our code + NIO", "kernel", "other"}

// bucket folds a component into one of the cross-table columns.
func bucket(component string) string {
	switch {
	case strings.HasPrefix(component, "malloc"):
		return "malloc/free"
	case strings.HasPrefix(component, "Swift runtime"):
		return "ARC + runtime"
	case strings.HasPrefix(component, "Swift stdlib"):
		return "Swift stdlib"
	case strings.HasPrefix(component, "libnghttp2"):
		return "nghttp2"
	case strings.HasPrefix(component, "kernel"):
		return "kernel"
	case strings.HasPrefix(component, "GRPCTransport"), strings.HasPrefix(component, "EtcdWire"),
		strings.HasPrefix(component, "MVCC"), strings.HasPrefix(component, "EtcdServer"), strings.HasPrefix(component, "SwiftNIO"):
		return "our code + NIO"
	}
	return "other"
}
