package crash

// Two more tests of issue 5, on the same server harness (main_test.go):
//
//   - TestDiskFullStopsTheServer: the data dir is on a small tmpfs that fills
//     up under load. The server must stop on its own (a non-zero exit, the
//     failure named in its log) rather than acknowledge a write it could not
//     persist; restarted on a copy of its data dir on a normal disk, it must
//     hold every put it acknowledged, with its value and revision. Needs root
//     (mount); skipped with a message where mounting is not allowed.
//   - TestManyWritesWithSnapshots: 30,000 puts with --snapshot-count 1000
//     --max-wals 2 --max-snapshots 2 (the regression test for the crash after
//     ~20k writes, when the in-memory Raft log was trimmed without a
//     snapshot), then SIGKILL and restart, then SIGTERM and restart; every
//     key must hold its latest acknowledged value at its revision each time.
//
// On a full disk real etcd 3.4 behaves as swift-etcd must: it exits with
// status 1 (`mvcc/backend: cannot commit tx (write …/member/snap/db: no space
// left on device)`, after an error that it cannot preallocate its next WAL
// segment), and restarted with room it holds every put it acknowledged. The
// only target-specific parts are the disk size (diskSizeMiB), the
// swift-etcd log line, and the snapshot and WAL file counts (etcd purges old
// snapshots only every 30 s).

import (
	"context"
	"fmt"
	"io/ioutil"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
)

const (
	// The tmpfs: one 64 MiB WAL segment (preallocated when it is created)
	// and a few MiB more, so the disk is full long before a second segment
	// could be preallocated. etcd gets a second segment more (see
	// diskSizeMiB).
	diskTmpfsMiB   = 70
	diskValueBytes = 100 << 10        // ~100 KiB a put: 64 MiB in ~650 puts
	diskWriters    = 4                // concurrent writers
	diskMaxPuts    = 3000             // all writers together: ~300 MiB, far past the disk
	diskLoadLimit  = 40 * time.Second // the server must have stopped by then

	manyPuts          = 30000
	manyWriters       = 16
	manyKeysPerWriter = 250 // 4,000 keys, each overwritten ~7 times
	manySnapshotCount = 1000
	manyLoadLimit     = 90 * time.Second
	manyHistorySample = 2000 // superseded acknowledged puts read at their revision
	termLimit         = 20 * time.Second
)

// A tmpfs mounted by a test is detached (lazily, even while busy) if the
// test binary is interrupted, so an interrupted run does not leave mounts
// behind (TestMain's handler only kills the server and removes the dir).
var (
	mountsMu sync.Mutex
	mounts   = map[string]bool{}
)

func init() {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigc
		mountsMu.Lock()
		for dir := range mounts {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
		mountsMu.Unlock()
	}()
}

func mountTmpfs(dir string, mib int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%dm,mode=0700", mib)); err != nil {
		return err
	}
	mountsMu.Lock()
	mounts[dir] = true
	mountsMu.Unlock()
	return nil
}

func unmountTmpfs(dir string) error {
	mountsMu.Lock()
	defer mountsMu.Unlock()
	if !mounts[dir] {
		return nil
	}
	err := syscall.Unmount(dir, 0)
	if err != nil {
		// Busy (something still has a file open): detach it now; the kernel
		// frees it when the last file is closed.
		err = syscall.Unmount(dir, syscall.MNT_DETACH)
	}
	if err == nil {
		delete(mounts, dir)
	}
	return err
}

// setArg sets the value of a flag in the server's arguments (appending it if
// it is not there).
func (s *server) setArg(flag, value string) {
	for i := 0; i+1 < len(s.args); i++ {
		if s.args[i] == flag {
			s.args[i+1] = value
			return
		}
	}
	s.args = append(s.args, flag, value)
}

