package interop

// clientv3-level checks of Range / Put / DeleteRange semantics.

import (
	"fmt"
	"testing"

	"go.etcd.io/etcd/clientv3"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
)

func TestKVPutGetRevisions(t *testing.T) {
	p := pfx(t)
	r0 := currentRev(t)

	r1 := mustPut(t, p+"k", "v1")
	if r1.Header.Revision != r0+1 {
		t.Fatalf("first put: header.revision %d, want %d", r1.Header.Revision, r0+1)
	}
	if r1.PrevKv != nil {
		t.Fatalf("put without prev_kv returned prev_kv %v", r1.PrevKv)
	}
	if r1.Header.ClusterId == 0 || r1.Header.MemberId == 0 || r1.Header.RaftTerm == 0 {
		t.Fatalf("put header not filled: %+v", r1.Header)
	}
	g := mustGet(t, p+"k")
	if g.Header.Revision != r0+1 || g.Count != 1 || g.More || len(g.Kvs) != 1 {
		t.Fatalf("get: %+v", g)
	}
	kv := g.Kvs[0]
	if string(kv.Key) != p+"k" || string(kv.Value) != "v1" || kv.CreateRevision != r0+1 ||
		kv.ModRevision != r0+1 || kv.Version != 1 || kv.Lease != 0 {
		t.Fatalf("kv after first put: %+v", kv)
	}

	// Same value again still creates a revision and bumps version.
	r2 := mustPut(t, p+"k", "v1", clientv3.WithPrevKV())
	if r2.Header.Revision != r0+2 {
		t.Fatalf("second put: header.revision %d, want %d", r2.Header.Revision, r0+2)
	}
	if r2.PrevKv == nil || string(r2.PrevKv.Value) != "v1" || r2.PrevKv.Version != 1 || r2.PrevKv.ModRevision != r0+1 {
		t.Fatalf("second put prev_kv: %+v", r2.PrevKv)
	}
	kv = mustGet(t, p+"k").Kvs[0]
	if kv.CreateRevision != r0+1 || kv.ModRevision != r0+2 || kv.Version != 2 {
		t.Fatalf("kv after second put: %+v", kv)
	}

	// Missing key: empty result, count 0, header = current revision.
	g = mustGet(t, p+"missing")
	if len(g.Kvs) != 0 || g.Count != 0 || g.More || g.Header.Revision != r0+2 {
		t.Fatalf("get missing: %+v", g)
	}

	// Delete then re-create: create_revision new, version back to 1.
	d, err := cli.Delete(ctx(t), p+"k")
	if err != nil || d.Deleted != 1 || d.Header.Revision != r0+3 {
		t.Fatalf("delete: %+v %v", d, err)
	}
	mustPut(t, p+"k", "v2")
	kv = mustGet(t, p+"k").Kvs[0]
	if kv.CreateRevision != r0+4 || kv.ModRevision != r0+4 || kv.Version != 1 {
		t.Fatalf("kv after re-create: %+v", kv)
	}
}

func TestKVHeaderRevisionRules(t *testing.T) {
	p := pfx(t)
	mustPut(t, p+"a", "1")
	old := mustPut(t, p+"a", "2").Header.Revision
	mustPut(t, p+"a", "3")
	cur := mustPut(t, p+"b", "x").Header.Revision

	// Range at an old revision: data from then, header = current revision.
	g := mustGet(t, p+"a", clientv3.WithRev(old))
	if g.Header.Revision != cur {
		t.Fatalf("get at rev %d: header.revision %d, want current %d", old, g.Header.Revision, cur)
	}
	if len(g.Kvs) != 1 || string(g.Kvs[0].Value) != "2" || g.Kvs[0].ModRevision != old || g.Kvs[0].Version != 2 {
		t.Fatalf("get at rev %d: %+v", old, g.Kvs)
	}
	// Key b did not exist at 'old'.
	if g := mustGet(t, p+"b", clientv3.WithRev(old)); len(g.Kvs) != 0 || g.Count != 0 {
		t.Fatalf("b at rev %d: %+v", old, g)
	}
	// Reading at exactly the current revision works.
	if g := mustGet(t, p, clientv3.WithPrefix(), clientv3.WithRev(cur)); g.Count != 2 {
		t.Fatalf("get at current rev: %+v", g)
	}

	// A delete that removes nothing does not bump the revision.
	d, err := cli.Delete(ctx(t), p+"nothing")
	if err != nil {
		t.Fatal(err)
	}
	if d.Deleted != 0 || d.Header.Revision != cur {
		t.Fatalf("no-op delete: deleted %d header.revision %d, want 0 and %d", d.Deleted, d.Header.Revision, cur)
	}
	d, err = cli.Delete(ctx(t), p+"nothing/", clientv3.WithPrefix())
	if err != nil || d.Deleted != 0 || d.Header.Revision != cur {
		t.Fatalf("no-op prefix delete: %+v %v", d, err)
	}
	if r := currentRev(t); r != cur {
		t.Fatalf("revision moved after no-op deletes: %d, want %d", r, cur)
	}
	// A delete of several keys is one revision.
	d, err = cli.Delete(ctx(t), p, clientv3.WithPrefix())
	if err != nil || d.Deleted != 2 || d.Header.Revision != cur+1 {
		t.Fatalf("prefix delete: %+v %v (want deleted 2, revision %d)", d, err, cur+1)
	}
}

