// Package crash is the crash test of issue 5: writers put as fast as they can
// and record every acknowledged write; the server is killed with SIGKILL at
// random moments and restarted on the same data dir, and every acknowledged
// write must still be there, at the revision its response named.
//
// Each cycle: 8 writers send puts (new keys, hot keys overwritten by all),
// deletes and transactions, one at a time each, as fast as the server answers;
// after a random 50-500 ms the server gets SIGKILL; 1 cycle in 4 its restart
// is killed again within 400 ms of starting (a crash during recovery); then it
// is restarted, and once it answers a read, the whole key space is compared
// with what was acknowledged (model_test.go says what is checked).
//
// The same test runs against the real etcd 3.4 (where it must pass) and
// against swift-etcd. Environment:
//
//	CRASH_TARGET      etcd (default, $ETCD_BIN or /usr/bin/etcd) or swift-etcd ($SWIFT_ETCD_BIN)
//	CRASH_SEED        seed of the run (printed; default: the clock)
//	CRASH_KILLS       kill/restart cycles (default 20)
//	CRASH_WRITERS     writer goroutines (default 8)
//	CRASH_BUDGET      time budget of the whole run, a Go duration (default 170s)
//	CRASH_TMPDIR      parent of the run's temp dir (data dir), removed at the end
//	CRASH_SERVER_LOG  the server's stdout+stderr, every start appended
//	                  (default: in the temp dir, copied to the test output on failure)
//
// This file runs the server process; model_test.go records the writes and
// checks the store against them; crash_test.go is the test itself;
// checker_test.go checks the checker against a fake store (no server).
package crash

import (
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

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"swiftetcd/testserver"
)

func TestMain(m *testing.M) {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigc
		fmt.Fprintf(os.Stderr, "crash: got %v, stopping the server\n", s)
		interrupted()
		os.Exit(3)
	}()
	os.Exit(m.Run())
}

// The run in progress, for the signal handler.
var (
	liveMu  sync.Mutex
	liveRun *server
)

func interrupted() {
	liveMu.Lock()
	s := liveRun
	liveMu.Unlock()
	if s != nil {
		s.cleanup()
	}
}

// server is the server under test: one binary, one data dir and one pair of
// ports for the whole run, started again after every kill.
type server struct {
	target  string
	bin     string
	args    []string
	dir     string // temp dir: data dir (and the log unless CRASH_SERVER_LOG)
	addr    string // client address 127.0.0.1:<port>
	logPath string
	logFile *os.File
	starts  int
	kills   int // SIGKILLs sent to a running server

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	state  *os.ProcessState
	werr   error
	gone   bool // cleaned up
}

func newServer() (*server, error) {
	target, bin, err := testserver.ServerBinary("CRASH")
	if err != nil {
		return nil, err
	}
	ports, err := testserver.FreePorts(2)
	if err != nil {
		return nil, err
	}
	dir, err := ioutil.TempDir(os.Getenv("CRASH_TMPDIR"), "crash-"+target+"-")
	if err != nil {
		return nil, err
	}
	s := &server{target: target, bin: bin, dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	s.logPath = os.Getenv("CRASH_SERVER_LOG")
	if s.logPath == "" {
		s.logPath = filepath.Join(dir, "server.log")
	}
	if s.logFile, err = os.Create(s.logPath); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	clientURL := "http://" + s.addr
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	s.args = testserver.MemberFlags("n1", filepath.Join(dir, "data"), clientURL, peerURL, "n1="+peerURL)
	liveMu.Lock()
	liveRun = s
	liveMu.Unlock()
	return s, nil
}

// start starts the server process (on the same data dir and ports every time).
func (s *server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return fmt.Errorf("run is being cleaned up")
	}
	if s.cmd != nil {
		select {
		case <-s.exited:
		default:
			return fmt.Errorf("server pid %d still running", s.cmd.Process.Pid)
		}
	}
	s.starts++
	cmd := testserver.Command(s.bin, s.args, s.logFile)
	fmt.Fprintf(s.logFile, "\n# crash test: start %d: %s %s\n", s.starts, s.bin, strings.Join(s.args, " "))
	if err := testserver.Start(cmd); err != nil {
		return err
	}
	s.cmd = cmd
	exited := make(chan struct{})
	s.exited = exited
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.state, s.werr = cmd.ProcessState, err
		s.mu.Unlock()
		close(exited)
	}()
	return nil
}