// logSize is where the server log ends now: logSince(logSize()) is what the
// server wrote after that point.
func (s *server) logSize() int64 {
	fi, err := os.Stat(s.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (s *server) logSince(off int64) string {
	data, err := ioutil.ReadFile(s.logPath)
	if err != nil || off > int64(len(data)) {
		return ""
	}
	return string(data[off:])
}

// waitExit waits at most limit for the process last started to exit.
func (s *server) waitExit(limit time.Duration) bool {
	s.mu.Lock()
	ch := s.exited
	s.mu.Unlock()
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-time.After(limit):
		return false
	}
}

func (s *server) exitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return -1
	}
	return s.state.ExitCode()
}

// terminate sends SIGTERM to the process this test started and waits at
// most limit for it to exit.
func (s *server) terminate(limit time.Duration) error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil || !s.running() {
		return fmt.Errorf("the server is not running")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if !s.waitExit(limit) {
		return fmt.Errorf("pid %d still running %v after SIGTERM", cmd.Process.Pid, limit)
	}
	return nil
}

func countFiles(dir, suffix string) (int, error) {
	ents, err := ioutil.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			n++
		}
	}
	return n, nil
}

// diskSizeMiB is the size of the tmpfs for the target. etcd 3.4 preallocates
// its next 64 MiB WAL segment in the background as soon as it opens the WAL
// (wal/file_pipeline.go); on a 70 MiB disk that fallocate fails, and while it
// runs it holds the free space, so etcd's backend can get ENOSPC on its very
// first commit and etcd dies before it ever answers. So etcd gets room for
// two segments and the same few MiB more; its backend (bbolt) is what fills
// the disk. swift-etcd preallocates a segment only when it cuts one.
func diskSizeMiB(target string) int {
	if target == "etcd" {
		return diskTmpfsMiB + 64
	}
	return diskTmpfsMiB
}

// diskPut is one put of the disk test: acknowledged (rev > 0) or not.
type diskPut struct {
	key, val string
	rev      int64
	at       time.Time // when the answer came
}

var diskFullMessage = regexp.MustCompile(`(?i)no space left on device|ENOSPC|errno[ =:]*28\b`)

