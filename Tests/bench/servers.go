package main

// Server processes: start a single member or a 3-member cluster of swift-etcd or etcd on
// 127.0.0.1 with etcd's usual flags, wait until every member answers a linearizable read,
// read their CPU and memory from /proc, stop them. Only processes started here are signalled,
// by PID.

import (
	"context"
	"errors"
	"fmt"
	"io/ioutil"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
	"google.golang.org/grpc"
	"swiftetcd/testserver"
)

type serverSpec struct {
	name string // "swift-etcd" or "etcd"
	bin  string
}

type member struct {
	name      string
	clientURL string
	peerURL   string
	args      []string // the server's flags, for a restart on the same data dir
	dataDir   string
	cmd       *exec.Cmd
	logPath   string
	logFile   *os.File
	exited    chan struct{}
	waitErr   error
	stopOnce  sync.Once
}

func (m *member) pid() int { return m.cmd.Process.Pid }

func (m *member) hasExited() bool {
	select {
	case <-m.exited:
		return true
	default:
		return false
	}
}

// exitReason is how the member ended and the last lines of its log that say why.
func (m *member) exitReason() string {
	reason := fmt.Sprintf("%s exited (%v)", m.name, m.waitErr)
	if tail := lastLogLines(m.logPath, 2); tail != "" {
		reason += ": " + tail
	}
	return reason
}

func (m *member) stop() {
	m.stopOnce.Do(func() {
		testserver.Stop(m.cmd.Process, m.exited, 5*time.Second)
		m.logFile.Close()
	})
}

type cluster struct {
	server     serverSpec
	size       int
	dataRoot   string // data dirs go under here (removed at the end)
	logDir     string // logs are kept here
	members    []*member
	generation int
	startErr   string // start failed: the reason; never retried with the same flags
	everUp     bool
	notes      []string      // crashes and restarts, for the report
	startTook  time.Duration // from the start of the processes until every member answered
}

func (c *cluster) label() string { return fmt.Sprintf("%s %d-node", c.server.name, c.size) }

func (c *cluster) endpoints() []string {
	eps := make([]string, len(c.members))
	for i, m := range c.members {
		eps[i] = strings.TrimPrefix(m.clientURL, "http://")
	}
	return eps
}

// deadMember is the first member that has exited, if any.
func (c *cluster) deadMember() *member {
	for _, m := range c.members {
		if m.hasExited() {
			return m
		}
	}
	return nil
}

// start launches every member with fresh data dirs and waits until each answers a
// linearizable Get. On failure every member is stopped and the error says why.
func (c *cluster) start() error {
	c.generation++
	ports, err := testserver.FreePorts(2 * c.size)
	if err != nil {
		return err
	}
	t0 := time.Now()
	c.members = nil
	var initial []string
	for i := 0; i < c.size; i++ {
		m := &member{
			name:      fmt.Sprintf("m%d", i+1),
			clientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]),
			peerURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]),
			exited:    make(chan struct{}),
		}
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peerURL)
	}
	token := fmt.Sprintf("bench-%s-%d", c.server.name, c.size)
	dataDir := filepath.Join(c.dataRoot, fmt.Sprintf("%s-%dnode-gen%d", c.server.name, c.size, c.generation))
	for _, m := range c.members {
		m.dataDir = filepath.Join(dataDir, m.name)
		args := append(testserver.MemberFlags(m.name, m.dataDir, m.clientURL, m.peerURL, strings.Join(initial, ",")),
			"--initial-cluster-token", token,
			"--initial-cluster-state", "new",
		)
		suffix := ""
		if c.generation > 1 {
			suffix = fmt.Sprintf("-gen%d", c.generation)
		}
		m.logPath = filepath.Join(c.logDir, fmt.Sprintf("%s-%dnode-%s%s.log", c.server.name, c.size, m.name, suffix))
		m.args = args
		if err := m.spawn(c.server.bin); err != nil {
			c.stop()
			return err
		}
	}
	if err := c.waitReady(30 * time.Second); err != nil {
		c.stop()
		return err
	}
	c.startTook = time.Since(t0)
	c.everUp = true
	return nil
}

// spawn starts the member's process with m.args, its output going to m.logPath.
func (m *member) spawn(bin string) error {
	var err error
	if m.logFile, err = os.Create(m.logPath); err != nil {
		return err
	}
	fmt.Fprintf(m.logFile, "# %s %s\n", bin, strings.Join(m.args, " "))
	m.cmd = testserver.Command(bin, m.args, m.logFile)
	if err := testserver.Start(m.cmd); err != nil {
		m.logFile.Close()
		m.cmd = nil
		return fmt.Errorf("%s: %v", m.name, err)
	}
	registerProcess(m)
	go func(m *member) {
		m.waitErr = m.cmd.Wait()
		close(m.exited)
	}(m)
	return nil
}

