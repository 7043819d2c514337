package interop

// Error replies: the typed error clientv3 surfaces (rpctypes maps by message
// text) and the gRPC status (code + exact message) seen on a raw stub.

import (
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"swiftetcd/testserver"
)

// wantErr checks a clientv3 error equals the typed rpctypes error.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if err != want {
		t.Errorf("%s: got %v (%T), want %v", what, err, err, want)
	}
}

func TestErrEmptyKey(t *testing.T) {
	_, err := cli.Get(ctx(t), "")
	wantErr(t, "Get empty key", err, rpctypes.ErrEmptyKey)
	_, err = cli.Put(ctx(t), "", "v")
	wantErr(t, "Put empty key", err, rpctypes.ErrEmptyKey)
	_, err = cli.Delete(ctx(t), "")
	wantErr(t, "Delete empty key", err, rpctypes.ErrEmptyKey)

	const msg = "etcdserver: key is not provided"
	_, err = rawKV.Range(ctx(t), &pb.RangeRequest{})
	statusErr(t, "raw Range", err, codes.InvalidArgument, msg)
	_, err = rawKV.Range(ctx(t), &pb.RangeRequest{RangeEnd: []byte("z")})
	statusErr(t, "raw Range empty key with range_end", err, codes.InvalidArgument, msg)
	_, err = rawKV.Put(ctx(t), &pb.PutRequest{Value: []byte("v")})
	statusErr(t, "raw Put", err, codes.InvalidArgument, msg)
	_, err = rawKV.DeleteRange(ctx(t), &pb.DeleteRangeRequest{})
	statusErr(t, "raw DeleteRange", err, codes.InvalidArgument, msg)
}

func TestErrPutFlags(t *testing.T) {
	p := pfx(t)
	mustPut(t, p+"k", "v")

	_, err := cli.Put(ctx(t), p+"missing", "", clientv3.WithIgnoreValue())
	wantErr(t, "ignore_value on missing key", err, rpctypes.ErrKeyNotFound)
	_, err = cli.Put(ctx(t), p+"missing", "v", clientv3.WithIgnoreLease())
	wantErr(t, "ignore_lease on missing key", err, rpctypes.ErrKeyNotFound)
	_, err = cli.Put(ctx(t), p+"k", "v2", clientv3.WithIgnoreValue())
	wantErr(t, "ignore_value with a value", err, rpctypes.ErrValueProvided)
	_, err = cli.Put(ctx(t), p+"k", "v2", clientv3.WithIgnoreLease(), clientv3.WithLease(0x1234))
	wantErr(t, "ignore_lease with a lease", err, rpctypes.ErrLeaseProvided)
	_, err = cli.Put(ctx(t), p+"k", "v2", clientv3.WithLease(0x1234))
	wantErr(t, "unknown lease", err, rpctypes.ErrLeaseNotFound)

	_, err = rawKV.Put(ctx(t), &pb.PutRequest{Key: []byte(p + "missing"), IgnoreValue: true})
	statusErr(t, "raw ignore_value missing", err, codes.InvalidArgument, "etcdserver: key not found")
	_, err = rawKV.Put(ctx(t), &pb.PutRequest{Key: []byte(p + "k"), Value: []byte("x"), IgnoreValue: true})
	statusErr(t, "raw ignore_value with value", err, codes.InvalidArgument, "etcdserver: value is provided")
	_, err = rawKV.Put(ctx(t), &pb.PutRequest{Key: []byte(p + "k"), Lease: 0x1234, IgnoreLease: true})
	statusErr(t, "raw ignore_lease with lease", err, codes.InvalidArgument, "etcdserver: lease is provided")
	_, err = rawKV.Put(ctx(t), &pb.PutRequest{Key: []byte(p + "k"), Value: []byte("x"), Lease: 0x1234})
	statusErr(t, "raw unknown lease", err, codes.NotFound, "etcdserver: requested lease not found")

	// None of these wrote anything.
	g := mustGet(t, p, clientv3.WithPrefix())
	if g.Count != 1 || string(g.Kvs[0].Value) != "v" || g.Kvs[0].Version != 1 {
		t.Fatalf("failed puts changed the store: %+v", g.Kvs)
	}
}