// TestDiskFullStopsTheServer: a full disk must stop the server, not make it
// acknowledge writes it did not persist.
func TestDiskFullStopsTheServer(t *testing.T) {
	t0 := time.Now()
	srv, err := newServer()
	if err != nil {
		t.Fatalf("cannot set up the server: %v", err)
	}
	defer srv.cleanup()
	defer func() {
		if t.Failed() {
			fmt.Println(srv.logTail(40))
		}
	}()
	mnt := filepath.Join(srv.dir, "tmpfs")
	sizeMiB := diskSizeMiB(srv.target)
	if err := mountTmpfs(mnt, sizeMiB); err != nil {
		if err == syscall.EPERM {
			t.Skipf("cannot mount a tmpfs at %s (%v): this test needs root (CAP_SYS_ADMIN) to give the server a small disk that fills up", mnt, err)
		}
		t.Fatalf("mount -t tmpfs -o size=%dm tmpfs %s: %v", sizeMiB, mnt, err)
	}
	// Runs before srv.cleanup (defers run last first): the server must be
	// gone before its disk is.
	defer func() {
		srv.kill(nil)
		if err := unmountTmpfs(mnt); err != nil {
			t.Errorf("umount %s: %v", mnt, err)
		}
	}()
	fullDir := filepath.Join(mnt, "data")
	diskDir := filepath.Join(srv.dir, "data")
	srv.setArg("--data-dir", fullDir)
	say("disk-full: target=%s, data dir on a %d MiB tmpfs at %s", srv.target, sizeMiB, mnt)

	logStart := srv.logSize()
	if err := srv.start(); err != nil {
		t.Fatalf("cannot start %s: %v", srv.target, err)
	}
	conn, err := srv.waitReady(readyLimit)
	if err != nil {
		t.Fatalf("%s (pid %d) not ready: %v", srv.target, srv.pid(), err)
	}
	conn.Close()
	pid := srv.pid()

	// Writers: 100 KiB puts of new keys until the server stops answering.
	var (
		mu     sync.Mutex
		puts   []diskPut
		issued int64
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i := 0; i < diskWriters; i++ {
		c, err := dial(srv.addr, true)
		if err != nil {
			t.Fatalf("writer %d cannot connect: %v", i, err)
		}
		defer c.Close()
		wg.Add(1)
		go func(id int, kv pb.KVClient) {
			defer wg.Done()
			for n := 0; ctx.Err() == nil && atomic.AddInt64(&issued, 1) <= diskMaxPuts; n++ {
				k := fmt.Sprintf("%sdisk/w%d/%06d", keyPrefix, id, n)
				v := fmt.Sprintf("w%d.%d.", id, n)
				v += strings.Repeat(padding, diskValueBytes/len(padding)+1)[:diskValueBytes-len(v)]
				rctx, rcancel := context.WithTimeout(ctx, opTimeout)
				resp, err := kv.Put(rctx, &pb.PutRequest{Key: []byte(k), Value: []byte(v)})
				rcancel()
				p := diskPut{key: k, val: v, at: time.Now()}
				if err == nil {
					p.rev = resp.Header.Revision
				} else {
					firstErr.Store(err.Error())
				}
				mu.Lock()
				puts = append(puts, p)
				mu.Unlock()
				if err != nil {
					select { // the server is failing or gone: do not spin
					case <-ctx.Done():
					case <-time.After(20 * time.Millisecond):
					}
				}
			}
		}(i, pb.NewKVClient(c))
	}

	// The server must stop by itself.
	loadStart := time.Now()
	exited := srv.waitExit(diskLoadLimit)
	exitedAt := time.Now()
	cancel()
	wg.Wait()
	var fsUsed string
	var st syscall.Statfs_t
	if syscall.Statfs(mnt, &st) == nil {
		fsUsed = fmt.Sprintf("%.1f of %d MiB used", float64((st.Blocks-st.Bfree)*uint64(st.Bsize))/(1<<20), sizeMiB)
	}
	acked, unacked := 0, 0
	var maxRev int64
	var lastAck time.Time
	for _, p := range puts {
		if p.rev > 0 {
			acked++
			if p.rev > maxRev {
				maxRev = p.rev
			}
			if p.at.After(lastAck) {
				lastAck = p.at
			}
		} else {
			unacked++
		}
	}
	fe, _ := firstErr.Load().(string)
	say("disk-full: %d puts acknowledged (highest revision %d), %d not; tmpfs %s; first client error: %s",
		acked, maxRev, unacked, fsUsed, fe)
	if !exited {
		// swift-etcd stops (RaftLoop.persist). Real etcd 3.4 stops too: its
		// backend commit fails and it exits (see the report in the log).
		t.Errorf("%s (pid %d) still running %v after the load started on a %d MiB disk (%s); it should have stopped",
			srv.target, pid, diskLoadLimit, sizeMiB, fsUsed)
		srv.kill(nil)
	} else {
		say("disk-full: %s (pid %d) exited by itself %v after the load started: %s",
			srv.target, pid, exitedAt.Sub(loadStart).Round(time.Millisecond), srv.exitStatus())
		if code := srv.exitCode(); code <= 0 {
			t.Errorf("%s (pid %d) stopped with %s; want an exit with a non-zero status", srv.target, pid, srv.exitStatus())
		}
		if lastAck.After(exitedAt) {
			t.Errorf("a put was acknowledged at %v, after the server exited at %v", lastAck, exitedAt)
		}
	}
	if acked == 0 {
		t.Errorf("no put was acknowledged before the disk filled: the test shows nothing")
	}
	failLog := srv.logSince(logStart)
	// The last line naming the full disk: what stopped it (etcd logs an
	// error when it cannot preallocate its next WAL segment, then dies when
	// its backend cannot commit).
	var stopLine string
	for _, l := range strings.Split(failLog, "\n") {
		if diskFullMessage.MatchString(l) {
			stopLine = strings.TrimSpace(l)
		}
	}
	if stopLine == "" {
		t.Errorf("the %s log does not say the disk is full (no line matching %v)", srv.target, diskFullMessage)
	} else {
		say("disk-full: %s log: %s", srv.target, short2(stopLine, 300))
	}
	if srv.target == "swift-etcd" && !strings.Contains(failLog, "cannot persist the raft log; stopping") {
		t.Errorf("the swift-etcd log does not say `cannot persist the raft log; stopping`")
	}
	if t.Failed() {
		return
	}

	// Copy the data dir to a normal disk and restart the server on it.
	if out, err := exec.Command("cp", "-a", fullDir, diskDir).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s %s: %v: %s", fullDir, diskDir, err, out)
	}
	if err := unmountTmpfs(mnt); err != nil {
		t.Errorf("umount %s: %v", mnt, err)
	}
	srv.setArg("--data-dir", diskDir)
	restart := time.Now()
	if err := srv.start(); err != nil {
		t.Fatalf("cannot restart %s: %v", srv.target, err)
	}
	conn, err = srv.waitReady(readyLimit)
	if err != nil {
		t.Fatalf("%s did not come back on a copy of its data dir: %v", srv.target, err)
	}
	defer conn.Close()
	say("disk-full: restarted on a copy on a normal disk, ready in %v", time.Since(restart).Round(time.Millisecond))

	probs := verifyDiskPuts(pb.NewKVClient(conn), puts, maxRev, int64(unacked))
	for i, p := range probs {
		if i == maxShown {
			t.Errorf("... and %d more", len(probs)-maxShown)
			break
		}
		t.Errorf("%s", p)
	}
	if len(probs) == 0 {
		say("disk-full: all %d acknowledged puts there with their values and revisions (%v in all)", acked, time.Since(t0).Round(100*time.Millisecond))
	}
}

