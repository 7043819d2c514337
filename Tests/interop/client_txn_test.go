package interop

// clientv3-level checks of Txn semantics.

import (
	"fmt"
	"testing"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc/codes"
)

func txnOK(t *testing.T, cmps []clientv3.Cmp, then, els []clientv3.Op) *clientv3.TxnResponse {
	t.Helper()
	r, err := cli.Txn(ctx(t)).If(cmps...).Then(then...).Else(els...).Commit()
	if err != nil {
		t.Fatalf("txn: %v", err)
	}
	return r
}

func TestTxnCompareTargets(t *testing.T) {
	p := pfx(t)
	k := p + "k"
	create := mustPut(t, k, "v").Header.Revision
	mod := mustPut(t, k, "v").Header.Revision // version 2
	miss := p + "missing"

	cases := []struct {
		name string
		cmp  clientv3.Cmp
		want bool
	}{
		{"value = v", clientv3.Compare(clientv3.Value(k), "=", "v"), true},
		{"value = w", clientv3.Compare(clientv3.Value(k), "=", "w"), false},
		{"value != w", clientv3.Compare(clientv3.Value(k), "!=", "w"), true},
		{"value != v", clientv3.Compare(clientv3.Value(k), "!=", "v"), false},
		{"value > u", clientv3.Compare(clientv3.Value(k), ">", "u"), true},
		{"value > v", clientv3.Compare(clientv3.Value(k), ">", "v"), false},
		{"value < w", clientv3.Compare(clientv3.Value(k), "<", "w"), true},
		{"value < vv", clientv3.Compare(clientv3.Value(k), "<", "vv"), true},
		{"value < v", clientv3.Compare(clientv3.Value(k), "<", "v"), false},
		{"version = 2", clientv3.Compare(clientv3.Version(k), "=", 2), true},
		{"version = 1", clientv3.Compare(clientv3.Version(k), "=", 1), false},
		{"version > 1", clientv3.Compare(clientv3.Version(k), ">", 1), true},
		{"version < 2", clientv3.Compare(clientv3.Version(k), "<", 2), false},
		{"version != 0", clientv3.Compare(clientv3.Version(k), "!=", 0), true},
		{"create = rev", clientv3.Compare(clientv3.CreateRevision(k), "=", create), true},
		{"create > rev", clientv3.Compare(clientv3.CreateRevision(k), ">", create), false},
		{"create < rev+1", clientv3.Compare(clientv3.CreateRevision(k), "<", create+1), true},
		{"mod = rev", clientv3.Compare(clientv3.ModRevision(k), "=", mod), true},
		{"mod = create", clientv3.Compare(clientv3.ModRevision(k), "=", create), false},
		{"mod > create", clientv3.Compare(clientv3.ModRevision(k), ">", create), true},
		{"mod < mod", clientv3.Compare(clientv3.ModRevision(k), "<", mod), false},
		{"lease = 0", clientv3.Compare(clientv3.LeaseValue(k), "=", clientv3.NoLease), true},
		{"lease = 1234", clientv3.Compare(clientv3.LeaseValue(k), "=", 1234), false},
		{"lease != 0", clientv3.Compare(clientv3.LeaseValue(k), "!=", 0), false},
		{"lease < 5", clientv3.Compare(clientv3.LeaseValue(k), "<", 5), true},
		// Missing key: VALUE compares are always false, the others compare against 0.
		{"missing value = ''", clientv3.Compare(clientv3.Value(miss), "=", ""), false},
		{"missing value != x", clientv3.Compare(clientv3.Value(miss), "!=", "x"), false},
		{"missing value < x", clientv3.Compare(clientv3.Value(miss), "<", "x"), false},
		{"missing version = 0", clientv3.Compare(clientv3.Version(miss), "=", 0), true},
		{"missing version > 0", clientv3.Compare(clientv3.Version(miss), ">", 0), false},
		{"missing create = 0", clientv3.Compare(clientv3.CreateRevision(miss), "=", 0), true},
		{"missing mod = 0", clientv3.Compare(clientv3.ModRevision(miss), "=", 0), true},
		{"missing mod < 1", clientv3.Compare(clientv3.ModRevision(miss), "<", 1), true},
		{"missing lease = 0", clientv3.Compare(clientv3.LeaseValue(miss), "=", 0), true},
	}
	for _, c := range cases {
		r, err := cli.Txn(ctx(t)).If(c.cmp).Then(clientv3.OpGet(k)).Else(clientv3.OpGet(miss), clientv3.OpGet(k)).Commit()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if r.Succeeded != c.want {
			t.Errorf("%s: succeeded %v, want %v", c.name, r.Succeeded, c.want)
			continue
		}
		wantN := 1
		if !c.want {
			wantN = 2
		}
		if len(r.Responses) != wantN {
			t.Errorf("%s: %d responses, want %d", c.name, len(r.Responses), wantN)
		}
		if r.Header.Revision != mod {
			t.Errorf("%s: read-only txn header.revision %d, want %d", c.name, r.Header.Revision, mod)
		}
	}

	// Several compares are ANDed.
	r := txnOK(t, []clientv3.Cmp{
		clientv3.Compare(clientv3.Value(k), "=", "v"),
		clientv3.Compare(clientv3.Version(miss), "=", 0),
	}, nil, nil)
	if !r.Succeeded {
		t.Fatalf("true AND true failed")
	}
	r = txnOK(t, []clientv3.Cmp{
		clientv3.Compare(clientv3.Value(k), "=", "v"),
		clientv3.Compare(clientv3.Version(k), "=", 7),
	}, nil, nil)
	if r.Succeeded {
		t.Fatalf("true AND false succeeded")
	}
	// No compares: success branch.
	if r = txnOK(t, nil, nil, nil); !r.Succeeded || len(r.Responses) != 0 || r.Header.Revision != mod {
		t.Fatalf("empty txn: %+v", r)
	}
}

