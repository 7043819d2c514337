// Package interop runs the same black-box checks against the real etcd 3.4
// server and against swift-etcd. A check that real etcd fails is a wrong
// test; a difference between the two servers is a failing test.
//
// TestMain starts ONE server process for the whole package:
//
//	INTEROP_TARGET=etcd        (default) runs $ETCD_BIN or /usr/bin/etcd
//	INTEROP_TARGET=swift-etcd  runs $SWIFT_ETCD_BIN
//
// Both get the same etcd command-line flags. Optional environment:
//
//	ETCDCTL_BIN         etcdctl to exec (default /usr/bin/etcdctl)
//	INTEROP_TMPDIR      parent directory for the server's data dir
//	INTEROP_SERVER_LOG  where to write the server's stdout+stderr
//	                    (default: <data dir parent>/server.log, removed on success)
package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"swiftetcd/testserver"
)

// Facts about the running server, filled by TestMain.
var (
	target      string // "etcd" or "swift-etcd"
	serverBin   string // the binary of target
	clientURL   string // http://127.0.0.1:<port>
	clientAddr  string // 127.0.0.1:<port>
	peerURL     string // http://127.0.0.1:<port2>
	etcdctlPath string

	cli     *clientv3.Client // shared clientv3 client
	rawConn *grpc.ClientConn // plain gRPC connection (no etcd interceptors)
	rawKV   pb.KVClient      // raw KV stub on rawConn: errors keep their gRPC status
)

// watchProgressInterval is the server's watch progress-notify interval.
const watchProgressInterval = time.Second

// server is the single process started for the package.
type server struct {
	cmd      *exec.Cmd
	dir      string // temp dir holding data dir (and log unless INTEROP_SERVER_LOG)
	logPath  string
	logFile  *os.File
	logInDir bool
	exited   chan struct{}
	waitErr  error

	once sync.Once
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) (code int) {
	srv, err := startServer()
	if err != nil {
		fmt.Fprintf(os.Stderr, "interop: cannot start %s: %v\n", target, err)
		if srv != nil {
			srv.printLogTail(os.Stderr, 60)
			srv.cleanup(true)
		}
		return 2
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "interop: panic in TestMain: %v\n", r)
			code = 2
		}
		if code != 0 {
			srv.printLogTail(os.Stderr, 60)
		}
		srv.cleanup(code != 0)
	}()

	// Ctrl-C / SIGTERM: stop the server we started, then exit.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigc
		fmt.Fprintf(os.Stderr, "interop: got %v, stopping server\n", s)
		srv.cleanup(true)
		os.Exit(3)
	}()

	if err := connectClients(); err != nil {
		fmt.Fprintf(os.Stderr, "interop: cannot connect to %s: %v\n", target, err)
		return 2
	}
	defer cli.Close()
	defer rawConn.Close()

	code = m.Run()
	if code == 0 {
		// The server must have survived the whole suite.
		select {
		case <-srv.exited:
			fmt.Fprintf(os.Stderr, "interop: server exited during the tests: %v\n", srv.waitErr)
			code = 1
		default:
		}
	}
	return code
}

