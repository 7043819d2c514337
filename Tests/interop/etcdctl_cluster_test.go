package interop

// Stock etcdctl 3.4: endpoint status / health, member list.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// parseTable splits etcdctl's -w table output into header cells and rows.
func parseTable(t *testing.T, out string) (header []string, rows [][]string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	border := regexp.MustCompile(`^\+(-+\+)+$`)
	if len(lines) < 4 || !border.MatchString(lines[0]) || !border.MatchString(lines[2]) || !border.MatchString(lines[len(lines)-1]) {
		t.Fatalf("not an etcdctl table:\n%s", out)
	}
	cells := func(l string) []string {
		if !strings.HasPrefix(l, "|") || !strings.HasSuffix(l, "|") {
			t.Fatalf("bad table row %q in:\n%s", l, out)
		}
		parts := strings.Split(l[1:len(l)-1], "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	}
	// Every line has the same width (in characters: "µs" may appear) and
	// the column separators line up with the borders.
	top := []rune(lines[0])
	for _, l := range lines {
		r := []rune(l)
		if len(r) != len(top) {
			t.Fatalf("ragged table:\n%s", out)
		}
		for i, c := range top {
			if c == '+' && r[i] != '+' && r[i] != '|' {
				t.Fatalf("misaligned table:\n%s", out)
			}
		}
	}
	header = cells(lines[1])
	for _, l := range lines[3 : len(lines)-1] {
		rows = append(rows, cells(l))
	}
	return header, rows
}

func TestCtlEndpointStatus(t *testing.T) {
	s, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%x", s.Header.MemberId)

	out := ctlOK(t, "endpoint", "status", "-w", "table")
	header, rows := parseTable(t, out)
	want := []string{"ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"}
	if !eqStrings(header, want) || len(rows) != 1 {
		t.Fatalf("endpoint status table:\n%s", out)
	}
	row := rows[0]
	if row[0] != clientURL || row[1] != id || row[2] != s.Version || row[4] != "true" || row[5] != "false" ||
		row[6] != fmt.Sprint(s.RaftTerm) || row[9] != "" {
		t.Fatalf("endpoint status row %q (member %s, version %s, term %d)", row, id, s.Version, s.RaftTerm)
	}
	mustMatch(t, "db size", `^[0-9.]+ [kMG]?B$`, row[3])
	mustMatch(t, "raft index", `^[1-9][0-9]*$`, row[7])
	mustMatch(t, "raft applied index", `^[1-9][0-9]*$`, row[8])

	// Simple output: one comma-separated line with the same columns.
	out = ctlOK(t, "endpoint", "status")
	mustMatch(t, "endpoint status", fmt.Sprintf(`^%s, %s, %s, [0-9.]+ [kMG]?B, true, false, %d, [1-9][0-9]*, [1-9][0-9]*, \n$`,
		regexp.QuoteMeta(clientURL), id, regexp.QuoteMeta(s.Version), s.RaftTerm), out)

	// JSON: Status message with protobuf field names, numbers as numbers.
	out = ctlOK(t, "endpoint", "status", "-w", "json")
	var st []struct {
		Endpoint string
		Status   struct {
			Header           *ctlHeader `json:"header"`
			Version          string     `json:"version"`
			DbSize           int64      `json:"dbSize"`
			Leader           uint64     `json:"leader"`
			RaftIndex        uint64     `json:"raftIndex"`
			RaftTerm         uint64     `json:"raftTerm"`
			RaftAppliedIndex uint64     `json:"raftAppliedIndex"`
			DbSizeInUse      int64      `json:"dbSizeInUse"`
			IsLearner        bool       `json:"isLearner"`
			Errors           []string   `json:"errors"`
		}
	}
	decodeJSON(t, "endpoint status -w json", out, &st)
	if len(st) != 1 {
		t.Fatalf("endpoint status -w json: %d entries: %s", len(st), out)
	}
	e := st[0]
	if e.Endpoint != clientURL || e.Status.Version == "" || e.Status.Version != s.Version ||
		e.Status.Header == nil || e.Status.Leader != e.Status.Header.MemberID || e.Status.Header.MemberID != s.Header.MemberId ||
		e.Status.Header.ClusterID != s.Header.ClusterId || e.Status.RaftIndex == 0 || e.Status.RaftAppliedIndex == 0 ||
		e.Status.RaftTerm != s.RaftTerm || e.Status.DbSize <= 0 || e.Status.IsLearner || len(e.Status.Errors) != 0 {
		t.Fatalf("endpoint status -w json: %s", out)
	}
	if !strings.Contains(out, `"version":"`+s.Version+`"`) || !strings.HasPrefix(out, `[{"Endpoint":"`+clientURL+`","Status":{"header":{`) {
		t.Fatalf("endpoint status -w json layout: %s", out)
	}
}

func TestCtlEndpointHealth(t *testing.T) {
	// etcdctl 3.4 prints the healthy line on stderr, nothing on stdout.
	out, errOut, rc := etcdctl(t, "endpoint", "health")
	if rc != 0 || out != "" {
		t.Fatalf("endpoint health: exit %d stdout %q stderr %q", rc, out, errOut)
	}
	mustMatch(t, "endpoint health", `^`+regexp.QuoteMeta(clientURL)+` is healthy: successfully committed proposal: took = [0-9.]+(ns|µs|ms|s)\n$`, errOut)

	out = ctlOK(t, "endpoint", "health", "-w", "json")
	var h []map[string]interface{}
	if err := json.Unmarshal([]byte(out), &h); err != nil || len(h) != 1 {
		t.Fatalf("endpoint health -w json: %q %v", out, err)
	}
	if h[0]["endpoint"] != clientURL || h[0]["health"] != true || len(h[0]) != 3 {
		t.Fatalf("endpoint health -w json: %s", out)
	}
	mustMatch(t, "took", `^[0-9.]+(ns|µs|ms|s)$`, fmt.Sprint(h[0]["took"]))

	out = ctlOK(t, "endpoint", "health", "-w", "table")
	header, rows := parseTable(t, out)
	if !eqStrings(header, []string{"ENDPOINT", "HEALTH", "TOOK", "ERROR"}) || len(rows) != 1 ||
		rows[0][0] != clientURL || rows[0][1] != "true" || rows[0][3] != "" {
		t.Fatalf("endpoint health -w table:\n%s", out)
	}
}

func TestCtlMemberList(t *testing.T) {
	s, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%x", s.Header.MemberId)
	wantOut(t, "member list", ctlOK(t, "member", "list"),
		fmt.Sprintf("%s, started, n1, %s, %s, false\n", id, peerURL, clientURL))

	header, rows := parseTable(t, ctlOK(t, "member", "list", "-w", "table"))
	if !eqStrings(header, []string{"ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"}) || len(rows) != 1 ||
		!eqStrings(rows[0], []string{id, "started", "n1", peerURL, clientURL, "false"}) {
		t.Fatalf("member list -w table: %q %q", header, rows)
	}

	// JSON: header without a revision, one member.
	ml, err := cli.MemberList(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantOut(t, "member list -w json", ctlOK(t, "member", "list", "-w", "json"), fmt.Sprintf(
		`{"header":{"cluster_id":%d,"member_id":%d,"raft_term":%d},"members":[{"ID":%d,"name":"n1","peerURLs":["%s"],"clientURLs":["%s"]}]}`+"\n",
		s.Header.ClusterId, s.Header.MemberId, ml.Header.RaftTerm, s.Header.MemberId, peerURL, clientURL))
}