func TestTxnCompareRange(t *testing.T) {
	p := pfx(t)
	mustPut(t, p+"r/a", "same")
	mustPut(t, p+"r/b", "same")
	mustPut(t, p+"r/b", "same") // version 2
	mustPut(t, p+"s", "other")

	cases := []struct {
		name string
		cmp  clientv3.Cmp
		want bool
	}{
		{"prefix value = same", clientv3.Compare(clientv3.Value(p+"r/"), "=", "same").WithPrefix(), true},
		{"prefix version > 0", clientv3.Compare(clientv3.Version(p+"r/"), ">", 0).WithPrefix(), true},
		{"prefix version = 1", clientv3.Compare(clientv3.Version(p+"r/"), "=", 1).WithPrefix(), false},
		{"prefix version < 3", clientv3.Compare(clientv3.Version(p+"r/"), "<", 3).WithPrefix(), true},
		{"range [r/, s] value = same", clientv3.Compare(clientv3.Value(p+"r/"), "=", "same").WithRange(p + "s\x00"), false},
		{"range [r/, s) value = same", clientv3.Compare(clientv3.Value(p+"r/"), "=", "same").WithRange(p + "s"), true},
		{"range [r/a, r/b) version = 1", clientv3.Compare(clientv3.Version(p+"r/a"), "=", 1).WithRange(p + "r/b"), true},
		// An empty range compares against a zero key-value.
		{"empty prefix version = 0", clientv3.Compare(clientv3.Version(p+"none/"), "=", 0).WithPrefix(), true},
		{"empty prefix create = 0", clientv3.Compare(clientv3.CreateRevision(p+"none/"), "=", 0).WithPrefix(), true},
		{"empty prefix value = ''", clientv3.Compare(clientv3.Value(p+"none/"), "=", "").WithPrefix(), false},
	}
	for _, c := range cases {
		r := txnOK(t, []clientv3.Cmp{c.cmp}, nil, nil)
		if r.Succeeded != c.want {
			t.Errorf("%s: succeeded %v, want %v", c.name, r.Succeeded, c.want)
		}
	}
}

