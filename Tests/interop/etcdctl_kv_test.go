package interop

// Stock etcdctl 3.4 against the server: KV commands, exact output.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// ctlJSON mirrors etcdctl's -w json output (protobuf field names, int64 as numbers).
type ctlHeader struct {
	ClusterID uint64 `json:"cluster_id"`
	MemberID  uint64 `json:"member_id"`
	Revision  int64  `json:"revision"`
	RaftTerm  uint64 `json:"raft_term"`
}

type ctlKV struct {
	Key            string `json:"key"`   // base64
	Value          string `json:"value"` // base64
	CreateRevision int64  `json:"create_revision"`
	ModRevision    int64  `json:"mod_revision"`
	Version        int64  `json:"version"`
	Lease          int64  `json:"lease"`
}

type ctlRange struct {
	Header *ctlHeader `json:"header"`
	Kvs    []ctlKV    `json:"kvs"`
	More   bool       `json:"more"`
	Count  int64      `json:"count"`
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeJSON(t *testing.T, what, out string, v interface{}) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	rv.Set(reflect.Zero(rv.Type())) // decode into a clean value
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: bad JSON %q: %v", what, out, err)
	}
}

// ids returns the cluster ID, member ID and raft term, as KV replies carry them.
func ids(t *testing.T) (cluster, member, term uint64) {
	t.Helper()
	h := mustGet(t, "/interop/-ids-probe").Header
	return h.ClusterId, h.MemberId, h.RaftTerm
}

func wantOut(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got: %q\nwant: %q", what, got, want)
	}
}

func TestCtlPutGet(t *testing.T) {
	p := pfx(t)
	wantOut(t, "put", ctlOK(t, "put", p+"k", "v1"), "OK\n")
	wantOut(t, "get", ctlOK(t, "get", p+"k"), p+"k\nv1\n")
	wantOut(t, "get -w simple", ctlOK(t, "get", p+"k", "-w", "simple"), p+"k\nv1\n")
	wantOut(t, "get missing", ctlOK(t, "get", p+"missing"), "")
	wantOut(t, "get --print-value-only", ctlOK(t, "get", p+"k", "--print-value-only"), "v1\n")
	wantOut(t, "get --consistency=s", ctlOK(t, "get", p+"k", "--consistency=s"), p+"k\nv1\n")
	// Values with spaces and newlines are printed raw.
	wantOut(t, "put multi-line", ctlOK(t, "put", p+"m", "line 1\nline 2"), "OK\n")
	wantOut(t, "get multi-line", ctlOK(t, "get", p+"m"), p+"m\nline 1\nline 2\n")
	// Value from stdin when only the key is given.
	out, errOut, rc := etcdctlIn(t, "from-stdin", "put", p+"s")
	if rc != 0 || out != "OK\n" || errOut != "" {
		t.Fatalf("put from stdin: %d %q %q", rc, out, errOut)
	}
	wantOut(t, "get stdin value", ctlOK(t, "get", p+"s", "--print-value-only"), "from-stdin\n")

	// put --prev-kv prints the previous pair after OK.
	wantOut(t, "put --prev-kv", ctlOK(t, "put", p+"k", "v2", "--prev-kv"), "OK\n"+p+"k\nv1\n")
	wantOut(t, "put --prev-kv new key", ctlOK(t, "put", p+"n", "x", "--prev-kv"), "OK\n")

	// JSON output of put and get.
	cluster, member, term := ids(t)
	out = ctlOK(t, "put", p+"k", "v3", "--prev-kv", "-w", "json")
	var pr struct {
		Header *ctlHeader `json:"header"`
		PrevKV *ctlKV     `json:"prev_kv"`
	}
	decodeJSON(t, "put -w json", out, &pr)
	putRev := pr.Header.Revision
	if pr.Header.ClusterID != cluster || pr.Header.MemberID != member || pr.Header.RaftTerm != term ||
		pr.PrevKV == nil || pr.PrevKV.Key != b64(p+"k") || pr.PrevKV.Value != b64("v2") || pr.PrevKV.Version != 2 ||
		pr.PrevKV.ModRevision != putRev-2 {
		t.Fatalf("put -w json: %s", out)
	}
	out = ctlOK(t, "get", p+"k", "-w", "json")
	var gr ctlRange
	decodeJSON(t, "get -w json", out, &gr)
	if gr.Header.Revision != putRev || gr.Count != 1 || gr.More || len(gr.Kvs) != 1 {
		t.Fatalf("get -w json: %s", out)
	}
	kv := gr.Kvs[0]
	if kv.Key != b64(p+"k") || kv.Value != b64("v3") || kv.Version != 3 || kv.ModRevision != putRev ||
		kv.CreateRevision >= putRev || kv.Lease != 0 {
		t.Fatalf("get -w json kv: %s", out)
	}
	// Fields that are zero are omitted: no "kvs"/"count"/"more" for a missing key.
	wantOut(t, "get missing -w json", ctlOK(t, "get", p+"missing", "-w", "json"),
		fmt.Sprintf(`{"header":{"cluster_id":%d,"member_id":%d,"revision":%d,"raft_term":%d}}`+"\n", cluster, member, putRev, term))

	// -w fields: every field, exact.
	wantOut(t, "get -w fields", ctlOK(t, "get", p+"k", "-w", "fields"), fmt.Sprintf(
		"\"ClusterID\" : %d\n\"MemberID\" : %d\n\"Revision\" : %d\n\"RaftTerm\" : %d\n"+
			"\"Key\" : %q\n\"CreateRevision\" : %d\n\"ModRevision\" : %d\n\"Version\" : 3\n\"Value\" : \"v3\"\n\"Lease\" : 0\n"+
			"\"More\" : false\n\"Count\" : 1\n",
		cluster, member, putRev, term, p+"k", kv.CreateRevision, putRev))
}

