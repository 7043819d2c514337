// Package cluster holds failure tests on real 3-member clusters: member
// processes on 127.0.0.1, killed, stopped, restarted, added and removed while
// clients write and read. The same tests run against the real etcd 3.4
// (where they must pass) and against swift-etcd, with the same flags.
//
// Every test starts its own cluster (members m0, m1, m2; free ports; a
// cluster token of its own; heartbeat 100 ms, election timeout 1000 ms) and
// always kills its processes and removes their data dirs, even when it fails
// or panics. Each member's stdout+stderr goes to a file of its own (its tail
// is printed when the test fails) and, line by line with a "Test/mN| "
// prefix, to the run's combined server log.
//
// Environment (scripts/cluster-failure-test.sh sets the first three):
//
//	CLUSTER_TARGET      etcd (default: $ETCD_BIN or /usr/bin/etcd) or swift-etcd ($SWIFT_ETCD_BIN)
//	CLUSTER_TMPDIR      parent of the tests' temp dirs (data dirs and member logs)
//	CLUSTER_SERVER_LOG  the combined log of every member of every test (default: none)
//	ETCDCTL_BIN         etcdctl to exec (default /usr/bin/etcdctl)
//
// This file runs the member processes and holds the helpers; cluster_test.go
// has the tests.
package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"swiftetcd/testserver"
)

const (
	heartbeatMs  = 100
	electionMs   = 1000
	election     = electionMs * time.Millisecond
	startLimit   = 30 * time.Second // a new cluster until every member serves a linearizable read
	exitLimit    = 10 * time.Second // a signalled member until it has exited
	opTimeout    = 5 * time.Second  // one client request that should succeed
	logTailLines = 30               // per member, printed when a test fails
)

// Facts about the run, filled by TestMain.
var (
	target      string // "etcd" or "swift-etcd"
	serverBin   string
	etcdctlPath string
	tmpRoot     string // CLUSTER_TMPDIR ("" = the system's)
	combined    *lockedFile
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
		return 2
	}
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigc
		fmt.Fprintf(os.Stderr, "cluster: got %v, stopping the members\n", s)
		destroyAll()
		os.Exit(3)
	}()
	fmt.Printf("cluster: target=%s bin=%s etcdctl=%s\n", target, serverBin, etcdctlPath)
	code := m.Run()
	destroyAll() // normally nothing left: every test destroys its cluster
	if combined != nil {
		combined.close()
	}
	return code
}

