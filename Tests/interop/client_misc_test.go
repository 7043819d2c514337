package interop

// Transport-level and maintenance/cluster checks through clientv3 and raw gRPC.

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func TestLargeRangeResponse(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	const n, size = 10, 1 << 20
	for i := 0; i < n; i++ {
		v := bytes.Repeat([]byte{byte('a' + i)}, size)
		mustPut(t, fmt.Sprintf("%s%02d", p, i), string(v))
	}
	// ~10 MiB in one Range response.
	r := mustGet(t, p, clientv3.WithPrefix())
	if len(r.Kvs) != n || r.Count != n || r.More {
		t.Fatalf("got %d kvs, count %d, more %v", len(r.Kvs), r.Count, r.More)
	}
	for i, kv := range r.Kvs {
		want := bytes.Repeat([]byte{byte('a' + i)}, size)
		if string(kv.Key) != fmt.Sprintf("%s%02d", p, i) || !bytes.Equal(kv.Value, want) {
			t.Fatalf("kv %d: key %q, value of %d bytes wrong", i, kv.Key, len(kv.Value))
		}
	}
	// The same through a txn.
	tr, err := cli.Txn(ctx(t)).Then(clientv3.OpGet(p, clientv3.WithPrefix())).Commit()
	if err != nil {
		t.Fatal(err)
	}
	if g := tr.Responses[0].GetResponseRange(); len(g.Kvs) != n || len(g.Kvs[n-1].Value) != size {
		t.Fatalf("txn range: %d kvs", len(g.Kvs))
	}
}

func TestContextDeadline(t *testing.T) {
	p := pfx(t)
	mustPut(t, p+"k", "v")
	c, cancel := context.WithTimeout(context.Background(), time.Microsecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err := cli.Get(c, p+"k")
	if err != context.DeadlineExceeded && status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("Get with expired deadline: %v", err)
	}
	// Calls whose deadline expires while in flight (the client resets the
	// stream) must not disturb the connection or other calls.
	ok, expired := 0, 0
	for i := 0; i < 200; i++ {
		d := time.Duration(50+(i*37)%2000) * time.Microsecond
		c, cancel := context.WithTimeout(context.Background(), d)
		var err error
		if i%2 == 0 {
			_, err = cli.Put(c, fmt.Sprintf("%sd%03d", p, i), "v")
		} else {
			_, err = cli.Get(c, p, clientv3.WithPrefix())
		}
		cancel()
		switch {
		case err == nil:
			ok++
		case err == context.DeadlineExceeded || status.Code(err) == codes.DeadlineExceeded:
			expired++
		case status.Code(err) == codes.Unknown && status.Convert(err).Message() == context.DeadlineExceeded.Error():
			// clientv3's retry interceptor wraps a deadline it hit itself.
			expired++
		case i%2 == 0 && err == rpctypes.ErrTimeout:
			// The server's own copy of the deadline (grpc-timeout) ran
			// out while the proposal was in flight.
			expired++
		default:
			t.Fatalf("call %d with %v deadline: unexpected error %v", i, d, err)
		}
	}
	t.Logf("short deadlines: %d completed, %d expired", ok, expired)
	settle(t)
	// A raw call with a deadline surfaces codes.DeadlineExceeded.
	c2, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	time.Sleep(time.Millisecond)
	if _, err := rawKV.Range(c2, &pb.RangeRequest{Key: []byte(p + "k")}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("raw Range with expired deadline: %v", err)
	}
	g := mustGet(t, p+"k")
	if len(g.Kvs) != 1 || string(g.Kvs[0].Value) != "v" {
		t.Fatalf("get after deadlines: %+v", g)
	}
}