func TestCtlGetRanges(t *testing.T) {
	p := pfx(t)
	for _, k := range []string{"a", "b", "b/1", "c", "d"} {
		ctlOK(t, "put", p+k, "v-"+k)
	}
	ctlOK(t, "put", p[:len(p)-1]+"z", "outside")
	kvs := func(keys ...string) string {
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(p + k + "\nv-" + k + "\n")
		}
		return b.String()
	}
	wantOut(t, "--prefix", ctlOK(t, "get", p, "--prefix"), kvs("a", "b", "b/1", "c", "d"))
	wantOut(t, "--prefix b", ctlOK(t, "get", p+"b", "--prefix"), kvs("b", "b/1"))
	wantOut(t, "range [b, d)", ctlOK(t, "get", p+"b", p+"d"), kvs("b", "b/1", "c"))
	wantOut(t, "range end before key", ctlOK(t, "get", p+"d", p+"a"), "")
	wantOut(t, "--limit 2", ctlOK(t, "get", p, "--prefix", "--limit", "2"), kvs("a", "b"))
	wantOut(t, "--keys-only", ctlOK(t, "get", p, "--prefix", "--keys-only"), p+"a\n\n"+p+"b\n\n"+p+"b/1\n\n"+p+"c\n\n"+p+"d\n\n")
	wantOut(t, "--print-value-only", ctlOK(t, "get", p, "--prefix", "--print-value-only", "--limit", "3"), "v-a\nv-b\nv-b/1\n")
	wantOut(t, "--consistency=s --prefix", ctlOK(t, "get", p, "--prefix", "--consistency=s"), kvs("a", "b", "b/1", "c", "d"))

	// --limit with JSON: count ignores the limit, more is set.
	var gr ctlRange
	decodeJSON(t, "limit json", ctlOK(t, "get", p, "--prefix", "--limit", "2", "-w", "json"), &gr)
	if gr.Count != 5 || !gr.More || len(gr.Kvs) != 2 || gr.Kvs[1].Key != b64(p+"b") || gr.Kvs[1].Value != b64("v-b") {
		t.Fatalf("--limit 2 -w json: %+v", gr)
	}
	decodeJSON(t, "keys-only json", ctlOK(t, "get", p, "--prefix", "--keys-only", "-w", "json"), &gr)
	if gr.Count != 5 || gr.More || len(gr.Kvs) != 5 || gr.Kvs[0].Value != "" || gr.Kvs[0].Version != 1 {
		t.Fatalf("--keys-only -w json: %+v", gr)
	}
}