// waitReady waits until every member has answered a linearizable Get (see waitLinearizable).
func (c *cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, m := range c.members {
		if err := waitLinearizable(m, deadline, c.members); err != nil {
			for _, o := range c.members {
				if o.hasExited() {
					// Let the other members' exit be logged too, then report the first.
					time.Sleep(200 * time.Millisecond)
					return errors.New(o.exitReason())
				}
			}
			return err
		}
	}
	return nil
}

func (c *cluster) stop() {
	var wg sync.WaitGroup
	for _, m := range c.members {
		if m.cmd == nil {
			continue
		}
		wg.Add(1)
		go func(m *member) {
			defer wg.Done()
			m.stop()
		}(m)
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// Every server process started, so an interrupt can stop them all (by PID).

var procs struct {
	sync.Mutex
	members []*member
	load    *exec.Cmd
}

func registerProcess(m *member) {
	procs.Lock()
	procs.members = append(procs.members, m)
	procs.Unlock()
}

func setLoadProcess(cmd *exec.Cmd) {
	procs.Lock()
	procs.load = cmd
	procs.Unlock()
}

func stopAllProcesses() {
	procs.Lock()
	members, load := procs.members, procs.load
	procs.Unlock()
	if load != nil && load.Process != nil {
		_ = load.Process.Kill()
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func(m *member) {
			defer wg.Done()
			m.stop()
		}(m)
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// /proc

const clockTicksPerSec = 100 // USER_HZ, 100 on every Linux architecture we run on

type procSample struct {
	ok     bool
	cpuNs  int64 // sum of the threads' run time (schedstat), ns
	statNs int64 // utime+stime from /proc/PID/stat (includes exited threads), ns
	rssKB  int64
	hwmKB  int64 // peak RSS since start or the last resetPeak
}

func sampleProc(pid int) procSample {
	var s procSample
	data, err := ioutil.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s
	}
	str := string(data)
	i := strings.LastIndexByte(str, ')')
	if i < 0 {
		return s
	}
	f := strings.Fields(str[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return s
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.statNs = (ut + st) * (1e9 / clockTicksPerSec)
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	for _, t := range tasks {
		if d, err := ioutil.ReadFile(t); err == nil {
			if fs := strings.Fields(string(d)); len(fs) > 0 {
				v, _ := strconv.ParseInt(fs[0], 10, 64)
				s.cpuNs += v
			}
		}
	}
	if status, err := ioutil.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			fs := strings.Fields(line)
			if len(fs) < 2 {
				continue
			}
			v, _ := strconv.ParseInt(fs[1], 10, 64)
			switch fs[0] {
			case "VmRSS:":
				s.rssKB = v
			case "VmHWM:":
				s.hwmKB = v
			}
		}
	}
	s.ok = true
	return s
}

// cpuDelta is the CPU time used between two samples. The per-thread counters are exact but
// lose threads that exited in between; /proc/PID/stat keeps those but has 10 ms steps. Take
// the exact figure unless threads were lost.
func cpuDelta(a, b procSample) time.Duration {
	sched := b.cpuNs - a.cpuNs
	stat := b.statNs - a.statNs
	if sched < 0 || stat > sched+int64(20*time.Millisecond) {
		return time.Duration(stat)
	}
	return time.Duration(sched)
}

// resetPeak makes VmHWM start again from the current RSS (clear_refs 5).
func resetPeak(pid int) {
	_ = ioutil.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func lastLogLines(path string, n int) string {
	data, err := ioutil.ReadFile(path)
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "# ") && !strings.HasPrefix(l, "Run 'swift-etcd --help'") {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := strings.Join(lines, " / ")
	if len(out) > 400 {
		out = out[:400] + "…"
	}
	return out
}

// ---------------------------------------------------------------------------
// The restart row: stop with SIGTERM, start again on the same data, time it.

const restartGrace = 60 * time.Second // SIGTERM → SIGKILL during the restart row

// restartCluster is the second half of the restart row, after its load: count the keys the
// load wrote, stop every member with SIGTERM (SIGKILL after restartGrace), start each again
// with the same flags on the same data dir, and time from the start of the processes until
// every member has answered a linearizable Get; then count the keys again. The figures go to
// m.Extra; anything that goes wrong goes to m.Note (listed under the tables). A cluster that
// does not come back is stopped, so the next row (if any) starts it afresh.
func restartCluster(c *cluster, m *measurement, limit time.Duration) {
	note := func(format string, a ...interface{}) {
		if m.Note != "" {
			m.Note += "; "
		}
		m.Note += fmt.Sprintf(format, a...)
	}
	fig := func(name string, v float64, unit string, lower bool) {
		m.Extra = append(m.Extra, figure{Name: name, Value: v, Unit: unit, Lower: lower})
	}
	if c.deadMember() != nil {
		note("restart not measured: %s", c.deadMember().exitReason())
		return
	}
	before, err := countKeys(c.members[0].clientURL, restartPrefix)
	if err != nil {
		note("restart not measured: counting the keys before the restart failed: %v", err)
		return
	}
	var size int64
	for _, mb := range c.members {
		size += dirSize(mb.dataDir)
	}
	fig("data dir size with the keys loaded", float64(size)/(1<<20), "MiB", true)

	// Stop.
	var slowest time.Duration
	for _, mb := range c.members {
		t0 := time.Now()
		if testserver.Stop(mb.cmd.Process, mb.exited, restartGrace) {
			note("%s did not exit within %v of SIGTERM; killed", mb.name, restartGrace)
		}
		if d := time.Since(t0); d > slowest {
			slowest = d
		}
		if mb.waitErr != nil && !terminatedBySIGTERM(mb.waitErr) {
			note("%s exit status after SIGTERM: %v", mb.name, mb.waitErr)
		}
		mb.stopOnce.Do(func() { mb.logFile.Close() })
	}
	fig("shutdown: SIGTERM → process exit", slowest.Seconds(), "s", true)

	// Start again: new member processes with the same flags, data dirs and ports.
	olds := c.members
	c.members = nil
	for _, old := range olds {
		mb := &member{name: old.name, clientURL: old.clientURL, peerURL: old.peerURL, args: old.args,
			dataDir: old.dataDir, exited: make(chan struct{}),
			logPath: strings.TrimSuffix(old.logPath, ".log") + "-restarted.log"}
		c.members = append(c.members, mb)
	}
	t0 := time.Now()
	for _, mb := range c.members {
		if err := mb.spawn(c.server.bin); err != nil {
			note("restart failed: %v", err)
			c.stop()
			return
		}
	}
	deadline := t0.Add(limit)
	for _, mb := range c.members {
		if err := waitLinearizable(mb, deadline, c.members); err != nil {
			note("restart failed: %v", err)
			c.stop()
			return
		}
	}
	took := time.Since(t0)
	fig("restart: start → linearizable Get answered", took.Seconds(), "s", true)
	var rss int64
	for _, mb := range c.members {
		rss += sampleProc(mb.pid()).rssKB
	}
	fig("server RSS right after the restart", float64(rss)/1024, "MiB", true)
	after, err := countKeys(c.members[0].clientURL, restartPrefix)
	switch {
	case err != nil:
		note("counting the keys after the restart failed: %v", err)
	case after != before:
		note("%d keys before the restart, %d after: KEYS LOST OR ADDED", before, after)
	}
}

// terminatedBySIGTERM: etcd cleans up on SIGTERM, then re-raises it; that is a clean exit.
func terminatedBySIGTERM(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled() && ws.Signal() == syscall.SIGTERM
		}
	}
	return false
}

func restartSummary(m *measurement) string {
	var parts []string
	for _, f := range m.Extra {
		if strings.HasPrefix(f.Name, "restart") || strings.HasPrefix(f.Name, "shutdown") {
			parts = append(parts, fmt.Sprintf("%s %.2f %s", f.Name, f.Value, f.Unit))
		}
	}
	s := strings.Join(parts, ", ")
	if m.Note != "" {
		s += "  [" + m.Note + "]"
	}
	return s
}

// countKeys counts the keys under prefix with a linearizable, count-only Range.
func countKeys(url, prefix string) (int64, error) {
	cli, err := testserver.NewClient([]string{url}, 5*time.Second, grpc.WithBlock())
	if err != nil {
		return 0, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	return r.Count, nil
}

// waitLinearizable polls the member until a linearizable Get succeeds: a TCP connect every
// 10 ms until the port accepts, then a client whose Gets are retried every 10 ms. grpc's
// reconnect backoff (1 s and up) would blur the figure, so the port is polled directly. It
// gives up as soon as any of the members in all has exited.
func waitLinearizable(mb *member, deadline time.Time, all []*member) error {
	host := strings.TrimPrefix(mb.clientURL, "http://")
	var lastErr error
	exited := func() *member {
		for _, o := range all {
			if o.hasExited() {
				return o
			}
		}
		return nil
	}
	for time.Now().Before(deadline) {
		if o := exited(); o != nil {
			return errors.New(o.exitReason())
		}
		conn, err := net.DialTimeout("tcp", host, 500*time.Millisecond)
		if err != nil {
			lastErr = err
			time.Sleep(10 * time.Millisecond)
			continue
		}
		conn.Close()
		cli, err := testserver.NewClient([]string{mb.clientURL}, 5*time.Second, grpc.WithBlock())
		if err != nil {
			lastErr = err
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for time.Now().Before(deadline) && exited() == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err = cli.Get(ctx, "bench-ready-probe")
			cancel()
			if err == nil {
				cli.Close()
				return nil
			}
			lastErr = err
			time.Sleep(10 * time.Millisecond)
		}
		cli.Close()
	}
	return fmt.Errorf("%s did not answer a linearizable Get in time: %v", mb.name, lastErr)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
