package interop

// Watch: the bidirectional /etcdserverpb.Watch/Watch stream, through clientv3, through a raw
// gRPC stream (to see the protocol itself) and through etcdctl watch.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"go.etcd.io/etcd/mvcc/mvccpb"
	"google.golang.org/grpc"
	"swiftetcd/testserver"
)

// ---------------------------------------------------------------------------
// helpers

// nextResponse waits for the next response on a clientv3 watch channel.
func nextResponse(t *testing.T, what string, ch clientv3.WatchChan) clientv3.WatchResponse {
	t.Helper()
	select {
	case resp, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch channel closed", what)
		}
		return resp
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no watch response within 5s", what)
	}
	return clientv3.WatchResponse{}
}

// nextEvents gathers responses until n events arrived.
func nextEvents(t *testing.T, what string, ch clientv3.WatchChan, n int) []*clientv3.Event {
	t.Helper()
	var events []*clientv3.Event
	for len(events) < n {
		resp := nextResponse(t, what, ch)
		if err := resp.Err(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		events = append(events, resp.Events...)
	}
	return events
}

// expectQuiet checks no response arrives for a short while.
func expectQuiet(t *testing.T, what string, ch clientv3.WatchChan) {
	t.Helper()
	select {
	case resp, ok := <-ch:
		t.Fatalf("%s: unexpected response %+v (open %v)", what, resp, ok)
	case <-time.After(300 * time.Millisecond):
	}
}

// describeEvents renders events as "PUT key=value@rev" / "DELETE key@rev", with
// " prev=value" when the event carries the previous key-value.
func describeEvents(events []*clientv3.Event, prefix string) []string {
	out := []string{}
	for _, e := range events {
		key := strings.TrimPrefix(string(e.Kv.Key), prefix)
		s := fmt.Sprintf("%s %s@%d", e.Type, key, e.Kv.ModRevision)
		if e.Type == mvccpb.PUT {
			s = fmt.Sprintf("PUT %s=%s@%d", key, e.Kv.Value, e.Kv.ModRevision)
		}
		if e.PrevKv != nil {
			s += " prev=" + string(e.PrevKv.Value)
		}
		out = append(out, s)
	}
	return out
}

func eqLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !eqStrings(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// rawWatch is a raw gRPC watch stream whose responses are read in the background.
type rawWatch struct {
	stream pb.Watch_WatchClient
	resps  chan *pb.WatchResponse
}

func openRawWatch(t *testing.T) *rawWatch {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := pb.NewWatchClient(rawConn).Watch(c)
	if err != nil {
		t.Fatalf("opening a watch stream: %v", err)
	}
	w := &rawWatch{stream: stream, resps: make(chan *pb.WatchResponse, 1000)}
	go func() {
		defer close(w.resps)
		for {
			resp, err := stream.Recv()
			if err != nil {
				return
			}
			w.resps <- resp
		}
	}()
	return w
}

func (w *rawWatch) send(t *testing.T, req *pb.WatchRequest) {
	t.Helper()
	if err := w.stream.Send(req); err != nil {
		t.Fatalf("sending %v: %v", req, err)
	}
}

func (w *rawWatch) create(t *testing.T, req *pb.WatchCreateRequest) {
	t.Helper()
	w.send(t, &pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: req}})
}

func (w *rawWatch) cancel(t *testing.T, id int64) {
	t.Helper()
	w.send(t, &pb.WatchRequest{RequestUnion: &pb.WatchRequest_CancelRequest{CancelRequest: &pb.WatchCancelRequest{WatchId: id}}})
}

func (w *rawWatch) progress(t *testing.T) {
	t.Helper()
	w.send(t, &pb.WatchRequest{RequestUnion: &pb.WatchRequest_ProgressRequest{ProgressRequest: &pb.WatchProgressRequest{}}})
}

func (w *rawWatch) next(t *testing.T, what string) *pb.WatchResponse {
	t.Helper()
	select {
	case resp, ok := <-w.resps:
		if !ok {
			t.Fatalf("%s: watch stream ended", what)
		}
		return resp
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no response within 5s", what)
	}
	return nil
}

func (w *rawWatch) quiet(t *testing.T, what string) {
	t.Helper()
	select {
	case resp := <-w.resps:
		t.Fatalf("%s: unexpected response %v", what, resp)
	case <-time.After(300 * time.Millisecond):
	}
}