func TestErrCompaction(t *testing.T) {
	p := pfx(t)
	r1 := mustPut(t, p+"k", "1").Header.Revision
	r2 := mustPut(t, p+"k", "2").Header.Revision
	r3 := mustPut(t, p+"k", "3").Header.Revision

	c, err := cli.Compact(ctx(t), r2)
	if err != nil {
		t.Fatalf("compact %d: %v", r2, err)
	}
	if c.Header.Revision != r3 || c.Header.MemberId == 0 {
		t.Fatalf("compact header: %+v, want revision %d", c.Header, r3)
	}
	// Below the compacted revision: gone. At it: still readable.
	_, err = cli.Get(ctx(t), p+"k", clientv3.WithRev(r1))
	wantErr(t, "get below compaction", err, rpctypes.ErrCompacted)
	g, err := cli.Get(ctx(t), p+"k", clientv3.WithRev(r2))
	if err != nil || len(g.Kvs) != 1 || string(g.Kvs[0].Value) != "2" || g.Header.Revision != r3 {
		t.Fatalf("get at compacted revision: %+v %v", g, err)
	}
	_, err = cli.Txn(ctx(t)).Then(clientv3.OpGet(p+"k", clientv3.WithRev(r1))).Commit()
	wantErr(t, "txn get below compaction", err, rpctypes.ErrCompacted)

	_, err = cli.Compact(ctx(t), r2)
	wantErr(t, "compact same revision again", err, rpctypes.ErrCompacted)
	_, err = cli.Compact(ctx(t), r1)
	wantErr(t, "compact older revision", err, rpctypes.ErrCompacted)
	_, err = cli.Compact(ctx(t), r3+1000)
	wantErr(t, "compact future revision", err, rpctypes.ErrFutureRev)
	_, err = cli.Get(ctx(t), p+"k", clientv3.WithRev(r3+1000))
	wantErr(t, "get future revision", err, rpctypes.ErrFutureRev)
	_, err = cli.Get(ctx(t), p+"k", clientv3.WithRev(r3+1))
	wantErr(t, "get next revision", err, rpctypes.ErrFutureRev)

	// Physical compaction to the current revision.
	if _, err := cli.Compact(ctx(t), r3, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("physical compact %d: %v", r3, err)
	}
	_, err = cli.Get(ctx(t), p+"k", clientv3.WithRev(r2))
	wantErr(t, "get below physical compaction", err, rpctypes.ErrCompacted)
	if g := mustGet(t, p+"k"); string(g.Kvs[0].Value) != "3" || g.Kvs[0].Version != 3 || g.Kvs[0].CreateRevision != r1 {
		t.Fatalf("latest after compaction: %+v", g.Kvs)
	}
	// Compaction is not a write: the revision does not move.
	if cur := currentRev(t); cur != r3 {
		t.Fatalf("revision after compaction %d, want %d", cur, r3)
	}

	_, err = rawKV.Compact(ctx(t), &pb.CompactionRequest{Revision: r3})
	statusErr(t, "raw compact again", err, codes.OutOfRange, "etcdserver: mvcc: required revision has been compacted")
	_, err = rawKV.Compact(ctx(t), &pb.CompactionRequest{Revision: r3 + 1000})
	statusErr(t, "raw compact future", err, codes.OutOfRange, "etcdserver: mvcc: required revision is a future revision")
	_, err = rawKV.Range(ctx(t), &pb.RangeRequest{Key: []byte(p + "k"), Revision: r1})
	statusErr(t, "raw range compacted", err, codes.OutOfRange, "etcdserver: mvcc: required revision has been compacted")
	_, err = rawKV.Range(ctx(t), &pb.RangeRequest{Key: []byte(p + "k"), Revision: r3 + 1000})
	statusErr(t, "raw range future", err, codes.OutOfRange, "etcdserver: mvcc: required revision is a future revision")
	// revision <= 0 means latest.
	rr, err := rawKV.Range(ctx(t), &pb.RangeRequest{Key: []byte(p + "k"), Revision: -5})
	if err != nil || len(rr.Kvs) != 1 || string(rr.Kvs[0].Value) != "3" {
		t.Fatalf("range at negative revision: %+v %v", rr, err)
	}
}