func startServer() (*server, error) {
	var err error
	if target, serverBin, err = testserver.ServerBinary("INTEROP"); err != nil {
		return nil, err
	}
	if etcdctlPath, err = testserver.EtcdctlBinary(); err != nil {
		return nil, err
	}

	ports, err := testserver.FreePorts(2)
	if err != nil {
		return nil, err
	}
	clientAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	clientURL = "http://" + clientAddr
	peerURL = fmt.Sprintf("http://127.0.0.1:%d", ports[1])

	dir, err := ioutil.TempDir(os.Getenv("INTEROP_TMPDIR"), "interop-"+target+"-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, exited: make(chan struct{})}
	s.logPath = os.Getenv("INTEROP_SERVER_LOG")
	if s.logPath == "" {
		s.logPath = filepath.Join(dir, "server.log")
		s.logInDir = true
	}
	if s.logFile, err = os.Create(s.logPath); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}

	args := append(testserver.MemberFlags("n1", filepath.Join(dir, "data"), clientURL, peerURL, "n1="+peerURL),
		// Short, so watch progress notifications can be seen within a test.
		"--experimental-watch-progress-notify-interval", watchProgressInterval.String())
	s.cmd = testserver.Command(serverBin, args, s.logFile)
	fmt.Fprintf(s.logFile, "# %s %s\n", serverBin, strings.Join(args, " "))
	if err := testserver.Start(s.cmd); err != nil {
		s.logFile.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	// From here on the caller owns s and must call s.cleanup.
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	fmt.Fprintf(os.Stderr, "interop: target=%s bin=%s pid=%d client=%s peer=%s log=%s\n",
		target, serverBin, s.cmd.Process.Pid, clientURL, peerURL, s.logPath)

	if err := s.waitReady(30 * time.Second); err != nil {
		return s, err
	}
	return s, nil
}

// waitReady polls a linearizable clientv3 Get until it succeeds.
func (s *server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before becoming ready: %v", s.waitErr)
		default:
		}
		c, err := testserver.NewClient([]string{clientURL}, time.Second)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = c.Get(ctx, "interop-ready-probe")
			cancel()
			c.Close()
			if err == nil {
				return nil
			}
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v", limit, lastErr)
}

func (s *server) stop() {
	s.once.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			testserver.Stop(s.cmd.Process, s.exited, 5*time.Second)
		}
		if s.logFile != nil {
			s.logFile.Close()
		}
	})
}

// cleanup stops the server and removes its temp dir; with keepLog a log
// that lives in the temp dir is kept (the data dir still goes).
func (s *server) cleanup(keepLog bool) {
	s.stop()
	if keepLog && s.logInDir {
		os.RemoveAll(filepath.Join(s.dir, "data"))
		fmt.Fprintf(os.Stderr, "interop: server log kept at %s\n", s.logPath)
		return
	}
	os.RemoveAll(s.dir)
}

func (s *server) printLogTail(w *os.File, n int) {
	lines, err := testserver.TailLines(s.logPath, n)
	if err != nil {
		return
	}
	fmt.Fprintf(w, "----- last %d lines of %s server log (%s) -----\n", len(lines), target, s.logPath)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "----- end of server log -----")
}

func connectClients() error {
	var err error
	cli, err = testserver.NewClient([]string{clientURL}, 5*time.Second)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rawConn, err = grpc.DialContext(ctx, clientAddr, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		cli.Close()
		return err
	}
	rawKV = pb.NewKVClient(rawConn)
	return nil
}

// ---------------------------------------------------------------------------
// etcdctl helpers

// etcdctl runs /usr/bin/etcdctl (API v3) against the server under test.
func etcdctl(t *testing.T, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return etcdctlIn(t, "", args...)
}

// etcdctlIn is etcdctl with the given text on stdin.
func etcdctlIn(t *testing.T, stdin string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"--endpoints", clientURL}, args...)
	cmd := exec.CommandContext(ctx, etcdctlPath, full...)
	cmd.Env = append(testserver.CleanEnv(os.Environ(), "ETCDCTL_"), "ETCDCTL_API=3")
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout = &o
	cmd.Stderr = &e
	err := cmd.Run()
	exitCode = 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			exitCode = ee.ExitCode()
		} else {
			t.Fatalf("etcdctl %q: %v", args, err)
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("etcdctl %q: timed out\nstdout:\n%s\nstderr:\n%s", args, o.String(), e.String())
	}
	return o.String(), e.String(), exitCode
}

// ctlOK runs etcdctl, requires exit 0 and an empty stderr, and returns stdout.
func ctlOK(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, rc := etcdctl(t, args...)
	if rc != 0 || errOut != "" {
		t.Fatalf("etcdctl %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, rc, out, errOut)
	}
	return out
}

// clientLog is one of the JSON warning lines clientv3's retry interceptor
// writes to etcdctl's stderr when an RPC fails.
type clientLog struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Error string `json:"error"`
}

