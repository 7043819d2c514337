// Snapshot tests: each on a 3-member cluster of its own started with a small
// --snapshot-count, so that members save snapshots of their applied state and
// let go of the log before them.
//
//	TestFollowerCatchesUpBySnapshot    a follower stopped while ~12,000 writes and a lease
//	                                   go by is sent a snapshot: afterwards its own reads,
//	                                   lease and history equal the leader's
//	TestNewMemberJoinsAfterCompaction  a member added after ~8,000 writes gets the data
//	                                   from a snapshot and serves
//	TestRestartAfterSnapshots          all members stopped after ~5,000 writes and
//	                                   restarted from their snapshots have the same data;
//	                                   old WAL segments and snapshots were let go
//
// snapshot_watch_test.go has TestWatchesOnAPausedFollower.

package cluster

import (
	"fmt"
	"io/ioutil"
	"path/filepath"
	"regexp"
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
	putWorkers    = 32               // concurrent puts of putMany
	putManyLimit  = 90 * time.Second // all of putMany's puts
	defaultMaxWAL = 5                // --max-wals and --max-snapshots, left at their defaults
)

// putMany puts n new keys prefix+"%05d" through cli, putWorkers at a time,
// and returns every acknowledged write. Every put must succeed.
func putMany(t *testing.T, cli *clientv3.Client, prefix string, n int) []ack {
	t.Helper()
	t0 := time.Now()
	deadline := t0.Add(putManyLimit)
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	var (
		mu       sync.Mutex
		acks     = make([]ack, 0, n)
		firstErr error
	)
	var wg sync.WaitGroup
	for w := 0; w < putWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if time.Now().After(deadline) {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("not done within %v", putManyLimit)
					}
					mu.Unlock()
					return
				}
				key, val := fmt.Sprintf("%s%05d", prefix, i), fmt.Sprintf("v%d", i)
				ctx, cancel := ctxT(opTimeout)
				resp, err := cli.Put(ctx, key, val)
				cancel()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("put %s: %v", key, err)
				}
				if err == nil {
					acks = append(acks, ack{key, val, resp.Header.Revision, time.Now()})
				}
				failed := firstErr != nil
				mu.Unlock()
				if failed {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("putMany %s: %d of %d acknowledged: %v", prefix, len(acks), n, firstErr)
	}
	t.Logf("%d puts of %s* in %v", n, prefix, time.Since(t0).Round(time.Millisecond))
	return acks
}

// state is every key of a member with the header revision of the read.
type state struct {
	rev int64
	kvs map[string]*mvccpb.KeyValue
}

// readState reads every key through cli: serializable (the member's own
// applied state) or linearizable.
func readState(cli *clientv3.Client, serializable bool) (state, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix()} // with the empty key: every key
	if serializable {
		opts = append(opts, clientv3.WithSerializable())
	}
	ctx, cancel := ctxT(opTimeout)
	defer cancel()
	resp, err := cli.Get(ctx, "", opts...)
	if err != nil {
		return state{}, err
	}
	if resp.More {
		return state{}, fmt.Errorf("range of every key says more follow")
	}
	s := state{rev: resp.Header.Revision, kvs: make(map[string]*mvccpb.KeyValue, len(resp.Kvs))}
	for _, kv := range resp.Kvs {
		s.kvs[string(kv.Key)] = kv
	}
	return s, nil
}