func TestTxnBranchesAndResponses(t *testing.T) {
	p := pfx(t)
	mustPut(t, p+"b", "old-b")
	mustPut(t, p+"d", "old-d")
	rev := mustPut(t, p+"flag", "on").Header.Revision
	rev0 := rev

	// Success branch: writes and reads in order; later ops see earlier ones.
	r := txnOK(t,
		[]clientv3.Cmp{clientv3.Compare(clientv3.Value(p+"flag"), "=", "on")},
		[]clientv3.Op{
			clientv3.OpPut(p+"a", "new-a"),
			clientv3.OpGet(p + "a"),
			clientv3.OpDelete(p+"b", clientv3.WithPrevKV()),
			clientv3.OpGet(p + "b"),
			clientv3.OpPut(p+"c", "new-c", clientv3.WithPrevKV()),
			clientv3.OpGet(p, clientv3.WithPrefix()),
		},
		[]clientv3.Op{clientv3.OpPut(p+"else", "x")},
	)
	if !r.Succeeded || len(r.Responses) != 6 {
		t.Fatalf("txn: succeeded %v, %d responses", r.Succeeded, len(r.Responses))
	}
	// One txn = one new revision shared by all its writes.
	if r.Header.Revision != rev+1 || r.Header.ClusterId == 0 || r.Header.MemberId == 0 {
		t.Fatalf("txn header: %+v, want revision %d", r.Header, rev+1)
	}
	get1 := r.Responses[1].GetResponseRange()
	if get1 == nil || len(get1.Kvs) != 1 || string(get1.Kvs[0].Value) != "new-a" || get1.Kvs[0].ModRevision != rev+1 {
		t.Fatalf("get after put in same txn: %+v", get1)
	}
	del := r.Responses[2].GetResponseDeleteRange()
	if del == nil || del.Deleted != 1 || len(del.PrevKvs) != 1 || string(del.PrevKvs[0].Value) != "old-b" {
		t.Fatalf("delete in txn: %+v", del)
	}
	if g := r.Responses[3].GetResponseRange(); g == nil || g.Count != 0 || len(g.Kvs) != 0 {
		t.Fatalf("get after delete in same txn: %+v", g)
	}
	if pr := r.Responses[4].GetResponsePut(); pr == nil || pr.PrevKv != nil {
		t.Fatalf("put new key with prev_kv in txn: %+v", pr)
	}
	all := r.Responses[5].GetResponseRange()
	if got := keysOf(&clientv3.GetResponse{Kvs: all.Kvs}, p); !eqStrings(got, []string{"a", "c", "d", "flag"}) || all.Count != 4 {
		t.Fatalf("prefix get in txn: %q count %d", got, all.Count)
	}
	for _, kv := range all.Kvs {
		if (string(kv.Key) == p+"a" || string(kv.Key) == p+"c") && kv.ModRevision != rev+1 {
			t.Fatalf("key written in txn has mod_revision %d, want %d", kv.ModRevision, rev+1)
		}
	}
	// Responses nested in a txn carry a header with only the revision.
	for i, op := range r.Responses {
		var h *pb.ResponseHeader
		switch {
		case op.GetResponseRange() != nil:
			h = op.GetResponseRange().Header
		case op.GetResponsePut() != nil:
			h = op.GetResponsePut().Header
		case op.GetResponseDeleteRange() != nil:
			h = op.GetResponseDeleteRange().Header
		}
		if h == nil || h.Revision != rev+1 || h.ClusterId != 0 || h.MemberId != 0 || h.RaftTerm != 0 {
			t.Fatalf("response %d nested header: %+v", i, h)
		}
	}
	if g := mustGet(t, p+"else"); g.Count != 0 {
		t.Fatalf("else branch ran too")
	}

	// Failure branch.
	r = txnOK(t,
		[]clientv3.Cmp{clientv3.Compare(clientv3.Value(p+"flag"), "=", "off")},
		[]clientv3.Op{clientv3.OpPut(p+"then", "x")},
		[]clientv3.Op{clientv3.OpPut(p+"else", "y"), clientv3.OpGet(p + "else")},
	)
	if r.Succeeded || len(r.Responses) != 2 || r.Header.Revision != rev+2 {
		t.Fatalf("failure branch: %+v", r)
	}
	if g := r.Responses[1].GetResponseRange(); len(g.Kvs) != 1 || string(g.Kvs[0].Value) != "y" {
		t.Fatalf("failure branch get: %+v", g)
	}
	if g := mustGet(t, p+"then"); g.Count != 0 {
		t.Fatalf("then branch ran too")
	}

	// A txn whose writes change nothing (delete of a missing key) does not bump the revision.
	r = txnOK(t, nil, []clientv3.Op{clientv3.OpDelete(p + "nothing")}, nil)
	if r.Header.Revision != rev+2 || r.Responses[0].GetResponseDeleteRange().Deleted != 0 {
		t.Fatalf("no-op delete txn: %+v", r)
	}
	if cur := currentRev(t); cur != rev+2 {
		t.Fatalf("revision after no-op txn %d, want %d", cur, rev+2)
	}
	// Ops nested in a write txn report the revision as of that op: reads
	// before the first write see the previous revision, later ones the new one.
	r = txnOK(t, nil, []clientv3.Op{
		clientv3.OpGet(p + "c"),
		clientv3.OpDelete(p + "nothing"),
		clientv3.OpPut(p+"c", "newer-c"),
		clientv3.OpGet(p + "c"),
		clientv3.OpDelete(p + "nothing"),
	}, nil)
	gotRevs := []int64{
		r.Responses[0].GetResponseRange().Header.Revision,
		r.Responses[1].GetResponseDeleteRange().Header.Revision,
		r.Responses[2].GetResponsePut().Header.Revision,
		r.Responses[3].GetResponseRange().Header.Revision,
		r.Responses[4].GetResponseDeleteRange().Header.Revision,
	}
	if fmt.Sprint(gotRevs) != fmt.Sprint([]int64{rev + 2, rev + 2, rev + 3, rev + 3, rev + 3}) || r.Header.Revision != rev+3 {
		t.Fatalf("nested revisions %v (txn %d), want [%d %d %d %d %d] (txn %d)", gotRevs, r.Header.Revision,
			rev+2, rev+2, rev+3, rev+3, rev+3, rev+3)
	}
	if g := r.Responses[0].GetResponseRange(); string(g.Kvs[0].Value) != "new-c" {
		t.Fatalf("get before put in txn: %+v", g.Kvs)
	}
	if g := r.Responses[3].GetResponseRange(); string(g.Kvs[0].Value) != "newer-c" {
		t.Fatalf("get after put in txn: %+v", g.Kvs)
	}
	rev++ // the revisions below count from here

	// Deleting the same key twice in one branch is allowed.
	r = txnOK(t, nil, []clientv3.Op{clientv3.OpDelete(p + "a"), clientv3.OpDelete(p + "a")}, nil)
	if r.Responses[0].GetResponseDeleteRange().Deleted != 1 || r.Responses[1].GetResponseDeleteRange().Deleted != 0 || r.Header.Revision != rev+3 {
		t.Fatalf("double delete: %+v", r)
	}
	// Range at an old revision inside a txn.
	r = txnOK(t, nil, []clientv3.Op{clientv3.OpGet(p+"b", clientv3.WithRev(rev0))}, nil)
	if g := r.Responses[0].GetResponseRange(); len(g.Kvs) != 1 || string(g.Kvs[0].Value) != "old-b" {
		t.Fatalf("get at old revision in txn: %+v", g)
	}
}