func setup() error {
	var err error
	if target, serverBin, err = testserver.ServerBinary("CLUSTER"); err != nil {
		return err
	}
	if etcdctlPath, err = testserver.EtcdctlBinary(); err != nil {
		return err
	}
	tmpRoot = os.Getenv("CLUSTER_TMPDIR")
	if p := os.Getenv("CLUSTER_SERVER_LOG"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		combined = &lockedFile{f: f}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Processes

// Live clusters, for the signal handler and the end of the run.
var (
	liveMu sync.Mutex
	live   = map[*cluster]struct{}{}
)

func destroyAll() {
	liveMu.Lock()
	cs := make([]*cluster, 0, len(live))
	for c := range live {
		cs = append(cs, c)
	}
	liveMu.Unlock()
	for _, c := range cs {
		c.destroy(false)
	}
}

// lockedFile is the combined log: whole lines from many members.
type lockedFile struct {
	mu sync.Mutex
	f  *os.File
}

func (l *lockedFile) write(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Write(p)
	}
}

func (l *lockedFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// logSink is a member's stdout+stderr: everything to the member's own log
// file, and whole lines, prefixed, to the combined log.
type logSink struct {
	mu     sync.Mutex
	f      *os.File
	prefix string
	part   []byte // an unfinished line
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.f.Write(p)
	}
	if combined == nil {
		return len(p), nil
	}
	s.part = append(s.part, p...)
	var out bytes.Buffer
	for {
		i := bytes.IndexByte(s.part, '\n')
		if i < 0 {
			break
		}
		out.WriteString(s.prefix)
		out.Write(s.part[:i+1])
		s.part = s.part[i+1:]
	}
	if out.Len() > 0 {
		combined.write(out.Bytes())
	}
	if len(s.part) > 64<<10 { // a very long line without a newline: pass it on anyway
		combined.write(append([]byte(s.prefix), append(s.part, '\n')...))
		s.part = nil
	}
	return len(p), nil
}

func (s *logSink) note(format string, args ...interface{}) {
	s.Write([]byte(fmt.Sprintf("# cluster test: "+format+"\n", args...)))
}

func (s *logSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.part) > 0 && combined != nil {
		combined.write(append([]byte(s.prefix), append(s.part, '\n')...))
		s.part = nil
	}
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// member is one member process: its name, URLs and data dir stay the same
// across restarts.
type member struct {
	c         *cluster
	name      string
	clientURL string // http://127.0.0.1:<port>
	peerURL   string
	dataDir   string
	logPath   string
	log       *logSink
	args      []string // set by the first start, reused by restarts

	mu     sync.Mutex
	id     uint64 // raft member ID, once known
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
	state  *os.ProcessState
	werr   error
	starts int
}

func (m *member) String() string { return m.name }

// start starts the member; the first start of a member sets its flags:
// initialCluster (name=peerURL,...) and state ("new" or "existing").
// Restarts reuse them, on the same data dir.
func (m *member) start(initialCluster, state string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.c.destroyed() {
		return fmt.Errorf("cluster is being destroyed")
	}
	if m.cmd != nil {
		select {
		case <-m.exited:
		default:
			return fmt.Errorf("%s (pid %d) is still running", m.name, m.cmd.Process.Pid)
		}
	}
	if m.args == nil {
		m.args = append(testserver.MemberFlags(m.name, m.dataDir, m.clientURL, m.peerURL, initialCluster),
			"--initial-cluster-token", m.c.token,
			"--initial-cluster-state", state,
			"--heartbeat-interval", fmt.Sprint(heartbeatMs),
			"--election-timeout", fmt.Sprint(electionMs),
		)
		m.args = append(m.args, m.c.flags...)
	}
	m.starts++
	cmd := testserver.Command(serverBin, m.args, m.log)
	m.log.note("start %d: %s %s", m.starts, serverBin, strings.Join(m.args, " "))
	if err := testserver.Start(cmd); err != nil {
		return err
	}
	m.cmd = cmd
	exited := make(chan struct{})
	m.exited = exited
	m.state, m.werr = nil, nil
	go func() {
		err := cmd.Wait()
		m.mu.Lock()
		m.state, m.werr = cmd.ProcessState, err
		m.mu.Unlock()
		m.log.note("pid %d exited: %v", cmd.Process.Pid, describeExit(cmd.ProcessState, err))
		close(exited)
	}()
	return nil
}

func describeExit(st *os.ProcessState, err error) string {
	if st != nil {
		return st.String()
	}
	return fmt.Sprint(err)
}

// running reports whether the process last started has not exited.
func (m *member) running() bool {
	m.mu.Lock()
	ch := m.exited
	m.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

func (m *member) exitStatus() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return describeExit(m.state, m.werr)
}

// signal sends sig to the process this test started (by its pid; os.Process
// refuses to signal a pid it has already reaped) and waits until it has
// exited, at most exitLimit; then it is killed for good and an error
// returned. It reports whether the process was running.
func (m *member) signal(sig syscall.Signal) (bool, error) {
	m.mu.Lock()
	cmd, ch := m.cmd, m.exited
	m.mu.Unlock()
	if cmd == nil {
		return false, nil
	}
	select {
	case <-ch:
		return false, nil
	default:
	}
	m.log.note("sending %v to pid %d", sig, cmd.Process.Pid)
	if err := cmd.Process.Signal(sig); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			<-ch
			return false, nil
		}
		return true, err
	}
	select {
	case <-ch:
		return true, nil
	case <-time.After(exitLimit):
	}
	cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-ch:
	case <-time.After(exitLimit):
	}
	return true, fmt.Errorf("%s (pid %d) still running %v after %v", m.name, cmd.Process.Pid, exitLimit, sig)
}

// kill sends SIGKILL (a crash) and waits for the process to go.
func (m *member) kill(t *testing.T) {
	t.Helper()
	if ok, err := m.signal(syscall.SIGKILL); err != nil || !ok {
		t.Fatalf("SIGKILL %s: running=%v err=%v", m.name, ok, err)
	}
}

// stop sends SIGTERM (a clean stop) and waits for the process to go.
func (m *member) stop(t *testing.T) {
	t.Helper()
	if ok, err := m.signal(syscall.SIGTERM); err != nil || !ok {
		t.Fatalf("SIGTERM %s: running=%v err=%v", m.name, ok, err)
	}
	t.Logf("%s stopped by SIGTERM: %s", m.name, m.exitStatus())
}

func (m *member) restart(t *testing.T) {
	t.Helper()
	if err := m.start("", ""); err != nil {
		t.Fatalf("restart %s: %v", m.name, err)
	}
}

func (m *member) memberID() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.id
}

func (m *member) setID(id uint64) {
	m.mu.Lock()
	m.id = id
	m.mu.Unlock()
}