// summary renders a raw response without the cluster and member IDs.
func summary(r *pb.WatchResponse) string {
	s := fmt.Sprintf("id=%d rev=%d", r.WatchId, r.Header.GetRevision())
	if r.Created {
		s += " created"
	}
	if r.Canceled {
		s += " canceled"
	}
	if r.CompactRevision != 0 {
		s += fmt.Sprintf(" compact=%d", r.CompactRevision)
	}
	if r.CancelReason != "" {
		s += " reason=" + r.CancelReason
	}
	if r.Fragment {
		s += " fragment"
	}
	for _, e := range r.Events {
		s += fmt.Sprintf(" %s:%s@%d", e.Type, e.Kv.Key, e.Kv.ModRevision)
	}
	return s
}

// ctlWatch is an etcdctl watch running in the background.
type ctlWatch struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr bytes.Buffer
	done   chan struct{}
}

func startCtlWatch(t *testing.T, args ...string) *ctlWatch {
	t.Helper()
	w := &ctlWatch{lines: make(chan string, 1000), done: make(chan struct{})}
	w.cmd = exec.Command(etcdctlPath, append([]string{"--endpoints", clientURL, "watch"}, args...)...)
	w.cmd.Env = append(testserver.CleanEnv(testserver.CleanEnv(w.cmd.Environ(), "ETCDCTL_"), "ETCD_"), "ETCDCTL_API=3")
	w.cmd.Stderr = &w.stderr
	stdin, err := w.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.stdin = stdin
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(w.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
	}()
	go func() {
		w.cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		<-w.done
	})
	return w
}

func (w *ctlWatch) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, line := range want {
		select {
		case got, ok := <-w.lines:
			if !ok || got != line {
				t.Fatalf("etcdctl watch: got %q (open %v), want %q; stderr %q", got, ok, line, w.stderr.String())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("etcdctl watch: nothing within 5s, want %q", line)
		}
	}
}

// ---------------------------------------------------------------------------
// clientv3

func TestWatchKeyPrefixAndFromKey(t *testing.T) {
	p := "/watch/basic/"
	cleanupPrefix(t, p)
	c := ctx(t)
	// Starting at the next revision makes the test independent of when each watch is registered.
	start := clientv3.WithRev(currentRev(t) + 1)
	key := cli.Watch(c, p+"a", start)
	prefix := cli.Watch(c, p, clientv3.WithPrefix(), start)
	fromKey := cli.Watch(c, p+"b", clientv3.WithFromKey(), start)
	r1 := mustPut(t, p+"a", "1").Header.Revision
	r2 := mustPut(t, p+"b", "2").Header.Revision
	dr, err := cli.Delete(c, p+"a")
	if err != nil {
		t.Fatal(err)
	}
	r3 := dr.Header.Revision

	eqLines(t, "key", describeEvents(nextEvents(t, "key", key, 2), p),
		[]string{fmt.Sprintf("PUT a=1@%d", r1), fmt.Sprintf("DELETE a@%d", r3)})
	eqLines(t, "prefix", describeEvents(nextEvents(t, "prefix", prefix, 3), p),
		[]string{fmt.Sprintf("PUT a=1@%d", r1), fmt.Sprintf("PUT b=2@%d", r2), fmt.Sprintf("DELETE a@%d", r3)})
	eqLines(t, "from key", describeEvents(nextEvents(t, "from key", fromKey, 1), p),
		[]string{fmt.Sprintf("PUT b=2@%d", r2)})
	expectQuiet(t, "key", key)
}

func TestWatchReplayFromRevisionWithPrevKV(t *testing.T) {
	p := "/watch/replay/"
	cleanupPrefix(t, p)
	r1 := mustPut(t, p+"k", "1").Header.Revision
	mustPut(t, p+"other", "x")
	r3 := mustPut(t, p+"k", "2").Header.Revision
	c := ctx(t)

	// A watch that starts in the past replays the history, then goes on live.
	ch := cli.Watch(c, p+"k", clientv3.WithRev(r1), clientv3.WithPrevKV())
	eqLines(t, "replay", describeEvents(nextEvents(t, "replay", ch, 2), p),
		[]string{fmt.Sprintf("PUT k=1@%d", r1), fmt.Sprintf("PUT k=2@%d prev=1", r3)})
	dr, err := cli.Delete(c, p+"k")
	if err != nil {
		t.Fatal(err)
	}
	eqLines(t, "live", describeEvents(nextEvents(t, "live", ch, 1), p),
		[]string{fmt.Sprintf("DELETE k@%d prev=2", dr.Header.Revision)})

	// A prefix watch from the past sees every key's history in revision order.
	all := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithRev(r1))
	events := nextEvents(t, "prefix replay", all, 4)
	for i := 1; i < len(events); i++ {
		if events[i].Kv.ModRevision <= events[i-1].Kv.ModRevision {
			t.Fatalf("events out of order: %v", describeEvents(events, p))
		}
	}
}