func TestCtlGetFromKey(t *testing.T) {
	p := "~~interop-fromkey/" + t.Name() + "/"
	cleanupPrefix(t, "~~interop-fromkey/")
	for _, k := range []string{"a", "b", "c"} {
		ctlOK(t, "put", p+k, k)
	}
	wantOut(t, "--from-key b", ctlOK(t, "get", p+"b", "--from-key"), p+"b\nb\n"+p+"c\nc\n")
	wantOut(t, "--from-key a --limit 1", ctlOK(t, "get", p+"a", "--from-key", "--limit", "1"), p+"a\na\n")
	var gr ctlRange
	decodeJSON(t, "from-key json", ctlOK(t, "get", p+"a", "--from-key", "--limit", "1", "-w", "json"), &gr)
	if gr.Count != 3 || !gr.More {
		t.Fatalf("--from-key --limit 1 -w json: %+v", gr)
	}
	wantOut(t, "del --from-key", ctlOK(t, "del", p+"b", "--from-key"), "2\n")
	wantOut(t, "after del --from-key", ctlOK(t, "get", p, "--prefix", "--keys-only"), p+"a\n\n")
}

func TestCtlGetSort(t *testing.T) {
	p := pfx(t)
	sortFixture(t, p)
	asc := map[string][]string{
		"KEY":     {"a", "b", "c", "d"},
		"CREATE":  {"c", "a", "d", "b"},
		"MODIFY":  {"d", "b", "c", "a"},
		"VERSION": {"d", "a", "b", "c"},
		"VALUE":   {"b", "d", "a", "c"},
	}
	for _, target := range []string{"KEY", "CREATE", "MODIFY", "VERSION", "VALUE"} {
		for _, order := range []string{"", "ASCEND", "DESCEND"} {
			want := asc[target]
			if order == "DESCEND" {
				want = reverse(want)
			}
			args := []string{"get", p, "--prefix", "--keys-only", "--sort-by=" + target}
			if order != "" {
				args = append(args, "--order="+order)
			}
			out := ctlOK(t, args...)
			var got []string
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if l != "" {
					got = append(got, strings.TrimPrefix(l, p))
				}
			}
			if !eqStrings(got, want) {
				t.Errorf("get --sort-by=%s --order=%s: %q, want %q", target, order, got, want)
			}
		}
	}
	// --order without --sort-by sorts by key.
	wantOut(t, "--order=DESCEND", ctlOK(t, "get", p, "--prefix", "--order=DESCEND", "--print-value-only"), "v2\nv4\nv1\nv3\n")
	// Sort + limit: sorted first, then truncated.
	wantOut(t, "--sort-by=MODIFY --order=DESCEND --limit 2", ctlOK(t, "get", p, "--prefix", "--sort-by=MODIFY",
		"--order=DESCEND", "--limit", "2", "--keys-only"), p+"a\n\n"+p+"c\n\n")
}