func TestKVRangeOptions(t *testing.T) {
	p := pfx(t)
	for _, k := range []string{"a", "b", "b/1", "b/2", "c", "d"} {
		mustPut(t, p+k, "val-"+k)
	}
	mustPut(t, pfx(t)[:len(p)-1]+"x", "outside") // shares the text prefix but not "<p>"

	// Single key, prefix, explicit range.
	check := func(name string, r *clientv3.GetResponse, want []string, count int64, more bool) {
		t.Helper()
		if got := keysOf(r, p); !eqStrings(got, want) || r.Count != count || r.More != more {
			t.Fatalf("%s: keys %q count %d more %v; want %q count %d more %v", name, got, r.Count, r.More, want, count, more)
		}
	}
	check("single", mustGet(t, p+"b"), []string{"b"}, 1, false)
	check("prefix", mustGet(t, p, clientv3.WithPrefix()), []string{"a", "b", "b/1", "b/2", "c", "d"}, 6, false)
	check("prefix b/", mustGet(t, p+"b/", clientv3.WithPrefix()), []string{"b/1", "b/2"}, 2, false)
	check("range [b,c)", mustGet(t, p+"b", clientv3.WithRange(p+"c")), []string{"b", "b/1", "b/2"}, 3, false)
	check("range end<=key", mustGet(t, p+"c", clientv3.WithRange(p+"a")), []string{}, 0, false)

	// Limit: count ignores the limit, more says there is more.
	check("limit 2", mustGet(t, p, clientv3.WithPrefix(), clientv3.WithLimit(2)), []string{"a", "b"}, 6, true)
	check("limit 6", mustGet(t, p, clientv3.WithPrefix(), clientv3.WithLimit(6)), []string{"a", "b", "b/1", "b/2", "c", "d"}, 6, false)
	check("limit 100", mustGet(t, p, clientv3.WithPrefix(), clientv3.WithLimit(100)), []string{"a", "b", "b/1", "b/2", "c", "d"}, 6, false)

	// Keys only: no values, other fields kept.
	r := mustGet(t, p, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	check("keys-only", r, []string{"a", "b", "b/1", "b/2", "c", "d"}, 6, false)
	for _, kv := range r.Kvs {
		if len(kv.Value) != 0 || kv.Version != 1 || kv.CreateRevision == 0 {
			t.Fatalf("keys-only kv: %+v", kv)
		}
	}
	// Count only: no kvs, count set, more false.
	r = mustGet(t, p, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if len(r.Kvs) != 0 || r.Count != 6 || r.More {
		t.Fatalf("count-only: %+v", r)
	}
	r = mustGet(t, p, clientv3.WithPrefix(), clientv3.WithCountOnly(), clientv3.WithLimit(1))
	if len(r.Kvs) != 0 || r.Count != 6 {
		t.Fatalf("count-only with limit: %+v", r)
	}
	// Serializable read sees the same data.
	r = mustGet(t, p, clientv3.WithPrefix(), clientv3.WithSerializable())
	check("serializable", r, []string{"a", "b", "b/1", "b/2", "c", "d"}, 6, false)
	if string(r.Kvs[0].Value) != "val-a" {
		t.Fatalf("serializable value: %q", r.Kvs[0].Value)
	}
}

func TestKVRangeFromKey(t *testing.T) {
	// From-key reads run to the end of the keyspace, so these keys sort
	// after everything else the suite writes ('~' > '/') and are removed
	// when the test ends.
	p := "~~interop-fromkey/" + t.Name() + "/"
	cleanupPrefix(t, "~~interop-fromkey/")
	for _, k := range []string{"a", "b", "c"} {
		mustPut(t, p+k, k)
	}
	r := mustGet(t, p+"b", clientv3.WithFromKey())
	if got := keysOf(r, p); !eqStrings(got, []string{"b", "c"}) || r.Count != 2 {
		t.Fatalf("from-key b: %q count %d", got, r.Count)
	}
	r = mustGet(t, p+"a", clientv3.WithFromKey(), clientv3.WithLimit(1))
	if got := keysOf(r, p); !eqStrings(got, []string{"a"}) || r.Count != 3 || !r.More {
		t.Fatalf("from-key a limit 1: %q count %d more %v", got, r.Count, r.More)
	}
	// "\x00" with range_end "\x00" = every key; our keys are the last three.
	r = mustGet(t, "\x00", clientv3.WithFromKey(), clientv3.WithKeysOnly())
	n := len(r.Kvs)
	if n < 3 || r.Count != int64(n) || keysOf(r, p)[n-1] != "c" || keysOf(r, p)[n-3] != "a" {
		t.Fatalf("all keys: count %d, %d kvs, tail %q", r.Count, n, keysOf(r, p))
	}
	// Deleting from a key removes to the end of the keyspace.
	d, err := cli.Delete(ctx(t), p+"b", clientv3.WithFromKey(), clientv3.WithPrevKV())
	if err != nil || d.Deleted != 2 || len(d.PrevKvs) != 2 || string(d.PrevKvs[0].Key) != p+"b" || string(d.PrevKvs[1].Value) != "c" {
		t.Fatalf("delete from key: %+v %v", d, err)
	}
	if r := mustGet(t, p, clientv3.WithPrefix()); r.Count != 1 {
		t.Fatalf("after delete from key: %+v", r)
	}
}

// sortFixture writes keys a..d so that every sort target gives a different
// order (no ties). Ascending orders:
//
//	KEY a b c d | CREATE c a d b | MODIFY d b c a | VERSION d a b c | VALUE b d a c
func sortFixture(t *testing.T, p string) {
	t.Helper()
	vals := map[string]string{"a": "v3", "b": "v1", "c": "v4", "d": "v2"}
	for _, k := range []string{"c", "a", "d", "b", "b", "b", "c", "c", "c", "a"} {
		mustPut(t, p+k, vals[k])
	}
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[len(s)-1-i] = s[i]
	}
	return out
}

// sortByRank orders keys by their position in order.
func sortByRank(keys, order []string) []string {
	var out []string
	for _, k := range order {
		for _, x := range keys {
			if x == k {
				out = append(out, k)
			}
		}
	}
	return out
}

func TestKVRangeSort(t *testing.T) {
	p := pfx(t)
	sortFixture(t, p)
	asc := map[clientv3.SortTarget][]string{
		clientv3.SortByKey:            {"a", "b", "c", "d"},
		clientv3.SortByCreateRevision: {"c", "a", "d", "b"},
		clientv3.SortByModRevision:    {"d", "b", "c", "a"},
		clientv3.SortByVersion:        {"d", "a", "b", "c"},
		clientv3.SortByValue:          {"b", "d", "a", "c"},
	}
	names := map[clientv3.SortTarget]string{clientv3.SortByKey: "KEY", clientv3.SortByCreateRevision: "CREATE",
		clientv3.SortByModRevision: "MODIFY", clientv3.SortByVersion: "VERSION", clientv3.SortByValue: "VALUE"}
	for _, target := range []clientv3.SortTarget{clientv3.SortByKey, clientv3.SortByCreateRevision,
		clientv3.SortByModRevision, clientv3.SortByVersion, clientv3.SortByValue} {
		for _, order := range []clientv3.SortOrder{clientv3.SortNone, clientv3.SortAscend, clientv3.SortDescend} {
			want := asc[target]
			if order == clientv3.SortDescend {
				want = reverse(want)
			}
			name := fmt.Sprintf("%s/%v", names[target], order)
			r := mustGet(t, p, clientv3.WithPrefix(), clientv3.WithSort(target, order))
			if got := keysOf(r, p); !eqStrings(got, want) || r.Count != 4 || r.More {
				t.Errorf("sort %s: %q count %d more %v, want %q", name, got, r.Count, r.More, want)
			}
			// With an explicit order, sorting happens before the limit.
			// etcd 3.4 quirk: with sort_order NONE and a non-KEY target it
			// reads only the first limit+1 keys (by key), sorts those
			// ascending by the target, then truncates to the limit.
			wantLim := want[:2]
			if order == clientv3.SortNone && target != clientv3.SortByKey {
				wantLim = sortByRank([]string{"a", "b", "c"}, asc[target])[:2]
			}
			r = mustGet(t, p, clientv3.WithPrefix(), clientv3.WithSort(target, order), clientv3.WithLimit(2))
			if got := keysOf(r, p); !eqStrings(got, wantLim) || r.Count != 4 || !r.More {
				t.Errorf("sort %s limit 2: %q count %d more %v, want %q count 4 more true", name, got, r.Count, r.More, wantLim)
			}
		}
	}
	// Raw request: sort_order NONE with a non-KEY target sorts ascending by that target.
	resp, err := rawKV.Range(ctx(t), &pb.RangeRequest{Key: []byte(p), RangeEnd: []byte(clientv3.GetPrefixRangeEnd(p)),
		SortTarget: pb.RangeRequest_VALUE, SortOrder: pb.RangeRequest_NONE})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, kv := range resp.Kvs {
		got = append(got, string(kv.Key[len(p):]))
	}
	if !eqStrings(got, asc[clientv3.SortByValue]) {
		t.Fatalf("raw sort VALUE/NONE: %q", got)
	}
}

func TestKVRangeRevisionFilters(t *testing.T) {
	p := pfx(t)
	// a created r1, b created r2, c created r3, then a modified r4, b modified r5.
	r1 := mustPut(t, p+"a", "1").Header.Revision
	r2 := mustPut(t, p+"b", "1").Header.Revision
	r3 := mustPut(t, p+"c", "1").Header.Revision
	r4 := mustPut(t, p+"a", "2").Header.Revision
	r5 := mustPut(t, p+"b", "2").Header.Revision
	_ = r3
	cases := []struct {
		name  string
		opts  []clientv3.OpOption
		want  []string
		limit int64
		more  bool
	}{
		{"min-mod r4", []clientv3.OpOption{clientv3.WithMinModRev(r4)}, []string{"a", "b"}, 0, false},
		{"max-mod r4", []clientv3.OpOption{clientv3.WithMaxModRev(r4)}, []string{"a", "c"}, 0, false},
		{"min-mod r5 max-mod r5", []clientv3.OpOption{clientv3.WithMinModRev(r5), clientv3.WithMaxModRev(r5)}, []string{"b"}, 0, false},
		{"min-create r2", []clientv3.OpOption{clientv3.WithMinCreateRev(r2)}, []string{"b", "c"}, 0, false},
		{"max-create r2", []clientv3.OpOption{clientv3.WithMaxCreateRev(r2)}, []string{"a", "b"}, 0, false},
		{"min-create r1 max-create r1", []clientv3.OpOption{clientv3.WithMinCreateRev(r1), clientv3.WithMaxCreateRev(r1)}, []string{"a"}, 0, false},
		{"min-mod beyond", []clientv3.OpOption{clientv3.WithMinModRev(r5 + 1)}, []string{}, 0, false},
		// The limit applies after filtering: 2 of 3 remaining keys → more.
		{"max-create r3 limit 2", []clientv3.OpOption{clientv3.WithMaxCreateRev(r3), clientv3.WithLimit(2)}, []string{"a", "b"}, 2, true},
		// 2 keys pass the filter, limit 2 → nothing more after filtering.
		{"min-mod r4 limit 2", []clientv3.OpOption{clientv3.WithMinModRev(r4), clientv3.WithLimit(2)}, []string{"a", "b"}, 2, false},
		{"min-mod r4 limit 1", []clientv3.OpOption{clientv3.WithMinModRev(r4), clientv3.WithLimit(1)}, []string{"a"}, 1, true},
	}
	for _, c := range cases {
		opts := append([]clientv3.OpOption{clientv3.WithPrefix()}, c.opts...)
		r := mustGet(t, p, opts...)
		// count is the number of keys in the range, ignoring the filters.
		if got := keysOf(r, p); !eqStrings(got, c.want) || r.Count != 3 || r.More != c.more {
			t.Errorf("%s: keys %q count %d more %v; want %q count 3 more %v", c.name, got, r.Count, r.More, c.want, c.more)
		}
	}
}

func TestKVPutOptions(t *testing.T) {
	p := pfx(t)
	r0 := mustPut(t, p+"k", "v1").Header.Revision

	// prev_kv on a new key: absent.
	r := mustPut(t, p+"new", "x", clientv3.WithPrevKV())
	if r.PrevKv != nil {
		t.Fatalf("prev_kv of new key: %+v", r.PrevKv)
	}
	// ignore_value keeps the value, bumps version/mod revision.
	r = mustPut(t, p+"k", "", clientv3.WithIgnoreValue(), clientv3.WithPrevKV())
	if r.PrevKv == nil || string(r.PrevKv.Value) != "v1" {
		t.Fatalf("ignore_value prev_kv: %+v", r.PrevKv)
	}
	kv := mustGet(t, p+"k").Kvs[0]
	if string(kv.Value) != "v1" || kv.Version != 2 || kv.ModRevision != r.Header.Revision || kv.CreateRevision != r0 {
		t.Fatalf("after ignore_value: %+v", kv)
	}
	// ignore_lease keeps the (absent) lease and sets the new value.
	r = mustPut(t, p+"k", "v2", clientv3.WithIgnoreLease())
	kv = mustGet(t, p+"k").Kvs[0]
	if string(kv.Value) != "v2" || kv.Version != 3 || kv.Lease != 0 || kv.ModRevision != r.Header.Revision {
		t.Fatalf("after ignore_lease: %+v", kv)
	}
	// Both at once: nothing but version/mod revision changes.
	r = mustPut(t, p+"k", "", clientv3.WithIgnoreValue(), clientv3.WithIgnoreLease())
	kv = mustGet(t, p+"k").Kvs[0]
	if string(kv.Value) != "v2" || kv.Version != 4 || kv.ModRevision != r.Header.Revision {
		t.Fatalf("after ignore_value+ignore_lease: %+v", kv)
	}
	// Empty value is a value.
	mustPut(t, p+"empty", "")
	g := mustGet(t, p+"empty")
	if g.Count != 1 || len(g.Kvs) != 1 || len(g.Kvs[0].Value) != 0 {
		t.Fatalf("empty value: %+v", g)
	}
	// Binary keys and values round-trip.
	bk, bv := p+"bin\x00\xff\x01", "\x00\x01\xfe\xff"
	mustPut(t, bk, bv)
	g = mustGet(t, bk)
	if len(g.Kvs) != 1 || string(g.Kvs[0].Key) != bk || string(g.Kvs[0].Value) != bv {
		t.Fatalf("binary round trip: %+v", g.Kvs)
	}
}

func TestKVDeleteOptions(t *testing.T) {
	p := pfx(t)
	for _, k := range []string{"a", "b", "b/1", "c"} {
		mustPut(t, p+k, "v-"+k)
	}
	rev := currentRev(t)
	d, err := cli.Delete(ctx(t), p+"b", clientv3.WithPrefix(), clientv3.WithPrevKV())
	if err != nil {
		t.Fatal(err)
	}
	if d.Deleted != 2 || d.Header.Revision != rev+1 || len(d.PrevKvs) != 2 ||
		string(d.PrevKvs[0].Key) != p+"b" || string(d.PrevKvs[0].Value) != "v-b" ||
		string(d.PrevKvs[1].Key) != p+"b/1" || d.PrevKvs[1].Version != 1 {
		t.Fatalf("prefix delete with prev_kv: %+v", d)
	}
	// Without prev_kv: no prev_kvs.
	d, err = cli.Delete(ctx(t), p+"a")
	if err != nil || d.Deleted != 1 || len(d.PrevKvs) != 0 || d.Header.Revision != rev+2 {
		t.Fatalf("single delete: %+v %v", d, err)
	}
	// Range delete [c, d).
	d, err = cli.Delete(ctx(t), p+"c", clientv3.WithRange(p+"d"))
	if err != nil || d.Deleted != 1 {
		t.Fatalf("range delete: %+v %v", d, err)
	}
	if g := mustGet(t, p, clientv3.WithPrefix()); g.Count != 0 {
		t.Fatalf("keys left: %+v", g.Kvs)
	}
	// Deleted keys are still visible at the old revision.
	if g := mustGet(t, p, clientv3.WithPrefix(), clientv3.WithRev(rev)); g.Count != 4 {
		t.Fatalf("at old revision: count %d", g.Count)
	}
}