func TestTxnNested(t *testing.T) {
	p := pfx(t)
	rev := mustPut(t, p+"x", "1").Header.Revision
	inner := clientv3.OpTxn(
		[]clientv3.Cmp{clientv3.Compare(clientv3.Version(p+"y"), "=", 0)},
		[]clientv3.Op{clientv3.OpPut(p+"y", "from-inner-then"), clientv3.OpGet(p + "y")},
		[]clientv3.Op{clientv3.OpPut(p+"y", "from-inner-else")},
	)
	r := txnOK(t,
		[]clientv3.Cmp{clientv3.Compare(clientv3.Value(p+"x"), "=", "1")},
		[]clientv3.Op{clientv3.OpPut(p+"x", "2"), inner, clientv3.OpGet(p, clientv3.WithPrefix())},
		nil)
	if !r.Succeeded || len(r.Responses) != 3 || r.Header.Revision != rev+1 {
		t.Fatalf("outer: %+v", r)
	}
	in := r.Responses[1].GetResponseTxn()
	if in == nil || !in.Succeeded || len(in.Responses) != 2 {
		t.Fatalf("inner response: %+v", in)
	}
	// etcd 3.4 sends a nested TxnResponse with an empty (but present) header.
	if in.Header == nil || in.Header.Revision != 0 || in.Header.MemberId != 0 || in.Header.ClusterId != 0 || in.Header.RaftTerm != 0 {
		t.Fatalf("inner txn header: %#v, want present and empty", in.Header)
	}
	if h := in.Responses[0].GetResponsePut().Header; h == nil || h.Revision != rev+1 {
		t.Fatalf("inner put header: %+v", h)
	}
	if g := in.Responses[1].GetResponseRange(); len(g.Kvs) != 1 || string(g.Kvs[0].Value) != "from-inner-then" {
		t.Fatalf("inner get: %+v", g)
	}
	if g := r.Responses[2].GetResponseRange(); g.Count != 2 || string(g.Kvs[0].Value) != "2" || string(g.Kvs[1].Value) != "from-inner-then" {
		t.Fatalf("outer get after inner: %+v", g.Kvs)
	}
	// Now y exists: the inner txn takes its else branch.
	r = txnOK(t, nil, []clientv3.Op{inner}, nil)
	if in := r.Responses[0].GetResponseTxn(); in.Succeeded || len(in.Responses) != 1 || r.Header.Revision != rev+2 {
		t.Fatalf("second inner: %+v", r)
	}
	if g := mustGet(t, p+"y"); string(g.Kvs[0].Value) != "from-inner-else" || g.Kvs[0].Version != 2 {
		t.Fatalf("y after second txn: %+v", g.Kvs)
	}
	// then/else of a nested txn may write the same key (only one runs).
	r = txnOK(t, nil, []clientv3.Op{clientv3.OpTxn(nil,
		[]clientv3.Op{clientv3.OpPut(p+"z", "t")}, []clientv3.Op{clientv3.OpPut(p+"z", "e")})}, nil)
	if g := mustGet(t, p+"z"); string(g.Kvs[0].Value) != "t" {
		t.Fatalf("z: %+v", g.Kvs)
	}
}

