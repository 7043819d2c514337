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
)

type serverSpec struct {
	name string // "swift-etcd" or "etcd"
	bin  string
}

type member struct {
	name      string
	clientURL string
	peerURL   string
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
		if !m.hasExited() {
			_ = m.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-m.exited:
			case <-time.After(5 * time.Second):
				_ = m.cmd.Process.Kill()
				<-m.exited
			}
		}
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
	notes      []string // crashes and restarts, for the report
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

// freePorts returns n distinct free TCP ports on 127.0.0.1 (all listeners are held until
// every port is chosen, so none repeats).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func cleanEnv(env []string, prefix string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// start launches every member with fresh data dirs and waits until each answers a
// linearizable Get. On failure every member is stopped and the error says why.
func (c *cluster) start() error {
	c.generation++
	ports, err := freePorts(2 * c.size)
	if err != nil {
		return err
	}
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
		args := []string{
			"--name", m.name,
			"--data-dir", filepath.Join(dataDir, m.name),
			"--listen-client-urls", m.clientURL,
			"--advertise-client-urls", m.clientURL,
			"--listen-peer-urls", m.peerURL,
			"--initial-advertise-peer-urls", m.peerURL,
			"--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-token", token,
			"--initial-cluster-state", "new",
		}
		suffix := ""
		if c.generation > 1 {
			suffix = fmt.Sprintf("-gen%d", c.generation)
		}
		m.logPath = filepath.Join(c.logDir, fmt.Sprintf("%s-%dnode-%s%s.log", c.server.name, c.size, m.name, suffix))
		if m.logFile, err = os.Create(m.logPath); err != nil {
			c.stop()
			return err
		}
		fmt.Fprintf(m.logFile, "# %s %s\n", c.server.bin, strings.Join(args, " "))
		m.cmd = exec.Command(c.server.bin, args...)
		m.cmd.Stdout, m.cmd.Stderr = m.logFile, m.logFile
		m.cmd.Env = cleanEnv(os.Environ(), "ETCD_")
		m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := m.cmd.Start(); err != nil {
			m.logFile.Close()
			m.cmd = nil
			c.stop()
			return fmt.Errorf("%s: %v", m.name, err)
		}
		registerProcess(m)
		go func(m *member) {
			m.waitErr = m.cmd.Wait()
			close(m.exited)
		}(m)
	}
	if err := c.waitReady(30 * time.Second); err != nil {
		c.stop()
		return err
	}
	c.everUp = true
	return nil
}

func (c *cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	ready := make([]bool, len(c.members))
	var lastErr error
	for time.Now().Before(deadline) {
		all := true
		for i, m := range c.members {
			if m.hasExited() {
				// Let the other members' exit be logged too, then report the first.
				time.Sleep(200 * time.Millisecond)
				return errors.New(m.exitReason())
			}
			if ready[i] {
				continue
			}
			if err := probe(m.clientURL); err != nil {
				lastErr = fmt.Errorf("%s: %v", m.name, err)
				all = false
			} else {
				ready[i] = true
			}
		}
		if all {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v", limit, lastErr)
}

func probe(url string) error {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{url},
		DialTimeout: time.Second,
		DialOptions: []grpc.DialOption{grpc.WithBlock()},
		LogConfig:   quietLog(),
	})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = cli.Get(ctx, "bench-ready-probe")
	return err
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