func TestConcurrentClients(t *testing.T) {
	p := pfx(t)
	const n = 200
	r0 := currentRev(t)
	revs := make([]int64, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			k, v := fmt.Sprintf("%s%03d", p, i), fmt.Sprintf("value-%d", i)
			pr, err := cli.Put(c, k, v)
			if err != nil {
				errs <- fmt.Errorf("put %d: %v", i, err)
				return
			}
			revs[i] = pr.Header.Revision
			g, err := cli.Get(c, k)
			if err != nil {
				errs <- fmt.Errorf("get %d: %v", i, err)
				return
			}
			if len(g.Kvs) != 1 || string(g.Kvs[0].Value) != v || g.Kvs[0].ModRevision != pr.Header.Revision {
				errs <- fmt.Errorf("get %d after put at %d: %+v", i, pr.Header.Revision, g.Kvs)
				return
			}
			if g.Header.Revision < pr.Header.Revision {
				errs <- fmt.Errorf("get %d: header.revision %d older than own put %d", i, g.Header.Revision, pr.Header.Revision)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// Every put got its own revision: exactly r0+1 .. r0+n.
	sort.Slice(revs, func(a, b int) bool { return revs[a] < revs[b] })
	for i, r := range revs {
		if r != r0+1+int64(i) {
			t.Fatalf("put revisions not r0+1..r0+%d: sorted[%d] = %d (r0 %d)", n, i, r, r0)
		}
	}
	if g := mustGet(t, p, clientv3.WithPrefix(), clientv3.WithCountOnly()); g.Count != n || g.Header.Revision != r0+n {
		t.Fatalf("count %d revision %d, want %d and %d", g.Count, g.Header.Revision, n, r0+n)
	}
}

var semver = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+`)

func TestMaintenanceStatus(t *testing.T) {
	rev := currentRev(t)
	s, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	if !semver.MatchString(s.Version) {
		t.Errorf("version %q is not a server version", s.Version)
	}
	if s.Header == nil || s.Header.MemberId == 0 || s.Header.ClusterId == 0 || s.Header.RaftTerm == 0 {
		t.Fatalf("header: %+v", s.Header)
	}
	if s.Leader != s.Header.MemberId {
		t.Errorf("leader %x != header.member_id %x (single member must lead)", s.Leader, s.Header.MemberId)
	}
	if s.Header.Revision != rev {
		t.Errorf("header.revision %d, want current %d", s.Header.Revision, rev)
	}
	if s.RaftIndex == 0 || s.RaftTerm == 0 || s.RaftTerm != s.Header.RaftTerm {
		t.Errorf("raft index %d term %d (header term %d)", s.RaftIndex, s.RaftTerm, s.Header.RaftTerm)
	}
	if s.DbSize <= 0 || s.IsLearner || len(s.Errors) != 0 {
		t.Errorf("dbSize %d isLearner %v errors %q", s.DbSize, s.IsLearner, s.Errors)
	}
	// Member and cluster IDs agree with what KV responses carry.
	g := mustGet(t, "/interop/x")
	if g.Header.MemberId != s.Header.MemberId || g.Header.ClusterId != s.Header.ClusterId {
		t.Errorf("KV header ids %x/%x, Status ids %x/%x", g.Header.ClusterId, g.Header.MemberId, s.Header.ClusterId, s.Header.MemberId)
	}
	// Raft index moves forward with writes.
	mustPut(t, pfx(t)+"k", "v")
	s2, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	if s2.RaftIndex <= s.RaftIndex || s2.Header.Revision != rev+1 {
		t.Errorf("after a put: raft index %d (was %d), revision %d (want %d)", s2.RaftIndex, s.RaftIndex, s2.Header.Revision, rev+1)
	}
}

func TestClusterMemberList(t *testing.T) {
	ml, err := cli.MemberList(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(ml.Members) != 1 {
		t.Fatalf("%d members, want 1: %+v", len(ml.Members), ml.Members)
	}
	m := ml.Members[0]
	if m.Name != "n1" || m.ID != s.Header.MemberId || m.IsLearner ||
		!eqStrings(m.PeerURLs, []string{peerURL}) || !eqStrings(m.ClientURLs, []string{clientURL}) {
		t.Fatalf("member: %+v (want name n1, id %x, peer %s, client %s)", m, s.Header.MemberId, peerURL, clientURL)
	}
	h := ml.Header
	if h.ClusterId != s.Header.ClusterId || h.MemberId != s.Header.MemberId || h.RaftTerm == 0 {
		t.Fatalf("header: %+v", h)
	}
	// Cluster RPC headers carry no KV revision in 3.4.
	if h.Revision != 0 {
		t.Fatalf("member list header.revision %d, want 0", h.Revision)
	}
}

func TestGRPCHealthService(t *testing.T) {
	hc := healthpb.NewHealthClient(rawConn)
	r, err := hc.Check(ctx(t), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health status %v, want SERVING", r.Status)
	}
	_, err = hc.Check(ctx(t), &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("health of unknown service: %v, want NotFound", err)
	}
}

func TestGRPCUnknownMethod(t *testing.T) {
	in, out := &pb.RangeRequest{Key: []byte("k")}, &pb.RangeResponse{}
	for _, m := range []string{"/etcdserverpb.KV/Nope", "/etcdserverpb.Nope/Range", "/nope.Service/Call"} {
		err := rawConn.Invoke(ctx(t), m, in, out)
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("%s: got %v, want Unimplemented", m, err)
		} else {
			t.Logf("%s: %v", m, status.Convert(err).Message())
		}
	}
	// The connection is still fine.
	if _, err := rawKV.Range(ctx(t), &pb.RangeRequest{Key: []byte("k")}); err != nil {
		t.Fatalf("range after unknown methods: %v", err)
	}
}

// rawBytes is a gRPC codec that sends and receives payloads untouched, to put
// malformed protobuf on the wire.
type rawBytes struct{}

func (rawBytes) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawBytes) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = data; return nil }
func (rawBytes) Name() string                               { return "proto" }

func TestGRPCMalformedRequest(t *testing.T) {
	for name, payload := range map[string][]byte{
		"truncated varint":        {0x18, 0x80},
		"length past the end":     {0x0a, 0x05, 'k'},
		"field number zero":       {0x00, 0x01},
		"end group without start": {0x0c},
	} {
		in, out := payload, []byte(nil)
		err := rawConn.Invoke(ctx(t), "/etcdserverpb.KV/Range", &in, &out, grpc.ForceCodec(rawBytes{}))
		// grpc-go (and so etcd) answers Internal with "grpc: error unmarshalling request: ...".
		if status.Code(err) != codes.Internal || !strings.HasPrefix(status.Convert(err).Message(), "grpc: error unmarshalling request") {
			t.Errorf("%s: got %v, want Internal \"grpc: error unmarshalling request: ...\"", name, err)
		}
	}
	// The server keeps serving on the same connection.
	if _, err := rawKV.Range(ctx(t), &pb.RangeRequest{Key: []byte("k")}); err != nil {
		t.Fatalf("range after malformed requests: %v", err)
	}
}
