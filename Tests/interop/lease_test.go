package interop

// Leases: every Lease RPC through clientv3 and raw gRPC, keys attached to leases, expiry, and
// the etcdctl lease commands. The server runs with the default election timeout, so the
// minimum TTL is 2 s.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"go.etcd.io/etcd/mvcc/mvccpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"swiftetcd/testserver"
)

func leaseClient() pb.LeaseClient { return pb.NewLeaseClient(rawConn) }

// grant grants a lease through clientv3 and revokes it when the test ends (if still there).
func grant(t *testing.T, ttl int64) clientv3.LeaseID {
	t.Helper()
	r, err := cli.Grant(ctx(t), ttl)
	if err != nil {
		t.Fatalf("grant %d: %v", ttl, err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cli.Revoke(c, r.ID)
	})
	return r.ID
}

// attachedKeys lists the keys TimeToLive reports attached to the lease, sorted (etcd lists
// them in no particular order).
func attachedKeys(t *testing.T, id clientv3.LeaseID, prefix string) []string {
	t.Helper()
	r, err := cli.TimeToLive(ctx(t), id, clientv3.WithAttachedKeys())
	if err != nil {
		t.Fatalf("timetolive %x: %v", id, err)
	}
	keys := []string{}
	for _, k := range r.Keys {
		keys = append(keys, strings.TrimPrefix(string(k), prefix))
	}
	sort.Strings(keys)
	return keys
}