// diffState describes how got differs from want (nil if it does not): the
// revision, and each key's value, create and mod revision, version and lease.
func diffState(got, want state) error {
	if got.rev != want.rev {
		return fmt.Errorf("at revision %d, want %d", got.rev, want.rev)
	}
	var diffs []string
	for k, w := range want.kvs {
		g, ok := got.kvs[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s missing", k))
		case string(g.Value) != string(w.Value) || g.CreateRevision != w.CreateRevision ||
			g.ModRevision != w.ModRevision || g.Version != w.Version || g.Lease != w.Lease:
			diffs = append(diffs, fmt.Sprintf("%s = %q create %d mod %d version %d lease %x, want %q %d %d %d %x",
				k, g.Value, g.CreateRevision, g.ModRevision, g.Version, g.Lease,
				w.Value, w.CreateRevision, w.ModRevision, w.Version, w.Lease))
		}
	}
	for k := range got.kvs {
		if _, ok := want.kvs[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s should not exist", k))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	sort.Strings(diffs)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
	}
	return fmt.Errorf("%d of %d keys differ: %s", len(diffs), len(want.kvs), strings.Join(diffs, "; "))
}

// waitState waits until a serializable read of every key on m equals want,
// at most limit, and returns how long that took.
func waitState(t *testing.T, c *cluster, m *member, want state, limit time.Duration) time.Duration {
	t.Helper()
	cli := c.client(t, m)
	return waitFor(t, limit, m.name+"'s keys (serializable) equal to the leader's", func() error {
		got, err := readState(cli, true)
		if err != nil {
			return err
		}
		return diffState(got, want)
	})
}

// leaderState is the final state, read linearizably on the leader once the
// writes are over.
func leaderState(t *testing.T, cli *clientv3.Client) state {
	t.Helper()
	s, err := readState(cli, false)
	if err != nil {
		t.Fatalf("linearizable read of every key: %v", err)
	}
	return s
}

// checkAcks fails the test unless every acknowledged write is in s at its revision.
func checkAcks(t *testing.T, s state, acks []ack) {
	t.Helper()
	for _, a := range acks {
		kv := s.kvs[a.key]
		if kv == nil || string(kv.Value) != a.val || kv.ModRevision != a.rev {
			t.Fatalf("acknowledged %s=%q at rev %d, the leader has %v", a.key, a.val, a.rev, kv)
		}
	}
}

// unchanged drops the writes to keys starting with any of prefixes (keys
// deleted or written again since).
func unchanged(acks []ack, prefixes ...string) []ack {
	var out []ack
next:
	for _, a := range acks {
		for _, p := range prefixes {
			if strings.HasPrefix(a.key, p) {
				continue next
			}
		}
		out = append(out, a)
	}
	return out
}

// appliedSnapshot matches the line each target logs when it applied a
// snapshot sent by its leader.
var appliedSnapshot = regexp.MustCompile(`finished applying incoming snapshot|"msg":"applied snapshot"|applied a snapshot from the leader`)

// requireSnapshotApplied fails the test unless m's log says it applied a
// snapshot from its leader (it caught up from a snapshot, not from the log).
func requireSnapshotApplied(t *testing.T, m *member) {
	t.Helper()
	data, err := ioutil.ReadFile(m.logPath)
	if err != nil {
		t.Fatalf("log of %s: %v", m, err)
	}
	line := appliedSnapshot.Find(data)
	if line == nil {
		t.Fatalf("%s's log does not say it applied a snapshot from its leader (%q)", m, appliedSnapshot)
	}
	t.Logf("%s's log: %q", m, line)
}

// addMember adds m to the cluster through cli as a voting member (retrying
// while etcd refuses it as an unhealthy cluster) and returns its ID.
func addMember(t *testing.T, cli *clientv3.Client, m *member) uint64 {
	t.Helper()
	var add *clientv3.MemberAddResponse
	waitFor(t, 15*time.Second, "MemberAdd of "+m.name, func() error {
		ctx, cancel := ctxT(opTimeout)
		defer cancel()
		var err error
		add, err = cli.MemberAdd(ctx, []string{m.peerURL})
		if err != nil && err.Error() == rpctypes.ErrUnhealthy.Error() {
			return err
		}
		if err != nil {
			t.Fatalf("MemberAdd %s: %v", m, err)
		}
		return nil
	})
	if add.Member == nil || add.Member.ID == 0 || add.Member.IsLearner {
		t.Fatalf("MemberAdd %s: member %+v", m, add.Member)
	}
	m.setID(add.Member.ID)
	return add.Member.ID
}

func initialCluster(c *cluster) string {
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peerURL)
	}
	return strings.Join(initial, ",")
}

