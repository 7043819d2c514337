package crash

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
)

const (
	hotKeys       = 4                      // keys every writer overwrites and deletes
	opTimeout     = 5 * time.Second        // one request
	readyLimit    = 30 * time.Second       // a (re)start until the first read succeeds
	writersLimit  = 15 * time.Second       // writers to stop after the kill
	minLoad       = 50 * time.Millisecond  // load before a kill: at least
	maxLoad       = 500 * time.Millisecond // ... and at most
	defaultBudget = 170 * time.Second      // the whole run
	maxShown      = 8                      // problems printed per cycle
	// 1 cycle in 4 also kills the restarted server within this of its start.
	maxRecoveryKill = 400 * time.Millisecond
)

func envInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func say(format string, args ...interface{}) {
	fmt.Printf("crash: "+format+"\n", args...)
}

// TestCrash: writers load the server, it is killed with SIGKILL after a
// random 50-500 ms, restarted on the same data dir, and the store is checked
// against every acknowledged write; CRASH_KILLS times.
func TestCrash(t *testing.T) {
	t0 := time.Now()
	seed := envInt(t, "CRASH_SEED", time.Now().UnixNano())
	kills := int(envInt(t, "CRASH_KILLS", 20))
	nWriters := int(envInt(t, "CRASH_WRITERS", 8))
	budget := defaultBudget
	if v := os.Getenv("CRASH_BUDGET"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CRASH_BUDGET=%q: %v", v, err)
		}
		budget = d
	}
	if kills < 1 || nWriters < 1 {
		t.Fatalf("CRASH_KILLS and CRASH_WRITERS must be at least 1")
	}

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
	say("target=%s bin=%s client=%s kills=%d writers=%d budget=%v", srv.target, srv.bin, srv.addr, kills, nWriters, budget)
	say("seed=%d (CRASH_SEED=%d reproduces the kill times and the writers' choices; the interleaving still varies)", seed, seed)

	if err := srv.start(); err != nil {
		t.Fatalf("cannot start %s: %v", srv.target, err)
	}
	conn, err := srv.waitReady(readyLimit)
	if err != nil {
		t.Fatalf("%s (pid %d) not ready: %v", srv.target, srv.pid(), err)
	}
	startRev := int64(0)
	{
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		resp, err := pb.NewKVClient(conn).Range(ctx, &pb.RangeRequest{Key: []byte(keyPrefix), RangeEnd: []byte(keyEnd), CountOnly: true})
		cancel()
		conn.Close()
		if err != nil {
			t.Fatalf("first read: %v", err)
		}
		if resp.Count != 0 {
			t.Fatalf("a fresh data dir holds %d keys under %s", resp.Count, keyPrefix)
		}
		startRev = resp.Header.Revision
	}
	say("started pid %d in %v, store revision %d", srv.pid(), time.Since(t0).Round(time.Millisecond), startRev)

	m := newModel()
	m.seen(startRev)
	master := rand.New(rand.NewSource(seed))
	ws := make([]*writer, nWriters)
	for i := range ws {
		ws[i] = &writer{id: i, m: m, rng: rand.New(rand.NewSource(seed + int64(i+1)*7919)), prefix: fmt.Sprintf("%su/%d/", keyPrefix, i)}
	}

	passed, failed := 0, 0
	aborted := ""
	for c := 1; c <= kills; c++ {
		if el := time.Since(t0); el > budget {
			aborted = fmt.Sprintf("time budget %v used up after %d of %d kills", budget, c-1, kills)
			break
		}
		load := minLoad + time.Duration(master.Int63n(int64(maxLoad-minLoad)+1))
		recoveryKill := time.Duration(-1)
		if master.Intn(4) == 0 {
			recoveryKill = time.Duration(master.Int63n(int64(maxRecoveryKill) + 1))
		}
		probs, line, fatal := runCycle(srv, m, ws, c, load, recoveryKill)
		if len(probs) == 0 {
			passed++
			say("cycle %2d/%d: %s; verify OK", c, kills, line)
		} else {
			failed++
			say("cycle %2d/%d: %s; verify FAILED: %d problems (%s)", c, kills, line, len(probs), summarize(probs))
			ex := examples(probs, maxShown)
			for _, p := range ex {
				say("    %s: %s", p.class, p.msg)
			}
			if len(probs) > len(ex) {
				say("    ... and %d more", len(probs)-len(ex))
			}
			t.Errorf("cycle %d: %d problems (%s); e.g. %s", c, len(probs), summarize(probs), ex[0].msg)
		}
		if fatal != "" {
			aborted = fatal
			break
		}
	}
	m.mu.Lock()
	acked, unknown := m.totalAcked, m.totalUnknown
	m.mu.Unlock()
	srv.mu.Lock()
	sigkills := srv.kills
	srv.mu.Unlock()
	say("%d passed, %d failed (%d cycles, %d SIGKILLs of %s, seed %d, %d acknowledged requests, %d unknown, %v)",
		passed, failed, passed+failed, sigkills, srv.target, seed, acked, unknown, time.Since(t0).Round(100*time.Millisecond))
	if aborted != "" {
		say("run aborted: %s", aborted)
		t.Errorf("run aborted: %s", aborted)
	}
	if failed > 0 {
		t.Errorf("%d of %d kill/restart cycles failed verification (seed %d)", failed, passed+failed, seed)
	}
}