// txnErr checks a txn fails with the given typed clientv3 error and, sent
// raw, with the matching gRPC status.
func txnErr(t *testing.T, name string, want error, code codes.Code, cmps []clientv3.Cmp, then, els []clientv3.Op) {
	t.Helper()
	_, err := cli.Txn(ctx(t)).If(cmps...).Then(then...).Else(els...).Commit()
	if err != want {
		t.Errorf("%s: got error %v (%T), want %v", name, err, err, want)
		return
	}
	req := &pb.TxnRequest{}
	for _, c := range cmps {
		cc := pb.Compare(c)
		req.Compare = append(req.Compare, &cc)
	}
	for _, op := range then {
		req.Success = append(req.Success, opToRequestOp(op))
	}
	for _, op := range els {
		req.Failure = append(req.Failure, opToRequestOp(op))
	}
	_, rerr := rawKV.Txn(ctx(t), req)
	statusErr(t, name+" (raw)", rerr, code, rpctypes.ErrorDesc(want))
}

// opToRequestOp converts a clientv3 Op to its wire form (clientv3 keeps this
// unexported; a txn carries it).
func opToRequestOp(op clientv3.Op) *pb.RequestOp {
	switch {
	case op.IsGet():
		r := &pb.RangeRequest{Key: op.KeyBytes(), RangeEnd: op.RangeBytes(), Revision: op.Rev()}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: r}}
	case op.IsPut():
		r := &pb.PutRequest{Key: op.KeyBytes(), Value: op.ValueBytes()}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: r}}
	case op.IsDelete():
		r := &pb.DeleteRangeRequest{Key: op.KeyBytes(), RangeEnd: op.RangeBytes()}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: r}}
	case op.IsTxn():
		cmps, then, els := op.Txn()
		tr := &pb.TxnRequest{}
		for _, c := range cmps {
			cc := pb.Compare(c)
			tr.Compare = append(tr.Compare, &cc)
		}
		for _, o := range then {
			tr.Success = append(tr.Success, opToRequestOp(o))
		}
		for _, o := range els {
			tr.Failure = append(tr.Failure, opToRequestOp(o))
		}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: tr}}
	}
	panic("unknown op")
}