func TestLeaseGrant(t *testing.T) {
	lc := leaseClient()
	rev := currentRev(t)
	r, err := lc.LeaseGrant(ctx(t), &pb.LeaseGrantRequest{TTL: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Revoke(ctx(t), clientv3.LeaseID(r.ID))
	// A TTL below the minimum (1.5 election timeouts, rounded up) is raised to it.
	if r.ID <= 0 || r.TTL != 2 || r.Error != "" {
		t.Fatalf("grant TTL 1: %+v, want a positive server-chosen ID and TTL 2", r)
	}
	if r.Header == nil || r.Header.Revision != rev || r.Header.MemberId == 0 || r.Header.ClusterId == 0 {
		t.Fatalf("grant header %+v, want the current revision %d (a grant is no KV write)", r.Header, rev)
	}

	// A client-chosen ID is kept; using it again is refused.
	const id = 0x1ea5e0001
	r, err = lc.LeaseGrant(ctx(t), &pb.LeaseGrantRequest{ID: id, TTL: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Revoke(ctx(t), id)
	if r.ID != id || r.TTL != 30 {
		t.Fatalf("grant with ID: %+v", r)
	}
	_, err = lc.LeaseGrant(ctx(t), &pb.LeaseGrantRequest{ID: id, TTL: 30})
	statusErr(t, "grant of an ID in use", err, codes.FailedPrecondition, "etcdserver: lease already exists")

	// The TTL bound is checked first.
	_, err = lc.LeaseGrant(ctx(t), &pb.LeaseGrantRequest{ID: id, TTL: 9000000001})
	statusErr(t, "grant of an ID in use with too large a TTL", err, codes.OutOfRange, "etcdserver: too large lease TTL")
	_, err = cli.Grant(ctx(t), 9000000001)
	if err != rpctypes.ErrLeaseTTLTooLarge {
		t.Fatalf("clientv3 grant of 9e9+1 s: %v", err)
	}
	r, err = lc.LeaseGrant(ctx(t), &pb.LeaseGrantRequest{TTL: 9000000000})
	if err != nil || r.TTL != 9000000000 {
		t.Fatalf("grant of the largest TTL: %+v %v", r, err)
	}
	cli.Revoke(ctx(t), clientv3.LeaseID(r.ID))

	// Server-chosen IDs differ.
	a, b := grant(t, 10), grant(t, 10)
	if a == b || a <= 0 || b <= 0 {
		t.Fatalf("two grants got IDs %x and %x", a, b)
	}
}

func TestLeaseTimeToLiveAndList(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	id := grant(t, 30)
	mustPut(t, p+"b", "1", clientv3.WithLease(id))
	mustPut(t, p+"a", "2", clientv3.WithLease(id))

	r, err := leaseClient().LeaseTimeToLive(ctx(t), &pb.LeaseTimeToLiveRequest{ID: int64(id), Keys: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != int64(id) || r.GrantedTTL != 30 || r.TTL < 28 || r.TTL > 30 {
		t.Fatalf("timetolive: ID %x TTL %d granted %d", r.ID, r.TTL, r.GrantedTTL)
	}
	if r.Header == nil || r.Header.Revision != currentRev(t) {
		t.Fatalf("timetolive header %+v, want the current revision", r.Header)
	}
	if got := attachedKeys(t, id, p); !eqStrings(got, []string{"a", "b"}) {
		t.Fatalf("attached keys %q", got)
	}
	r, err = leaseClient().LeaseTimeToLive(ctx(t), &pb.LeaseTimeToLiveRequest{ID: int64(id)})
	if err != nil || len(r.Keys) != 0 {
		t.Fatalf("timetolive without keys: %+v %v", r, err)
	}

	// An unknown lease is no error: TTL -1.
	r, err = leaseClient().LeaseTimeToLive(ctx(t), &pb.LeaseTimeToLiveRequest{ID: 0x5eed, Keys: true})
	if err != nil || r.ID != 0x5eed || r.TTL != -1 || r.GrantedTTL != 0 || len(r.Keys) != 0 || r.Header == nil {
		t.Fatalf("timetolive of an unknown lease: %+v %v", r, err)
	}
	cr, err := cli.TimeToLive(ctx(t), 0x5eed)
	if err != nil || cr.TTL != -1 {
		t.Fatalf("clientv3 timetolive of an unknown lease: %+v %v", cr, err)
	}

	lr, err := cli.Leases(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lr.Leases {
		found = found || l.ID == id
	}
	if !found {
		t.Fatalf("lease %x not in the list %+v", id, lr.Leases)
	}
}

func TestLeaseRevokeDeletesKeysInOneRevision(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	id := grant(t, 30)
	for _, k := range []string{"c", "a", "b"} {
		mustPut(t, p+k, "v", clientv3.WithLease(id))
	}
	mustPut(t, p+"kept", "v")
	before := currentRev(t)

	r, err := leaseClient().LeaseRevoke(ctx(t), &pb.LeaseRevokeRequest{ID: int64(id)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Header == nil || r.Header.Revision != before+1 {
		t.Fatalf("revoke header %+v, want revision %d", r.Header, before+1)
	}
	if got := keysOf(mustGet(t, p, clientv3.WithPrefix()), p); !eqStrings(got, []string{"kept"}) {
		t.Fatalf("after revoke: %q", got)
	}
	if got := keysOf(mustGet(t, p, clientv3.WithPrefix(), clientv3.WithRev(before)), p); !eqStrings(got, []string{"a", "b", "c", "kept"}) {
		t.Fatalf("before revoke: %q", got)
	}

	_, err = leaseClient().LeaseRevoke(ctx(t), &pb.LeaseRevokeRequest{ID: int64(id)})
	statusErr(t, "second revoke", err, codes.NotFound, "etcdserver: requested lease not found")
	if _, err = cli.Revoke(ctx(t), id); err != rpctypes.ErrLeaseNotFound {
		t.Fatalf("clientv3 revoke of a revoked lease: %v", err)
	}

	// A lease without keys changes no key: the revision stays.
	empty := grant(t, 30)
	before = currentRev(t)
	r, err = leaseClient().LeaseRevoke(ctx(t), &pb.LeaseRevokeRequest{ID: int64(empty)})
	if err != nil || r.Header.Revision != before {
		t.Fatalf("revoke of a lease without keys: %+v %v, want revision %d", r, err, before)
	}
}

func TestLeasePutAttachesMovesAndKeeps(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	l1, l2 := grant(t, 30), grant(t, 30)
	lease := func(k string) int64 {
		t.Helper()
		r := mustGet(t, p+k)
		if len(r.Kvs) != 1 {
			t.Fatalf("%s: %d kvs", k, len(r.Kvs))
		}
		return r.Kvs[0].Lease
	}

	mustPut(t, p+"k", "1", clientv3.WithLease(l1))
	if lease("k") != int64(l1) || !eqStrings(attachedKeys(t, l1, p), []string{"k"}) {
		t.Fatalf("put with lease: kv lease %x, l1 keys %q", lease("k"), attachedKeys(t, l1, p))
	}
	// Re-put with another lease moves the key.
	mustPut(t, p+"k", "2", clientv3.WithLease(l2))
	if lease("k") != int64(l2) || len(attachedKeys(t, l1, p)) != 0 || !eqStrings(attachedKeys(t, l2, p), []string{"k"}) {
		t.Fatalf("moved: kv lease %x, l1 %q, l2 %q", lease("k"), attachedKeys(t, l1, p), attachedKeys(t, l2, p))
	}
	// ignore_lease keeps it.
	mustPut(t, p+"k", "3", clientv3.WithIgnoreLease())
	if lease("k") != int64(l2) || !eqStrings(attachedKeys(t, l2, p), []string{"k"}) {
		t.Fatalf("ignore_lease: kv lease %x", lease("k"))
	}
	// Txn compares the lease.
	tr, err := cli.Txn(ctx(t)).If(clientv3.Compare(clientv3.LeaseValue(p+"k"), "=", l2)).Then(clientv3.OpPut(p+"t", "1")).Commit()
	if err != nil || !tr.Succeeded {
		t.Fatalf("txn lease = l2: %v %v", tr, err)
	}
	tr, err = cli.Txn(ctx(t)).If(clientv3.Compare(clientv3.LeaseValue(p+"k"), "=", l1)).Commit()
	if err != nil || tr.Succeeded {
		t.Fatalf("txn lease = l1: %v %v", tr, err)
	}
	// A put in a txn attaches too, and a plain put detaches.
	if _, err = cli.Txn(ctx(t)).Then(clientv3.OpPut(p+"x", "1", clientv3.WithLease(l1))).Commit(); err != nil {
		t.Fatal(err)
	}
	mustPut(t, p+"k", "4")
	if lease("k") != 0 || len(attachedKeys(t, l2, p)) != 0 || !eqStrings(attachedKeys(t, l1, p), []string{"x"}) {
		t.Fatalf("plain put: kv lease %x, l1 %q, l2 %q", lease("k"), attachedKeys(t, l1, p), attachedKeys(t, l2, p))
	}
	// A deleted key is detached, so revoking its old lease leaves a re-created key alone.
	if _, err = cli.Delete(ctx(t), p+"x"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, p+"x", "again")
	if len(attachedKeys(t, l1, p)) != 0 {
		t.Fatalf("deleted key still attached: %q", attachedKeys(t, l1, p))
	}
	if _, err = cli.Revoke(ctx(t), l1); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(mustGet(t, p, clientv3.WithPrefix()), p); !eqStrings(got, []string{"k", "t", "x"}) {
		t.Fatalf("after revoking l1: %q", got)
	}
	// A revoked lease can no longer be used.
	if _, err = cli.Put(ctx(t), p+"k", "5", clientv3.WithLease(l1)); err != rpctypes.ErrLeaseNotFound {
		t.Fatalf("put with a revoked lease: %v", err)
	}
}

func TestLeaseKeepAliveStream(t *testing.T) {
	id := grant(t, 20)
	s, err := leaseClient().LeaseKeepAlive(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	// One response per request, in order; an unknown lease gets TTL 0, not an error.
	ids := []int64{int64(id), 0x5eed, int64(id), int64(id), 0x5eed}
	for _, i := range ids {
		if err := s.Send(&pb.LeaseKeepAliveRequest{ID: i}); err != nil {
			t.Fatal(err)
		}
	}
	rev := currentRev(t)
	for n, i := range ids {
		r, err := s.Recv()
		if err != nil {
			t.Fatalf("response %d: %v", n, err)
		}
		want := int64(20)
		if i != int64(id) {
			want = 0
		}
		if r.ID != i || r.TTL != want || r.Header == nil || r.Header.Revision != rev || r.Header.MemberId == 0 {
			t.Fatalf("response %d: %+v, want ID %x TTL %d at revision %d", n, r, i, want, rev)
		}
	}
	// Closing the sending side ends the stream cleanly.
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("after CloseSend: %v, want EOF", err)
	}

	ka, err := cli.KeepAliveOnce(ctx(t), id)
	if err != nil || ka.ID != id || ka.TTL != 20 {
		t.Fatalf("KeepAliveOnce: %+v %v", ka, err)
	}
	if _, err = cli.KeepAliveOnce(ctx(t), 0x5eed); err != rpctypes.ErrLeaseNotFound {
		t.Fatalf("KeepAliveOnce of an unknown lease: %v", err)
	}
}

// watchOrSkip opens a raw watch on the prefix from the revision; it skips the test only if
// the server does not implement Watch yet.
func watchOrSkip(t *testing.T, prefix string, rev int64) pb.Watch_WatchClient {
	t.Helper()
	w, err := pb.NewWatchClient(rawConn).Watch(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	err = w.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{
		Key: []byte(prefix), RangeEnd: []byte(clientv3.GetPrefixRangeEnd(prefix)), StartRevision: rev,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.Recv()
	if status.Code(err) == codes.Unimplemented {
		t.Skipf("the server does not implement Watch yet: %v", err)
	}
	if err != nil || !r.Created {
		t.Fatalf("watch create: %+v %v", r, err)
	}
	return w
}

// TestLeaseExpiryDeletesKeysSeenByAWatcher: a kept-alive lease keeps its keys past its TTL;
// once keep-alives stop, the lease expires and its keys go in one revision, which a watcher
// sees as DELETE events.
func TestLeaseExpiryDeletesKeysSeenByAWatcher(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	id := grant(t, 2)
	mustPut(t, p+"a", "v", clientv3.WithLease(id))
	mustPut(t, p+"b", "v", clientv3.WithLease(id))
	w := watchOrSkip(t, p, currentRev(t)+1)

	kctx, stop := context.WithCancel(context.Background())
	defer stop()
	kch, err := cli.KeepAlive(kctx, id)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range kch {
		}
	}()
	time.Sleep(3 * time.Second)
	if got := keysOf(mustGet(t, p, clientv3.WithPrefix()), p); !eqStrings(got, []string{"a", "b"}) {
		t.Fatalf("kept-alive keys after 1.5 TTLs: %q", got)
	}
	stop()

	stopped := time.Now()
	r, err := w.Recv()
	if err != nil {
		t.Fatal(err)
	}
	waited := time.Since(stopped)
	if len(r.Events) != 2 || r.Events[0].Type != mvccpb.DELETE || r.Events[1].Type != mvccpb.DELETE ||
		string(r.Events[0].Kv.Key) != p+"a" || string(r.Events[1].Kv.Key) != p+"b" ||
		r.Events[0].Kv.ModRevision != r.Events[1].Kv.ModRevision || r.Header.Revision != r.Events[0].Kv.ModRevision {
		t.Fatalf("watch response after expiry: %+v", r)
	}
	if waited > 4*time.Second {
		t.Fatalf("expiry took %v after the last keep-alive of a 2 s lease", waited)
	}
	if ttl, err := cli.TimeToLive(ctx(t), id); err != nil || ttl.TTL != -1 {
		t.Fatalf("timetolive of the expired lease: %+v %v", ttl, err)
	}
	if _, err = cli.KeepAliveOnce(ctx(t), id); err != rpctypes.ErrLeaseNotFound {
		t.Fatalf("KeepAliveOnce of the expired lease: %v", err)
	}
}

// TestLeaseExpiryWithoutKeepAlive: a lease nobody keeps alive goes after its TTL, not before.
func TestLeaseExpiryWithoutKeepAlive(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	id := grant(t, 2)
	granted := time.Now()
	mustPut(t, p+"k", "v", clientv3.WithLease(id))
	for {
		r := mustGet(t, p+"k")
		if len(r.Kvs) == 0 {
			break
		}
		if time.Since(granted) > 5*time.Second {
			t.Fatalf("key of a 2 s lease still there after %v", time.Since(granted))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if gone := time.Since(granted); gone < 1900*time.Millisecond {
		t.Fatalf("key of a 2 s lease gone after %v", gone)
	}
	if r, err := cli.TimeToLive(ctx(t), id); err != nil || r.TTL != -1 {
		t.Fatalf("timetolive after expiry: %+v %v", r, err)
	}
}

var leaseIDRe = regexp.MustCompile(`^lease ([0-9a-f]{16}) granted with TTL\((\d+)s\)\n$`)

func TestCtlLease(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)

	m := leaseIDRe.FindStringSubmatch(ctlOK(t, "lease", "grant", "1"))
	if m == nil || m[2] != "2" {
		t.Fatalf("lease grant 1: %q", m)
	}
	m = leaseIDRe.FindStringSubmatch(ctlOK(t, "lease", "grant", "60"))
	if m == nil || m[2] != "60" {
		t.Fatalf("lease grant 60: %q", m)
	}
	id := m[1]
	wantOut(t, "put --lease", ctlOK(t, "put", "--lease="+id, p+"k1", "v"), "OK\n")
	wantOut(t, "put --lease", ctlOK(t, "put", "--lease="+id, p+"k2", "v"), "OK\n")

	mustMatch(t, "lease timetolive", `^lease `+id+` granted with TTL\(60s\), remaining\((59|60)s\)\n$`,
		ctlOK(t, "lease", "timetolive", id))
	mustMatch(t, "lease timetolive --keys",
		`^lease `+id+` granted with TTL\(60s\), remaining\((59|60)s\), attached keys\(\[(`+p+`k1 `+p+`k2|`+p+`k2 `+p+`k1)\]\)\n$`,
		ctlOK(t, "lease", "timetolive", "--keys", id))

	list := ctlOK(t, "lease", "list")
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "found ") || lines[0] != fmt.Sprintf("found %d leases", len(lines)-1) {
		t.Fatalf("lease list: %q", list)
	}
	found := false
	for _, l := range lines[1:] {
		found = found || l == id
	}
	if !found {
		t.Fatalf("lease list lacks %s: %q", id, list)
	}

	wantOut(t, "lease keep-alive --once", ctlOK(t, "lease", "keep-alive", "--once", id), "lease "+id+" keepalived with TTL(60)\n")
	wantOut(t, "lease revoke", ctlOK(t, "lease", "revoke", id), "lease "+id+" revoked\n")

	mustMatch(t, "lease timetolive after revoke", `^lease `+id+` already expired\n$`, ctlOK(t, "lease", "timetolive", id))
	if got := keysOf(mustGet(t, p, clientv3.WithPrefix()), p); len(got) != 0 {
		t.Fatalf("keys after lease revoke: %q", got)
	}
	out, errOut, rc := etcdctl(t, "lease", "revoke", id)
	if logs, rest := splitStderr(errOut); rc != 1 || out != "" || len(logs) != 1 ||
		logs[0].Error != "rpc error: code = NotFound desc = etcdserver: requested lease not found" ||
		rest != "Error: failed to revoke lease (etcdserver: requested lease not found)\n" {
		t.Fatalf("lease revoke of a revoked lease: exit %d, stdout %q, stderr %q", rc, out, errOut)
	}
	ctlFails(t, codes.NotFound, "etcdserver: requested lease not found", "put", "--lease="+id, p+"k3", "v")
	out, errOut, rc = etcdctl(t, "lease", "keep-alive", "--once", id)
	if rc == 0 || out != "" || !strings.Contains(errOut, "etcdserver: requested lease not found") {
		t.Fatalf("keep-alive --once of a revoked lease: exit %d, stdout %q, stderr %q", rc, out, errOut)
	}
}

// TestCtlLeaseKeepAliveUntilRevoked runs `etcdctl lease keep-alive ID` on a 3 s lease (the
// client renews every TTL/3), revokes the lease meanwhile and expects keep-alive to notice
// at its next renewal and exit.
func TestCtlLeaseKeepAliveUntilRevoked(t *testing.T) {
	m := leaseIDRe.FindStringSubmatch(ctlOK(t, "lease", "grant", "3"))
	if m == nil {
		t.Fatal("lease grant 3: no lease ID")
	}
	id := m[1]

	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(c, etcdctlPath, "--endpoints", clientURL, "lease", "keep-alive", id)
	cmd.Env = append(testserver.CleanEnv(testserver.CleanEnv(cmd.Environ(), "ETCDCTL_"), "ETCD_"), "ETCDCTL_API=3")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for i := 0; i < 2; i++ {
		if !lines.Scan() || lines.Text() != "lease "+id+" keepalived with TTL(3)" {
			t.Fatalf("lease keep-alive line %d: %q", i, lines.Text())
		}
	}
	wantOut(t, "lease revoke", ctlOK(t, "lease", "revoke", id), "lease "+id+" revoked\n")
	var last string
	for lines.Scan() {
		last = lines.Text()
	}
	if err := cmd.Wait(); err != nil || last != "lease "+id+" expired or revoked." {
		t.Fatalf("lease keep-alive after revoke: %v, last line %q", err, last)
	}
}