func short2(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// verifyDiskPuts: every acknowledged put is there (each key was put once),
// with its value at its revision; the store is not behind the highest
// acknowledged revision, nor ahead of it by more than the puts not
// acknowledged; every other key under the prefix is a put that was
// not acknowledged, with its own value.
func verifyDiskPuts(kv pb.KVClient, puts []diskPut, maxRev, unacked int64) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var probs []string
	byKey := map[string]diskPut{}
	for _, p := range puts {
		byKey[p.key] = p
	}
	// Keys only: 64 MiB of values would not fit one response.
	prefix := keyPrefix + "disk/"
	resp, err := kv.Range(ctx, &pb.RangeRequest{Key: []byte(prefix), RangeEnd: []byte(keyPrefix + "disk0"), KeysOnly: true})
	if err != nil {
		return []string{fmt.Sprintf("cannot list the keys: %v", err)}
	}
	storeRev := resp.Header.Revision
	if storeRev < maxRev {
		probs = append(probs, fmt.Sprintf("revision-backwards: store revision %d after the restart is below the highest acknowledged revision %d", storeRev, maxRev))
	}
	if storeRev > maxRev+unacked {
		probs = append(probs, fmt.Sprintf("phantom-revision: store revision %d after the restart is beyond the highest acknowledged revision %d plus the %d puts not acknowledged", storeRev, maxRev, unacked))
	}
	present := map[string]int64{}
	for _, p := range resp.Kvs {
		present[string(p.Key)] = p.ModRevision
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := byKey[k]
		_, there := present[k]
		if p.rev == 0 && !there {
			continue // not acknowledged, not applied: fine
		}
		if p.rev > 0 && !there {
			probs = append(probs, fmt.Sprintf("lost-put: acknowledged put of %q at revision %d is not in the store (revision %d)", k, p.rev, storeRev))
			continue
		}
		g, err := kv.Range(ctx, &pb.RangeRequest{Key: []byte(k)})
		if err != nil {
			probs = append(probs, fmt.Sprintf("read-error: get %q: %v", k, err))
			continue
		}
		if len(g.Kvs) != 1 {
			probs = append(probs, fmt.Sprintf("lost-put: %q listed but a get finds %d keys", k, len(g.Kvs)))
			continue
		}
		o := g.Kvs[0]
		switch {
		case string(o.Value) != p.val:
			probs = append(probs, fmt.Sprintf("wrong-value: %q holds %q, the put wrote %q", k, short(string(o.Value)), short(p.val)))
		case p.rev > 0 && (o.ModRevision != p.rev || o.CreateRevision != p.rev || o.Version != 1):
			probs = append(probs, fmt.Sprintf("wrong-revision: %q acknowledged at revision %d is at mod_revision %d, create_revision %d, version %d",
				k, p.rev, o.ModRevision, o.CreateRevision, o.Version))
		}
	}
	for k, rev := range present {
		if _, ok := byKey[k]; !ok {
			probs = append(probs, fmt.Sprintf("phantom-key: %q (mod_revision %d) was never written", k, rev))
		}
	}
	return probs
}