func TestErrRequestTooLarge(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	// Below the 1.5 MiB proposal limit: accepted.
	ok := strings.Repeat("a", 1400*1024)
	if _, err := cli.Put(ctx(t), p+"ok", ok); err != nil {
		t.Fatalf("1.4 MiB put: %v", err)
	}
	// Between 1.5 MiB and 2 MiB: the server refuses the proposal.
	big := strings.Repeat("b", 1600*1024)
	_, err := cli.Put(ctx(t), p+"big", big)
	wantErr(t, "1.6 MiB put", err, rpctypes.ErrRequestTooLarge)
	_, err = rawKV.Put(ctx(t), &pb.PutRequest{Key: []byte(p + "big"), Value: []byte(big)})
	statusErr(t, "raw 1.6 MiB put", err, codes.InvalidArgument, "etcdserver: request is too large")
	_, err = cli.Txn(ctx(t)).Then(clientv3.OpPut(p+"t1", big[:900*1024]), clientv3.OpPut(p+"t2", big[:900*1024])).Commit()
	wantErr(t, "1.8 MiB txn", err, rpctypes.ErrRequestTooLarge)
	if g := mustGet(t, p, clientv3.WithPrefix(), clientv3.WithKeysOnly()); g.Count != 1 {
		t.Fatalf("too-large requests wrote something: %q", keysOf(g, p))
	}
}

func TestErrMessageTooLarge(t *testing.T) {
	p := pfx(t)
	// A client that may send big messages; the server's gRPC receive limit
	// (max-request-bytes + 512 KiB = 2 MiB) rejects it.
	c, err := clientv3.New(clientv3.Config{
		Endpoints:          []string{clientURL},
		DialTimeout:        5 * time.Second,
		MaxCallSendMsgSize: 8 << 20,
		LogConfig:          testserver.QuietLog(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	huge := strings.Repeat("h", 2100*1024)
	_, err = c.Put(ctx(t), p+"huge", huge)
	if st, ok := status.FromError(err); !ok || st.Code() != codes.ResourceExhausted {
		t.Fatalf("2.1 MiB put: got %v, want gRPC ResourceExhausted", err)
	} else {
		t.Logf("2.1 MiB put: %v", st.Message())
	}
	// The connection still works afterwards.
	if _, err := c.Put(ctx(t), p+"after", "ok"); err != nil {
		t.Fatalf("put after ResourceExhausted: %v", err)
	}
	if g := mustGet(t, p, clientv3.WithPrefix()); g.Count != 1 {
		t.Fatalf("keys: %q", keysOf(g, p))
	}
}

func TestErrTypedErrorsFromClient(t *testing.T) {
	// clientv3 surfaces these as rpctypes.EtcdError whose Code() is the
	// client's own table entry; check the gRPC code the server sent as well.
	p := pfx(t)
	_, err := rawKV.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{
		{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(p + "a")}}},
		{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(p + "a")}}},
	}})
	statusErr(t, "raw duplicate key", err, codes.InvalidArgument, "etcdserver: duplicate key given in txn request")
	ops := make([]*pb.RequestOp, 129)
	for i := range ops {
		ops[i] = &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte(p + "a")}}}
	}
	_, err = rawKV.Txn(ctx(t), &pb.TxnRequest{Success: ops})
	statusErr(t, "raw 129 range ops", err, codes.InvalidArgument, "etcdserver: too many operations in txn request")
	if e, ok := rpctypes.Error(err).(rpctypes.EtcdError); !ok || e != rpctypes.ErrTooManyOps || e.Code() != codes.InvalidArgument {
		t.Fatalf("rpctypes.Error(raw err) = %v", rpctypes.Error(err))
	}
}