// splitStderr separates clientv3 JSON log lines from etcdctl's own output.
func splitStderr(stderr string) (logs []clientLog, rest string) {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "{\"level\":") {
			var l clientLog
			if json.Unmarshal([]byte(line), &l) == nil {
				logs = append(logs, l)
				continue
			}
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	return logs, b.String()
}

// ctlFails runs etcdctl and checks it fails the way etcdctl does when the
// server answers an RPC with gRPC status code/desc: exit 1, stdout empty,
// stderr = the client's warning naming the gRPC error, then
// "Error: <desc>".
func ctlFails(t *testing.T, code codes.Code, desc string, args ...string) {
	t.Helper()
	ctlFailsIn(t, "", code, desc, args...)
}

func ctlFailsIn(t *testing.T, stdin string, code codes.Code, desc string, args ...string) {
	t.Helper()
	out, errOut, rc := etcdctlIn(t, stdin, args...)
	logs, rest := splitStderr(errOut)
	wantRest := "Error: " + desc + "\n"
	wantLog := fmt.Sprintf("rpc error: code = %s desc = %s", code, desc)
	if rc != 1 || rest != wantRest || len(logs) != 1 || logs[0].Error != wantLog || (stdin == "" && out != "") {
		t.Fatalf("etcdctl %q:\n got exit %d, stdout %q, stderr %q\nwant exit 1, stderr log error %q then %q",
			args, rc, out, errOut, wantLog, wantRest)
	}
}

// ---------------------------------------------------------------------------
// clientv3 helpers

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// pfx returns a key prefix unique to this test.
func pfx(t *testing.T) string {
	return "/interop/" + t.Name() + "/"
}

func mustPut(t *testing.T, key, val string, opts ...clientv3.OpOption) *clientv3.PutResponse {
	t.Helper()
	r, err := cli.Put(ctx(t), key, val, opts...)
	if err != nil {
		t.Fatalf("Put %q: %v", key, err)
	}
	return r
}

func mustGet(t *testing.T, key string, opts ...clientv3.OpOption) *clientv3.GetResponse {
	t.Helper()
	r, err := cli.Get(ctx(t), key, opts...)
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	return r
}

// cleanupPrefix deletes every key under prefix when the test ends.
func cleanupPrefix(t *testing.T, prefix string) {
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := cli.Delete(c, prefix, clientv3.WithPrefix()); err != nil {
			t.Errorf("cleanup of %q: %v", prefix, err)
		}
	})
}

// settle waits until the store revision stops moving (e.g. after requests
// the client abandoned at their deadline, which the server may still apply).
func settle(t *testing.T) {
	t.Helper()
	last := currentRev(t)
	for i := 0; i < 50; i++ {
		time.Sleep(100 * time.Millisecond)
		r := currentRev(t)
		if r == last {
			return
		}
		last = r
	}
	t.Fatalf("store revision still moving after 5s")
}

// currentRev reads the store's current revision.
func currentRev(t *testing.T) int64 {
	t.Helper()
	return mustGet(t, "/interop/-rev-probe").Header.Revision
}

// statusErr checks err is a gRPC status with the given code and message.
func statusErr(t *testing.T, what string, err error, code codes.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %s %q", what, code, msg)
	}
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("%s: got non-gRPC error %T %v, want %s %q", what, err, err, code, msg)
	}
	if st.Code() != code || st.Message() != msg {
		t.Fatalf("%s: got %s %q, want %s %q", what, st.Code(), st.Message(), code, msg)
	}
}

// keysOf lists keys of a GetResponse, with the prefix stripped.
func keysOf(r *clientv3.GetResponse, prefix string) []string {
	out := []string{}
	for _, kv := range r.Kvs {
		out = append(out, strings.TrimPrefix(string(kv.Key), prefix))
	}
	return out
}

func eqStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// HTTP helper

var httpClient = &http.Client{Timeout: 10 * time.Second}

func httpGet(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := httpClient.Get(clientURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := ioutil.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// mustMatch fails unless s matches the anchored regexp re.
func mustMatch(t *testing.T, what, re, s string) []string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s: %q does not match %s", what, s, re)
	}
	return m
}