// logTail returns the last n lines of the member's log.
func (m *member) logTail(n int) string {
	lines, err := testserver.TailLines(m.logPath, n)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", m.logPath, err)
	}
	return fmt.Sprintf("----- last %d lines of the %s log of %s (%s) -----\n%s",
		len(lines), target, m.name, m.logPath, strings.Join(lines, "\n"))
}

// ---------------------------------------------------------------------------
// Clusters

type cluster struct {
	t       *testing.T
	token   string
	dir     string   // temp dir: data dirs and member logs
	flags   []string // extra flags for every member, added ones too
	members []*member

	mu      sync.Mutex
	clients []*clientv3.Client
	gone    bool
}

var tokenSeq struct {
	sync.Mutex
	n int
}

// newCluster starts a 3-member cluster for the test and waits until every
// member serves a linearizable read and knows the leader. Every member, and
// every member added later, gets the extra flags too. The cluster is
// destroyed when the test ends, whatever happens.
func newCluster(t *testing.T, flags ...string) *cluster {
	t.Helper()
	const n = 3
	dir, err := ioutil.TempDir(tmpRoot, "cluster-"+target+"-"+t.Name()+"-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	tokenSeq.Lock()
	tokenSeq.n++
	seq := tokenSeq.n
	tokenSeq.Unlock()
	c := &cluster{
		t:     t,
		dir:   dir,
		flags: flags,
		token: fmt.Sprintf("%s-%d-%d-%d", t.Name(), os.Getpid(), seq, time.Now().UnixNano()),
	}
	liveMu.Lock()
	live[c] = struct{}{}
	liveMu.Unlock()
	t.Cleanup(func() { c.destroy(t.Failed()) })

	var initial []string
	for i := 0; i < n; i++ {
		m, err := c.newMember(fmt.Sprintf("m%d", i))
		if err != nil {
			t.Fatalf("member m%d: %v", i, err)
		}
		initial = append(initial, m.name+"="+m.peerURL)
	}
	t0 := time.Now()
	for _, m := range c.members {
		if err := m.start(strings.Join(initial, ","), "new"); err != nil {
			t.Fatalf("start %s: %v", m.name, err)
		}
	}
	c.waitServing(t, c.members, startLimit)
	c.learnIDs(t)
	t.Logf("cluster of %d up in %v (token %s)", n, time.Since(t0).Round(time.Millisecond), c.token)
	return c
}

// newMember sets up a member (ports, data dir, log) without starting it.
func (c *cluster) newMember(name string) (*member, error) {
	ports, err := testserver.FreePorts(2)
	if err != nil {
		return nil, err
	}
	m := &member{
		c:         c,
		name:      name,
		clientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		peerURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		dataDir:   filepath.Join(c.dir, name+".etcd"),
		logPath:   filepath.Join(c.dir, name+".log"),
	}
	f, err := os.Create(m.logPath)
	if err != nil {
		return nil, err
	}
	m.log = &logSink{f: f, prefix: c.t.Name() + "/" + name + "| "}
	c.mu.Lock()
	c.members = append(c.members, m)
	c.mu.Unlock()
	return m, nil
}

func (c *cluster) destroyed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone
}

// destroy closes the clients, kills every member, prints the member logs'
// tails if the test failed and removes the temp dir.
func (c *cluster) destroy(failed bool) {
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		return
	}
	c.gone = true
	clients := c.clients
	c.clients = nil
	members := append([]*member(nil), c.members...)
	c.mu.Unlock()
	for _, cl := range clients {
		cl.Close()
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func(m *member) {
			defer wg.Done()
			m.signal(syscall.SIGKILL)
		}(m)
	}
	wg.Wait()
	if failed {
		var b strings.Builder
		for _, m := range members {
			b.WriteString(m.logTail(logTailLines))
			b.WriteString("\n")
		}
		b.WriteString("----- end of server log -----\n")
		fmt.Print(b.String())
	}
	for _, m := range members {
		m.log.close()
	}
	os.RemoveAll(c.dir)
	liveMu.Lock()
	delete(live, c)
	liveMu.Unlock()
}

// client returns a clientv3 client of the given members' endpoints (all
// of the cluster's when none given), closed when the cluster is destroyed.
func (c *cluster) client(t *testing.T, ms ...*member) *clientv3.Client {
	t.Helper()
	if len(ms) == 0 {
		ms = c.members
	}
	cli, err := testserver.NewClient(endpoints(ms), 2*time.Second)
	if err != nil {
		t.Fatalf("client of %v: %v", ms, err)
	}
	c.mu.Lock()
	c.clients = append(c.clients, cli)
	c.mu.Unlock()
	return cli
}