func TestCtlGetRev(t *testing.T) {
	p := pfx(t)
	var pr struct {
		Header *ctlHeader `json:"header"`
	}
	decodeJSON(t, "put", ctlOK(t, "put", p+"k", "one", "-w", "json"), &pr)
	r1 := pr.Header.Revision
	decodeJSON(t, "put", ctlOK(t, "put", p+"k", "two", "-w", "json"), &pr)
	r2 := pr.Header.Revision
	wantOut(t, "get --rev r1", ctlOK(t, "get", p+"k", fmt.Sprintf("--rev=%d", r1)), p+"k\none\n")
	wantOut(t, "get --rev r2", ctlOK(t, "get", p+"k", fmt.Sprintf("--rev=%d", r2)), p+"k\ntwo\n")
	wantOut(t, "get --rev r1-1", ctlOK(t, "get", p+"k", fmt.Sprintf("--rev=%d", r1-1)), "")
	// Header revision is the current one, not the requested one.
	var gr ctlRange
	decodeJSON(t, "get --rev json", ctlOK(t, "get", p+"k", fmt.Sprintf("--rev=%d", r1), "-w", "json"), &gr)
	if gr.Header.Revision != r2 || len(gr.Kvs) != 1 || gr.Kvs[0].ModRevision != r1 || gr.Kvs[0].Value != b64("one") {
		t.Fatalf("get --rev -w json: %+v", gr)
	}
	ctlFails(t, codes.OutOfRange, "etcdserver: mvcc: required revision is a future revision",
		"get", p+"k", fmt.Sprintf("--rev=%d", r2+100))
}

func TestCtlPutFlags(t *testing.T) {
	p := pfx(t)
	ctlOK(t, "put", p+"k", "v1")
	// --ignore-value: keep the value (etcdctl then takes only the key).
	wantOut(t, "put --ignore-value", ctlOK(t, "put", p+"k", "--ignore-value"), "OK\n")
	wantOut(t, "put --ignore-value --prev-kv", ctlOK(t, "put", p+"k", "--ignore-value", "--prev-kv"), "OK\n"+p+"k\nv1\n")
	var gr ctlRange
	decodeJSON(t, "get", ctlOK(t, "get", p+"k", "-w", "json"), &gr)
	if gr.Kvs[0].Value != b64("v1") || gr.Kvs[0].Version != 3 {
		t.Fatalf("after --ignore-value: %+v", gr.Kvs[0])
	}
	wantOut(t, "put --ignore-lease", ctlOK(t, "put", p+"k", "v2", "--ignore-lease"), "OK\n")
	wantOut(t, "put --ignore-value --ignore-lease", ctlOK(t, "put", p+"k", "--ignore-value", "--ignore-lease"), "OK\n")
	wantOut(t, "value", ctlOK(t, "get", p+"k", "--print-value-only"), "v2\n")

	ctlFails(t, codes.InvalidArgument, "etcdserver: key not found", "put", p+"missing", "--ignore-value")
	ctlFails(t, codes.InvalidArgument, "etcdserver: key not found", "put", p+"missing", "v", "--ignore-lease")
	ctlFails(t, codes.InvalidArgument, "etcdserver: lease is provided", "put", p+"k", "v", "--lease=1234", "--ignore-lease")
	ctlFails(t, codes.NotFound, "etcdserver: requested lease not found", "put", p+"k", "v", "--lease=1234")
	ctlFails(t, codes.InvalidArgument, "etcdserver: key is not provided", "put", "", "v")
	wantOut(t, "value unchanged", ctlOK(t, "get", p, "--prefix"), p+"k\nv2\n")
}