// ---------------------------------------------------------------------------
// 1. A follower that missed more than the leader keeps of its log.

// change is one change of a watched key, as a watch reports it.
type change struct {
	typ      mvccpb.Event_EventType
	key, val string
	rev      int64
}

func TestFollowerCatchesUpBySnapshot(t *testing.T) {
	c := newCluster(t, "--snapshot-count", "1000")
	leader := c.waitLeader(t, c.members, 10*time.Second)
	follower := c.others(leader)[0]
	lc := c.client(t, leader)

	// The watched keys' history, from before the stop to after it.
	var history []change
	put := func(key, val string) {
		history = append(history, change{mvccpb.PUT, key, val, mustPut(t, lc, key, val)})
	}
	put("sn/h/a", "1")
	put("sn/h/b", "1")
	watchFrom := history[0].rev
	follower.stop(t)

	rest := c.others(follower)
	acks := putMany(t, c.client(t, rest...), "sn/k/", 12000)
	put("sn/h/a", "2")
	ctx, cancel := ctxT(opTimeout)
	del, err := lc.Delete(ctx, "sn/h/b")
	cancel()
	if err != nil || del.Deleted != 1 {
		t.Fatalf("delete sn/h/b: %v %+v", err, del)
	}
	history = append(history, change{mvccpb.DELETE, "sn/h/b", "", del.Header.Revision})
	ctx, cancel = ctxT(opTimeout)
	lease, err := lc.Grant(ctx, 300)
	cancel()
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	leased := []string{"sn/l/1", "sn/l/2", "sn/l/3"}
	for _, k := range leased {
		ctx, cancel := ctxT(opTimeout)
		_, err := lc.Put(ctx, k, "leased", clientv3.WithLease(lease.ID))
		cancel()
		if err != nil {
			t.Fatalf("put %s with lease %x: %v", k, lease.ID, err)
		}
	}
	put("sn/h/c", "1")
	want := leaderState(t, lc)
	checkAcks(t, want, acks)

	follower.restart(t)
	d := waitState(t, c, follower, want, catchUpLimit)
	t.Logf("restarted %s has all %d keys at revision %d %v after its restart", follower, len(want.kvs), want.rev, d.Round(time.Millisecond))
	requireSnapshotApplied(t, follower)

	// The lease and its keys, on the restarted member.
	fc := c.client(t, follower)
	checkLease := func(when string) {
		t.Helper()
		ctx, cancel := ctxT(opTimeout)
		defer cancel()
		ttl, err := fc.TimeToLive(ctx, lease.ID, clientv3.WithAttachedKeys())
		if err != nil {
			t.Fatalf("TimeToLive via %s %s: %v", follower, when, err)
		}
		var keys []string
		for _, k := range ttl.Keys {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		if ttl.ID != lease.ID || ttl.GrantedTTL != 300 || ttl.TTL <= 0 || ttl.TTL > 300 || fmt.Sprint(keys) != fmt.Sprint(leased) {
			t.Fatalf("TimeToLive via %s %s: id %x granted %d ttl %d keys %v, want %x 300 1..300 %v",
				follower, when, ttl.ID, ttl.GrantedTTL, ttl.TTL, keys, lease.ID, leased)
		}
		t.Logf("TimeToLive via %s %s (answered by %x): ttl %d keys %v", follower, when, ttl.ResponseHeader.MemberId, ttl.TTL, keys)
	}
	checkLease("as a follower")

	// History from before the stop, read from the restored store.
	wctx, wcancel := ctxT(20 * time.Second)
	defer wcancel()
	wch := fc.Watch(wctx, "sn/h/", clientv3.WithPrefix(), clientv3.WithRev(watchFrom))
	var got []change
	for len(got) < len(history) {
		select {
		case r, ok := <-wch:
			if !ok || r.Canceled || r.Err() != nil {
				t.Fatalf("watch from revision %d on %s: closed=%v canceled=%v compact=%d err=%v after %v",
					watchFrom, follower, !ok, r.Canceled, r.CompactRevision, r.Err(), got)
			}
			if r.Header.MemberId != follower.memberID() {
				t.Fatalf("watch answered by %x, not %s (%x)", r.Header.MemberId, follower, follower.memberID())
			}
			for _, ev := range r.Events {
				got = append(got, change{ev.Type, string(ev.Kv.Key), string(ev.Kv.Value), ev.Kv.ModRevision})
			}
		case <-wctx.Done():
			t.Fatalf("watch from revision %d on %s: %d of %d events: %v", watchFrom, follower, len(got), len(history), got)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(history) {
		t.Fatalf("watch from revision %d on %s:\n got %v\nwant %v", watchFrom, follower, got, history)
	}
	t.Logf("watch from revision %d on %s: %d events in order", watchFrom, follower, len(got))

	// As the leader, the restored member answers from its own leases.
	ctx, cancel = ctxT(opTimeout)
	_, err = lc.MoveLeader(ctx, follower.memberID())
	cancel()
	if err != nil {
		t.Fatalf("MoveLeader to %s: %v", follower, err)
	}
	waitFor(t, 10*time.Second, follower.name+" as the leader", func() error {
		l, err := c.leader(c.members)
		if err != nil {
			return err
		}
		if l != follower {
			return fmt.Errorf("leader is %s", l)
		}
		return nil
	})
	checkLease("as the leader")
	ctx, cancel = ctxT(opTimeout)
	ka, err := fc.KeepAliveOnce(ctx, lease.ID)
	cancel()
	if err != nil || ka.TTL != 300 {
		t.Fatalf("keep-alive via %s as the leader: %v %+v", follower, err, ka)
	}
}

// ---------------------------------------------------------------------------
// 2. A member added once the log before it is gone.

func TestNewMemberJoinsAfterCompaction(t *testing.T) {
	c := newCluster(t, "--snapshot-count", "1000")
	leader := c.waitLeader(t, c.members, 10*time.Second)
	lc := c.client(t, leader)
	acks := putMany(t, c.client(t), "nm/k/", 8000)
	ctx, cancel := ctxT(opTimeout)
	_, err := lc.Delete(ctx, "nm/k/00", clientv3.WithPrefix()) // nm/k/00000 ... nm/k/00999
	cancel()
	if err != nil {
		t.Fatalf("delete nm/k/00*: %v", err)
	}
	mustPut(t, lc, "nm/k/07999", "again")
	want := leaderState(t, lc)
	if len(want.kvs) != 7000 {
		t.Fatalf("the leader has %d keys, want 7000", len(want.kvs))
	}
	checkAcks(t, want, unchanged(acks, "nm/k/00", "nm/k/07999"))

	m3, err := c.newMember("m3")
	if err != nil {
		t.Fatalf("member m3: %v", err)
	}
	id := addMember(t, lc, m3)
	t.Logf("m3 added as %x", id)
	if err := m3.start(initialCluster(c), "existing"); err != nil {
		t.Fatalf("start m3: %v", err)
	}
	d := waitState(t, c, m3, want, catchUpLimit)
	t.Logf("m3 has all %d keys at revision %d %v after its start", len(want.kvs), want.rev, d.Round(time.Millisecond))
	requireSnapshotApplied(t, m3)

	// It serves: a linearizable put and read through it, and it knows every member.
	m3c := c.client(t, m3)
	rev := mustPut(t, m3c, "nm/after", "x")
	for _, m := range c.members {
		got, err := getOne(c.client(t, m), "nm/after", false)
		if err != nil || got != (kv{"x", rev}) {
			t.Fatalf("linearizable get on %s: %v %v, want x at rev %d", m, got, err, rev)
		}
	}
	ctx, cancel = ctxT(opTimeout)
	ml, err := m3c.MemberList(ctx)
	cancel()
	if err != nil {
		t.Fatalf("MemberList via m3: %v", err)
	}
	if ml.Header.MemberId != id || len(ml.Members) != 4 {
		t.Fatalf("MemberList via m3: answered by %x, %d members: %v", ml.Header.MemberId, len(ml.Members), ml.Members)
	}
	for _, pm := range ml.Members {
		m := c.byID(pm.ID)
		if m == nil || pm.Name != m.name || pm.IsLearner || !sameURLs(pm.ClientURLs, m.clientURL) {
			t.Fatalf("MemberList via m3: unexpected %+v", pm)
		}
	}
}

// ---------------------------------------------------------------------------
// 3. Every member stopped and restarted from its snapshots.

func TestRestartAfterSnapshots(t *testing.T) {
	c := newCluster(t, "--snapshot-count", "500")
	leader := c.waitLeader(t, c.members, 10*time.Second)
	lc := c.client(t, leader)
	acks := putMany(t, c.client(t), "rs/k/", 5000)
	ctx, cancel := ctxT(opTimeout)
	_, err := lc.Delete(ctx, "rs/k/001", clientv3.WithPrefix()) // 100 keys
	cancel()
	if err != nil {
		t.Fatalf("delete rs/k/001*: %v", err)
	}
	for i := 0; i < 20; i++ {
		mustPut(t, lc, fmt.Sprintf("rs/k/%05d", 4000+i), "again")
	}
	want := leaderState(t, lc)
	if len(want.kvs) != 4900 {
		t.Fatalf("the leader has %d keys, want 4900", len(want.kvs))
	}
	checkAcks(t, want, unchanged(acks, "rs/k/001", "rs/k/040"))
	// Every member has applied everything before it is stopped.
	for _, m := range c.members {
		waitState(t, c, m, want, catchUpLimit)
	}
	for _, m := range c.members {
		m.stop(t)
	}

	for _, m := range c.members {
		wals := countFiles(t, filepath.Join(m.dataDir, "member", "wal"), ".wal")
		snaps := countFiles(t, filepath.Join(m.dataDir, "member", "snap"), ".snap")
		t.Logf("%s stopped with %d WAL segments and %d snapshot files", m, wals, snaps)
		if target != "swift-etcd" {
			continue // etcd's files are its own business
		}
		if wals > defaultMaxWAL {
			t.Errorf("%s: %d WAL segments, --max-wals is %d", m, wals, defaultMaxWAL)
		}
		if snaps < 1 || snaps > defaultMaxWAL {
			t.Errorf("%s: %d snapshot files, want 1..%d (--max-snapshots)", m, snaps, defaultMaxWAL)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	t0 := time.Now()
	for _, m := range c.members {
		m.restart(t)
	}
	c.waitServing(t, c.members, startLimit)
	t.Logf("all 3 serving %v after the restart", time.Since(t0).Round(time.Millisecond))
	for _, m := range c.members {
		waitState(t, c, m, want, 10*time.Second)
	}
	rev := mustPut(t, c.client(t), "rs/after", "x")
	if rev != want.rev+1 {
		t.Fatalf("first put after the restart at revision %d, want %d", rev, want.rev+1)
	}
	t.Logf("all 3 members have the %d keys at revision %d after the restart", len(want.kvs), want.rev)
}

// countFiles counts the files in dir whose name ends with suffix.
func countFiles(t *testing.T, dir, suffix string) int {
	t.Helper()
	entries, err := ioutil.ReadDir(dir)
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), suffix) {
			n++
		}
	}
	return n
}