func (s *server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// running reports whether the process last started has not exited.
func (s *server) running() bool {
	s.mu.Lock()
	ch := s.exited
	s.mu.Unlock()
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

func (s *server) exitStatus() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		return s.state.String()
	}
	return fmt.Sprint(s.werr)
}

// kill sends SIGKILL to the process this test started (by its pid, nothing
// else; os.Process refuses to signal a pid it has already reaped), calls
// afterSignal (if not nil) and waits for the process, at most 10 s. It
// reports whether the process was still running when killed.
func (s *server) kill(afterSignal func()) (wasRunning bool, err error) {
	if afterSignal != nil {
		defer func() {
			if afterSignal != nil {
				afterSignal()
			}
		}()
	}
	s.mu.Lock()
	cmd, ch := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return false, fmt.Errorf("no server started")
	}
	select {
	case <-ch:
		return false, nil
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			<-ch
			return false, nil
		}
		return false, err
	}
	s.mu.Lock()
	s.kills++
	s.mu.Unlock()
	if afterSignal != nil {
		afterSignal()
		afterSignal = nil
	}
	select {
	case <-ch:
		return true, nil
	case <-time.After(10 * time.Second):
		return true, fmt.Errorf("pid %d still there 10s after SIGKILL", cmd.Process.Pid)
	}
}

// waitReady waits until a linearizable Range succeeds on a new connection,
// at most limit; it returns that connection.
func (s *server) waitReady(limit time.Duration) (*grpc.ClientConn, error) {
	deadline := time.Now().Add(limit)
	conn, err := dial(s.addr, false)
	if err != nil {
		return nil, err
	}
	kv := pb.NewKVClient(conn)
	var lastErr error
	for time.Now().Before(deadline) {
		if !s.running() {
			conn.Close()
			return nil, fmt.Errorf("server exited before becoming ready: %s", s.exitStatus())
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := kv.Range(ctx, &pb.RangeRequest{Key: []byte("/crash-ready-probe")}, grpc.WaitForReady(true))
		cancel()
		if err == nil {
			return conn, nil
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	conn.Close()
	return nil, fmt.Errorf("not ready after %v: %v", limit, lastErr)
}

// dial opens a plain gRPC connection: no client retries, so every error is
// the server's answer (or its absence), and a quick reconnect backoff.
func dial(addr string, block bool) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithInsecure(),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 200 * time.Millisecond},
			MinConnectTimeout: time.Second,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}
	if !block {
		return grpc.Dial(addr, opts...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return grpc.DialContext(ctx, addr, append(opts, grpc.WithBlock())...)
}

// cleanup kills the server if it runs and removes the temp dir (the data
// dir always; the log too unless CRASH_SERVER_LOG put it elsewhere).
func (s *server) cleanup() {
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		return
	}
	s.gone = true
	s.mu.Unlock()
	s.kill(nil)
	if s.logFile != nil {
		s.logFile.Close()
	}
	os.RemoveAll(s.dir)
	liveMu.Lock()
	if liveRun == s {
		liveRun = nil
	}
	liveMu.Unlock()
}

// logTail returns the last n lines of the server log.
func (s *server) logTail(n int) string {
	lines, err := testserver.TailLines(s.logPath, n)
	if err != nil {
		return fmt.Sprintf("(cannot read server log %s: %v)", s.logPath, err)
	}
	return fmt.Sprintf("----- last %d lines of the %s log (%s) -----\n%s\n----- end of server log -----",
		len(lines), s.target, s.logPath, strings.Join(lines, "\n"))
}