func TestWatchFilters(t *testing.T) {
	p := "/watch/filters/"
	cleanupPrefix(t, p)
	c := ctx(t)
	start := currentRev(t) + 1
	noPut := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithFilterPut(), clientv3.WithRev(start))
	noDelete := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithFilterDelete(), clientv3.WithRev(start))
	r1 := mustPut(t, p+"a", "1").Header.Revision
	dr, err := cli.Delete(c, p+"a")
	if err != nil {
		t.Fatal(err)
	}
	r3 := mustPut(t, p+"b", "1").Header.Revision
	eqLines(t, "no put", describeEvents(nextEvents(t, "no put", noPut, 1), p), []string{fmt.Sprintf("DELETE a@%d", dr.Header.Revision)})
	eqLines(t, "no delete", describeEvents(nextEvents(t, "no delete", noDelete, 2), p),
		[]string{fmt.Sprintf("PUT a=1@%d", r1), fmt.Sprintf("PUT b=1@%d", r3)})
	expectQuiet(t, "no put", noPut)
}

func TestWatchTxnEventsArriveInOneResponse(t *testing.T) {
	p := "/watch/txn/"
	cleanupPrefix(t, p)
	mustPut(t, p+"gone", "x")
	c := ctx(t)
	ch := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithRev(currentRev(t)+1))
	tr, err := cli.Txn(c).Then(
		clientv3.OpPut(p+"a", "1"), clientv3.OpPut(p+"b", "2"), clientv3.OpDelete(p+"gone"),
	).Commit()
	if err != nil {
		t.Fatal(err)
	}
	rev := tr.Header.Revision
	resp := nextResponse(t, "txn", ch)
	eqLines(t, "txn", describeEvents(resp.Events, p),
		[]string{fmt.Sprintf("PUT a=1@%d", rev), fmt.Sprintf("PUT b=2@%d", rev), fmt.Sprintf("DELETE gone@%d", rev)})
	if resp.Header.Revision != rev {
		t.Fatalf("header revision %d, want %d", resp.Header.Revision, rev)
	}
}

func TestWatchProgressNotify(t *testing.T) {
	p := "/watch/progress-notify/"
	cleanupPrefix(t, p)
	c := ctx(t)
	rev := mustPut(t, p+"a", "1").Header.Revision
	ch := cli.Watch(c, p+"a", clientv3.WithProgressNotify())
	// An idle watcher is told the revision once per interval (1s here, plus up to 10%).
	resp := nextResponse(t, "progress notify", ch)
	if !resp.IsProgressNotify() || resp.Header.Revision < rev {
		t.Fatalf("want a progress notification at revision >= %d, got %+v", rev, resp)
	}
	// A watcher without the option gets none.
	quiet := cli.Watch(c, p+"a")
	select {
	case resp := <-quiet:
		t.Fatalf("a watcher without progress_notify got %+v", resp)
	case <-time.After(watchProgressInterval * 3 / 2):
	}
}

func TestWatchRequestProgress(t *testing.T) {
	p := "/watch/request-progress/"
	cleanupPrefix(t, p)
	c := ctx(t)
	ch := cli.Watch(c, p+"a", clientv3.WithPrefix())
	rev := mustPut(t, p+"a", "1").Header.Revision
	nextEvents(t, "event", ch, 1)
	if err := cli.RequestProgress(c); err != nil {
		t.Fatal(err)
	}
	resp := nextResponse(t, "progress", ch)
	if !resp.IsProgressNotify() || resp.Header.Revision < rev {
		t.Fatalf("want a progress notification at revision >= %d, got %+v", rev, resp)
	}
}

