// The tests, each on a 3-member cluster of its own:
//
//	TestKillLeader              SIGKILL the leader under write load: a new leader within
//	                            10 s, writes resume, the restarted member catches up and every
//	                            acknowledged write is on every member at its revision
//	TestStopOneOfThree          SIGTERM a follower: writes and linearizable reads go on
//	TestStopTwoOfThree          SIGTERM two: a write fails within 10 s, a serializable read
//	                            still answers, a linearizable one does not; restart: all back
//	TestRollingReplacement      add a learner, promote it once in sync, remove an original
//	TestMemberListAndStatus     MemberList, Status and etcdctl endpoint status --cluster agree
//	TestNoLeaderHasLeader       without quorum, require-leader watches and puts fail with
//	                            "etcdserver: no leader"; other watches stay
//	TestFollowerServesEverything put, get, watch, lease, txn through a follower's endpoint alone

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

const (
	newLeaderLimit = 10 * time.Second // a new leader after the old one was killed
	catchUpLimit   = 30 * time.Second // a restarted or new member until it has the latest data
	noQuorumLimit  = 10 * time.Second // a write without quorum: the client's context
)

// ---------------------------------------------------------------------------
// Writers: put new keys continuously and record every acknowledged write.

type ack struct {
	key, val string
	rev      int64 // the response header's revision: the key's mod revision
	at       time.Time
}

type writers struct {
	stopc chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	mu      sync.Mutex
	acks    []ack
	fails   int
	errs    map[string]int // failure message -> count
	lastErr time.Time
}

// startWriters starts n goroutines putting keys prefix+"w<i>/<seq>" (a new
// key per attempt, so an attempt that failed cannot be confused with one
// that succeeded) through cli, one put at a time each, until stop, at most
// maxRun and maxOps puts each.
func startWriters(cli *clientv3.Client, prefix string, n int, maxRun time.Duration, maxOps int) *writers {
	w := &writers{stopc: make(chan struct{}), errs: map[string]int{}}
	deadline := time.Now().Add(maxRun)
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go func(id int) {
			defer w.wg.Done()
			for seq := 0; seq < maxOps && time.Now().Before(deadline); seq++ {
				select {
				case <-w.stopc:
					return
				default:
				}
				key := fmt.Sprintf("%sw%d/%06d", prefix, id, seq)
				val := fmt.Sprintf("v%d.%d.%d", id, seq, time.Now().UnixNano())
				ctx, cancel := ctxT(3 * time.Second)
				resp, err := cli.Put(ctx, key, val)
				cancel()
				w.mu.Lock()
				if err == nil {
					w.acks = append(w.acks, ack{key, val, resp.Header.Revision, time.Now()})
				} else {
					w.fails++
					w.errs[err.Error()]++
					w.lastErr = time.Now()
				}
				w.mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}(i)
	}
	return w
}

func (w *writers) stop() {
	w.once.Do(func() { close(w.stopc) })
	w.wg.Wait()
}

func (w *writers) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acks)
}

// countSince counts the writes acknowledged after t.
func (w *writers) countSince(t time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, a := range w.acks {
		if a.at.After(t) {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// Reads

type kv struct {
	val string
	rev int64 // mod revision
}

// snapshot reads every key under prefix from m alone: serializable (m's own
// state, whatever its role) or linearizable. It returns the keys and the
// response's header revision.
func snapshot(cli *clientv3.Client, prefix string, serializable bool) (map[string]kv, int64, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if serializable {
		opts = append(opts, clientv3.WithSerializable())
	}
	ctx, cancel := ctxT(opTimeout)
	defer cancel()
	resp, err := cli.Get(ctx, prefix, opts...)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]kv, len(resp.Kvs))
	for _, k := range resp.Kvs {
		out[string(k.Key)] = kv{string(k.Value), k.ModRevision}
	}
	return out, resp.Header.Revision, nil
}

// getOne reads key from cli's endpoint; it fails unless the key exists.
func getOne(cli *clientv3.Client, key string, serializable bool) (kv, error) {
	var opts []clientv3.OpOption
	if serializable {
		opts = append(opts, clientv3.WithSerializable())
	}
	ctx, cancel := ctxT(opTimeout)
	defer cancel()
	resp, err := cli.Get(ctx, key, opts...)
	if err != nil {
		return kv{}, err
	}
	if len(resp.Kvs) != 1 {
		return kv{}, fmt.Errorf("%s: %d keys", key, len(resp.Kvs))
	}
	return kv{string(resp.Kvs[0].Value), resp.Kvs[0].ModRevision}, nil
}

// waitKey waits until a serializable read of key on cli's member returns
// want (value and mod revision).
func waitKey(t *testing.T, cli *clientv3.Client, who, key string, want kv, limit time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, limit, fmt.Sprintf("%s on %s (serializable) = %q at rev %d", key, who, want.val, want.rev), func() error {
		got, err := getOne(cli, key, true)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("got %q at rev %d", got.val, got.rev)
		}
		return nil
	})
}