func TestCtlDel(t *testing.T) {
	p := pfx(t)
	for _, k := range []string{"a", "b", "b/1", "b/2", "c"} {
		ctlOK(t, "put", p+k, "v-"+k)
	}
	wantOut(t, "del single", ctlOK(t, "del", p+"a"), "1\n")
	wantOut(t, "del missing", ctlOK(t, "del", p+"a"), "0\n")
	wantOut(t, "del --prefix --prev-kv", ctlOK(t, "del", p+"b/", "--prefix", "--prev-kv"), "2\n"+p+"b/1\nv-b/1\n"+p+"b/2\nv-b/2\n")
	wantOut(t, "del --prefix nothing", ctlOK(t, "del", p+"b/", "--prefix"), "0\n")

	// JSON: a delete of nothing has no "deleted" and keeps the revision.
	cluster, member, term := ids(t)
	rev := currentRev(t)
	wantOut(t, "del nothing -w json", ctlOK(t, "del", p+"zzz", "-w", "json"),
		fmt.Sprintf(`{"header":{"cluster_id":%d,"member_id":%d,"revision":%d,"raft_term":%d}}`+"\n", cluster, member, rev, term))
	var dr struct {
		Header  *ctlHeader `json:"header"`
		Deleted int64      `json:"deleted"`
		PrevKvs []ctlKV    `json:"prev_kvs"`
	}
	decodeJSON(t, "del -w json", ctlOK(t, "del", p, "--prefix", "--prev-kv", "-w", "json"), &dr)
	if dr.Header.Revision != rev+1 || dr.Deleted != 2 || len(dr.PrevKvs) != 2 ||
		dr.PrevKvs[0].Key != b64(p+"b") || dr.PrevKvs[1].Value != b64("v-c") || dr.PrevKvs[1].ModRevision >= rev+1 {
		t.Fatalf("del --prefix --prev-kv -w json: %+v", dr)
	}
	wantOut(t, "range delete", ctlOK(t, "get", p, "--prefix"), "")
	ctlFails(t, codes.InvalidArgument, "etcdserver: key is not provided", "del", "")
}

const txnPrompts = "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n"

func TestCtlTxnInteractive(t *testing.T) {
	p := pfx(t)
	k, r := p+"k", p+"r"
	ctlOK(t, "put", k, "v")

	run := func(name, stdin, want string) {
		t.Helper()
		out, errOut, rc := etcdctlIn(t, stdin, "txn", "-i")
		if rc != 0 || errOut != "" || out != txnPrompts+want {
			t.Fatalf("txn %s: exit %d\nstdout: %q\nwant:   %q\nstderr: %q", name, rc, out, txnPrompts+want, errOut)
		}
	}
	run("value/mod true",
		fmt.Sprintf("value(%q) = \"v\"\nmod(%q) > \"0\"\n\nput %s yes\nget %s\n\nput %s no\n\n", k, k, r, k, r),
		"SUCCESS\n\nOK\n\n"+k+"\nv\n")
	run("value false",
		fmt.Sprintf("value(%q) = \"w\"\n\nput %s yes\n\nput %s no\nget %s\ndel %s\n\n", k, r, r, r, k),
		"FAILURE\n\nOK\n\n"+r+"\nno\n\n1\n")
	run("create = 0 on missing key",
		fmt.Sprintf("create(%q) = \"0\"\nversion(%q) = \"2\"\n\nput %s again\nget %s --prefix\n\n\n", k, r, k, p),
		"SUCCESS\n\nOK\n\n"+k+"\nagain\n"+r+"\nno\n")
	run("version = 1",
		fmt.Sprintf("version(%q) = \"1\"\n\ndel %s --prefix\n\nget %s\n\n", k, p, k),
		"SUCCESS\n\n2\n")
	run("value of missing key is false",
		fmt.Sprintf("value(%q) = \"\"\n\nput %s a\n\nget %s\n\n", k, k, k),
		"FAILURE\n\n")
	run("no compares",
		fmt.Sprintf("\nput %s 1\nput %s 2\n\n\n", k, r),
		"SUCCESS\n\nOK\n\nOK\n")

	// JSON output: nested responses carry only the revision.
	cluster, member, term := ids(t)
	out, errOut, rc := etcdctlIn(t, fmt.Sprintf("mod(%q) > \"0\"\n\nput %s x\nget %s\n\n\n", k, k, k), "txn", "-i", "-w", "json")
	if rc != 0 || errOut != "" || !strings.HasPrefix(out, txnPrompts) {
		t.Fatalf("txn -w json: %d %q %q", rc, out, errOut)
	}
	var tr struct {
		Header    *ctlHeader `json:"header"`
		Succeeded bool       `json:"succeeded"`
		Responses []struct {
			Response struct {
				ResponsePut *struct {
					Header *ctlHeader `json:"header"`
				} `json:"ResponsePut"`
				ResponseRange *ctlRange `json:"ResponseRange"`
			} `json:"Response"`
		} `json:"responses"`
	}
	decodeJSON(t, "txn -w json", strings.TrimPrefix(out, txnPrompts), &tr)
	rev := tr.Header.Revision
	if !tr.Succeeded || tr.Header.ClusterID != cluster || tr.Header.MemberID != member || tr.Header.RaftTerm != term || len(tr.Responses) != 2 {
		t.Fatalf("txn -w json: %s", out)
	}
	put, get := tr.Responses[0].Response.ResponsePut, tr.Responses[1].Response.ResponseRange
	if put == nil || *put.Header != (ctlHeader{Revision: rev}) || get == nil || *get.Header != (ctlHeader{Revision: rev}) ||
		get.Count != 1 || get.Kvs[0].Value != b64("x") || get.Kvs[0].ModRevision != rev {
		t.Fatalf("txn -w json responses: %s", out)
	}

	// Errors from the server.
	ctlFailsIn(t, fmt.Sprintf("\nput %s 1\nput %s 2\n\n\n", k, k), codes.InvalidArgument,
		"etcdserver: duplicate key given in txn request", "txn", "-i")
	ctlFailsIn(t, fmt.Sprintf("\nput %s 1 --lease=1234\n\n\n", k), codes.NotFound,
		"etcdserver: requested lease not found", "txn", "-i")
}

