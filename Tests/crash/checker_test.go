package crash

// Checks of the checker: the model's verification against an in-memory fake
// store, first faithful, then broken in each way a crash can break a store.
// No server is involved.

import (
	"context"
	"sort"
	"testing"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	mvccpb "go.etcd.io/etcd/mvcc/mvccpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type fakeVer struct {
	rev     int64
	val     string
	deleted bool
}

// fakeKV is a tiny MVCC store: every write is a revision; Range reads any
// past revision. Only Range is served.
type fakeKV struct {
	pb.KVClient // nil: the other methods are not used
	rev         int64
	hist        map[string][]fakeVer
}

func newFakeKV() *fakeKV { return &fakeKV{rev: 1, hist: map[string][]fakeVer{}} }

func (f *fakeKV) write(vs map[string]*string) int64 {
	f.rev++
	for k, v := range vs {
		if v == nil {
			f.hist[k] = append(f.hist[k], fakeVer{rev: f.rev, deleted: true})
		} else {
			f.hist[k] = append(f.hist[k], fakeVer{rev: f.rev, val: *v})
		}
	}
	return f.rev
}

func (f *fakeKV) at(k string, rev int64) *mvccpb.KeyValue {
	var kv *mvccpb.KeyValue
	for _, v := range f.hist[k] {
		if v.rev > rev {
			break
		}
		switch {
		case v.deleted:
			kv = nil
		case kv == nil:
			kv = &mvccpb.KeyValue{Key: []byte(k), CreateRevision: v.rev, ModRevision: v.rev, Version: 1, Value: []byte(v.val)}
		default:
			kv = &mvccpb.KeyValue{Key: []byte(k), CreateRevision: kv.CreateRevision, ModRevision: v.rev, Version: kv.Version + 1, Value: []byte(v.val)}
		}
	}
	return kv
}