func mustPut(t *testing.T, cli *clientv3.Client, key, val string) int64 {
	t.Helper()
	ctx, cancel := ctxT(opTimeout)
	defer cancel()
	resp, err := cli.Put(ctx, key, val)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return resp.Header.Revision
}

// ---------------------------------------------------------------------------
// 1. SIGKILL the leader under load.

func TestKillLeader(t *testing.T) {
	c := newCluster(t)
	oldLeader := c.waitLeader(t, c.members, 10*time.Second)
	w := startWriters(c.client(t), "kl/", 4, 40*time.Second, 20000)
	defer w.stop()

	waitFor(t, 10*time.Second, "100 acknowledged writes before the kill", func() error {
		if n := w.count(); n < 100 {
			return fmt.Errorf("%d so far", n)
		}
		return nil
	})
	killedAt := time.Now()
	oldLeader.kill(t)
	t.Logf("SIGKILL leader %s (%x) after %d acknowledged writes", oldLeader, oldLeader.memberID(), w.count())

	rest := c.others(oldLeader)
	var newLeader *member
	waitFor(t, newLeaderLimit, "new leader among "+fmt.Sprint(rest), func() error {
		l, err := c.leader(rest)
		if err != nil {
			return err
		}
		if l == oldLeader {
			return fmt.Errorf("both still name the killed leader %s", l)
		}
		newLeader = l
		return nil
	})
	electedAt := time.Now()
	t.Logf("new leader %s (%x) %v after the kill", newLeader, newLeader.memberID(), time.Since(killedAt).Round(time.Millisecond))
	if newLeader.memberID() == oldLeader.memberID() {
		t.Fatalf("new leader has the killed leader's ID %x", newLeader.memberID())
	}

	waitFor(t, 10*time.Second, "100 acknowledged writes after the election", func() error {
		if n := w.countSince(electedAt); n < 100 {
			return fmt.Errorf("%d so far", n)
		}
		return nil
	})
	w.stop()
	w.mu.Lock()
	acks := append([]ack(nil), w.acks...)
	t.Logf("writers: %d acknowledged, %d failed; failures: %v", len(acks), w.fails, w.errs)
	w.mu.Unlock()

	// Every put is a revision of its own.
	byRev := map[int64]string{}
	var last ack
	for _, a := range acks {
		if k, dup := byRev[a.rev]; dup {
			t.Fatalf("revision %d acknowledged for both %s and %s", a.rev, k, a.key)
		}
		byRev[a.rev] = a.key
		if a.rev > last.rev {
			last = a
		}
	}

	oldLeader.restart(t)
	d := waitKey(t, c.client(t, oldLeader), oldLeader.name, last.key, kv{last.val, last.rev}, catchUpLimit)
	t.Logf("restarted %s has the last write (%s at rev %d) %v after its restart", oldLeader, last.key, last.rev, d.Round(time.Millisecond))

	// The store's final revision, then every member's own view of it.
	_, finalRev, err := snapshot(c.client(t, newLeader), "kl/", false)
	if err != nil {
		t.Fatalf("linearizable read on %s: %v", newLeader, err)
	}
	if finalRev < last.rev {
		t.Fatalf("final revision %d < last acknowledged revision %d", finalRev, last.rev)
	}
	var views []map[string]kv
	for _, m := range c.members {
		cli := c.client(t, m)
		var view map[string]kv
		waitFor(t, catchUpLimit, m.name+" at revision "+fmt.Sprint(finalRev), func() error {
			v, rev, err := snapshot(cli, "kl/", true)
			if err != nil {
				return err
			}
			if rev < finalRev {
				return fmt.Errorf("at revision %d", rev)
			}
			view = v
			return nil
		})
		missing := 0
		for _, a := range acks {
			got, ok := view[a.key]
			if !ok || got.val != a.val || got.rev != a.rev {
				if missing < 8 {
					t.Errorf("%s: acknowledged %s=%q at rev %d, member has %q at rev %d (present=%v)",
						m, a.key, a.val, a.rev, got.val, got.rev, ok)
				}
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("%s: %d of %d acknowledged writes missing or different", m, missing, len(acks))
		}
		views = append(views, view)
	}
	// The members agree on every key, acknowledged or not.
	for i := 1; i < len(views); i++ {
		if len(views[i]) != len(views[0]) {
			t.Fatalf("%s has %d keys, %s %d", c.members[i], len(views[i]), c.members[0], len(views[0]))
		}
		for k, v := range views[0] {
			if views[i][k] != v {
				t.Fatalf("%s: %s=%v on %s, %v on %s", k, k, v, c.members[0], views[i][k], c.members[i])
			}
		}
	}
	t.Logf("all %d acknowledged writes on all 3 members at their revisions (%d keys, revision %d)", len(acks), len(views[0]), finalRev)
}

// ---------------------------------------------------------------------------
// 2. SIGTERM one follower: the other two serve writes and linearizable reads.

func TestStopOneOfThree(t *testing.T) {
	c := newCluster(t)
	leader := c.waitLeader(t, c.members, 10*time.Second)
	follower := c.others(leader)[0]
	follower.stop(t)

	rest := c.others(follower)
	writer := c.client(t, rest...)
	readers := []*clientv3.Client{c.client(t, rest[0]), c.client(t, rest[1])}
	t0 := time.Now()
	for i := 0; i < 20; i++ {
		val := fmt.Sprint("v", i)
		rev := mustPut(t, writer, "s1/k", val)
		for j, r := range readers {
			got, err := getOne(r, "s1/k", false)
			if err != nil {
				t.Fatalf("linearizable get on %s: %v", rest[j], err)
			}
			if got != (kv{val, rev}) {
				t.Fatalf("linearizable get on %s after put %q at rev %d: %q at rev %d", rest[j], val, rev, got.val, got.rev)
			}
		}
	}
	t.Logf("20 puts, each read back linearizably from %v, in %v", rest, time.Since(t0).Round(time.Millisecond))
	if l := c.waitLeader(t, rest, 5*time.Second); l == follower {
		t.Fatalf("the stopped member is named leader")
	}
}

// ---------------------------------------------------------------------------
// 3. Stop two of three: no writes, stale-free reads only when asked for
// serializable, and everything back after the restart.

func TestStopTwoOfThree(t *testing.T) {
	c := newCluster(t)
	leader := c.waitLeader(t, c.members, 10*time.Second)
	survivor := c.others(leader)[0]
	stopped := c.others(survivor)
	all := c.client(t)
	rev := mustPut(t, all, "s2/k", "before")
	sc := c.client(t, survivor)
	waitKey(t, sc, survivor.name, "s2/k", kv{"before", rev}, 10*time.Second)

	for _, m := range stopped {
		m.stop(t)
	}

	// A write on the survivor fails within the client's deadline.
	ctx, cancel := ctxT(noQuorumLimit)
	t0 := time.Now()
	_, err := sc.Put(ctx, "s2/k", "without-quorum")
	took := time.Since(t0)
	cancel()
	if err == nil {
		t.Fatalf("put on %s without quorum succeeded", survivor)
	}
	t.Logf("put without quorum failed after %v: %v", took.Round(time.Millisecond), err)
	if took > noQuorumLimit+2*time.Second {
		t.Fatalf("put without quorum took %v", took)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "etcdserver: request timed out") && err != context.DeadlineExceeded &&
		!strings.Contains(msg, "context deadline exceeded") {
		t.Fatalf("put without quorum: unexpected error %q", msg)
	}

	// A serializable read still answers, with the last value.
	got, err := getOne(sc, "s2/k", true)
	if err != nil {
		t.Fatalf("serializable get on %s without quorum: %v", survivor, err)
	}
	if got != (kv{"before", rev}) {
		t.Fatalf("serializable get on %s: %q at rev %d, want %q at rev %d", survivor, got.val, got.rev, "before", rev)
	}
	// A linearizable read does not.
	ctx, cancel = ctxT(2 * time.Second)
	_, err = sc.Get(ctx, "s2/k")
	cancel()
	if err == nil {
		t.Fatalf("linearizable get on %s without quorum succeeded", survivor)
	}
	t.Logf("linearizable get without quorum (2 s deadline): %v", err)

	for _, m := range stopped {
		m.restart(t)
	}
	var after kv
	d := waitFor(t, 30*time.Second, "a successful put after the restart", func() error {
		ctx, cancel := ctxT(3 * time.Second)
		defer cancel()
		resp, err := sc.Put(ctx, "s2/k", "after")
		if err != nil {
			return err
		}
		after = kv{"after", resp.Header.Revision}
		return nil
	})
	t.Logf("put succeeds again %v after the restarts", d.Round(time.Millisecond))
	for _, m := range stopped {
		d := waitKey(t, c.client(t, m), m.name, "s2/k", after, catchUpLimit)
		t.Logf("restarted %s caught up in %v", m, d.Round(time.Millisecond))
	}
	got, err = getOne(c.client(t, stopped[0]), "s2/k", false)
	if err != nil || got != after {
		t.Fatalf("linearizable get on %s: %v %v, want %v", stopped[0], got, err, after)
	}
}

// ---------------------------------------------------------------------------
// 4. Add a learner, promote it, remove an original member.

func TestRollingReplacement(t *testing.T) {
	c := newCluster(t)
	leader := c.waitLeader(t, c.members, 10*time.Second)
	lc := c.client(t, leader)
	before := map[string]kv{}
	for i := 0; i < 50; i++ {
		k, v := fmt.Sprintf("rr/%03d", i), fmt.Sprint("v", i)
		before[k] = kv{v, mustPut(t, lc, k, v)}
	}
	lastKey := "rr/049"

	m3, err := c.newMember("m3")
	if err != nil {
		t.Fatalf("member m3: %v", err)
	}
	// etcd's strict reconfiguration check refuses a member add until the
	// leader has been connected to every peer for 5 s ("etcdserver:
	// unhealthy cluster"): the cluster may be younger than that.
	var add *clientv3.MemberAddResponse
	unhealthy := 0
	d := waitFor(t, 15*time.Second, "MemberAddAsLearner", func() error {
		ctx, cancel := ctxT(opTimeout)
		defer cancel()
		var err error
		add, err = lc.MemberAddAsLearner(ctx, []string{m3.peerURL})
		if err != nil && err.Error() == rpctypes.ErrUnhealthy.Error() {
			unhealthy++
			return err
		}
		if err != nil {
			t.Fatalf("MemberAddAsLearner: %v", err)
		}
		return nil
	})
	t.Logf("learner m3 added after %v (%d %q answers)", d.Round(time.Millisecond), unhealthy, rpctypes.ErrUnhealthy)
	if add.Member == nil || !add.Member.IsLearner || add.Member.ID == 0 {
		t.Fatalf("MemberAddAsLearner: member %+v", add.Member)
	}
	m3.setID(add.Member.ID)
	if len(add.Members) != 4 {
		t.Fatalf("MemberAddAsLearner: %d members in the response, want 4", len(add.Members))
	}

	// Not started yet, so certainly not in sync.
	ctx, cancel := ctxT(opTimeout)
	_, err = lc.MemberPromote(ctx, m3.memberID())
	cancel()
	if err == nil {
		t.Fatalf("MemberPromote of a learner that never started succeeded")
	}
	t.Logf("MemberPromote before the learner started: %v", err)
	if err.Error() != rpctypes.ErrMemberLearnerNotReady.Error() {
		t.Fatalf("MemberPromote before the learner started: %q, want %q", err, rpctypes.ErrMemberLearnerNotReady)
	}

	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peerURL)
	}
	if err := m3.start(strings.Join(initial, ","), "existing"); err != nil {
		t.Fatalf("start m3: %v", err)
	}
	t0 := time.Now()
	m3c := c.client(t, m3)
	waitKey(t, m3c, "learner m3", lastKey, before[lastKey], catchUpLimit)
	leaderSt, err := status(leader)
	if err != nil {
		t.Fatalf("status of %s: %v", leader, err)
	}
	waitFor(t, catchUpLimit, "learner m3 applied up to the leader's raft index", func() error {
		st, err := status(m3)
		if err != nil {
			return err
		}
		if !st.IsLearner {
			return fmt.Errorf("status says it is no learner")
		}
		if st.RaftAppliedIndex < leaderSt.RaftIndex {
			return fmt.Errorf("applied %d < leader's %d", st.RaftAppliedIndex, leaderSt.RaftIndex)
		}
		return nil
	})
	t.Logf("learner m3 in sync %v after its start", time.Since(t0).Round(time.Millisecond))

	// A learner serves serializable reads only.
	ctx, cancel = ctxT(2 * time.Second)
	_, err = m3c.Put(ctx, "rr/learner", "x")
	cancel()
	t.Logf("put via the learner: %v", err)
	if err == nil || err.Error() != rpctypes.ErrorDesc(rpctypes.ErrGPRCNotSupportedForLearner) {
		t.Fatalf("put via the learner: %v, want %q", err, rpctypes.ErrorDesc(rpctypes.ErrGPRCNotSupportedForLearner))
	}
	ctx, cancel = ctxT(2 * time.Second)
	_, err = m3c.Get(ctx, lastKey)
	cancel()
	t.Logf("linearizable get via the learner (2 s deadline): %v", err)
	if err == nil {
		t.Fatalf("linearizable get via the learner succeeded")
	}

	notReady := 0
	d = waitFor(t, 30*time.Second, "MemberPromote of m3", func() error {
		ctx, cancel := ctxT(opTimeout)
		defer cancel()
		_, err := lc.MemberPromote(ctx, m3.memberID())
		if err != nil && strings.Contains(err.Error(), "can only promote a learner member which is in sync with leader") {
			notReady++
			return err
		}
		if err != nil {
			t.Fatalf("MemberPromote: %v", err)
		}
		return nil
	})
	t.Logf("m3 promoted after %v (%d not-in-sync answers)", d.Round(time.Millisecond), notReady)

	// Remove an original follower and stop it.
	victim := c.others(leader, m3)[0]
	unhealthy = 0
	d = waitFor(t, 15*time.Second, "MemberRemove of "+victim.name, func() error {
		ctx, cancel := ctxT(opTimeout)
		defer cancel()
		_, err := lc.MemberRemove(ctx, victim.memberID())
		if err != nil && err.Error() == rpctypes.ErrUnhealthy.Error() {
			unhealthy++
			return err
		}
		if err != nil {
			t.Fatalf("MemberRemove %s: %v", victim, err)
		}
		return nil
	})
	t.Logf("%s removed after %v (%d %q answers)", victim, d.Round(time.Millisecond), unhealthy, rpctypes.ErrUnhealthy)
	// etcd stops a member that learns it was removed; give it a moment.
	gone := time.Now().Add(5 * time.Second)
	for victim.running() && time.Now().Before(gone) {
		time.Sleep(50 * time.Millisecond)
	}
	if victim.running() {
		t.Logf("removed %s still running 5 s after MemberRemove; stopping it", victim)
		victim.stop(t)
	} else {
		t.Logf("removed %s exited by itself: %s", victim, victim.exitStatus())
	}

	rest := c.others(victim)
	c.waitLeader(t, rest, 10*time.Second)
	writer := c.client(t, rest...)
	rev := mustPut(t, writer, "rr/after", "x")
	for _, m := range rest {
		got, err := getOne(c.client(t, m), "rr/after", false)
		if err != nil || got != (kv{"x", rev}) {
			t.Fatalf("linearizable get on %s after the replacement: %v %v, want x at rev %d", m, got, err, rev)
		}
	}

	for _, m := range rest {
		ctx, cancel := ctxT(opTimeout)
		ml, err := c.client(t, m).MemberList(ctx)
		cancel()
		if err != nil {
			t.Fatalf("MemberList on %s: %v", m, err)
		}
		if len(ml.Members) != 3 {
			t.Fatalf("MemberList on %s: %d members, want 3: %v", m, len(ml.Members), ml.Members)
		}
		for _, pm := range ml.Members {
			want := c.byID(pm.ID)
			if want == nil || want == victim {
				t.Fatalf("MemberList on %s: unexpected member %x (%s)", m, pm.ID, pm.Name)
			}
			if pm.IsLearner {
				t.Fatalf("MemberList on %s: %s still a learner", m, pm.Name)
			}
			if pm.Name != want.name || !sameURLs(pm.ClientURLs, want.clientURL) || !sameURLs(pm.PeerURLs, want.peerURL) {
				t.Fatalf("MemberList on %s: %s name=%q peer=%v client=%v, want %s %s %s",
					m, want, pm.Name, pm.PeerURLs, pm.ClientURLs, want.name, want.peerURL, want.clientURL)
			}
		}
	}

	view, _, err := snapshot(m3c, "rr/", true)
	if err != nil {
		t.Fatalf("serializable read on m3: %v", err)
	}
	for k, want := range before {
		if view[k] != want {
			t.Fatalf("m3: %s = %v, want %v", k, view[k], want)
		}
	}
	t.Logf("m3 has all %d keys written before it joined", len(before))
}

