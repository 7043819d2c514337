package main

// The driver: runs the standard matrix on a single member (and, with BENCH_CLUSTER=1 or
// --nodes 1,3, on a 3-member cluster), against the servers of --servers / BENCH_TARGETS
// alternately (both are up during a topology; the order flips every row),
// with each row a separate load-generator process (this binary) so a stuck row is killed and
// nothing leaks from one row into the next. Server CPU and memory come from /proc at the
// generator's BENCH-READY and BENCH-DONE points.

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type rowSpec struct {
	id         string
	label      string
	op         string
	conns      int
	clients    int
	total      int // make bench
	quickTotal int // make bench-quick; 0: not in bench-quick (unless named with --rows)
	unit       string
	args       []string
	singleOnly bool          // a single member only (not run on a cluster)
	restart    bool          // after the load: SIGTERM, start again on the same data, time it
	memPerOp   string        // report (RSS at the end - RSS at the start) / ok under this name
	timeout    time.Duration // row time limit instead of --row-timeout (0: --row-timeout)
}

func (r rowSpec) single() rowSpec                     { r.singleOnly = true; return r }
func (r rowSpec) withTimeout(d time.Duration) rowSpec { r.timeout = d; return r }
func (r rowSpec) memoryPerOp(name string) rowSpec     { r.memPerOp = name; return r }

// runsOn says whether the row runs on a topology of n members in this mode.
func (r rowSpec) runsOn(n int) bool { return n == 1 || !r.singleOnly }

var (
	putArgs   = []string{"--key-size", "8", "--val-size", "256", "--sequential-keys", "--key-space-size", "1000000"}
	rangeArgs = []string{"--key-size", "8", "--val-size", "256", "--key-space-size", "1000", "--prefill", "1000"}
)

func withArgs(base []string, more ...string) []string {
	return append(append([]string(nil), base...), more...)
}

// restartKeys is the number of keys of the restart row (--restart-keys), 32-byte keys and
// 32-byte values written by Txns of restartTxnOps puts.
const (
	restartTxnOps = 100
	restartPrefix = "bench/restart/"
)

// restartRow is the restart row for the given number of keys.
func restartRow(keys int) rowSpec {
	txns := (keys + restartTxnOps - 1) / restartTxnOps
	return rowSpec{
		id: "restart", label: fmt.Sprintf("restart: load %s keys (txns of %d puts), restart", commas(txns*restartTxnOps), restartTxnOps), op: "txn-put",
		conns: 10, clients: 100, total: txns, unit: "txn",
		args: []string{"--txn-ops", strconv.Itoa(restartTxnOps), "--key-size", "32", "--val-size", "32",
			"--sequential-keys", "--key-space-size", strconv.Itoa(txns * restartTxnOps), "--key-prefix", restartPrefix},
		singleOnly: true, restart: true, timeout: 3 * time.Minute,
	}
}

func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func row(id, label, op string, conns, clients, total, quickTotal int, unit string, args []string) rowSpec {
	return rowSpec{id: id, label: label, op: op, conns: conns, clients: clients, total: total,
		quickTotal: quickTotal, unit: unit, args: args}
}