func TestCtlCompaction(t *testing.T) {
	p := pfx(t)
	var pr struct {
		Header *ctlHeader `json:"header"`
	}
	decodeJSON(t, "put", ctlOK(t, "put", p+"k", "1", "-w", "json"), &pr)
	r1 := pr.Header.Revision
	decodeJSON(t, "put", ctlOK(t, "put", p+"k", "2", "-w", "json"), &pr)
	r2 := pr.Header.Revision
	decodeJSON(t, "put", ctlOK(t, "put", p+"k", "3", "-w", "json"), &pr)
	r3 := pr.Header.Revision

	wantOut(t, "compaction r2", ctlOK(t, "compaction", fmt.Sprint(r2)), fmt.Sprintf("compacted revision %d\n", r2))
	const compacted = "etcdserver: mvcc: required revision has been compacted"
	ctlFails(t, codes.OutOfRange, compacted, "compaction", fmt.Sprint(r2))
	ctlFails(t, codes.OutOfRange, compacted, "compaction", fmt.Sprint(r1), "--physical")
	ctlFails(t, codes.OutOfRange, compacted, "get", p+"k", fmt.Sprintf("--rev=%d", r1))
	wantOut(t, "get at compacted rev", ctlOK(t, "get", p+"k", fmt.Sprintf("--rev=%d", r2)), p+"k\n2\n")
	ctlFails(t, codes.OutOfRange, "etcdserver: mvcc: required revision is a future revision",
		"compaction", fmt.Sprint(r3+1000))

	wantOut(t, "compaction --physical r3", ctlOK(t, "compaction", fmt.Sprint(r3), "--physical"), fmt.Sprintf("compacted revision %d\n", r3))
	ctlFails(t, codes.OutOfRange, compacted, "get", p+"k", fmt.Sprintf("--rev=%d", r2))
	ctlFails(t, codes.OutOfRange, compacted, "compaction", "0")
	wantOut(t, "latest after compaction", ctlOK(t, "get", p+"k", "--print-value-only"), "3\n")
}

func TestCtlErrors(t *testing.T) {
	ctlFails(t, codes.InvalidArgument, "etcdserver: key is not provided", "get", "")
	ctlFails(t, codes.InvalidArgument, "etcdserver: key is not provided", "get", "", "--rev=1")
	ctlFails(t, codes.InvalidArgument, "etcdserver: key is not provided", "put", "", "--ignore-value")
}
