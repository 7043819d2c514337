package main

// Unit tests of the parts of the benchmark that decide what the table says: percentiles and
// error accounting, error classification, ratios against the targets, and the replacement of
// the generated section of docs/performance.md. Run with `scripts/bench.sh test`.

import (
	"context"
	"errors"
	"fmt"
	"io/ioutil"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestFinishCountsEveryRequest(t *testing.T) {
	r := &result{Total: 1000}
	tl := newTally()
	for i := 1; i <= 900; i++ {
		tl.ok(time.Duration(i) * time.Millisecond)
	}
	tl.failN(status.Error(codes.Unimplemented, "nope"), 60)
	// 40 requests neither answered nor failed: finish must count them, not drop them.
	r.finish(tl, 2*time.Second)
	if r.OK != 900 || r.Errors != 100 {
		t.Fatalf("ok %d errors %d, want 900 and 100", r.OK, r.Errors)
	}
	if r.QPS != 450 {
		t.Fatalf("qps %v, want 450 (successful requests per second)", r.QPS)
	}
	if r.P50 != 450 || r.P90 != 810 || r.P99 != 891 || r.Max != 900 {
		t.Fatalf("percentiles p50 %v p90 %v p99 %v max %v", r.P50, r.P90, r.P99, r.Max)
	}
	sum := 0
	for _, k := range r.ErrorKinds {
		sum += k.Count
	}
	if sum != 100 || r.ErrorKinds[0].Code != "Unimplemented" || r.ErrorKinds[0].Count != 60 {
		t.Fatalf("error kinds %+v", r.ErrorKinds)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		err        error
		code, text string
	}{
		{status.Error(codes.Unimplemented, "swift-etcd: Watch.Watch is not implemented yet"), "Unimplemented", "swift-etcd: Watch.Watch is not implemented yet"},
		{&stageError{"lease grant", status.Error(codes.Unimplemented, "x")}, "Unimplemented", "lease grant: x"},
		{context.DeadlineExceeded, "DeadlineExceeded", "context deadline exceeded"},
		{fmt.Errorf("event lost: %w", context.DeadlineExceeded), "DeadlineExceeded", "event lost: context deadline exceeded"},
		{limitError, "NotIssued", limitError.Error()},
		{errors.New("boom"), "Error", "boom"},
	}
	for _, c := range cases {
		k := classify(c.err)
		if k.code != c.code || k.msg != c.text {
			t.Errorf("classify(%v) = %q %q, want %q %q", c.err, k.code, k.msg, c.code, c.text)
		}
	}
}

func TestEncodeKeyIsEtcdBenchmarkKey(t *testing.T) {
	k := encodeKey(300, 8)
	if len(k) != 8 || k[:2] != "\xd8\x04" || strings.Trim(k[2:], "\x00") != "" {
		t.Fatalf("encodeKey(300, 8) = %q", k)
	}
	if varintLen(999999) > 8 {
		t.Fatal("8-byte keys must hold a million distinct keys")
	}
}

func TestTargets(t *testing.T) {
	cpu, qps, p99, rss := targets[0], targets[1], targets[2], targets[3]
	if !cpu.met(0.33) || cpu.met(0.34) || !qps.met(1.5) || qps.met(1.49) || !p99.met(1) || p99.met(1.01) || !rss.met(0.2) {
		t.Fatal("target thresholds wrong")
	}
	if !math.IsNaN(ratio(1, 0, true)) || !math.IsNaN(ratio(1, 2, false)) || ratio(1, 2, true) != 0.5 {
		t.Fatal("ratio")
	}
}

func TestUpdateDocKeepsHandWrittenText(t *testing.T) {
	dir, err := ioutil.TempDir("", "bench-doc-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "performance.md")
	doc := "# Perf\nintro\n<!-- bench-quick:begin (generated) -->\nold quick\n<!-- bench-quick:end -->\nmiddle\n" +
		"<!-- bench-full:begin (generated) -->\nold full\n<!-- bench-full:end -->\nend\n"
	ioutil.WriteFile(p, []byte(doc), 0o644)
	if err := updateDoc(p, "quick", "NEW QUICK"); err != nil {
		t.Fatal(err)
	}
	got, _ := ioutil.ReadFile(p)
	s := string(got)
	for _, want := range []string{"# Perf\nintro\n", "NEW QUICK", "\nmiddle\n", "old full", "\nend\n"} {
		if !strings.Contains(s, want) {
			t.Fatalf("missing %q in:\n%s", want, s)
		}
	}
	if strings.Contains(s, "old quick") || strings.Count(s, "bench-quick:begin") != 1 {
		t.Fatalf("quick section not replaced exactly once:\n%s", s)
	}
	// Without markers the section is appended.
	p2 := filepath.Join(dir, "new.md")
	if err := updateDoc(p2, "full", "FULL"); err != nil {
		t.Fatal(err)
	}
	got, _ = ioutil.ReadFile(p2)
	if !strings.Contains(string(got), "FULL") || !strings.Contains(string(got), "<!-- bench-full:end -->") {
		t.Fatalf("append: %s", got)
	}
}

func TestPerfSummaryParsesPerfScript(t *testing.T) {
	in := "NIO-ELT-2-#1 123 1.0: 1 cpu-clock:\n" +
		"\t 1 _int_malloc+0x10 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n" +
		"\t 2 $s10EtcdServer13ServiceRouterC6handleyy+0x1 (/x/swift-etcd)\n\n" +
		"NIO-ELT-2-#1 123 1.1: 1 cpu-clock:\n" +
		"\t 3 $s4MVCC9MVCCStoreC8applyPut+0x2 (/x/swift-etcd)\n" +
		"\t 4 $s10EtcdServer9ApplyLoopC5drain+0x3 (/x/swift-etcd)\n\n"
	f, _ := ioutil.TempFile("", "perf-script-")
	defer os.Remove(f.Name())
	f.WriteString(in)
	f.Close()
	old := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	rc := perfSummaryMain([]string{f.Name()})
	w.Close()
	os.Stdout = old
	out, _ := ioutil.ReadAll(r)
	s := string(out)
	if rc != 0 || !strings.Contains(s, "2 samples") ||
		!strings.Contains(s, "| malloc / free | 50.0 % |") ||
		!strings.Contains(s, "| MVCC (store, key index) | 50.0 % |") ||
		!strings.Contains(s, "| decode request, route, hand to apply loop | 50.0 % |") ||
		!strings.Contains(s, "| apply loop (MVCC write, watch/lease bookkeeping) | 50.0 % |") {
		t.Fatalf("perf-summary output:\n%s", s)
	}
}

func TestKeyPrefixKeepsKeySize(t *testing.T) {
	cfg := &loadConfig{op: "txn-put", endpoints: []string{"x"}, conns: 1, clients: 1, total: 1, keySize: 32,
		keySpace: 1000000, keyPrefix: restartPrefix, consistency: "l", mode: "stream", txnOps: 100,
		timeout: time.Second, opTimeout: time.Second}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, i := range []int{0, 1, 999999} {
		k := cfg.key(i)
		if len(k) != 32 || !strings.HasPrefix(k, restartPrefix) || seen[k] {
			t.Fatalf("key(%d) = %q", i, k)
		}
		seen[k] = true
	}
	cfg.keySize = len(restartPrefix) + 2
	if cfg.validate() == nil {
		t.Fatal("a prefix that leaves no room for the index must be refused")
	}
}

func TestRestartRowWritesEachKeyOnce(t *testing.T) {
	r := restartRow(1000000)
	if r.total*restartTxnOps != 1000000 || !r.restart || !r.singleOnly || r.runsOn(3) || !r.runsOn(1) {
		t.Fatalf("restart row %+v", r)
	}
	if !strings.Contains(r.label, "1,000,000 keys") || commas(1234567) != "1,234,567" || commas(999) != "999" {
		t.Fatalf("label %q", r.label)
	}
	// Quick mode leaves the restart row out unless it is named.
	for _, row := range matrixRows {
		if row.restart && row.quickTotal != 0 {
			t.Fatal("the restart row must not be in bench-quick")
		}
	}
}

func TestTerminatedBySIGTERM(t *testing.T) {
	cmd := exec.Command("sh", "-c", "kill -TERM $$")
	err := cmd.Run()
	if !terminatedBySIGTERM(err) {
		t.Fatalf("%v: want terminated by SIGTERM", err)
	}
	if terminatedBySIGTERM(exec.Command("sh", "-c", "exit 1").Run()) {
		t.Fatal("exit 1 is not a SIGTERM")
	}
}

func TestRenderExtrasAndSingleServer(t *testing.T) {
	row := restartRow(1000)
	info := &runInfo{Mode: "full", Servers: []serverInfo{{Name: "etcd"}}}
	info.Results = []*measurement{{Row: row.id, Label: row.label, Nodes: 1, Server: "etcd",
		Result: &result{Op: "txn-put", Total: 10, OK: 10, QPS: 5},
		Extra:  []figure{{Name: "restart: start → linearizable Get answered", Value: 1.5, Unit: "s", Lower: true}}}}
	md := renderMarkdown(info, []rowSpec{row}, []int{1})
	for _, want := range []string{"Only etcd ran", "#### Other figures", "| 1.50 s | – |"} {
		if !strings.Contains(md, want) {
			t.Fatalf("missing %q in:\n%s", want, md)
		}
	}
	if fmtFigure(figure{Value: 2376.4, Unit: "B"}) != "2376 B" || fmtFigure(figure{Value: 100}) != "100" ||
		fmtFigure(figure{Value: 3, Unit: "MiB", Text: "1.0 → 3.0"}) != "1.0 → 3.0 MiB" {
		t.Fatal("fmtFigure")
	}
}