// The standard matrix (issues 3-7), in the order it runs on each topology. The idle-watcher
// row goes first, on freshly started servers, so that the memory its watchers take is not
// hidden in heap that earlier rows grew and freed; the restart row goes last (it leaves a
// million keys behind). restartRow is replaced when --restart-keys is given.
var matrixRows = []rowSpec{
	row("watch-idle", "idle watchers on 100 streams", "watch-idle", 10, 100, 10000, 10000, "watch",
		[]string{"--settle", "1s"}).single().memoryPerOp("server memory per idle watcher"),
	row("put-1x1", "put 1×1", "put", 1, 1, 2000, 1000, "put", putArgs),
	row("put-10x100", "put 10×100", "put", 10, 100, 20000, 8000, "put", putArgs),
	row("put-50x500", "put 50×500", "put", 50, 500, 50000, 15000, "put", putArgs),
	row("put-100x1000", "put 100×1000", "put", 100, 1000, 100000, 20000, "put", putArgs),
	row("range-l", "range linearizable 10×100", "range", 10, 100, 20000, 8000, "get", withArgs(rangeArgs, "--consistency", "l")),
	row("range-s", "range serializable 10×100", "range", 10, 100, 20000, 8000, "get", withArgs(rangeArgs, "--consistency", "s")),
	row("txn-put", "txn of 4 puts 10×100", "txn-put", 10, 100, 20000, 6000, "txn", withArgs(putArgs, "--txn-ops", "4")),
	row("watch-latency", "watch latency 1 watcher", "watch-latency", 1, 1, 500, 300, "event", []string{"--val-size", "256"}),
	row("watch-fanout", "watch fan-out 10×100 watchers", "watch-fanout", 10, 100, 20000, 10000, "event", []string{"--val-size", "256"}),
	row("watch-fanout-1k", "watch fan-out 1,000 watchers on 100 streams", "watch-latency", 10, 1000, 200000, 50000, "event",
		[]string{"--val-size", "256", "--streams", "100"}),
	row("lease-ka-stream-1", "lease keep-alive stream 1×1 (one stream)", "lease-keepalive", 1, 1, 20000, 8000, "keep-alive", []string{"--mode", "stream"}),
	row("lease-ka-stream", "lease keep-alive stream 10×100", "lease-keepalive", 10, 100, 20000, 8000, "keep-alive", []string{"--mode", "stream"}),
	row("lease-ka-once", "lease keep-alive once 10×100", "lease-keepalive", 10, 100, 20000, 8000, "keep-alive", []string{"--mode", "once"}),
	row("lease-expiry", "lease expiry, all at once", "lease-expiry", 10, 100, 10000, 2000, "lease", []string{"--ttl", "5"}),
	restartRow(1000000),
}

// measurement is one (topology, row, server) cell.
type measurement struct {
	Row         string  `json:"row"`
	Label       string  `json:"label"`
	Unit        string  `json:"unit"`
	Nodes       int     `json:"nodes"`
	Server      string  `json:"server"`
	Args        string  `json:"args"`
	Result      *result `json:"result,omitempty"`
	NA          string  `json:"na,omitempty"` // why there is no figure at all
	NAShort     string  `json:"na_short,omitempty"`
	StartFailed bool    `json:"start_failed,omitempty"`
	CPUSeconds  float64 `json:"server_cpu_seconds"`
	CPUUsPerOp  float64 `json:"server_cpu_us_per_op"`
	CPUValid    bool    `json:"cpu_valid"`
	RSSMiB      float64 `json:"server_rss_mib"`
	PeakMiB     float64 `json:"server_peak_rss_mib"`
	Note        string  `json:"note,omitempty"`
	ClientTail  string  `json:"client_stderr_tail,omitempty"`
	// Extra: the load generator's extra figures plus the driver's (memory per op, restart).
	Extra        []figure `json:"extra,omitempty"`
	RSSBeforeMiB float64  `json:"server_rss_before_mib,omitempty"`
}

type runInfo struct {
	Mode        string         `json:"mode"`
	Started     time.Time      `json:"started"`
	Finished    time.Time      `json:"finished"`
	Machine     machineInfo    `json:"machine"`
	Servers     []serverInfo   `json:"servers"`
	RowTimeout  string         `json:"row_timeout"`
	Results     []*measurement `json:"results"`
	StartErrors []string       `json:"start_errors,omitempty"`
	ClusterLogs []string       `json:"cluster_notes,omitempty"`
	IdleCPU     []string       `json:"idle_cpu,omitempty"`
	LogDir      string         `json:"log_dir"`
}

type serverInfo struct {
	Name    string `json:"name"`
	Bin     string `json:"bin"`
	Version string `json:"version"`
}