func sameURLs(got []string, want string) bool {
	return len(got) == 1 && got[0] == want
}

// ---------------------------------------------------------------------------
// 5. MemberList, Status and etcdctl endpoint status agree.

func TestMemberListAndStatus(t *testing.T) {
	c := newCluster(t)
	for _, m := range c.members {
		ctx, cancel := ctxT(opTimeout)
		ml, err := c.client(t, m).MemberList(ctx)
		cancel()
		if err != nil {
			t.Fatalf("MemberList on %s: %v", m, err)
		}
		if ml.Header.MemberId != m.memberID() {
			t.Fatalf("MemberList on %s answered by member %x, want %x", m, ml.Header.MemberId, m.memberID())
		}
		if len(ml.Members) != 3 {
			t.Fatalf("MemberList on %s: %d members: %v", m, len(ml.Members), ml.Members)
		}
		seen := map[string]bool{}
		for _, pm := range ml.Members {
			want := c.byID(pm.ID)
			if want == nil || seen[want.name] {
				t.Fatalf("MemberList on %s: unexpected member %x (%q)", m, pm.ID, pm.Name)
			}
			seen[want.name] = true
			if pm.Name != want.name || pm.IsLearner || !sameURLs(pm.PeerURLs, want.peerURL) || !sameURLs(pm.ClientURLs, want.clientURL) {
				t.Fatalf("MemberList on %s: %x name=%q learner=%v peer=%v client=%v, want %s %s %s",
					m, pm.ID, pm.Name, pm.IsLearner, pm.PeerURLs, pm.ClientURLs, want.name, want.peerURL, want.clientURL)
			}
		}
	}

	var lead, clusterID uint64
	leaders := 0
	for _, m := range c.members {
		st, err := status(m)
		if err != nil {
			t.Fatalf("Status of %s: %v", m, err)
		}
		if st.Header.MemberId != m.memberID() {
			t.Fatalf("Status of %s answered by %x, want %x", m, st.Header.MemberId, m.memberID())
		}
		if st.Leader == 0 || (lead != 0 && st.Leader != lead) {
			t.Fatalf("Status of %s names leader %x, another member %x", m, st.Leader, lead)
		}
		if clusterID != 0 && st.Header.ClusterId != clusterID {
			t.Fatalf("Status of %s: cluster ID %x, another member %x", m, st.Header.ClusterId, clusterID)
		}
		lead, clusterID = st.Leader, st.Header.ClusterId
		if st.Header.MemberId == st.Leader {
			leaders++
		}
		if st.IsLearner {
			t.Fatalf("Status of %s: learner", m)
		}
	}
	if leaders != 1 {
		t.Fatalf("%d members say they are the leader", leaders)
	}
	t.Logf("leader %s (%x) by every member's Status", c.byID(lead), lead)

	out := etcdctl(t, []string{c.members[0].clientURL}, "endpoint", "status", "--cluster", "-w", "json")
	var eps []struct {
		Endpoint string
		Status   struct {
			Header struct {
				ClusterID uint64 `json:"cluster_id"`
				MemberID  uint64 `json:"member_id"`
			} `json:"header"`
			Leader uint64 `json:"leader"`
		}
	}
	if err := json.Unmarshal([]byte(out), &eps); err != nil {
		t.Fatalf("etcdctl endpoint status -w json: %v\n%s", err, out)
	}
	var got, want []string
	leaders = 0
	for _, e := range eps {
		got = append(got, e.Endpoint)
		m := c.byID(e.Status.Header.MemberID)
		if m == nil || m.clientURL != e.Endpoint {
			t.Fatalf("etcdctl endpoint status: %s answered by member %x (%v)\n%s", e.Endpoint, e.Status.Header.MemberID, m, out)
		}
		if e.Status.Leader != lead || e.Status.Header.ClusterID != clusterID {
			t.Fatalf("etcdctl endpoint status: %s leader %x cluster %x, want %x %x\n%s", e.Endpoint, e.Status.Leader, e.Status.Header.ClusterID, lead, clusterID, out)
		}
		if e.Status.Header.MemberID == e.Status.Leader {
			leaders++
		}
	}
	for _, m := range c.members {
		want = append(want, m.clientURL)
	}
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) || leaders != 1 {
		t.Fatalf("etcdctl endpoint status --cluster: endpoints %v (%d leaders), want %v\n%s", got, leaders, want, out)
	}
}