// manyKey is what the test knows about one key of TestManyWritesWithSnapshots.
type manyKey struct {
	val     string   // latest acknowledged value
	rev     int64    // ... and its revision (0: none)
	unknown []string // values put after it whose outcome is unknown
}

type ackedPut struct {
	key, val string
	rev      int64
}

// TestManyWritesWithSnapshots: 30,000 puts across snapshots, WAL release and
// in-memory log trimming, then SIGKILL + restart and SIGTERM + restart.
func TestManyWritesWithSnapshots(t *testing.T) {
	t0 := time.Now()
	srv, err := newServer()
	if err != nil {
		t.Fatalf("cannot set up the server: %v", err)
	}
	defer srv.cleanup()
	defer func() {
		if t.Failed() {
			fmt.Println(srv.logTail(40))
		}
	}()
	srv.args = append(srv.args, "--snapshot-count", fmt.Sprint(manySnapshotCount), "--max-wals", "2", "--max-snapshots", "2")
	dataDir := filepath.Join(srv.dir, "data")
	logStart := srv.logSize()
	if err := srv.start(); err != nil {
		t.Fatalf("cannot start %s: %v", srv.target, err)
	}
	conn, err := srv.waitReady(readyLimit)
	if err != nil {
		t.Fatalf("%s (pid %d) not ready: %v", srv.target, srv.pid(), err)
	}
	conn.Close()

	keys := make([][]manyKey, manyWriters) // per writer: only it writes its keys
	var (
		issued        int64
		ackMu         sync.Mutex
		acks          []ackedPut
		unknownCount  int64
		firstErr      atomic.Value
		maxRev, minRv int64 = 0, 1 << 62
	)
	ctx, cancel := context.WithTimeout(context.Background(), manyLoadLimit)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < manyWriters; i++ {
		c, err := dial(srv.addr, true)
		if err != nil {
			t.Fatalf("writer %d cannot connect: %v", i, err)
		}
		defer c.Close()
		keys[i] = make([]manyKey, manyKeysPerWriter)
		wg.Add(1)
		go func(id int, kv pb.KVClient) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(time.Now().UnixNano() + int64(id)))
			ks := keys[id]
			var local []ackedPut
			for n := 0; ctx.Err() == nil && atomic.AddInt64(&issued, 1) <= manyPuts; n++ {
				j := rng.Intn(manyKeysPerWriter)
				k := fmt.Sprintf("%smany/w%02d/k%04d", keyPrefix, id, j)
				v := fmt.Sprintf("w%d.%d.", id, n) + padding[:rng.Intn(200)]
				rctx, rcancel := context.WithTimeout(ctx, opTimeout)
				resp, err := kv.Put(rctx, &pb.PutRequest{Key: []byte(k), Value: []byte(v)})
				rcancel()
				if err != nil {
					atomic.AddInt64(&unknownCount, 1)
					firstErr.Store(err.Error())
					ks[j].unknown = append(ks[j].unknown, v)
					continue
				}
				rev := resp.Header.Revision
				if rev <= ks[j].rev {
					t.Errorf("put %q acknowledged at revision %d, after an earlier put of it at %d", k, rev, ks[j].rev)
				}
				ks[j] = manyKey{val: v, rev: rev}
				local = append(local, ackedPut{k, v, rev})
			}
			ackMu.Lock()
			acks = append(acks, local...)
			for _, a := range local {
				if a.rev > maxRev {
					maxRev = a.rev
				}
				if a.rev < minRv {
					minRv = a.rev
				}
			}
			ackMu.Unlock()
		}(i, pb.NewKVClient(c))
	}
	wg.Wait()
	loadTime := time.Since(t0)
	fe, _ := firstErr.Load().(string)
	say("many-writes: target=%s: %d puts acknowledged, %d failed (first error: %s) in %v (%.0f/s); revisions %d..%d",
		srv.target, len(acks), unknownCount, fe, loadTime.Round(100*time.Millisecond), float64(len(acks))/loadTime.Seconds(), minRv, maxRev)
	if int64(len(acks))+unknownCount < manyPuts {
		t.Errorf("only %d of %d puts were sent within %v", int64(len(acks))+unknownCount, manyPuts, manyLoadLimit)
	}
	if unknownCount > 0 {
		t.Errorf("%d puts failed under load on a healthy disk (first error: %s)", unknownCount, fe)
	}
	if !srv.running() {
		t.Fatalf("%s exited under load: %s", srv.target, srv.exitStatus())
	}
	loadLog := srv.logSince(logStart)
	snapsSaved := strings.Count(loadLog, "saved snapshot")
	say("many-writes: %d 'saved snapshot' lines in the %s log", snapsSaved, srv.target)
	if want := len(acks) / manySnapshotCount / 2; snapsSaved < want || snapsSaved == 0 {
		t.Errorf("the %s log has %d 'saved snapshot' lines for %d puts with --snapshot-count %d; want at least %d",
			srv.target, snapsSaved, len(acks), manySnapshotCount, want)
	}

	// SIGKILL, restart, check; then SIGTERM, restart, check.
	var storeRev int64
	for round, how := range []string{"SIGKILL", "SIGTERM"} {
		pid := srv.pid()
		if how == "SIGKILL" {
			if _, err := srv.kill(nil); err != nil {
				t.Fatalf("SIGKILL pid %d: %v", pid, err)
			}
		} else if err := srv.terminate(termLimit); err != nil {
			t.Fatalf("SIGTERM: %v", err)
		}
		say("many-writes: %s pid %d: %s", how, pid, srv.exitStatus())
		restart := time.Now()
		if err := srv.start(); err != nil {
			t.Fatalf("cannot restart %s: %v", srv.target, err)
		}
		conn, err := srv.waitReady(readyLimit)
		if err != nil {
			t.Fatalf("%s did not come back after %s: %v", srv.target, how, err)
		}
		ready := time.Since(restart)
		vStart := time.Now()
		probs, rev := verifyMany(pb.NewKVClient(conn), keys, acks, maxRev, unknownCount, manyHistorySample)
		conn.Close()
		if round > 0 && rev != storeRev {
			probs = append(probs, fmt.Sprintf("revision-changed: store revision %d after the %s restart, %d before it (nothing was written)", rev, how, storeRev))
		}
		storeRev = rev
		for i, p := range probs {
			if i == maxShown {
				t.Errorf("after %s: ... and %d more", how, len(probs)-maxShown)
				break
			}
			t.Errorf("after %s: %s", how, p)
		}
		say("many-writes: after %s: ready in %v, store revision %d, %d problems (verified in %v)",
			how, ready.Round(time.Millisecond), rev, len(probs), time.Since(vStart).Round(time.Millisecond))
	}

	// Retention on disk. swift-etcd removes snapshot files past
	// --max-snapshots after every save; etcd 3.4 purges them on a 30 s timer
	// (fileutil.PurgeFile), so a short run can leave more there: for etcd only
	// that some exist.
	snapDir := filepath.Join(dataDir, "member", "snap")
	walDir := filepath.Join(dataDir, "member", "wal")
	snaps, err := countFiles(snapDir, ".snap")
	if err != nil {
		t.Errorf("cannot list %s: %v", snapDir, err)
	}
	wals, err := countFiles(walDir, ".wal")
	if err != nil {
		t.Errorf("cannot list %s: %v", walDir, err)
	}
	say("many-writes: %d .snap files in member/snap, %d .wal files in member/wal (%v in all)", snaps, wals, time.Since(t0).Round(100*time.Millisecond))
	if snaps < 1 {
		t.Errorf("no .snap file in %s after %d puts with --snapshot-count %d", snapDir, len(acks), manySnapshotCount)
	}
	if srv.target == "swift-etcd" {
		if snaps > 2 {
			t.Errorf("%d .snap files in %s with --max-snapshots 2", snaps, snapDir)
		}
		// 30k small puts fit one 64 MiB segment, so this holds without any
		// removal; it catches a cut or release gone wrong.
		if wals > 2 {
			t.Errorf("%d .wal files in %s with --max-wals 2", wals, walDir)
		}
	}
}

