// Watchers live on a member whose store is replaced by a snapshot from its
// leader (snapshot_test.go has the helpers):
//
//	TestWatchesOnAPausedFollower  watches open on a follower that is paused (SIGSTOP)
//	                              while ~8,000 writes go by get every event once, in
//	                              order, after it resumes and is sent a snapshot; those
//	                              waiting for a future revision get nothing before it

package cluster

import (
	"context"
	"fmt"
	"sort"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// sendSignal sends sig to m's running process and returns at once (SIGSTOP,
// SIGCONT: the process stays).
func (m *member) sendSignal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	m.mu.Lock()
	cmd := m.cmd
	m.mu.Unlock()
	if cmd == nil || !m.running() {
		t.Fatalf("%v to %s: not running", sig, m)
	}
	m.log.note("sending %v to pid %d", sig, cmd.Process.Pid)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%v to %s: %v", sig, m, err)
	}
}

// watched is what a watch got: each event, and prev_kv as "value@rev" or "".
type watched struct {
	change
	prev string
}

// collect reads events from ch until it has n new ones, at most limit; it
// fails the test on a cancel, an error, or a response another member
// answered. An event at or below after, or at or below the revision of an
// event before it (every revision here changes one key), goes back in time:
// it comes back apart, as replayed.
func collect(t *testing.T, ch clientv3.WatchChan, n int, from *member, limit time.Duration, after int64) (fresh, replayed []watched) {
	t.Helper()
	timeout := time.After(limit)
	last := after
	for len(fresh) < n {
		select {
		case r, ok := <-ch:
			if !ok || r.Canceled || r.Err() != nil {
				t.Fatalf("watch on %s: closed=%v canceled=%v err=%v after %d of %d events", from, !ok, r.Canceled, r.Err(), len(fresh), n)
			}
			if r.Header.MemberId != from.memberID() {
				t.Fatalf("watch answered by %x, not %s", r.Header.MemberId, from)
			}
			for _, ev := range r.Events {
				w := watched{change: change{ev.Type, string(ev.Kv.Key), string(ev.Kv.Value), ev.Kv.ModRevision}}
				if ev.PrevKv != nil {
					w.prev = fmt.Sprintf("%s@%d", ev.PrevKv.Value, ev.PrevKv.ModRevision)
				}
				if w.rev <= last {
					replayed = append(replayed, w)
					continue
				}
				last = w.rev
				fresh = append(fresh, w)
			}
		case <-timeout:
			t.Fatalf("watch on %s: %d of %d events within %v", from, len(fresh), n, limit)
		}
	}
	return fresh, replayed
}

// summary names the first and last of events and how many there are.
func summary(events []watched) string {
	if len(events) == 0 {
		return "none"
	}
	first, last := events[0], events[len(events)-1]
	return fmt.Sprintf("%d events, %s@%d ... %s@%d", len(events), first.key, first.rev, last.key, last.rev)
}

// firstDifference describes where got and want part (or "" if they do not).
func firstDifference(got, want []watched) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("event %d missing: want %+v", i, want[i])
		case i >= len(want):
			return fmt.Sprintf("event %d extra: %+v", i, got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("event %d is %+v, want %+v", i, got[i], want[i])
		}
	}
	return ""
}