func TestWatchFragments(t *testing.T) {
	p := "/watch/fragment/"
	cleanupPrefix(t, p)
	c := ctx(t)
	big := strings.Repeat("x", 900*1024)
	for _, k := range []string{"a", "b", "c"} {
		mustPut(t, p+k, big)
	}
	start := currentRev(t) + 1
	whole := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithPrevKV(), clientv3.WithRev(start))
	joined := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithPrevKV(), clientv3.WithFragment(), clientv3.WithRev(start))
	raw := openRawWatch(t)
	raw.create(t, &pb.WatchCreateRequest{Key: []byte(p), RangeEnd: []byte(clientv3.GetPrefixRangeEnd(p)), PrevKv: true, Fragment: true, StartRevision: start})
	raw.next(t, "created")

	// One delete of three keys with 900 KiB values: one revision of about 2.7 MB with prev_kv,
	// beyond the 2 MiB (request limit + 512 KiB) at which etcd splits fragments.
	if _, err := cli.Delete(c, p, clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for {
		r := raw.next(t, "fragment")
		parts = append(parts, fmt.Sprintf("events=%d fragment=%v", len(r.Events), r.Fragment))
		if !r.Fragment {
			break
		}
	}
	eqLines(t, "fragments", parts, []string{"events=2 fragment=true", "events=1 fragment=false"})
	// clientv3 joins the fragments; without WithFragment the server sends one message.
	for what, ch := range map[string]clientv3.WatchChan{"whole": whole, "joined": joined} {
		resp := nextResponse(t, what, ch)
		if len(resp.Events) != 3 || resp.Events[2].PrevKv == nil || len(resp.Events[2].PrevKv.Value) != len(big) {
			t.Fatalf("%s: want 3 delete events with prev_kv in one response, got %d", what, len(resp.Events))
		}
	}
}

func TestWatchCancelByContext(t *testing.T) {
	p := "/watch/cancel/"
	cleanupPrefix(t, p)
	c, cancel := context.WithCancel(context.Background())
	ch := cli.Watch(c, p+"a")
	cancel()
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watch channel did not close after its context was canceled")
	}
	// The client goes on watching on the same connection.
	other := cli.Watch(ctx(t), p+"a")
	if err := cli.RequestProgress(ctx(t)); err != nil {
		t.Fatal(err)
	}
	nextResponse(t, "progress", other)
	rev := mustPut(t, p+"a", "1").Header.Revision
	eqLines(t, "after cancel", describeEvents(nextEvents(t, "after cancel", other, 1), p), []string{fmt.Sprintf("PUT a=1@%d", rev)})
}

func TestWatchCompactedStartRevision(t *testing.T) {
	p := "/watch/compacted/"
	cleanupPrefix(t, p)
	r1 := mustPut(t, p+"a", "1").Header.Revision
	r2 := mustPut(t, p+"a", "2").Header.Revision
	if _, err := cli.Compact(ctx(t), r2); err != nil {
		t.Fatal(err)
	}
	ch := cli.Watch(ctx(t), p+"a", clientv3.WithRev(r1))
	resp := nextResponse(t, "compacted", ch)
	if resp.CompactRevision != r2 || !resp.Canceled || resp.Err() != rpctypes.ErrCompacted {
		t.Fatalf("want a cancel with compact revision %d and %v, got %+v (%v)", r2, rpctypes.ErrCompacted, resp, resp.Err())
	}
	if _, ok := <-ch; ok {
		t.Fatal("the watch channel stayed open after the compaction cancel")
	}
	// A start at the compaction revision itself is still served.
	ch = cli.Watch(ctx(t), p+"a", clientv3.WithRev(r2))
	eqLines(t, "at compaction", describeEvents(nextEvents(t, "at compaction", ch, 1), p), []string{fmt.Sprintf("PUT a=2@%d", r2)})
}

func TestWatchManyWatchersOnOneClient(t *testing.T) {
	p := "/watch/many/"
	cleanupPrefix(t, p)
	c := ctx(t)
	const n = 200
	start := currentRev(t) + 1
	chans := make([]clientv3.WatchChan, n)
	for i := range chans {
		chans[i] = cli.Watch(c, fmt.Sprintf("%sk%03d", p, i), clientv3.WithRev(start))
	}
	all := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithRev(start))
	for i := 0; i < n; i += 50 {
		txn := cli.Txn(c)
		var ops []clientv3.Op
		for j := i; j < i+50; j++ {
			ops = append(ops, clientv3.OpPut(fmt.Sprintf("%sk%03d", p, j), fmt.Sprint(j)))
		}
		if _, err := txn.Then(ops...).Commit(); err != nil {
			t.Fatal(err)
		}
	}
	for i, ch := range chans {
		ev := nextEvents(t, fmt.Sprint("watcher ", i), ch, 1)
		if len(ev) != 1 || string(ev[0].Kv.Value) != fmt.Sprint(i) {
			t.Fatalf("watcher %d: got %v", i, describeEvents(ev, p))
		}
	}
	if got := len(nextEvents(t, "prefix", all, n)); got != n {
		t.Fatalf("prefix watcher: %d events, want %d", got, n)
	}
}