func matrixMain(args []string) int {
	// Pdeathsig is per OS thread: every process is started from this goroutine, kept on one
	// thread, so the servers die with the driver even if it is killed with SIGKILL.
	runtime.LockOSThread()

	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	mode := fs.String("mode", "quick", "quick (make bench-quick) or full (make bench)")
	swiftBin := fs.String("swift-etcd-bin", os.Getenv("SWIFT_ETCD_BIN"), "swift-etcd binary (release build)")
	etcdBin := fs.String("etcd-bin", envOr("ETCD_BIN", "/usr/bin/etcd"), "etcd binary")
	out := fs.String("out", "", "markdown file whose generated section is replaced (empty: none)")
	workDir := fs.String("work-dir", ".build-bench", "logs and results go here")
	rowsFlag := fs.String("rows", "", "comma-separated row ids to run (default: all of the mode's rows)")
	defNodes := "1"
	if os.Getenv("BENCH_CLUSTER") == "1" {
		defNodes = "1,3"
	}
	nodesFlag := fs.String("nodes", defNodes, "topologies: comma-separated member counts (default 1; 1,3 with BENCH_CLUSTER=1)")
	serversFlag := fs.String("servers", envOr("BENCH_TARGETS", "swift-etcd,etcd"), "servers to run (default $BENCH_TARGETS, else both)")
	restartKeys := fs.Int("restart-keys", 1000000, "keys loaded before the restart row's restart")
	rowTimeout := fs.Duration("row-timeout", 0, "time limit of one row on one server (default 60s full, 30s quick)")
	perf := fs.Bool("perf", false, "record `perf record --call-graph dwarf` of the servers during each row into <work-dir>/perf/ (slows the servers a little)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *mode != "quick" && *mode != "full" {
		fmt.Fprintln(os.Stderr, "matrix: --mode must be quick or full")
		return 2
	}
	if *rowTimeout == 0 {
		*rowTimeout = map[string]time.Duration{"quick": 30 * time.Second, "full": 60 * time.Second}[*mode]
	}
	if *restartKeys < restartTxnOps {
		fmt.Fprintf(os.Stderr, "matrix: --restart-keys must be at least %d\n", restartTxnOps)
		return 2
	}
	allRows := make([]rowSpec, len(matrixRows))
	for i, r := range matrixRows {
		if r.restart {
			r = restartRow(*restartKeys)
		}
		allRows[i] = r
	}
	var servers []serverSpec
	for _, s := range strings.Split(*serversFlag, ",") {
		switch strings.TrimSpace(s) {
		case "swift-etcd":
			servers = append(servers, serverSpec{"swift-etcd", *swiftBin})
		case "etcd":
			servers = append(servers, serverSpec{"etcd", *etcdBin})
		default:
			fmt.Fprintf(os.Stderr, "matrix: unknown server %q\n", s)
			return 2
		}
	}
	for i, s := range servers {
		if s.bin == "" {
			fmt.Fprintf(os.Stderr, "matrix: no %s binary (--%s-bin)\n", s.name, s.name)
			return 2
		}
		abs, err := filepath.Abs(s.bin)
		if err == nil {
			servers[i].bin = abs
		}
		if st, err := os.Stat(servers[i].bin); err != nil || st.IsDir() {
			fmt.Fprintf(os.Stderr, "matrix: %s binary %s: not found\n", s.name, s.bin)
			return 2
		}
	}
	var topologies []int
	for _, n := range strings.Split(*nodesFlag, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || v < 1 || v > 7 {
			fmt.Fprintf(os.Stderr, "matrix: bad --nodes %q\n", *nodesFlag)
			return 2
		}
		topologies = append(topologies, v)
	}
	var rows []rowSpec
	for _, r := range allRows {
		if *mode == "full" || r.quickTotal > 0 {
			rows = append(rows, r)
		}
	}
	if *rowsFlag != "" {
		rows = nil
		for _, id := range strings.Split(*rowsFlag, ",") {
			found := false
			for _, r := range allRows {
				if r.id == strings.TrimSpace(id) {
					rows, found = append(rows, r), true
				}
			}
			if !found {
				fmt.Fprintf(os.Stderr, "matrix: unknown row %q\n", id)
				return 2
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		return 2
	}

	// Directories: logs and results under --work-dir (kept), data dirs in a temp dir on disk.
	logDir, _ := filepath.Abs(filepath.Join(*workDir, "logs-"+*mode))
	os.RemoveAll(logDir)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		return 2
	}
	dataRoot, tmpNote, err := makeDataRoot(*workDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		return 2
	}
	var cleanupOnce sync.Once
	cleanup := func() {
		cleanupOnce.Do(func() {
			stopAllProcesses()
			os.RemoveAll(dataRoot)
		})
	}
	defer cleanup()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigc
		fmt.Fprintf(os.Stderr, "\nmatrix: got %v: stopping the servers and removing %s\n", s, dataRoot)
		cleanup()
		os.Exit(130)
	}()

	info := &runInfo{Mode: *mode, Started: time.Now(), RowTimeout: rowTimeout.String(), LogDir: logDir}
	info.Machine = describeMachine(dataRoot)
	if tmpNote != "" {
		info.Machine.Disk += " (" + tmpNote + ")"
	}
	for _, s := range servers {
		info.Servers = append(info.Servers, serverInfo{s.name, s.bin, serverVersion(s.bin)})
	}
	fmt.Fprintf(os.Stderr, "matrix: mode=%s rows=%d topologies=%v servers=%d; data in %s, logs in %s\n",
		*mode, len(rows), topologies, len(servers), dataRoot, logDir)

	perfDir := ""
	if *perf {
		perfDir, _ = filepath.Abs(filepath.Join(*workDir, "perf"))
		if err := os.MkdirAll(perfDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "matrix:", err)
			return 2
		}
	}
	totalRuns := 0
	for _, n := range topologies {
		for _, r := range rows {
			if r.runsOn(n) {
				totalRuns += len(servers)
			}
		}
	}
	run := 0
	for _, n := range topologies {
		clusters := make([]*cluster, len(servers))
		for i, s := range servers {
			c := &cluster{server: s, size: n, dataRoot: dataRoot, logDir: logDir}
			clusters[i] = c
			progress(info.Started, run, totalRuns, fmt.Sprintf("starting %s", c.label()))
			if err := c.start(); err != nil {
				c.startErr = err.Error()
				info.StartErrors = append(info.StartErrors, fmt.Sprintf("%s: %s", c.label(), c.startErr))
				fmt.Fprintf(os.Stderr, "failed: %s\n", c.startErr)
			} else {
				fmt.Fprintf(os.Stderr, "up: %s\n", strings.Join(c.endpoints(), ","))
			}
		}
		info.IdleCPU = append(info.IdleCPU, idleCPU(clusters, time.Second)...)
		ri := -1
		for _, row := range rows {
			if !row.runsOn(n) {
				continue
			}
			ri++
			order := make([]*cluster, len(clusters))
			copy(order, clusters)
			if ri%2 == 1 { // alternate which server goes first
				for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
					order[i], order[j] = order[j], order[i]
				}
			}
			for _, c := range order {
				run++
				progress(info.Started, run, totalRuns, fmt.Sprintf("%d-node %-44s %-10s", n, row.label, c.server.name))
				limit := *rowTimeout
				if row.timeout > limit {
					limit = row.timeout
				}
				m := runRow(c, row, *mode, limit, self, perfDir)
				fmt.Fprintln(os.Stderr, shortSummary(m))
				if row.restart && m.NA == "" {
					progress(info.Started, run, totalRuns, fmt.Sprintf("%d-node %-44s %-10s", n, "(SIGTERM, start again)", c.server.name))
					restartCluster(c, m, limit)
					fmt.Fprintln(os.Stderr, restartSummary(m))
				}
				info.Results = append(info.Results, m)
			}
		}
		for _, c := range clusters {
			c.stop()
			info.ClusterLogs = append(info.ClusterLogs, c.notes...)
		}
	}
	info.Finished = time.Now()
	info.Machine.LoadEnd = loadAvg()
	cleanup()

	md := renderMarkdown(info, rows, topologies)
	fmt.Println()
	fmt.Println(md)
	if js, err := json.MarshalIndent(info, "", "  "); err == nil {
		p := filepath.Join(*workDir, "results-"+*mode+".json")
		if err := ioutil.WriteFile(p, js, 0o644); err == nil {
			fmt.Fprintf(os.Stderr, "matrix: raw results in %s\n", p)
		}
	}
	if *out != "" {
		if err := updateDoc(*out, *mode, md); err != nil {
			fmt.Fprintf(os.Stderr, "matrix: cannot update %s: %v\n", *out, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "matrix: wrote the %s section of %s (%s)\n", *mode, *out,
			time.Since(info.Started).Round(time.Second))
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// makeDataRoot makes the temp dir for data dirs: $BENCH_TMPDIR or $TMPDIR (or /tmp), unless
// that is a tmpfs (memory, not disk), then under the work dir.
func makeDataRoot(workDir string) (string, string, error) {
	parent, note := os.Getenv("BENCH_TMPDIR"), ""
	if parent == "" {
		parent = os.TempDir()
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(parent, &st); err == nil && st.Type == 0x01021994 { // TMPFS_MAGIC
		note = parent + " is tmpfs; data dirs under " + workDir + " instead"
		parent = workDir
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", "", err
	}
	dir, err := ioutil.TempDir(parent, "swift-etcd-bench-")
	return dir, note, err
}

func progress(start time.Time, run, total int, what string) {
	el := time.Since(start).Round(time.Second)
	fmt.Fprintf(os.Stderr, "[%2d/%d %5s] %s ", run, total, fmtDur(el), what)
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func shortSummary(m *measurement) string {
	if m.NA != "" {
		return "n/a: " + shorten(m.NA, 150)
	}
	r := m.Result
	s := fmt.Sprintf("%8.0f/s p50 %6.2f ms p99 %7.2f ms", r.QPS, r.P50, r.P99)
	if m.CPUValid {
		s += fmt.Sprintf("  cpu %6.1f µs/%s", m.CPUUsPerOp, m.Unit)
	}
	if r.Errors > 0 {
		s += fmt.Sprintf("  %d ERRORS (%s)", r.Errors, topError(r))
	}
	if m.Note != "" {
		s += "  [" + m.Note + "]"
	}
	return s
}

func topError(r *result) string {
	if len(r.ErrorKinds) == 0 {
		return ""
	}
	k := r.ErrorKinds[0]
	return k.Code + ": " + k.Message
}

// idleCPU samples each cluster's CPU use over the same quiet interval.
func idleCPU(clusters []*cluster, d time.Duration) []string {
	before := make([][]procSample, len(clusters))
	for i, c := range clusters {
		if c.startErr == "" {
			before[i] = sampleCluster(c)
		}
	}
	time.Sleep(d)
	var out []string
	for i, c := range clusters {
		if c.startErr != "" {
			continue
		}
		after := sampleCluster(c)
		var cpu time.Duration
		var rss int64
		for j := range after {
			cpu += cpuDelta(before[i][j], after[j])
			rss += after[j].rssKB
		}
		out = append(out, fmt.Sprintf("%s: started (empty data dir) in %.2f s, %.1f ms CPU per second idle, RSS %.1f MiB after start",
			c.label(), c.startTook.Seconds(), float64(cpu)/float64(d)*1000, float64(rss)/1024))
	}
	return out
}

func sampleCluster(c *cluster) []procSample {
	s := make([]procSample, len(c.members))
	for i, m := range c.members {
		s[i] = sampleProc(m.pid())
	}
	return s
}

// runRow runs one row on one cluster in a load-generator process.
func runRow(c *cluster, row rowSpec, mode string, rowTimeout time.Duration, self, perfDir string) *measurement {
	total := row.total
	if mode == "quick" && row.quickTotal > 0 {
		total = row.quickTotal
	}
	m := &measurement{Row: row.id, Label: row.label, Unit: row.unit, Nodes: c.size, Server: c.server.name}
	args := []string{row.op, "--conns", strconv.Itoa(row.conns), "--clients", strconv.Itoa(row.clients),
		"--total", strconv.Itoa(total)}
	args = append(args, row.args...)
	m.Args = strings.Join(args, " ")

	if c.startErr != "" {
		m.NA = "did not start: " + c.startErr
		m.NAShort = "did not start (see below)"
		m.StartFailed = true
		return m
	}
	if dead := c.deadMember(); dead != nil {
		note := fmt.Sprintf("%s: %s before %s; restarted with fresh data dirs", c.label(), dead.exitReason(), row.label)
		c.stop()
		if err := c.start(); err != nil {
			c.startErr = "restart failed: " + err.Error()
			note += " — " + c.startErr
			c.notes = append(c.notes, note)
			m.NA = "server down: " + c.startErr
			m.NAShort = "server down (see below)"
			m.StartFailed = true
			return m
		}
		c.notes = append(c.notes, note)
		m.Note = "server restarted before this row"
	}

	args = append(args, "--endpoints", strings.Join(c.endpoints(), ","),
		"--timeout", rowTimeout.String(), "--op-timeout", "10s", "--sync")
	cmd := exec.Command(self, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err1 := cmd.StdinPipe()
	stderr, err2 := cmd.StderrPipe()
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err1 != nil || err2 != nil {
		m.NA = fmt.Sprintf("load generator: %v %v", err1, err2)
		return m
	}
	if err := cmd.Start(); err != nil {
		m.NA = "load generator: " + err.Error()
		return m
	}
	setLoadProcess(cmd)
	defer setLoadProcess(nil)
	// Hard limit: set-up, the row's own limit, the last requests' timeout, teardown.
	killer := time.AfterFunc(2*rowTimeout+30*time.Second, func() { _ = cmd.Process.Kill() })
	defer killer.Stop()

	var before, after []procSample
	var tail []string
	var stopPerf func()
	defer func() {
		if stopPerf != nil {
			stopPerf()
		}
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			switch line {
			case "BENCH-READY":
				if perfDir != "" {
					var pids []int
					for _, mb := range c.members {
						pids = append(pids, mb.pid())
					}
					out := filepath.Join(perfDir, fmt.Sprintf("%dnode-%s-%s.data", c.size, row.id, c.server.name))
					if stop, err := startPerf(pids, out); err == nil {
						stopPerf = stop
					} else {
						tail = append(tail, "perf: "+err.Error())
					}
				}
				for _, mb := range c.members {
					resetPeak(mb.pid())
				}
				before = sampleCluster(c)
				io.WriteString(stdin, "\n")
			case "BENCH-DONE":
				after = sampleCluster(c)
				if stopPerf != nil {
					stopPerf()
					stopPerf = nil
				}
				io.WriteString(stdin, "\n")
			default:
				tail = append(tail, line)
				if len(tail) > 10 {
					tail = tail[1:]
				}
			}
		}
	}()
	wg.Wait()
	waitErr := cmd.Wait()
	stdin.Close()
	m.ClientTail = strings.Join(tail, "\n")

	var res result
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.Op == "" {
		m.NA = fmt.Sprintf("load generator failed (%v)", waitErr)
		if len(tail) > 0 {
			m.NA += ": " + tail[len(tail)-1]
		}
	} else {
		m.Result = &res
		if res.OK == 0 {
			m.NA = "every request failed: " + topError(&res)
			m.NAShort = shorten(topError(&res), 110)
		}
	}
	if before != nil && after != nil {
		var cpu time.Duration
		valid := true
		for i := range after {
			if !before[i].ok || !after[i].ok {
				valid = false
				continue
			}
			cpu += cpuDelta(before[i], after[i])
			m.RSSMiB += float64(after[i].rssKB) / 1024
			m.PeakMiB += float64(after[i].hwmKB) / 1024
		}
		m.CPUSeconds = cpu.Seconds()
		if valid && m.Result != nil && m.Result.OK > 0 {
			m.CPUValid = true
			m.CPUUsPerOp = cpu.Seconds() * 1e6 / float64(m.Result.OK)
		}
		var rssBefore int64
		for i := range before {
			rssBefore += before[i].rssKB
		}
		m.RSSBeforeMiB = float64(rssBefore) / 1024
		if row.memPerOp != "" && valid && m.Result != nil && m.Result.OK > 0 {
			m.Extra = append(m.Extra,
				figure{Name: row.memPerOp, Value: (m.RSSMiB - m.RSSBeforeMiB) * 1024 * 1024 / float64(m.Result.OK), Unit: "B", Lower: true},
				figure{Name: "server RSS before → after", Value: m.RSSMiB, Unit: "MiB", Lower: true,
					Text: fmt.Sprintf("%.1f → %.1f", m.RSSBeforeMiB, m.RSSMiB)})
		}
	}
	if m.Result != nil {
		m.Extra = append(m.Result.Extra, m.Extra...)
	}
	if dead := c.deadMember(); dead != nil {
		note := dead.exitReason() + " during this row"
		if m.Note != "" {
			m.Note += "; "
		}
		m.Note += note
		c.notes = append(c.notes, fmt.Sprintf("%s: %s during %s", c.label(), dead.exitReason(), row.label))
	}
	return m
}
