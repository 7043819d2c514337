package testserver

import (
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Command returns the command that runs bin with args, its stdout and stderr
// going to out. The caller's ETCD_* variables are left out (they would change
// the server under test), and the process gets SIGKILL if its parent thread
// dies (see Start).
func Command(bin string, args []string, out io.Writer) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = CleanEnv(os.Environ(), "ETCD_")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// CleanEnv drops the variables with the given prefix, so the caller's
// ETCD_* / ETCDCTL_* settings cannot change the processes under test.
func CleanEnv(env []string, prefix string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

type startReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	startc    = make(chan startReq)
	startOnce sync.Once
)

// Start starts cmd. Pdeathsig is per OS thread: every process is forked by
// one goroutine locked to its thread for the life of the binary, so a binary
// that dies (panic, -timeout) takes its servers with it.
func Start(cmd *exec.Cmd) error {
	startOnce.Do(func() { go starter() })
	done := make(chan error)
	startc <- startReq{cmd, done}
	return <-done
}

func starter() {
	runtime.LockOSThread() // never unlocked: the thread lives as long as the process
	for r := range startc {
		r.done <- r.cmd.Start()
	}
}

// Stop sends SIGTERM to p unless exited is already closed, and waits for
// exited at most grace; then it sends SIGKILL and waits for exited. It
// reports whether SIGKILL was needed. Only the process p is signalled.
func Stop(p *os.Process, exited <-chan struct{}, grace time.Duration) (killed bool) {
	select {
	case <-exited:
		return false
	default:
	}
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return false
	case <-time.After(grace):
		_ = p.Kill()
		<-exited
		return true
	}
}