// TestWatchSlowConsumer has a watcher whose client reads nothing while 2 MB of
// events are written: the writes and a second watcher are not held up, and once
// the slow client reads, it gets every event, in order, exactly once.
func TestWatchSlowConsumer(t *testing.T) {
	p := "/watch/slow/"
	cleanupPrefix(t, p)
	c := ctx(t)
	start := currentRev(t) + 1
	// A connection of its own, whose one stream is not read until the writes are done: its
	// HTTP/2 window fills, and the server has to hold back.
	conn, err := grpc.DialContext(c, clientAddr, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	slow, err := pb.NewWatchClient(conn).Watch(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := slow.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{
		Key: []byte(p), RangeEnd: []byte(clientv3.GetPrefixRangeEnd(p)), StartRevision: start}}}); err != nil {
		t.Fatal(err)
	}
	fast := cli.Watch(c, p, clientv3.WithPrefix(), clientv3.WithRev(start))

	value := strings.Repeat("v", 1024)
	const txns, perTxn = 30, 100
	for i := 0; i < txns; i++ {
		var ops []clientv3.Op
		for j := 0; j < perTxn; j++ {
			ops = append(ops, clientv3.OpPut(fmt.Sprintf("%s%02d/%03d", p, i, j), value))
		}
		if _, err := cli.Txn(c).Then(ops...).Commit(); err != nil {
			t.Fatalf("write %d while a watcher is not reading: %v", i, err)
		}
	}
	if got := len(nextEvents(t, "reading watcher", fast, txns*perTxn)); got != txns*perTxn {
		t.Fatalf("reading watcher: %d events, want %d", got, txns*perTxn)
	}

	var keys []string
	lastRev := int64(0)
	for len(keys) < txns*perTxn {
		r, err := slow.Recv()
		if err != nil {
			t.Fatalf("slow watcher after %d events: %v", len(keys), err)
		}
		for _, e := range r.Events {
			if e.Kv.ModRevision < lastRev {
				t.Fatalf("slow watcher: revision %d after %d", e.Kv.ModRevision, lastRev)
			}
			lastRev = e.Kv.ModRevision
			keys = append(keys, string(e.Kv.Key))
		}
	}
	for i, k := range keys {
		if want := fmt.Sprintf("%s%02d/%03d", p, i/perTxn, i%perTxn); k != want {
			t.Fatalf("slow watcher: event %d is %s, want %s", i, k, want)
		}
	}
}

// ---------------------------------------------------------------------------
// the protocol on a raw stream

