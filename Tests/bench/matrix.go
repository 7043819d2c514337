package main

// The driver: runs the standard matrix on a single member and on a 3-member cluster, against
// swift-etcd and etcd alternately (both are up during a topology; the order flips every row),
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
	quickTotal int // make bench-quick
	unit       string
	args       []string
}

var (
	putArgs   = []string{"--key-size", "8", "--val-size", "256", "--sequential-keys", "--key-space-size", "1000000"}
	rangeArgs = []string{"--key-size", "8", "--val-size", "256", "--key-space-size", "1000", "--prefill", "1000"}
)

func withArgs(base []string, more ...string) []string {
	return append(append([]string(nil), base...), more...)
}

// The standard matrix (issue 7), in the order it runs on each topology.
var matrixRows = []rowSpec{
	{"put-1x1", "put 1×1", "put", 1, 1, 2000, 1000, "put", putArgs},
	{"put-10x100", "put 10×100", "put", 10, 100, 20000, 8000, "put", putArgs},
	{"put-50x500", "put 50×500", "put", 50, 500, 50000, 15000, "put", putArgs},
	{"range-l", "range linearizable 10×100", "range", 10, 100, 20000, 8000, "get", withArgs(rangeArgs, "--consistency", "l")},
	{"range-s", "range serializable 10×100", "range", 10, 100, 20000, 8000, "get", withArgs(rangeArgs, "--consistency", "s")},
	{"txn-put", "txn of 4 puts 10×100", "txn-put", 10, 100, 20000, 6000, "txn", withArgs(putArgs, "--txn-ops", "4")},
	{"watch-latency", "watch latency 1 watcher", "watch-latency", 1, 1, 500, 300, "event", []string{"--val-size", "256"}},
	{"watch-fanout", "watch fan-out 10×100 watchers", "watch-fanout", 10, 100, 20000, 10000, "event", []string{"--val-size", "256"}},
	{"lease-ka-stream", "lease keep-alive stream 10×100", "lease-keepalive", 10, 100, 20000, 8000, "keep-alive", []string{"--mode", "stream"}},
	{"lease-ka-once", "lease keep-alive once 10×100", "lease-keepalive", 10, 100, 20000, 8000, "keep-alive", []string{"--mode", "once"}},
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
	rowsFlag := fs.String("rows", "", "comma-separated row ids to run (default: all)")
	nodesFlag := fs.String("nodes", "1,3", "topologies: comma-separated member counts")
	serversFlag := fs.String("servers", "swift-etcd,etcd", "servers to run")
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
	rows := matrixRows
	if *rowsFlag != "" {
		rows = nil
		for _, id := range strings.Split(*rowsFlag, ",") {
			found := false
			for _, r := range matrixRows {
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
	totalRuns := len(rows) * len(topologies) * len(servers)
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
		for ri, row := range rows {
			order := make([]*cluster, len(clusters))
			copy(order, clusters)
			if ri%2 == 1 { // alternate which server goes first
				for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
					order[i], order[j] = order[j], order[i]
				}
			}
			for _, c := range order {
				run++
				progress(info.Started, run, totalRuns, fmt.Sprintf("%d-node %-31s %-10s", n, row.label, c.server.name))
				m := runRow(c, row, *mode, *rowTimeout, self, perfDir)
				fmt.Fprintln(os.Stderr, shortSummary(m))
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
		out = append(out, fmt.Sprintf("%s: %.1f ms CPU per second idle, RSS %.1f MiB after start",
			c.label(), float64(cpu)/float64(d)*1000, float64(rss)/1024))
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
	if mode == "quick" {
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