// runCycle loads the running server for load, kills it, restarts it and
// verifies. fatal is set when the run cannot go on (the server does not
// come back).
//
// With recoveryKill >= 0 the restarted server is killed again that long
// after its start (while it recovers, or just after), and restarted once more.
func runCycle(srv *server, m *model, ws []*writer, cycle int, load, recoveryKill time.Duration) (probs []problem, line string, fatal string) {
	conns := make([]*grpc.ClientConn, len(ws))
	for i := range conns {
		c, err := dial(srv.addr, true)
		if err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return []problem{{"connect", fmt.Sprintf("writer %d cannot connect: %v", i, err)}}, "no load", "writers cannot connect"
		}
		conns[i] = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func(w *writer, kv pb.KVClient) {
			defer wg.Done()
			w.run(ctx, kv, cycle)
		}(w, pb.NewKVClient(conns[i]))
	}
	loadStart := time.Now()
	time.Sleep(load)
	pid := srv.pid()
	var killedAfter time.Duration
	// The writers stop as soon as the signal is sent: a request answered
	// after that counts as unknown, which is always safe.
	wasRunning, kerr := srv.kill(func() { killedAfter = time.Since(loadStart); cancel() })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(writersLimit):
		// Cannot happen with opTimeout per request; the run cannot go on.
		return []problem{{"harness", "writers did not stop after the kill"}}, "", "writers stuck"
	}
	for _, c := range conns {
		c.Close()
	}
	if kerr != nil {
		return []problem{{"harness", fmt.Sprintf("kill pid %d: %v", pid, kerr)}}, "", "cannot kill the server"
	}
	if !wasRunning {
		m.problem("server-exited", "the server (pid %d) had exited by itself before the kill: %s", pid, srv.exitStatus())
	}
	m.mu.Lock()
	cAcked, cUnknown, total := m.cycleAcked, m.cycleUnknown, m.totalAcked
	m.mu.Unlock()
	line = fmt.Sprintf("SIGKILL pid %d after %v, %d acked (%d total), %d unknown", pid,
		killedAfter.Round(time.Millisecond), cAcked, total, cUnknown)

	if recoveryKill >= 0 {
		if err := srv.start(); err != nil {
			return append(m.takeProblems(), problem{"restart", fmt.Sprintf("cannot restart: %v", err)}), line, "cannot restart the server"
		}
		time.Sleep(recoveryKill)
		pid := srv.pid()
		wasRunning, kerr := srv.kill(nil)
		if kerr != nil {
			return append(m.takeProblems(), problem{"harness", fmt.Sprintf("kill pid %d: %v", pid, kerr)}), line, "cannot kill the server"
		}
		if !wasRunning {
			m.problem("server-exited", "the restarted server (pid %d) exited by itself within %v: %s", pid, recoveryKill, srv.exitStatus())
		}
		line += fmt.Sprintf("; restarted and SIGKILLed again after %v (pid %d)", recoveryKill.Round(time.Millisecond), pid)
	}
	restart := time.Now()
	if err := srv.start(); err != nil {
		return append(m.takeProblems(), problem{"restart", fmt.Sprintf("cannot restart: %v", err)}), line, "cannot restart the server"
	}
	conn, err := srv.waitReady(readyLimit)
	if err != nil {
		return append(m.takeProblems(), problem{"restart", fmt.Sprintf("after the restart (pid %d): %v", srv.pid(), err)}), line, "the server did not come back"
	}
	defer conn.Close()
	ready := time.Since(restart)
	vStart := time.Now()
	probs, st := m.verify(pb.NewKVClient(conn), cycle)
	line += fmt.Sprintf("; ready in %v; store rev %d, %d keys; %d acked writes confirmed, %d checked at their revision, %d explained by unacknowledged writes (%v)",
		ready.Round(time.Millisecond), st.storeRev, st.keys, st.confirmed, st.atRev, st.unresolved, time.Since(vStart).Round(time.Millisecond))
	for _, w := range ws {
		w.live = m.liveKeys(w.prefix)
		if w.lastRev > st.storeRev && st.storeRev > 0 {
			w.lastRev = st.storeRev // already reported; start again from the store's revision
		}
	}
	return probs, line, ""
}