// ---------------------------------------------------------------------------
// 6. Without a leader, require-leader watches are canceled.

func TestNoLeaderHasLeader(t *testing.T) {
	c := newCluster(t)
	survivor := c.waitLeader(t, c.members, 10*time.Second) // the leader stays: it has to notice it lost quorum
	sc := c.client(t, survivor)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rl := sc.Watch(clientv3.WithRequireLeader(ctx), "nl/k", clientv3.WithCreatedNotify())
	plain := sc.Watch(ctx, "nl/k", clientv3.WithCreatedNotify())
	for _, ch := range []clientv3.WatchChan{rl, plain} {
		select {
		case r, ok := <-ch:
			if !ok || !r.Created || r.Err() != nil {
				t.Fatalf("watch not created: ok=%v %+v %v", ok, r, r.Err())
			}
		case <-time.After(opTimeout):
			t.Fatalf("watch not created within %v", opTimeout)
		}
	}
	rev := mustPut(t, sc, "nl/k", "1")
	for _, ch := range []clientv3.WatchChan{rl, plain} {
		select {
		case r := <-ch:
			if len(r.Events) != 1 || r.Events[0].Kv.ModRevision != rev {
				t.Fatalf("watch: %+v, want the put at rev %d", r, rev)
			}
		case <-time.After(opTimeout):
			t.Fatalf("no watch event within %v", opTimeout)
		}
	}

	for _, m := range c.others(survivor) {
		m.stop(t)
	}
	t0 := time.Now()
	select {
	case r, ok := <-rl:
		if !ok {
			t.Fatalf("require-leader watch closed without a response after %v", time.Since(t0))
		}
		t.Logf("require-leader watch after %v: canceled=%v err=%v", time.Since(t0).Round(time.Millisecond), r.Canceled, r.Err())
		if !r.Canceled || r.Err() == nil || r.Err().Error() != rpctypes.ErrNoLeader.Error() {
			t.Fatalf("require-leader watch: canceled=%v err=%v, want canceled with %q", r.Canceled, r.Err(), rpctypes.ErrNoLeader)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("require-leader watch not canceled within 20 s of losing quorum")
	}
	// A watch without the requirement is left alone.
	select {
	case r := <-plain:
		t.Fatalf("watch without require-leader got %+v (err %v)", r, r.Err())
	default:
	}

	// A new require-leader watch fails at once.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	t1 := time.Now()
	select {
	case r, ok := <-sc.Watch(clientv3.WithRequireLeader(ctx2), "nl/k"):
		t.Logf("new require-leader watch after %v: ok=%v canceled=%v err=%v", time.Since(t1).Round(time.Millisecond), ok, r.Canceled, r.Err())
		if !ok || !r.Canceled || r.Err() == nil || r.Err().Error() != rpctypes.ErrNoLeader.Error() {
			t.Fatalf("new require-leader watch: ok=%v canceled=%v err=%v, want canceled with %q", ok, r.Canceled, r.Err(), rpctypes.ErrNoLeader)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("new require-leader watch not canceled within 5 s")
	}

	// So does a require-leader put (mutations are not retried by the client).
	ctx3, cancel3 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel3()
	t2 := time.Now()
	_, err := sc.Put(clientv3.WithRequireLeader(ctx3), "nl/k", "2")
	t.Logf("require-leader put after %v: %v", time.Since(t2).Round(time.Millisecond), err)
	if err == nil || err.Error() != rpctypes.ErrNoLeader.Error() {
		t.Fatalf("require-leader put without a leader: %v, want %q", err, rpctypes.ErrNoLeader)
	}
}

// ---------------------------------------------------------------------------
// 7. A follower's endpoint alone serves every kind of request.

func TestFollowerServesEverything(t *testing.T) {
	c := newCluster(t)
	leader := c.waitLeader(t, c.members, 10*time.Second)
	f := c.others(leader)[0]
	fc := c.client(t, f)
	fid := f.memberID()
	header := func(what string, memberID uint64) {
		t.Helper()
		if memberID != fid {
			t.Fatalf("%s answered by member %x, not the follower %s (%x)", what, memberID, f, fid)
		}
	}
	notLeader := func(when string) {
		t.Helper()
		st, err := status(f)
		if err != nil {
			t.Fatalf("status of %s %s: %v", f, when, err)
		}
		if st.Leader == fid || st.Leader == 0 {
			t.Fatalf("%s %s: leader %x, want another member", f, when, st.Leader)
		}
	}
	notLeader("before")
	defer notLeader("after") // not made leader meanwhile: a follower served it all
	ctx, cancel := ctxT(30 * time.Second)
	defer cancel()

	// Put (forwarded to the leader), then a linearizable read sees it at once.
	pr, err := fc.Put(ctx, "fs/a", "1")
	if err != nil {
		t.Fatalf("put via follower: %v", err)
	}
	header("put", pr.Header.MemberId)
	gr, err := fc.Get(ctx, "fs/a")
	if err != nil {
		t.Fatalf("get via follower: %v", err)
	}
	header("get", gr.Header.MemberId)
	if len(gr.Kvs) != 1 || string(gr.Kvs[0].Value) != "1" || gr.Kvs[0].ModRevision != pr.Header.Revision {
		t.Fatalf("linearizable get via follower: %v, want 1 at rev %d", gr.Kvs, pr.Header.Revision)
	}

	// A watch on the follower sees a put made on the leader.
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	wch := fc.Watch(wctx, "fs/w", clientv3.WithCreatedNotify())
	select {
	case r := <-wch:
		if !r.Created || r.Err() != nil {
			t.Fatalf("watch via follower not created: %+v %v", r, r.Err())
		}
		header("watch", r.Header.MemberId)
	case <-time.After(opTimeout):
		t.Fatalf("watch via follower not created within %v", opTimeout)
	}
	wrev := mustPut(t, c.client(t, leader), "fs/w", "from-leader")
	select {
	case r := <-wch:
		if len(r.Events) != 1 || r.Events[0].Type != mvccpb.PUT || string(r.Events[0].Kv.Value) != "from-leader" || r.Events[0].Kv.ModRevision != wrev {
			t.Fatalf("watch via follower: %+v, want the put at rev %d", r.Events, wrev)
		}
	case <-time.After(opTimeout):
		t.Fatalf("watch via follower: no event within %v of the put on the leader", opTimeout)
	}

	// Leases: grant, one keep-alive, time-to-live with an attached key.
	lg, err := fc.Grant(ctx, 30)
	if err != nil {
		t.Fatalf("grant via follower: %v", err)
	}
	header("grant", lg.ResponseHeader.MemberId)
	if _, err := fc.Put(ctx, "fs/leased", "x", clientv3.WithLease(lg.ID)); err != nil {
		t.Fatalf("put with lease via follower: %v", err)
	}
	ka, err := fc.KeepAliveOnce(ctx, lg.ID)
	if err != nil {
		t.Fatalf("keep-alive via follower: %v", err)
	}
	if ka.ID != lg.ID || ka.TTL <= 0 || ka.TTL > 30 {
		t.Fatalf("keep-alive via follower: id %x ttl %d, want %x and 1..30", ka.ID, ka.TTL, lg.ID)
	}
	ttl, err := fc.TimeToLive(ctx, lg.ID, clientv3.WithAttachedKeys())
	if err != nil {
		t.Fatalf("time-to-live via follower: %v", err)
	}
	header("time-to-live", ttl.ResponseHeader.MemberId)
	if ttl.ID != lg.ID || ttl.GrantedTTL != 30 || ttl.TTL <= 0 || ttl.TTL > 30 ||
		len(ttl.Keys) != 1 || string(ttl.Keys[0]) != "fs/leased" {
		t.Fatalf("time-to-live via follower: %+v", ttl)
	}

	// Txn: a compare that holds and one that does not.
	tr, err := fc.Txn(ctx).
		If(clientv3.Compare(clientv3.Value("fs/a"), "=", "1")).
		Then(clientv3.OpPut("fs/a", "2"), clientv3.OpGet("fs/a")).
		Else(clientv3.OpGet("fs/a")).
		Commit()
	if err != nil {
		t.Fatalf("txn via follower: %v", err)
	}
	header("txn", tr.Header.MemberId)
	if !tr.Succeeded || len(tr.Responses) != 2 {
		t.Fatalf("txn via follower: succeeded=%v responses=%d", tr.Succeeded, len(tr.Responses))
	}
	if kvs := tr.Responses[1].GetResponseRange().Kvs; len(kvs) != 1 || string(kvs[0].Value) != "2" || kvs[0].ModRevision != tr.Header.Revision {
		t.Fatalf("txn via follower: get in the txn %v, want 2 at rev %d", kvs, tr.Header.Revision)
	}
	tr2, err := fc.Txn(ctx).
		If(clientv3.Compare(clientv3.Value("fs/a"), "=", "1")).
		Then(clientv3.OpPut("fs/a", "3")).
		Else(clientv3.OpGet("fs/a")).
		Commit()
	if err != nil {
		t.Fatalf("second txn via follower: %v", err)
	}
	if tr2.Succeeded || len(tr2.Responses) != 1 || string(tr2.Responses[0].GetResponseRange().Kvs[0].Value) != "2" {
		t.Fatalf("second txn via follower: succeeded=%v %v", tr2.Succeeded, tr2.Responses)
	}
	got, err := getOne(c.client(t, leader), "fs/a", false)
	if err != nil || got != (kv{"2", tr.Header.Revision}) {
		t.Fatalf("fs/a on the leader: %v %v, want 2 at rev %d", got, err, tr.Header.Revision)
	}
}