func TestWatchesOnAPausedFollower(t *testing.T) {
	c := newCluster(t, "--snapshot-count", "1000")
	leader := c.waitLeader(t, c.members, 10*time.Second)
	follower := c.others(leader)[0]
	rest := c.others(follower)
	lc := c.client(t, leader)
	fc := c.client(t, follower)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := fc.Watch(ctx, "pw/", clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	hot := fc.Watch(ctx, "pw/hot", clientv3.WithPrevKV(), clientv3.WithFilterDelete(), clientv3.WithCreatedNotify())
	for _, ch := range []clientv3.WatchChan{all, hot} {
		select {
		case r, ok := <-ch:
			if !ok || !r.Created || r.Err() != nil {
				t.Fatalf("watch on %s not created: ok=%v %+v %v", follower, ok, r, r.Err())
			}
		case <-time.After(opTimeout):
			t.Fatalf("watch on %s not created within %v", follower, opTimeout)
		}
	}

	var wantAll, wantHot []watched
	hotPut := func(val, prev string) {
		w := watched{change{mvccpb.PUT, "pw/hot", val, mustPut(t, lc, "pw/hot", val)}, ""}
		wantAll = append(wantAll, w)
		w.prev = prev
		wantHot = append(wantHot, w)
	}
	hotPut("1", "")
	// Both watchers are live on the follower before it is paused.
	gotAll, _ := collect(t, all, 1, follower, opTimeout, 0)
	gotHot, _ := collect(t, hot, 1, follower, opTimeout, 0)
	delivered := wantAll[0].rev
	// Two watchers waiting for revisions still ahead: one the writes during the pause pass,
	// one they do not reach.
	futureRev, farRev := delivered+4000, delivered+100000
	future := fc.Watch(ctx, "pw/", clientv3.WithPrefix(), clientv3.WithRev(futureRev), clientv3.WithCreatedNotify())
	far := fc.Watch(ctx, "pw/", clientv3.WithPrefix(), clientv3.WithRev(farRev), clientv3.WithCreatedNotify())
	for _, ch := range []clientv3.WatchChan{future, far} {
		select {
		case r, ok := <-ch:
			if !ok || !r.Created || r.Err() != nil {
				t.Fatalf("watch on %s not created: ok=%v %+v %v", follower, ok, r, r.Err())
			}
		case <-time.After(opTimeout):
			t.Fatalf("watch on %s not created within %v", follower, opTimeout)
		}
	}

	follower.sendSignal(t, syscall.SIGSTOP)
	paused := time.Now()
	acks := putMany(t, c.client(t, rest...), "pw/k/", 8000)
	hotPut("2", fmt.Sprintf("1@%d", wantHot[0].rev))
	ctx2, cancel2 := ctxT(opTimeout)
	del, err := lc.Delete(ctx2, "pw/hot")
	cancel2()
	if err != nil || del.Deleted != 1 {
		t.Fatalf("delete pw/hot: %v %+v", err, del)
	}
	hotPut("3", "") // no previous value: the key was deleted
	follower.sendSignal(t, syscall.SIGCONT)
	t.Logf("%s paused for %v", follower, time.Since(paused).Round(time.Millisecond))

	for _, a := range acks {
		wantAll = append(wantAll, watched{change{mvccpb.PUT, a.key, a.val, a.rev}, ""})
	}
	wantAll = append(wantAll, watched{change{mvccpb.DELETE, "pw/hot", "", del.Header.Revision}, ""})
	sort.Slice(wantAll, func(i, j int) bool { return wantAll[i].rev < wantAll[j].rev })

	t0 := time.Now()
	moreHot, replayedHot := collect(t, hot, len(wantHot)-1, follower, catchUpLimit, delivered)
	moreAll, replayedAll := collect(t, all, len(wantAll)-1, follower, catchUpLimit, delivered)
	t.Logf("%s's watchers had all %d events %v after it resumed", follower, len(wantAll), time.Since(t0).Round(time.Millisecond))
	if replayed := len(replayedHot) + len(replayedAll); replayed > 0 {
		// etcd 3.4 moves synced watchers back to the revision they were created at when it
		// restores a snapshot, and sends again what they had (etcd-io/etcd#15271, fixed in
		// later releases). Tolerated for etcd only.
		if target != "etcd" {
			t.Fatalf("%s sent %d events again: %s", follower, replayed, summary(append(replayedHot, replayedAll...)))
		}
		t.Logf("etcd sent %d events again (etcd-io/etcd#15271): %s", replayed, summary(append(replayedHot, replayedAll...)))
	}
	gotHot, gotAll = append(gotHot, moreHot...), append(gotAll, moreAll...)
	if d := firstDifference(gotHot, wantHot); d != "" {
		t.Fatalf("watch of pw/hot with prev_kv, no deletes, on %s: %s\n got %+v\nwant %+v", follower, d, gotHot, wantHot)
	}
	if d := firstDifference(gotAll, wantAll); d != "" {
		t.Fatalf("watch of pw/ on %s: %s", follower, d)
	}
	var wantFuture []watched
	for _, w := range wantAll {
		if w.rev >= futureRev {
			wantFuture = append(wantFuture, w)
		}
	}
	gotFuture, replayedFuture := collect(t, future, len(wantFuture), follower, catchUpLimit, 0)
	if len(replayedFuture) > 0 {
		t.Fatalf("watch of pw/ from revision %d on %s went back in time: %s", futureRev, follower, summary(replayedFuture))
	}
	if d := firstDifference(gotFuture, wantFuture); d != "" {
		t.Fatalf("watch of pw/ from revision %d on %s: %s", futureRev, follower, d)
	}
	requireSnapshotApplied(t, follower)

	// Nothing more, and the watchers are live again.
	rev := mustPut(t, lc, "pw/hot", "4")
	for _, ch := range []clientv3.WatchChan{all, hot} {
		next, _ := collect(t, ch, 1, follower, opTimeout, 0)
		if next[0].rev != rev {
			t.Fatalf("watch on %s after catching up: %+v, want the put at rev %d", follower, next[0], rev)
		}
	}
	select {
	case r := <-far:
		var keys []string
		for _, ev := range r.Events {
			keys = append(keys, fmt.Sprintf("%s@%d", ev.Kv.Key, ev.Kv.ModRevision))
		}
		// etcd 3.4 lowers such a watcher's start to the restored store's revision
		// (etcd-io/etcd#20221, fixed in later releases). Tolerated for etcd only.
		if target != "etcd" {
			t.Fatalf("watch of pw/ from revision %d on %s got %v (err %v)", farRev, follower, keys, r.Err())
		}
		t.Logf("etcd sent the watch of pw/ from revision %d %v (etcd-io/etcd#20221)", farRev, keys)
	case <-time.After(300 * time.Millisecond):
	}
}