func (m *model) takeProblems() []problem {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.problems
	m.problems = nil
	return p
}

// writer sends one request at a time, as fast as the server answers, and
// records each as acknowledged (with its header revision) or unknown.
type writer struct {
	id      int
	m       *model
	rng     *rand.Rand
	prefix  string    // its own keys: keyPrefix + "u/<id>/"
	seq     int       // its next own key
	vals    int       // its next value
	live    []liveKey // its own keys known to exist, with their mod revision
	lastRev int64     // revision of its last acknowledged request
}

func (w *writer) newKey() string {
	w.seq++
	return fmt.Sprintf("%s%08d", w.prefix, w.seq)
}

// newVal returns a value unique in the run: "w<id>.<n>.", then 0-255 bytes
// of padding, or 32 KiB for 1 in 100, so log records vary in size.
func (w *writer) newVal() string {
	w.vals++
	pad := w.rng.Intn(256)
	if w.rng.Intn(100) == 0 {
		pad = 32 << 10
	}
	return fmt.Sprintf("w%d.%d.", w.id, w.vals) + padding[:pad]
}

var padding = strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_", 512)

func (w *writer) hotKey() string {
	return fmt.Sprintf("%shot/%d", keyPrefix, w.rng.Intn(hotKeys))
}

// takeLive removes and returns one of its live keys at random.
func (w *writer) takeLive() (liveKey, bool) {
	if len(w.live) == 0 {
		return liveKey{}, false
	}
	i := w.rng.Intn(len(w.live))
	k := w.live[i]
	w.live[i] = w.live[len(w.live)-1]
	w.live = w.live[:len(w.live)-1]
	return k, true
}

func putOp(k, v string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k), Value: []byte(v)}}}
}

func delOp(k string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte(k)}}}
}

func getOp(k string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte(k)}}}
}

// checkRev: the writer's requests are sequential, so each acknowledged one
// has a revision past the previous one (or equal, if it wrote nothing).
func (w *writer) checkRev(rev int64, wrote bool, what string) {
	if rev < w.lastRev || (wrote && rev == w.lastRev) {
		w.m.problem("revision-order", "writer %d: %s acknowledged at revision %d, after its previous request at revision %d", w.id, what, rev, w.lastRev)
	}
	if rev > w.lastRev {
		w.lastRev = rev
	}
	w.m.seen(rev)
}

