package cluster

import (
	"io/ioutil"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A member added with `member add` that stops before the leader's first snapshot reaches it
// (here: the leader is paused while the new member starts, and the new member is killed before
// the others could elect another leader) must still join when it is started again on its data
// dir. swift-etcd has written its WAL by then; etcd 3.4 writes nothing until it hears from the
// leader, so for etcd the restart is a first start and only the catch-up is checked.
func TestJoinerStoppedBeforeItsFirstSnapshot(t *testing.T) {
	c := newCluster(t)
	leader := c.waitLeader(t, c.members, 10*time.Second)
	lc := c.client(t, leader)
	mustPut(t, lc, "jn/before", "v")
	want := leaderState(t, lc)

	m3, err := c.newMember("m3")
	if err != nil {
		t.Fatalf("member m3: %v", err)
	}
	id := addMember(t, lc, m3)
	t.Logf("m3 added as %x; pausing leader %s", id, leader)
	leader.sendSignal(t, syscall.SIGSTOP)
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			leader.sendSignal(t, syscall.SIGCONT)
		}
	}
	defer resume()
	// The paused leader comes last, so that m3 asks a running member who it is.
	var initial []string
	for _, m := range append(c.others(leader, m3), leader, m3) {
		initial = append(initial, m.name+"="+m.peerURL)
	}
	if err := m3.start(strings.Join(initial, ","), "existing"); err != nil {
		t.Fatalf("start m3: %v", err)
	}
	// Shorter than the election timeout (1 s), so no other member takes over and sends it one.
	time.Sleep(700 * time.Millisecond)
	m3.kill(t)
	resume()
	if target != "etcd" {
		if snaps, _ := filepath.Glob(filepath.Join(m3.dataDir, "member", "snap", "*.snap")); len(snaps) > 0 {
			t.Fatalf("m3 already holds %d snapshot files: the scenario did not happen", len(snaps))
		}
		if files, err := ioutil.ReadDir(filepath.Join(m3.dataDir, "member", "wal")); err != nil || len(files) == 0 {
			t.Fatalf("m3 wrote no WAL before it was killed (%v): the restart below would be a first start", err)
		}
	}

	m3.restart(t)
	d := waitState(t, c, m3, want, catchUpLimit)
	t.Logf("restarted m3 has the cluster's keys %v after its restart", d.Round(time.Millisecond))
}
