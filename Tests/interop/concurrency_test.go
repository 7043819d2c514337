package interop

// Locks and elections: clientv3's concurrency package (Session, Mutex, Election, STM), the
// Lock and Election gRPC services etcd serves itself, and `etcdctl lock` / `etcdctl elect`.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/concurrency"
	"go.etcd.io/etcd/etcdserver/api/v3election/v3electionpb"
	"go.etcd.io/etcd/etcdserver/api/v3lock/v3lockpb"
	"google.golang.org/grpc/codes"
	"swiftetcd/testserver"
)

func newSession(t *testing.T, ttl int) *concurrency.Session {
	t.Helper()
	s, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl))
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConcurrencyMutexContention: three sessions take turns holding one mutex, never two at
// once, in the order they queued.
func TestConcurrencyMutexContention(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	var holders int32
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	first := concurrency.NewMutex(newSession(t, 10), p+"lock")
	if err := first.Lock(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		m := concurrency.NewMutex(newSession(t, 10), p+"lock")
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := m.Lock(c); err != nil {
				t.Errorf("lock %d: %v", i, err)
				return
			}
			if n := atomic.AddInt32(&holders, 1); n != 1 {
				t.Errorf("%d holders at once", n)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			atomic.AddInt32(&holders, -1)
			if err := m.Unlock(c); err != nil {
				t.Errorf("unlock %d: %v", i, err)
			}
		}(i)
		// Queue them in a known order: each waiter's key exists before the next starts.
		waitForKeys(t, p+"lock/", i+1)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	if len(order) != 0 {
		t.Errorf("someone got the held lock: %v", order)
	}
	mu.Unlock()
	if err := first.Unlock(ctx(t)); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if fmt.Sprint(order) != "[1 2 3]" {
		t.Fatalf("lock order %v, want [1 2 3]", order)
	}
	if got := keysOf(mustGet(t, p, clientv3.WithPrefix()), p); len(got) != 0 {
		t.Fatalf("lock keys left: %q", got)
	}
}

func waitForKeys(t *testing.T, prefix string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(mustGet(t, prefix, clientv3.WithPrefix()).Kvs) >= n {
			return
		}
	}
	t.Fatalf("fewer than %d keys under %s", n, prefix)
}

// TestConcurrencyMutexGivesUp: a waiter whose context ends gives up and removes its key, so
// the next waiter is not stuck behind it.
func TestConcurrencyMutexGivesUp(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	holder := concurrency.NewMutex(newSession(t, 10), p+"lock")
	if err := holder.Lock(ctx(t)); err != nil {
		t.Fatal(err)
	}
	quitter := concurrency.NewMutex(newSession(t, 10), p+"lock")
	c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := quitter.Lock(c); err != context.DeadlineExceeded {
		t.Fatalf("lock with a short deadline: %v", err)
	}
	if got := keysOf(mustGet(t, p+"lock/", clientv3.WithPrefix()), p+"lock/"); len(got) != 1 {
		t.Fatalf("keys after giving up: %q", got)
	}
	// A session that ends (its lease revoked) releases the lock too.
	s := newSession(t, 10)
	next := concurrency.NewMutex(s, p+"lock")
	done := make(chan error, 1)
	go func() { done <- next.Lock(context.Background()) }()
	waitForKeys(t, p+"lock/", 2)
	if _, err := cli.Revoke(ctx(t), holderLease(t, holder)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("lock not handed over after the holder's lease was revoked")
	}
}

func holderLease(t *testing.T, m *concurrency.Mutex) clientv3.LeaseID {
	r := mustGet(t, m.Key())
	if len(r.Kvs) != 1 {
		t.Fatalf("holder key %s: %d kvs", m.Key(), len(r.Kvs))
	}
	return clientv3.LeaseID(r.Kvs[0].Lease)
}