// verifyMany checks every key's latest acknowledged put (value and mod
// revision; or a later put whose outcome was unknown), no foreign keys, the
// store revision (from the highest acknowledged one to that plus the failed
// puts), and a sample of superseded puts at their revisions.
func verifyMany(kv pb.KVClient, keys [][]manyKey, acks []ackedPut, maxRev, unknown int64, sample int) ([]string, int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	obs, storeRev, err := readAll(ctx, kv)
	if err != nil {
		return []string{fmt.Sprintf("read-error: %v", err)}, 0
	}
	var probs []string
	if storeRev < maxRev {
		probs = append(probs, fmt.Sprintf("revision-backwards: store revision %d is below the highest acknowledged revision %d", storeRev, maxRev))
	}
	if storeRev > maxRev+unknown {
		probs = append(probs, fmt.Sprintf("phantom-revision: store revision %d is beyond the highest acknowledged revision %d plus the %d failed puts", storeRev, maxRev, unknown))
	}
	known := map[string]bool{}
	for id := range keys {
		for j, ks := range keys[id] {
			k := fmt.Sprintf("%smany/w%02d/k%04d", keyPrefix, id, j)
			known[k] = true
			o, present := obs[k]
			switch {
			case ks.rev == 0 && len(ks.unknown) == 0:
				if present {
					probs = append(probs, fmt.Sprintf("phantom-key: %q = %q was never written", k, short(o.val)))
				}
			case present && ks.rev > 0 && o.mod == ks.rev:
				if o.val != ks.val {
					probs = append(probs, fmt.Sprintf("wrong-value: %q at mod_revision %d holds %q, the acknowledged put wrote %q", k, o.mod, short(o.val), short(ks.val)))
				}
			case present && o.mod > ks.rev && contains(ks.unknown, o.val):
				// a put whose answer was lost, applied: fine
			case !present && ks.rev == 0:
				// only unknown puts, none applied: fine
			case present:
				probs = append(probs, fmt.Sprintf("lost-put: %q: the latest acknowledged put %q at revision %d is lost, the store has %q at mod_revision %d",
					k, short(ks.val), ks.rev, short(o.val), o.mod))
			default:
				probs = append(probs, fmt.Sprintf("lost-put: %q: the latest acknowledged put %q at revision %d is lost, the key is absent", k, short(ks.val), ks.rev))
			}
		}
	}
	for k, o := range obs {
		if !known[k] && strings.HasPrefix(k, keyPrefix+"many/") {
			probs = append(probs, fmt.Sprintf("phantom-key: %q = %q (mod_revision %d) was never written", k, short(o.val), o.mod))
		}
	}
	// History: acknowledged puts read at their own revision (no compaction
	// happens, so every one is still there).
	idx := rand.Perm(len(acks))
	if len(idx) > sample {
		idx = idx[:sample]
	}
	var hmu sync.Mutex
	var wg sync.WaitGroup
	next := int64(-1)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(len(idx)) {
					return
				}
				a := acks[idx[i]]
				c := atRevCheck{a.key, write{kind: kPut, val: a.val, rev: a.rev, op: 1}}
				if p := checkAtRev(ctx, kv, c, storeRev); p != nil {
					hmu.Lock()
					probs = append(probs, p.class+": "+p.msg)
					hmu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return probs, storeRev
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
