// A clean stop of the leader, as Kubernetes stops a pod: SIGTERM under write load.
//
//	TestSIGTERMLeaderUnderLoad  the leader exits within 5 s (swift-etcd with status 0; etcd
//	                            3.4 re-raises the signal, so it dies of SIGTERM once it has
//	                            stopped cleanly); the others name a new leader sooner than an
//	                            election timeout (the old leader handed leadership over);
//	                            writes go on; every acknowledged write is on every member,
//	                            the stopped one too once restarted
//
// Before the stop the leader's /metrics must report a round-trip time to each peer
// (etcd_network_peer_round_trip_time_seconds{To=<peer id>}, which only clusters have).

package cluster

import (
	"fmt"
	"io/ioutil"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	stopLimit = 5 * time.Second // SIGTERM until the process has exited
	rttLimit  = 15 * time.Second // etcd observes its first peer round trip 5 s after start
)

// metricsText GETs the member's /metrics.
func metricsText(m *member) (string, error) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(m.clientURL + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := ioutil.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET /metrics: %d", resp.StatusCode)
	}
	return string(body), nil
}

// exitedCleanly says whether the member's process ended as a clean SIGTERM stop does on its
// target: exit status 0 for swift-etcd; etcd 3.4 stops cleanly and then re-raises the signal.
func (m *member) exitedCleanly() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state == nil {
		return false
	}
	if target == "etcd" {
		ws, ok := m.state.Sys().(syscall.WaitStatus)
		return m.state.ExitCode() == 0 || (ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM)
	}
	return m.state.ExitCode() == 0
}

func TestSIGTERMLeaderUnderLoad(t *testing.T) {
	c := newCluster(t)
	leader := c.waitLeader(t, c.members, 10*time.Second)
	rest := c.others(leader)

	waitFor(t, rttLimit, "round-trip times to both peers on the leader's /metrics", func() error {
		text, err := metricsText(leader)
		if err != nil {
			return err
		}
		for _, peer := range rest {
			series := fmt.Sprintf(`etcd_network_peer_round_trip_time_seconds_bucket{To="%x",le="0.0001"} `, peer.memberID())
			if !strings.Contains(text, series) {
				return fmt.Errorf("no %q series", series)
			}
		}
		return nil
	})

	w := startWriters(c.client(t), "st/", 4, 40*time.Second, 20000)
	defer w.stop()
	waitFor(t, 10*time.Second, "100 acknowledged writes before the stop", func() error {
		if n := w.count(); n < 100 {
			return fmt.Errorf("%d so far", n)
		}
		return nil
	})

	stoppedAt := time.Now()
	type outcome struct {
		running bool
		err     error
		after   time.Duration
	}
	exited := make(chan outcome, 1)
	go func() {
		running, err := leader.signal(syscall.SIGTERM)
		exited <- outcome{running, err, time.Since(stoppedAt)}
	}()
	t.Logf("SIGTERM to leader %s (%x) after %d acknowledged writes", leader, leader.memberID(), w.count())

	// The others name a new leader: polled while the old one is still shutting down.
	var newLeader *member
	handedOver := waitFor(t, newLeaderLimit, "new leader among "+fmt.Sprint(rest), func() error {
		l, err := c.leader(rest)
		if err != nil {
			return err
		}
		if l == leader {
			return fmt.Errorf("both still name %s", l)
		}
		newLeader = l
		return nil
	})
	t.Logf("new leader %s (%x) %v after SIGTERM", newLeader, newLeader.memberID(), handedOver.Round(time.Millisecond))
	if handedOver >= election {
		t.Errorf("new leader only %v after SIGTERM, not within an election timeout (%v): was leadership handed over?", handedOver, election)
	}

	o := <-exited
	if o.err != nil || !o.running {
		t.Fatalf("SIGTERM %s: running=%v err=%v", leader, o.running, o.err)
	}
	t.Logf("%s exited %v after SIGTERM: %s", leader, o.after.Round(time.Millisecond), leader.exitStatus())
	if o.after > stopLimit {
		t.Errorf("%s took %v to exit after SIGTERM, want at most %v", leader, o.after, stopLimit)
	}
	if !leader.exitedCleanly() {
		t.Errorf("%s: %s, want a clean exit", leader, leader.exitStatus())
	}

	waitFor(t, 10*time.Second, "100 acknowledged writes after the stop", func() error {
		if n := w.countSince(stoppedAt.Add(o.after)); n < 100 {
			return fmt.Errorf("%d so far", n)
		}
		return nil
	})
	w.stop()
	w.mu.Lock()
	acks := append([]ack(nil), w.acks...)
	t.Logf("writers: %d acknowledged, %d failed; failures: %v", len(acks), w.fails, w.errs)
	w.mu.Unlock()

	// Every acknowledged write, read through the new leader, then on the restarted member.
	leader.restart(t)
	var last ack
	for _, a := range acks {
		if a.rev > last.rev {
			last = a
		}
	}
	d := waitKey(t, c.client(t, leader), leader.name, last.key, kv{last.val, last.rev}, catchUpLimit)
	t.Logf("restarted %s has the last write %v after its restart", leader, d.Round(time.Millisecond))
	for _, m := range []*member{newLeader, leader} {
		view, _, err := snapshot(c.client(t, m), "st/", m != newLeader)
		if err != nil {
			t.Fatalf("read on %s: %v", m, err)
		}
		missing := 0
		for _, a := range acks {
			if got, ok := view[a.key]; !ok || got.val != a.val || got.rev != a.rev {
				if missing < 8 {
					t.Errorf("%s: acknowledged %s=%q at rev %d, member has %q at rev %d (present=%v)", m, a.key, a.val, a.rev, got.val, got.rev, ok)
				}
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("%s: %d of %d acknowledged writes missing or different", m, missing, len(acks))
		}
	}
	t.Logf("all %d acknowledged writes on the new leader and on the restarted member", len(acks))
}