// TestConcurrencyElection: campaign, observe, proclaim, resign, and leadership passing on.
func TestConcurrencyElection(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	e1 := concurrency.NewElection(newSession(t, 10), p+"e")
	e2 := concurrency.NewElection(newSession(t, 10), p+"e")
	watcher := concurrency.NewElection(newSession(t, 10), p+"e")

	if _, err := watcher.Leader(ctx(t)); err != concurrency.ErrElectionNoLeader {
		t.Fatalf("leader of an empty election: %v", err)
	}
	oc, stop := context.WithCancel(context.Background())
	defer stop()
	observed := watcher.Observe(oc)

	if err := e1.Campaign(ctx(t), "one"); err != nil {
		t.Fatal(err)
	}
	expectLeaderValue(t, observed, "one")
	won := make(chan error, 1)
	go func() { won <- e2.Campaign(context.Background(), "two") }()
	waitForKeys(t, p+"e/", 2)
	if err := e1.Proclaim(ctx(t), "one again"); err != nil {
		t.Fatal(err)
	}
	expectLeaderValue(t, observed, "one again")
	if l, err := e2.Leader(ctx(t)); err != nil || string(l.Kvs[0].Value) != "one again" {
		t.Fatalf("leader seen by the waiting candidate: %v %v", l, err)
	}
	select {
	case err := <-won:
		t.Fatalf("second candidate won while the first leads: %v", err)
	default:
	}
	if err := e1.Resign(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-won; err != nil {
		t.Fatal(err)
	}
	expectLeaderValue(t, observed, "two")
	if err := e1.Proclaim(ctx(t), "stale"); err != concurrency.ErrElectionNotLeader {
		t.Fatalf("proclaim after resigning: %v", err)
	}
	if err := e2.Resign(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := watcher.Leader(ctx(t)); err != concurrency.ErrElectionNoLeader {
		t.Fatalf("leader after everyone resigned: %v", err)
	}
}

func expectLeaderValue(t *testing.T, observed <-chan clientv3.GetResponse, want string) {
	t.Helper()
	select {
	case r, ok := <-observed:
		if !ok || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != want {
			t.Fatalf("observed %v (open %v), want leader value %q", r.Kvs, ok, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("observed nothing, want leader value %q", want)
	}
}

// TestConcurrencySTM: concurrent transfers between accounts through software transactional
// memory conserve the total.
func TestConcurrencySTM(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	const accounts, workers, transfers = 4, 4, 10
	for i := 0; i < accounts; i++ {
		mustPut(t, fmt.Sprintf("%sacct%d", p, i), "100")
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; n < transfers; n++ {
				from, to := fmt.Sprintf("%sacct%d", p, (w+n)%accounts), fmt.Sprintf("%sacct%d", p, (w+n+1)%accounts)
				_, err := concurrency.NewSTM(cli, func(s concurrency.STM) error {
					var a, b int
					fmt.Sscan(s.Get(from), &a)
					fmt.Sscan(s.Get(to), &b)
					s.Put(from, fmt.Sprint(a-3))
					s.Put(to, fmt.Sprint(b+3))
					return nil
				})
				if err != nil {
					t.Errorf("stm: %v", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	total := 0
	for _, kv := range mustGet(t, p, clientv3.WithPrefix()).Kvs {
		var v int
		fmt.Sscan(string(kv.Value), &v)
		total += v
	}
	if total != 100*accounts {
		t.Fatalf("total after transfers: %d, want %d", total, 100*accounts)
	}
}

// TestLockService: the v3lock gRPC service holds a lock per lease until unlocked.
func TestLockService(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	lc := v3lockpb.NewLockClient(rawConn)
	l1, l2 := grant(t, 10), grant(t, 10)

	r1, err := lc.Lock(ctx(t), &v3lockpb.LockRequest{Name: []byte(p + "l"), Lease: int64(l1)})
	if err != nil {
		t.Fatal(err)
	}
	if string(r1.Key) != fmt.Sprintf("%sl/%x", p, int64(l1)) || r1.Header == nil || r1.Header.Revision != currentRev(t) {
		t.Fatalf("lock: key %q header %+v", r1.Key, r1.Header)
	}
	got := make(chan *v3lockpb.LockResponse, 1)
	go func() {
		r, err := lc.Lock(context.Background(), &v3lockpb.LockRequest{Name: []byte(p + "l"), Lease: int64(l2)})
		if err != nil {
			t.Errorf("second lock: %v", err)
		}
		got <- r
	}()
	waitForKeys(t, p+"l/", 2)
	select {
	case <-got:
		t.Fatal("second lock granted while the first is held")
	case <-time.After(200 * time.Millisecond):
	}
	u, err := lc.Unlock(ctx(t), &v3lockpb.UnlockRequest{Key: r1.Key})
	if err != nil || u.Header == nil {
		t.Fatalf("unlock: %v %v", u, err)
	}
	select {
	case r2 := <-got:
		if r2 == nil || string(r2.Key) != fmt.Sprintf("%sl/%x", p, int64(l2)) {
			t.Fatalf("second lock: %+v", r2)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second lock not granted after unlock")
	}

	// Errors come back as clientv3 saw them inside the server: code Unknown.
	_, err = lc.Unlock(ctx(t), &v3lockpb.UnlockRequest{})
	statusErr(t, "unlock without key", err, codes.Unknown, "etcdserver: key is not provided")
	_, err = lc.Lock(ctx(t), &v3lockpb.LockRequest{Name: []byte(p + "m"), Lease: 0x5eed})
	statusErr(t, "lock with an unknown lease", err, codes.Unknown, "etcdserver: requested lease not found")

	// Without a lease, the lock gets a 60 s lease of its own.
	r3, err := lc.Lock(ctx(t), &v3lockpb.LockRequest{Name: []byte(p + "n")})
	if err != nil {
		t.Fatal(err)
	}
	kv := mustGet(t, string(r3.Key)).Kvs[0]
	defer cli.Revoke(ctx(t), clientv3.LeaseID(kv.Lease))
	if ttl, err := cli.TimeToLive(ctx(t), clientv3.LeaseID(kv.Lease)); err != nil || ttl.GrantedTTL != 60 ||
		string(r3.Key) != fmt.Sprintf("%sn/%x", p, kv.Lease) {
		t.Fatalf("lock without a lease: key %q, lease %+v %v", r3.Key, ttl, err)
	}
}

// TestElectionService: the v3election gRPC service: campaign, leader, observe, proclaim, resign.
func TestElectionService(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	ec := v3electionpb.NewElectionClient(rawConn)
	name := []byte(p + "e")
	l1, l2 := grant(t, 10), grant(t, 10)

	_, err := ec.Leader(ctx(t), &v3electionpb.LeaderRequest{Name: name})
	statusErr(t, "leader of an empty election", err, codes.Unknown, "election: no leader")

	c1, err := ec.Campaign(ctx(t), &v3electionpb.CampaignRequest{Name: name, Lease: int64(l1), Value: []byte("v1")})
	if err != nil {
		t.Fatal(err)
	}
	leader := c1.Leader
	if leader == nil || string(leader.Name) != string(name) || string(leader.Key) != fmt.Sprintf("%se/%x", p, int64(l1)) ||
		leader.Lease != int64(l1) || leader.Rev != c1.Header.Revision {
		t.Fatalf("campaign: %+v", c1)
	}
	lr, err := ec.Leader(ctx(t), &v3electionpb.LeaderRequest{Name: name})
	if err != nil || string(lr.Kv.Value) != "v1" || string(lr.Kv.Key) != string(leader.Key) {
		t.Fatalf("leader: %+v %v", lr, err)
	}

	oc, stop := context.WithCancel(context.Background())
	defer stop()
	obs, err := ec.Observe(oc, &v3electionpb.LeaderRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	expectObserved(t, obs, "v1")

	if _, err = ec.Proclaim(ctx(t), &v3electionpb.ProclaimRequest{Leader: leader, Value: []byte("v1b")}); err != nil {
		t.Fatal(err)
	}
	expectObserved(t, obs, "v1b")

	won := make(chan *v3electionpb.CampaignResponse, 1)
	go func() {
		r, err := ec.Campaign(context.Background(), &v3electionpb.CampaignRequest{Name: name, Lease: int64(l2), Value: []byte("v2")})
		if err != nil {
			t.Errorf("second campaign: %v", err)
		}
		won <- r
	}()
	waitForKeys(t, p+"e/", 2)
	if _, err = ec.Resign(ctx(t), &v3electionpb.ResignRequest{Leader: leader}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-won:
		if r == nil || r.Leader.Lease != int64(l2) {
			t.Fatalf("second campaign: %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second candidate did not win after the leader resigned")
	}
	expectObserved(t, obs, "v2")

	_, err = ec.Proclaim(ctx(t), &v3electionpb.ProclaimRequest{Leader: leader, Value: []byte("stale")})
	statusErr(t, "proclaim by a resigned leader", err, codes.Unknown, "election: not leader")
	_, err = ec.Proclaim(ctx(t), &v3electionpb.ProclaimRequest{Value: []byte("x")})
	statusErr(t, "proclaim without leader", err, codes.Unknown, `"leader" field must be provided`)
	_, err = ec.Resign(ctx(t), &v3electionpb.ResignRequest{})
	statusErr(t, "resign without leader", err, codes.Unknown, `"leader" field must be provided`)
	// Resigning a leadership one does not hold changes nothing and is no error.
	if _, err = ec.Resign(ctx(t), &v3electionpb.ResignRequest{Leader: leader}); err != nil {
		t.Fatalf("resign again: %v", err)
	}
	if lr, err = ec.Leader(ctx(t), &v3electionpb.LeaderRequest{Name: name}); err != nil || string(lr.Kv.Value) != "v2" {
		t.Fatalf("leader after a stale resign: %+v %v", lr, err)
	}
}

func expectObserved(t *testing.T, obs v3electionpb.Election_ObserveClient, want string) {
	t.Helper()
	r, err := obs.Recv()
	if err != nil || r.Kv == nil || string(r.Kv.Value) != want || r.Header == nil || r.Header.Revision < r.Kv.ModRevision {
		t.Fatalf("observe: %+v %v, want value %q", r, err, want)
	}
}

// ctlBackground starts a long-running etcdctl; its stdout lines arrive on the channel.
func ctlBackground(t *testing.T, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(etcdctlPath, append([]string{"--endpoints", clientURL}, args...)...)
	cmd.Env = append(testserver.CleanEnv(testserver.CleanEnv(cmd.Environ(), "ETCDCTL_"), "ETCD_"), "ETCDCTL_API=3")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, lines
}

func expectCtlLines(t *testing.T, what string, lines <-chan string, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got, ok := <-lines:
			if !ok || got != w {
				t.Fatalf("%s: got %q (open %v), want %q", what, got, ok, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: nothing within 5s, want %q", what, w)
		}
	}
}

func expectNoLine(t *testing.T, what string, lines <-chan string) {
	t.Helper()
	select {
	case got := <-lines:
		t.Fatalf("%s: unexpected output %q", what, got)
	case <-time.After(300 * time.Millisecond):
	}
}

// stop sends SIGTERM (etcdctl then unlocks or resigns) and waits for a clean exit.
func stopCtl(t *testing.T, what string, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s after SIGTERM: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not exit after SIGTERM", what)
	}
}

func TestCtlLock(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	name := p + "l"
	// With a command: it runs while the lock is held, with the key in the environment.
	out := ctlOK(t, "lock", name, "--", "sh", "-c", `echo "$ETCD_LOCK_KEY"`)
	if !strings.HasPrefix(out, name+"/") || len(keysOf(mustGet(t, p, clientv3.WithPrefix()), p)) != 0 {
		t.Fatalf("lock with a command printed %q", out)
	}

	holder, held := ctlBackground(t, "lock", name)
	var key string
	select {
	case key = <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("etcdctl lock printed nothing")
	}
	if !strings.HasPrefix(key, name+"/") {
		t.Fatalf("etcdctl lock printed key %q", key)
	}
	expectCtlLines(t, "etcdctl lock", held, "")
	_, second := ctlBackground(t, "lock", name, "echo", "second")
	waitForKeys(t, name+"/", 2)
	expectNoLine(t, "second lock while the first holds", second)
	stopCtl(t, "etcdctl lock", holder)
	expectCtlLines(t, "second lock", second, "second")
}

func TestCtlElect(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	name := p + "e"
	_, observed := ctlBackground(t, "elect", "-l", name)
	time.Sleep(200 * time.Millisecond)

	first, firstOut := ctlBackground(t, "elect", name, "p1")
	var key1 string
	select {
	case key1 = <-firstOut:
	case <-time.After(5 * time.Second):
		t.Fatal("etcdctl elect printed nothing")
	}
	if !strings.HasPrefix(key1, name+"/") {
		t.Fatalf("etcdctl elect printed key %q", key1)
	}
	expectCtlLines(t, "leader", firstOut, "p1")
	expectCtlLines(t, "observer", observed, key1, "p1")

	_, secondOut := ctlBackground(t, "elect", name, "p2")
	waitForKeys(t, name+"/", 2)
	expectNoLine(t, "second candidate while the first leads", secondOut)
	stopCtl(t, "etcdctl elect", first)
	var key2 string
	select {
	case key2 = <-secondOut:
	case <-time.After(5 * time.Second):
		t.Fatal("second candidate printed nothing after the leader resigned")
	}
	expectCtlLines(t, "second leader", secondOut, "p2")
	expectCtlLines(t, "observer", observed, key2, "p2")
}