func endpoints(ms []*member) []string {
	eps := make([]string, len(ms))
	for i, m := range ms {
		eps[i] = m.clientURL
	}
	return eps
}

// waitServing waits until each of ms answers a linearizable Get and a
// Status naming a leader, at most limit.
func (c *cluster) waitServing(t *testing.T, ms []*member, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for _, m := range ms {
		cli := c.client(t, m)
		var lastErr error
		for {
			if !m.running() {
				t.Fatalf("%s exited before serving: %s", m.name, m.exitStatus())
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err := cli.Get(ctx, "cluster-ready-probe")
			if err == nil {
				var st *clientv3.StatusResponse
				st, err = cli.Status(ctx, m.clientURL)
				if err == nil && st.Leader == 0 {
					err = fmt.Errorf("status names no leader")
				}
			}
			cancel()
			if err == nil {
				break
			}
			lastErr = err
			if time.Now().After(deadline) {
				t.Fatalf("%s not serving after %v: %v", m.name, limit, lastErr)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// learnIDs sets every member's raft ID from MemberList (by name).
func (c *cluster) learnIDs(t *testing.T) {
	t.Helper()
	cli := c.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	resp, err := cli.MemberList(ctx)
	if err != nil {
		t.Fatalf("MemberList: %v", err)
	}
	for _, m := range c.members {
		for _, pm := range resp.Members {
			if pm.Name == m.name {
				m.setID(pm.ID)
			}
		}
		if m.memberID() == 0 && m.running() {
			t.Fatalf("MemberList has no member named %s: %v", m.name, resp.Members)
		}
	}
}

func (c *cluster) byID(id uint64) *member {
	for _, m := range c.members {
		if m.memberID() == id {
			return m
		}
	}
	return nil
}

// leader asks every member of ms for its Status (each at most 2 s) and
// returns the leader they all name, or an error if one does not answer,
// names no leader, or they disagree.
func (c *cluster) leader(ms []*member) (*member, error) {
	var lead uint64
	for _, m := range ms {
		st, err := status(m)
		if err != nil {
			return nil, fmt.Errorf("status of %s: %v", m.name, err)
		}
		if st.Leader == 0 {
			return nil, fmt.Errorf("%s names no leader", m.name)
		}
		if lead != 0 && st.Leader != lead {
			return nil, fmt.Errorf("%s names leader %x, another member %x", m.name, st.Leader, lead)
		}
		lead = st.Leader
	}
	l := c.byID(lead)
	if l == nil {
		return nil, fmt.Errorf("leader %x is no member the test knows", lead)
	}
	return l, nil
}

// waitLeader polls leader(ms) until it succeeds, at most limit.
func (c *cluster) waitLeader(t *testing.T, ms []*member, limit time.Duration) *member {
	t.Helper()
	var l *member
	var err error
	waitFor(t, limit, "a leader all of "+fmt.Sprint(ms)+" agree on", func() error {
		l, err = c.leader(ms)
		return err
	})
	return l
}

// status asks the member itself (one connection to it only) for its Status.
func status(m *member) (*clientv3.StatusResponse, error) {
	cli, err := testserver.NewClient([]string{m.clientURL}, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return cli.Status(ctx, m.clientURL)
}

func (c *cluster) others(ms ...*member) []*member {
	var out []*member
	for _, m := range c.members {
		skip := false
		for _, x := range ms {
			if m == x {
				skip = true
			}
		}
		if !skip {
			out = append(out, m)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Small helpers

// waitFor calls f every 50 ms until it returns nil, at most limit; then the
// test fails with f's last error.
func waitFor(t *testing.T, limit time.Duration, what string, f func() error) time.Duration {
	t.Helper()
	t0 := time.Now()
	deadline := t0.Add(limit)
	for {
		err := f()
		if err == nil {
			return time.Since(t0)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v: %v", what, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ctxT(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// etcdctl runs etcdctl (API v3) with the given endpoints and arguments, at
// most 20 s; it fails the test unless etcdctl exits 0.
func etcdctl(t *testing.T, eps []string, args ...string) string {
	t.Helper()
	ctx, cancel := ctxT(20 * time.Second)
	defer cancel()
	full := append([]string{"--endpoints", strings.Join(eps, ","), "--command-timeout", "5s"}, args...)
	cmd := exec.CommandContext(ctx, etcdctlPath, full...)
	cmd.Env = append(testserver.CleanEnv(os.Environ(), "ETCDCTL_"), "ETCDCTL_API=3")
	var o, e bytes.Buffer
	cmd.Stdout = &o
	cmd.Stderr = &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("etcdctl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(full, " "), err, o.String(), e.String())
	}
	return o.String()
}