func puts(p string, n int) []clientv3.Op {
	ops := make([]clientv3.Op, n)
	for i := range ops {
		ops[i] = clientv3.OpPut(fmt.Sprintf("%s%03d", p, i), "v")
	}
	return ops
}

func TestTxnErrors(t *testing.T) {
	p := pfx(t)
	mustPut(t, p+"a", "1")
	none := []clientv3.Op(nil)
	cmps := func(n int) []clientv3.Cmp {
		c := make([]clientv3.Cmp, n)
		for i := range c {
			c[i] = clientv3.Compare(clientv3.Version(fmt.Sprintf("%sc%03d", p, i)), "=", 0)
		}
		return c
	}

	// Limits: at most 128 compares / success ops / failure ops.
	r := txnOK(t, cmps(128), puts(p+"ok/", 128), puts(p+"else/", 128))
	if !r.Succeeded || len(r.Responses) != 128 {
		t.Fatalf("128 ops: succeeded %v, %d responses", r.Succeeded, len(r.Responses))
	}
	txnErr(t, "129 success ops", rpctypes.ErrTooManyOps, codes.InvalidArgument, nil, puts(p+"s/", 129), none)
	txnErr(t, "129 failure ops", rpctypes.ErrTooManyOps, codes.InvalidArgument, nil, none, puts(p+"f/", 129))
	txnErr(t, "129 compares", rpctypes.ErrTooManyOps, codes.InvalidArgument, cmps(129), none, none)
	// Nested txns share the budget: outer 101 ops leave 27 for the inner one.
	outer := append(puts(p+"o/", 100), clientv3.OpTxn(nil, puts(p+"i/", 27), nil))
	if _, err := cli.Txn(ctx(t)).Then(outer...).Commit(); err != nil {
		t.Fatalf("outer 101 + inner 27 ops: %v", err)
	}
	outer = append(puts(p+"o2/", 100), clientv3.OpTxn(nil, puts(p+"i2/", 28), nil))
	txnErr(t, "outer 101 + inner 28 ops", rpctypes.ErrTooManyOps, codes.InvalidArgument, nil, outer, none)

	// Overlapping writes in one branch.
	txnErr(t, "put twice", rpctypes.ErrDuplicateKey, codes.InvalidArgument, nil,
		[]clientv3.Op{clientv3.OpPut(p+"d", "1"), clientv3.OpPut(p+"d", "2")}, none)
	txnErr(t, "put twice in else", rpctypes.ErrDuplicateKey, codes.InvalidArgument, nil,
		none, []clientv3.Op{clientv3.OpPut(p+"d", "1"), clientv3.OpPut(p+"d", "2")})
	txnErr(t, "put then delete", rpctypes.ErrDuplicateKey, codes.InvalidArgument, nil,
		[]clientv3.Op{clientv3.OpPut(p+"d", "1"), clientv3.OpDelete(p + "d")}, none)
	txnErr(t, "delete range then put inside it", rpctypes.ErrDuplicateKey, codes.InvalidArgument, nil,
		[]clientv3.Op{clientv3.OpDelete(p+"r/", clientv3.WithPrefix()), clientv3.OpPut(p+"r/x", "1")}, none)
	txnErr(t, "put then nested put", rpctypes.ErrDuplicateKey, codes.InvalidArgument, nil,
		[]clientv3.Op{clientv3.OpPut(p+"d", "1"), clientv3.OpTxn(nil, []clientv3.Op{clientv3.OpPut(p+"d", "2")}, nil)}, none)
	// Same key in then and else: fine.
	if _, err := cli.Txn(ctx(t)).Then(clientv3.OpPut(p+"d", "1")).Else(clientv3.OpPut(p+"d", "2")).Commit(); err != nil {
		t.Fatalf("same key in then and else: %v", err)
	}

	// Empty keys.
	txnErr(t, "empty key get", rpctypes.ErrEmptyKey, codes.InvalidArgument, nil, []clientv3.Op{clientv3.OpGet("")}, none)
	txnErr(t, "empty key put", rpctypes.ErrEmptyKey, codes.InvalidArgument, nil, []clientv3.Op{clientv3.OpPut("", "v")}, none)
	txnErr(t, "empty key delete in else", rpctypes.ErrEmptyKey, codes.InvalidArgument, nil, none, []clientv3.Op{clientv3.OpDelete("")})
	txnErr(t, "empty key compare", rpctypes.ErrEmptyKey, codes.InvalidArgument,
		[]clientv3.Cmp{clientv3.Compare(clientv3.Version(""), "=", 0)}, none, none)

	// Errors of the chosen branch's ops fail the whole txn (and write nothing).
	rev := currentRev(t)
	txnErr(t, "future revision get", rpctypes.ErrFutureRev, codes.OutOfRange, nil,
		[]clientv3.Op{clientv3.OpPut(p+"w", "1"), clientv3.OpGet(p+"a", clientv3.WithRev(rev+100))}, none)
	if _, err := cli.Txn(ctx(t)).Then(clientv3.OpPut(p+"w", "1"), clientv3.OpPut(p+"w2", "1", clientv3.WithLease(0x7777))).Commit(); err != rpctypes.ErrLeaseNotFound {
		t.Errorf("put with unknown lease in txn: %v", err)
	}
	if _, err := cli.Txn(ctx(t)).Then(clientv3.OpPut(p+"missing", "", clientv3.WithIgnoreValue())).Commit(); err != rpctypes.ErrKeyNotFound {
		t.Errorf("ignore_value on missing key in txn: %v", err)
	}
	if g := mustGet(t, p+"w"); g.Count != 0 || g.Header.Revision != rev {
		t.Fatalf("failed txns wrote something: %+v", g)
	}
	// The branch not taken is not executed, so its errors do not matter.
	r = txnOK(t, []clientv3.Cmp{clientv3.Compare(clientv3.Version(p+"a"), ">", 0)},
		[]clientv3.Op{clientv3.OpGet(p + "a")},
		[]clientv3.Op{clientv3.OpGet(p+"a", clientv3.WithRev(rev+100))})
	if !r.Succeeded {
		t.Fatalf("expected success branch")
	}

	// A RequestOp with nothing set.
	_, err := rawKV.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{{}}})
	statusErr(t, "empty RequestOp", err, codes.InvalidArgument, "etcdserver: key not found")
}