func TestWatchProtocolCreateCancelAndIDs(t *testing.T) {
	p := "/watch/protocol/"
	cleanupPrefix(t, p)
	w := openRawWatch(t)
	rev := currentRev(t)

	// A progress request on a stream without watchers is answered at once (etcd 3.4).
	w.progress(t)
	if got := summary(w.next(t, "progress")); got != fmt.Sprintf("id=-1 rev=%d", rev) {
		t.Fatalf("progress: %s", got)
	}
	// IDs chosen by the server start at 0 on each stream; a client may choose its own.
	w.create(t, &pb.WatchCreateRequest{Key: []byte(p + "a")})
	w.create(t, &pb.WatchCreateRequest{Key: []byte(p + "a"), WatchId: 7})
	w.create(t, &pb.WatchCreateRequest{Key: []byte(p + "a"), WatchId: 7})
	w.create(t, &pb.WatchCreateRequest{Key: []byte(p + "b"), RangeEnd: []byte(p + "a")})
	w.create(t, &pb.WatchCreateRequest{Key: []byte(p), RangeEnd: []byte(clientv3.GetPrefixRangeEnd(p))})
	var got []string
	for i := 0; i < 5; i++ {
		got = append(got, summary(w.next(t, "create")))
	}
	eqLines(t, "creates", got, []string{
		fmt.Sprintf("id=0 rev=%d created", rev),
		fmt.Sprintf("id=7 rev=%d created", rev),
		fmt.Sprintf("id=-1 rev=%d created canceled reason=mvcc: duplicate watch ID provided on the WatchStream", rev),
		fmt.Sprintf("id=-1 rev=%d created canceled reason=mvcc: watcher range is empty", rev),
		fmt.Sprintf("id=1 rev=%d created", rev),
	})

	// Canceling an unknown ID gets no answer and leaves the stream working.
	w.cancel(t, 42)
	w.quiet(t, "cancel of an unknown ID")
	w.cancel(t, 7)
	if got := summary(w.next(t, "cancel")); got != fmt.Sprintf("id=7 rev=%d canceled", rev) {
		t.Fatalf("cancel: %s", got)
	}
	r1 := mustPut(t, p+"a", "1").Header.Revision
	got = []string{summary(w.next(t, "event")), summary(w.next(t, "event"))}
	sort.Strings(got)
	eqLines(t, "events", got, []string{
		fmt.Sprintf("id=0 rev=%d PUT:%sa@%d", r1, p, r1),
		fmt.Sprintf("id=1 rev=%d PUT:%sa@%d", r1, p, r1),
	})
	// A client that stops sending still gets events until it goes away.
	if err := w.stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	r2 := mustPut(t, p+"b", "1").Header.Revision
	if got := summary(w.next(t, "after half-close")); got != fmt.Sprintf("id=1 rev=%d PUT:%sb@%d", r2, p, r2) {
		t.Fatalf("after half-close: %s", got)
	}
}

func TestWatchProtocolCompaction(t *testing.T) {
	p := "/watch/protocol-compaction/"
	cleanupPrefix(t, p)
	r1 := mustPut(t, p+"a", "1").Header.Revision
	r2 := mustPut(t, p+"a", "2").Header.Revision
	if _, err := cli.Compact(ctx(t), r2); err != nil {
		t.Fatal(err)
	}
	w := openRawWatch(t)
	w.create(t, &pb.WatchCreateRequest{Key: []byte(p + "a"), StartRevision: r1})
	// created, then canceled with the compaction revision and a header revision of 0.
	eqLines(t, "compacted start", []string{summary(w.next(t, "created")), summary(w.next(t, "canceled"))}, []string{
		fmt.Sprintf("id=0 rev=%d created", r2),
		fmt.Sprintf("id=0 rev=0 canceled compact=%d", r2),
	})
	// The canceled watcher keeps its ID until the client cancels it.
	w.cancel(t, 0)
	if got := summary(w.next(t, "cancel")); got != fmt.Sprintf("id=0 rev=%d canceled", r2) {
		t.Fatalf("cancel of a compacted watcher: %s", got)
	}
}

// ---------------------------------------------------------------------------
// etcdctl watch

func TestCtlWatch(t *testing.T) {
	p := "/watch/ctl/"
	cleanupPrefix(t, p)
	rev := currentRev(t)
	key := startCtlWatch(t, "--rev", fmt.Sprint(rev+1), p+"a")
	prefix := startCtlWatch(t, "--rev", fmt.Sprint(rev+1), "--prefix", "--prev-kv", p)
	ctlOK(t, "put", p+"a", "1")
	ctlOK(t, "put", p+"b", "1")
	ctlOK(t, "put", p+"a", "2")
	ctlOK(t, "del", p+"a")
	key.expect(t, "PUT", p+"a", "1", "PUT", p+"a", "2", "DELETE", p+"a")
	prefix.expect(t, "PUT", p+"a", "1", "PUT", p+"b", "1", "PUT", p+"a", "1", p+"a", "2", "DELETE", p+"a", "2", p+"a")

	// From a past revision the history is replayed at once.
	replay := startCtlWatch(t, "--rev", fmt.Sprint(rev+1), "--prefix", p)
	replay.expect(t, "PUT", p+"a", "1", "PUT", p+"b", "1", "PUT", p+"a", "2", "DELETE", p+"a")
}

func TestCtlWatchExec(t *testing.T) {
	p := "/watch/ctl-exec/"
	cleanupPrefix(t, p)
	rev := mustPut(t, p+"a", "1").Header.Revision
	w := startCtlWatch(t, "--rev", fmt.Sprint(rev), p+"a", "--",
		"sh", "-c", `echo "$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE $ETCD_WATCH_REVISION"`)
	w.expect(t, "PUT", p+"a", "1", fmt.Sprintf(`"PUT" "%sa" "1" %d`, p, rev))
}