func (w *writer) run(ctx context.Context, kv pb.KVClient, cycle int) {
	for n := 0; ctx.Err() == nil && n < 1e6; n++ {
		if err := w.step(ctx, kv, cycle); err != nil {
			select { // the server is gone (or refusing): do not spin
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// step sends one request: 60% put of a new key, 12% put of a hot key, 8%
// delete of one of its keys, 4% delete of a hot key, 16% transactions.
func (w *writer) step(ctx context.Context, kv pb.KVClient, cycle int) error {
	rctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r := w.rng.Intn(100)
	switch {
	case r < 72: // put: a new key, or a hot one
		k := w.newKey()
		if r >= 60 {
			k = w.hotKey()
		}
		v := w.newVal()
		ws := []kw{{k, kPut, v}}
		resp, err := kv.Put(rctx, &pb.PutRequest{Key: []byte(k), Value: []byte(v)})
		if err != nil {
			w.m.unknown(cycle, ws)
			return err
		}
		rev := resp.Header.Revision
		w.checkRev(rev, true, "put "+k)
		w.m.acked(cycle, rev, ws)
		if r < 60 {
			w.live = append(w.live, liveKey{k, rev})
		}
		return nil

	case r < 84: // delete: one of its keys (it must be there), or a hot one
		var k string
		own := false
		if r < 80 {
			if lk, ok := w.takeLive(); ok {
				k, own = lk.key, true
			}
		}
		if k == "" {
			k = w.hotKey()
		}
		ws := []kw{{k, kDel, ""}}
		resp, err := kv.DeleteRange(rctx, &pb.DeleteRangeRequest{Key: []byte(k)})
		if err != nil {
			w.m.unknown(cycle, ws)
			return err
		}
		rev := resp.Header.Revision
		w.checkRev(rev, resp.Deleted > 0, "delete "+k)
		if resp.Deleted > 0 {
			w.m.acked(cycle, rev, ws)
		} else if own {
			w.m.problem("lost-put", "writer %d: delete of its key %q found nothing (revision %d), though its put was acknowledged", w.id, k, rev)
		}
		return nil

	case r < 94: // txn: if a new key was never created, put it and a hot key
		k, h := w.newKey(), w.hotKey()
		v, hv := w.newVal(), w.newVal()
		ws := []kw{{k, kPut, v}, {h, kPut, hv}}
		resp, err := kv.Txn(rctx, &pb.TxnRequest{
			Compare: []*pb.Compare{{Key: []byte(k), Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL,
				TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 0}}},
			Success: []*pb.RequestOp{putOp(k, v), putOp(h, hv)},
			Failure: []*pb.RequestOp{getOp(k)},
		})
		if err != nil {
			w.m.unknown(cycle, ws)
			return err
		}
		rev := resp.Header.Revision
		w.checkRev(rev, resp.Succeeded, "txn put "+k)
		if !resp.Succeeded {
			w.m.problem("txn", "writer %d: txn create_revision(%q) == 0 failed at revision %d for a key never written", w.id, k, rev)
			return nil
		}
		w.m.acked(cycle, rev, ws)
		w.live = append(w.live, liveKey{k, rev})
		return nil

	case r < 97: // txn: put a new key and delete one of its keys
		lk, ok := w.takeLive()
		if !ok {
			return nil
		}
		k, v := w.newKey(), w.newVal()
		ws := []kw{{k, kPut, v}, {lk.key, kDel, ""}}
		resp, err := kv.Txn(rctx, &pb.TxnRequest{Success: []*pb.RequestOp{putOp(k, v), delOp(lk.key)}})
		if err != nil {
			w.m.unknown(cycle, ws)
			return err
		}
		rev := resp.Header.Revision
		w.checkRev(rev, true, "txn put "+k+" delete "+lk.key)
		if len(resp.Responses) != 2 {
			w.m.problem("txn", "writer %d: txn of 2 ops answered with %d responses", w.id, len(resp.Responses))
			return nil
		}
		if resp.Responses[1].GetResponseDeleteRange().GetDeleted() != 1 {
			w.m.problem("lost-put", "writer %d: txn delete of its key %q (acknowledged at revision %d) found nothing (revision %d)", w.id, lk.key, lk.rev, rev)
			ws = ws[:1]
		}
		w.m.acked(cycle, rev, ws)
		w.live = append(w.live, liveKey{k, rev})
		return nil

	default: // txn: if one of its keys is still at its acknowledged revision, overwrite it
		lk, ok := w.takeLive()
		if !ok {
			return nil
		}
		v := w.newVal()
		ws := []kw{{lk.key, kPut, v}}
		resp, err := kv.Txn(rctx, &pb.TxnRequest{
			Compare: []*pb.Compare{{Key: []byte(lk.key), Target: pb.Compare_MOD, Result: pb.Compare_EQUAL,
				TargetUnion: &pb.Compare_ModRevision{ModRevision: lk.rev}}},
			Success: []*pb.RequestOp{putOp(lk.key, v)},
			Failure: []*pb.RequestOp{getOp(lk.key)},
		})
		if err != nil {
			w.m.unknown(cycle, ws)
			return err
		}
		rev := resp.Header.Revision
		w.checkRev(rev, resp.Succeeded, "txn overwrite "+lk.key)
		if !resp.Succeeded {
			now := "absent"
			if len(resp.Responses) == 1 {
				if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) == 1 {
					now = fmt.Sprintf("%q at mod_revision %d", short(string(kvs[0].Value)), kvs[0].ModRevision)
				}
			}
			w.m.problem("lost-put", "writer %d: txn mod_revision(%q) == %d (acknowledged) failed at revision %d: the key is %s", w.id, lk.key, lk.rev, rev, now)
			return nil
		}
		w.m.acked(cycle, rev, ws)
		w.live = append(w.live, liveKey{lk.key, rev})
		return nil
	}
}