func (f *fakeKV) Range(_ context.Context, r *pb.RangeRequest, _ ...grpc.CallOption) (*pb.RangeResponse, error) {
	rev := r.Revision
	if rev == 0 {
		rev = f.rev
	}
	if rev > f.rev {
		return nil, status.Error(codes.OutOfRange, "etcdserver: mvcc: required revision is a future revision")
	}
	var keys []string
	for k := range f.hist {
		if (len(r.RangeEnd) == 0 && k == string(r.Key)) || (len(r.RangeEnd) > 0 && k >= string(r.Key) && k < string(r.RangeEnd)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	resp := &pb.RangeResponse{Header: &pb.ResponseHeader{Revision: f.rev}}
	for _, k := range keys {
		if kv := f.at(k, rev); kv != nil {
			if r.Limit > 0 && int64(len(resp.Kvs)) == r.Limit {
				resp.More = true
				break
			}
			resp.Kvs = append(resp.Kvs, kv)
		}
	}
	return resp, nil
}

// truncate loses every revision above rev, as a store that lost its tail.
func (f *fakeKV) truncate(rev int64) {
	for k, vs := range f.hist {
		n := 0
		for n < len(vs) && vs[n].rev <= rev {
			n++
		}
		f.hist[k] = vs[:n]
	}
	f.rev = rev
}

// rig applies writes to the fake store and records them in a model.
type rig struct {
	t *testing.T
	f *fakeKV
	m *model
}

func newRig(t *testing.T) *rig {
	r := &rig{t, newFakeKV(), newModel()}
	r.m.seen(1)
	return r
}

func sp(s string) *string { return &s }

// put: acknowledged puts of key=val pairs in one revision.
func (r *rig) put(kvs ...string) int64 {
	vs := map[string]*string{}
	var ws []kw
	for i := 0; i < len(kvs); i += 2 {
		vs[kvs[i]] = sp(kvs[i+1])
		ws = append(ws, kw{kvs[i], kPut, kvs[i+1]})
	}
	rev := r.f.write(vs)
	r.m.acked(1, rev, ws)
	return rev
}

func (r *rig) del(k string) int64 {
	rev := r.f.write(map[string]*string{k: nil})
	r.m.acked(1, rev, []kw{{k, kDel, ""}})
	return rev
}

// verify runs the verification and checks the classes of the problems found.
func (r *rig) verify(want ...string) {
	r.t.Helper()
	probs, _ := r.m.verify(r.f, 1)
	got := map[string]bool{}
	for _, p := range probs {
		got[p.class] = true
	}
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	for w := range wantSet {
		if !got[w] {
			r.t.Errorf("want a %s problem; got %v", w, probs)
		}
	}
	for g := range got {
		if !wantSet[g] {
			r.t.Errorf("unexpected %s problem; all: %v", g, probs)
		}
	}
}

// history: a few unique keys, a hot key overwritten and deleted, a txn.
func (r *rig) history() {
	r.put("/crash/u/0/1", "a")
	r.put("/crash/hot/0", "h1")
	r.put("/crash/u/0/2", "b")
	r.put("/crash/hot/0", "h2")
	r.del("/crash/u/0/1")
	r.put("/crash/u/0/3", "c", "/crash/hot/0", "h3")
	r.del("/crash/hot/0")
	r.put("/crash/hot/0", "h4")
	r.put("/crash/u/0/4", "d")
}

func TestModelCleanStorePasses(t *testing.T) {
	r := newRig(t)
	r.history()
	r.verify()
	// Settled: a second verification (no writes between) passes too.
	r.verify()
	// Unknown writes, applied or not, are fine.
	r.m.unknown(2, []kw{{"/crash/u/0/5", kPut, "e"}})
	r.m.unknown(2, []kw{{"/crash/u/0/6", kPut, "f"}})
	r.m.unknown(2, []kw{{"/crash/hot/0", kDel, ""}})
	r.f.write(map[string]*string{"/crash/u/0/5": sp("e")})
	r.f.write(map[string]*string{"/crash/hot/0": nil})
	r.verify()
}

func TestModelDetectsLostTail(t *testing.T) {
	r := newRig(t)
	r.history()
	r.f.truncate(r.f.rev - 1) // the last acknowledged put is gone
	r.verify("lost-put", "revision-backwards")
}

func TestModelDetectsLostEverything(t *testing.T) {
	r := newRig(t)
	r.history()
	r.f = newFakeKV() // an in-memory server after a restart
	r.verify("lost-put", "revision-backwards", "lost-revision")
}

func TestModelDetectsUndoneDelete(t *testing.T) {
	r := newRig(t)
	r.history()
	vs := r.f.hist["/crash/u/0/1"]
	r.f.hist["/crash/u/0/1"] = vs[:len(vs)-1] // the delete is undone
	r.verify("lost-delete")
}

func TestModelDetectsLostOldVersion(t *testing.T) {
	r := newRig(t)
	r.history()
	vs := r.f.hist["/crash/hot/0"]
	r.f.hist["/crash/hot/0"] = append([]fakeVer{vs[0]}, vs[2:]...) // h2 vanished from the history
	r.verify("history")
}

func TestModelDetectsWrongValue(t *testing.T) {
	r := newRig(t)
	r.history()
	vs := r.f.hist["/crash/u/0/2"]
	vs[len(vs)-1].val = "B"
	r.verify("wrong-value")
}

func TestModelDetectsWrongRevision(t *testing.T) {
	r := newRig(t)
	r.history()
	vs := r.f.hist["/crash/u/0/4"]
	vs[len(vs)-1].rev-- // same value, at another revision
	r.verify("lost-put")
}

func TestModelDetectsPhantoms(t *testing.T) {
	r := newRig(t)
	r.history()
	r.f.write(map[string]*string{"/crash/u/9/1": sp("zz")}) // nobody wrote it
	r.verify("phantom-key", "phantom-revision")
}

func TestModelDetectsDuplicateRevision(t *testing.T) {
	r := newRig(t)
	r.history()
	r.m.acked(1, r.f.rev, []kw{{"/crash/u/0/9", kPut, "x"}}) // a second request at the same revision
	r.verify("duplicate-revision", "lost-put")
}

func TestModelAcceptsWholeUnknownTxn(t *testing.T) {
	r := newRig(t)
	r.history()
	r.m.unknown(2, []kw{{"/crash/u/0/7", kPut, "g"}, {"/crash/hot/1", kPut, "hg"}})
	r.f.write(map[string]*string{"/crash/u/0/7": sp("g"), "/crash/hot/1": sp("hg")})
	r.verify()
}

func TestModelDetectsTornTxn(t *testing.T) {
	r := newRig(t)
	r.history()
	r.m.unknown(2, []kw{{"/crash/u/0/7", kPut, "g"}, {"/crash/hot/1", kPut, "hg"}})
	r.f.write(map[string]*string{"/crash/u/0/7": sp("g")}) // half of it
	r.verify("torn-txn")
}

func TestExamplesTakeEachClass(t *testing.T) {
	probs := []problem{{"revision-order", "1"}, {"revision-order", "2"}, {"lost-put", "3"}, {"lost-put", "4"}, {"revision-backwards", "5"}}
	ex := examples(probs, 3)
	if len(ex) != 3 || ex[0].msg != "5" || ex[1].msg != "3" || ex[2].msg != "1" {
		t.Fatalf("examples: %v", ex)
	}
}