func TestCtlWatchInteractive(t *testing.T) {
	p := "/watch/ctl-interactive/"
	cleanupPrefix(t, p)
	rev := currentRev(t)
	w := startCtlWatch(t, "-i")
	fmt.Fprintf(w.stdin, "watch --rev %d %sa\n", rev+1, p)
	r1 := mustPut(t, p+"a", "1").Header.Revision
	w.expect(t, "PUT", p+"a", "1")
	fmt.Fprintln(w.stdin, "progress")
	w.expect(t, fmt.Sprintf("progress notify: %d", r1))
	// etcdctl 3.4 knows only watch and progress; the rest is refused by etcdctl itself.
	fmt.Fprintln(w.stdin, "cancel")
	w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
		t.Fatal("etcdctl watch -i did not exit when its input ended")
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 3 || w.stderr.String() != "Invalid command cancel (only support watch)\nError: Error reading watch request line: EOF\n" {
		t.Fatalf("exit %d, stderr %q", code, w.stderr.String())
	}
}

// ---------------------------------------------------------------------------
// property: concurrent writers, watchers of random ranges and start revisions

// TestWatchHistoryUnderConcurrentWriters has several writers put, delete and run
// transactions on a small key space while watchers of random ranges and start
// revisions (some started in the past while the writes go on) read. Every
// watcher's events must be its range's history, as read back revision by
// revision with Get(rev), in revision order, with no gap or duplicate, and each
// revision's events in one response.
func TestWatchHistoryUnderConcurrentWriters(t *testing.T) {
	p := "/watch/property/"
	cleanupPrefix(t, p)
	settle(t)
	random := rand.New(rand.NewSource(time.Now().UnixNano()))
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}
	first := currentRev(t) + 1

	type watcher struct {
		name      string
		from, to  string // the range [from, to) under the prefix
		start     int64
		prevKV    bool
		responses []clientv3.WatchResponse
	}
	var mu sync.Mutex
	var watchers []*watcher
	var wg sync.WaitGroup
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	other, err := clientv3.New(clientv3.Config{Endpoints: []string{clientURL}, DialTimeout: 5 * time.Second, LogConfig: testserver.QuietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	startWatcher := func(start int64) {
		lo := random.Intn(len(keys))
		hi := lo + 1 + random.Intn(len(keys)-lo)
		w := &watcher{from: keys[lo], to: keys[hi-1] + "\x00", start: start, prevKV: random.Intn(2) == 0}
		if random.Intn(3) == 0 {
			w.to = "" // a single key
		}
		w.name = fmt.Sprintf("[%s,%q) from %d prev %v", w.from, w.to, w.start, w.prevKV)
		opts := []clientv3.OpOption{clientv3.WithRev(start)}
		if w.to != "" {
			opts = append(opts, clientv3.WithRange(p+w.to))
		}
		if w.prevKV {
			opts = append(opts, clientv3.WithPrevKV())
		}
		client := cli
		if random.Intn(2) == 0 {
			client = other
		}
		ch := client.Watch(c, p+w.from, opts...)
		mu.Lock()
		watchers = append(watchers, w)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for resp := range ch {
				mu.Lock()
				w.responses = append(w.responses, resp)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < 8; i++ {
		startWatcher(first)
	}

	var writers sync.WaitGroup
	for i := 0; i < 4; i++ {
		seed := random.Int63()
		writers.Add(1)
		go func() {
			defer writers.Done()
			r := rand.New(rand.NewSource(seed))
			for j := 0; j < 60; j++ {
				k := p + keys[r.Intn(len(keys))]
				var err error
				switch r.Intn(4) {
				case 0, 1:
					_, err = cli.Put(c, k, fmt.Sprint(r.Intn(1000)))
				case 2:
					from := r.Intn(len(keys) - 1)
					to := from + 1 + r.Intn(len(keys)-from-1)
					_, err = cli.Delete(c, p+keys[from], clientv3.WithRange(p+keys[to]))
				default:
					picked := r.Perm(len(keys))[:3]
					_, err = cli.Txn(c).Then(
						clientv3.OpPut(p+keys[picked[0]], "t"), clientv3.OpPut(p+keys[picked[1]], "t"),
						clientv3.OpDelete(p+keys[picked[2]]),
					).Commit()
				}
				if err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		}()
	}
	// Watchers that start in the past while the writers go on.
	for i := 0; i < 8; i++ {
		time.Sleep(time.Duration(random.Intn(40)) * time.Millisecond)
		// Until the first write lands, the only start in range is `first` itself.
		span := currentRev(t) - first + 1
		if span < 1 {
			span = 1
		}
		startWatcher(first + random.Int63n(span))
	}
	writers.Wait()
	last := currentRev(t)

	// The history, revision by revision, from Get at each revision.
	type change struct {
		key       string
		kv        *mvccpb.KeyValue // nil for a delete
		prev      *mvccpb.KeyValue
		eventType mvccpb.Event_EventType
	}
	history := map[int64][]change{}
	previous := map[string]*mvccpb.KeyValue{}
	for _, kv := range mustGet(t, p, clientv3.WithPrefix(), clientv3.WithRev(first-1)).Kvs {
		previous[string(kv.Key)] = kv
	}
	for rev := first; rev <= last; rev++ {
		now := map[string]*mvccpb.KeyValue{}
		for _, kv := range mustGet(t, p, clientv3.WithPrefix(), clientv3.WithRev(rev)).Kvs {
			now[string(kv.Key)] = kv
			if kv.ModRevision == rev {
				history[rev] = append(history[rev], change{string(kv.Key), kv, previous[string(kv.Key)], mvccpb.PUT})
			}
		}
		for k, kv := range previous {
			if now[k] == nil {
				history[rev] = append(history[rev], change{k, nil, kv, mvccpb.DELETE})
			}
		}
		previous = now
	}
	describe := func(key string, t mvccpb.Event_EventType, rev int64, value, prev []byte, withPrev bool) string {
		s := fmt.Sprintf("%s %s@%d=%s", t, strings.TrimPrefix(key, p), rev, value)
		if withPrev && prev != nil {
			s += " prev=" + string(prev)
		}
		return s
	}
	expected := func(w *watcher) []string {
		var out []string
		for rev := w.start; rev <= last; rev++ {
			var here []string
			for _, ch := range history[rev] {
				k := strings.TrimPrefix(ch.key, p)
				inRange := k == w.from || (w.to != "" && k >= w.from && k < w.to)
				if !inRange {
					continue
				}
				var value, prev []byte
				if ch.kv != nil {
					value = ch.kv.Value
				}
				if ch.prev != nil {
					prev = ch.prev.Value
				}
				here = append(here, describe(ch.key, ch.eventType, rev, value, prev, w.prevKV))
			}
			sort.Strings(here)
			out = append(out, here...)
		}
		return out
	}
	received := func(w *watcher) (events []string, problem string) {
		lastRev := int64(0)
		for _, resp := range w.responses {
			if resp.Err() != nil {
				return nil, resp.Err().Error()
			}
			var here []string
			for _, e := range resp.Events {
				if e.Kv.ModRevision < lastRev || (e.Kv.ModRevision == lastRev && len(here) == 0) {
					return nil, fmt.Sprintf("revision %d after %d (or split across responses)", e.Kv.ModRevision, lastRev)
				}
				if e.Kv.ModRevision > resp.Header.Revision {
					return nil, fmt.Sprintf("event at %d in a response at %d", e.Kv.ModRevision, resp.Header.Revision)
				}
				if e.Kv.ModRevision > lastRev && len(here) > 0 {
					sort.Strings(here)
					events = append(events, here...)
					here = nil
				}
				lastRev = e.Kv.ModRevision
				var prev []byte
				if e.PrevKv != nil {
					prev = e.PrevKv.Value
				}
				here = append(here, describe(string(e.Kv.Key), e.Type, e.Kv.ModRevision, e.Kv.Value, prev, true))
			}
			sort.Strings(here)
			events = append(events, here...)
		}
		return events, ""
	}

	deadline := time.Now().Add(10 * time.Second)
	for _, w := range watchers {
		want := expected(w)
		for {
			mu.Lock()
			got, problem := received(w)
			mu.Unlock()
			if problem != "" {
				t.Fatalf("watcher %s: %s", w.name, problem)
			}
			if len(got) >= len(want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond) // room for anything extra to show up
	mu.Lock()
	defer mu.Unlock()
	for _, w := range watchers {
		got, problem := received(w)
		if problem != "" {
			t.Fatalf("watcher %s: %s", w.name, problem)
		}
		eqLines(t, "watcher "+w.name, got, expected(w))
	}
	cancel()
}
