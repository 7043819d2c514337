package interop

// Maintenance: Snapshot (etcdctl snapshot save, the stream's shape, writes while it streams),
// Hash, HashKV and Defragment, against the suite's single member.
//
// `snapshot status` reads a saved file offline: etcdctl's for etcd's bolt files, swift-etcd's
// own subcommand for swift-etcd's (docs/operations.md, "Backup and restore").

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"go.etcd.io/etcd/mvcc/mvccpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"swiftetcd/testserver"
)

// maintSnapshotStatus is `snapshot status -w json` of a saved file.
type maintSnapshotStatus struct {
	Hash      uint32 `json:"hash"`
	Revision  int64  `json:"revision"`
	TotalKey  int    `json:"totalKey"`
	TotalSize int64  `json:"totalSize"`
}

// maintStatusCommand is the offline status command for the target's files.
func maintStatusCommand(file string, format string) []string {
	if target == "swift-etcd" {
		return []string{os.Getenv("SWIFT_ETCD_BIN"), "snapshot", "status", file, "-w", format}
	}
	return []string{etcdctlPath, "snapshot", "status", file, "-w", format}
}

func maintRun(t *testing.T, argv []string) string {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(c, argv[0], argv[1:]...)
	cmd.Env = append(testserver.CleanEnv(os.Environ(), "ETCDCTL_"), "ETCDCTL_API=3")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%q: %v\nstdout:\n%s\nstderr:\n%s", argv, err, o.String(), e.String())
	}
	return o.String()
}

func maintStatusOf(t *testing.T, file string) maintSnapshotStatus {
	t.Helper()
	var s maintSnapshotStatus
	out := maintRun(t, maintStatusCommand(file, "json"))
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("snapshot status -w json: %v in %q", err, out)
	}
	return s
}

// maintSave runs `etcdctl snapshot save` into a new file and returns its path.
func maintSave(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(dir, "backup.db")
	out, errOut, rc := etcdctl(t, "snapshot", "save", file)
	if rc != 0 || out != "Snapshot saved at "+file+"\n" {
		t.Fatalf("snapshot save: exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, errOut)
	}
	return file
}

func TestMaintenanceSnapshotSaveAndStatus(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	for i := 0; i < 20; i++ {
		mustPut(t, fmt.Sprintf("%sk%02d", p, i), strings.Repeat("v", 100*i))
	}
	rev := mustPut(t, p+"k00", "last").Header.Revision

	file := maintSave(t, t.TempDir())
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	// The stream ends with a sha256 that etcdctl finds by the size (mod 512 = 32).
	if info.Size()%512 != sha256.Size {
		t.Fatalf("saved %d bytes: not a multiple of 512 plus the sha256", info.Size())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		t.Fatalf("the trailer is not the sha256 of the rest")
	}

	s := maintStatusOf(t, file)
	if s.Revision != rev || s.TotalKey < 21 || s.TotalSize != int64(len(body)) || s.Hash == 0 {
		t.Fatalf("status %+v, want revision %d, at least 21 keys, size %d, a hash", s, rev, len(body))
	}
	simple := maintRun(t, maintStatusCommand(file, "simple"))
	want := regexp.MustCompile(fmt.Sprintf(`^%x, %d, %d, [0-9.]+ [kMG]?B\n$`, s.Hash, s.Revision, s.TotalKey))
	if !want.MatchString(simple) {
		t.Fatalf("snapshot status (simple): %q, want %s", simple, want)
	}
	header, rows := parseTable(t, maintRun(t, maintStatusCommand(file, "table")))
	if strings.Join(header, ",") != "HASH,REVISION,TOTAL KEYS,TOTAL SIZE" || len(rows) != 1 ||
		rows[0][0] != fmt.Sprintf("%x", s.Hash) || rows[0][1] != fmt.Sprint(s.Revision) {
		t.Fatalf("snapshot status -w table: %q %q", header, rows)
	}
}

// The stream as etcd sends it: 32 KiB blobs with the bytes still to come, then the sha256.
func TestMaintenanceSnapshotStream(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	for i := 0; i < 4; i++ {
		mustPut(t, fmt.Sprintf("%sbig%d", p, i), strings.Repeat(string(rune('a'+i)), 40*1024))
	}
	stream, err := pb.NewMaintenanceClient(rawConn).Snapshot(ctx(t), &pb.SnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var responses []*pb.SnapshotResponse
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		responses = append(responses, r)
	}
	if len(responses) < 6 {
		t.Fatalf("%d responses for more than 160 KiB of values", len(responses))
	}
	blobs, last := responses[:len(responses)-1], responses[len(responses)-1]
	total := 0
	for _, r := range blobs {
		total += len(r.Blob)
	}
	h := sha256.New()
	sent := 0
	for i, r := range blobs {
		if r.Header != nil {
			t.Fatalf("response %d has a header %+v; etcd 3.4 sends none", i, r.Header)
		}
		if len(r.Blob) != 32*1024 && i != len(blobs)-1 || len(r.Blob) == 0 || len(r.Blob) > 32*1024 {
			t.Fatalf("response %d: %d bytes, want 32 KiB chunks (the last one shorter)", i, len(r.Blob))
		}
		sent += len(r.Blob)
		if r.RemainingBytes != uint64(total-sent) {
			t.Fatalf("response %d: remaining_bytes %d, want %d", i, r.RemainingBytes, total-sent)
		}
		h.Write(r.Blob)
	}
	if last.RemainingBytes != 0 || !bytes.Equal(last.Blob, h.Sum(nil)) || last.Header != nil {
		t.Fatalf("last response: remaining %d, blob %x, header %v; want 0, the sha256 %x, none",
			last.RemainingBytes, last.Blob, last.Header, h.Sum(nil))
	}
}

// A client that stops reading a snapshot holds up no write, and the snapshot it then reads is
// of the moment it asked.
func TestMaintenanceSnapshotDoesNotHoldUpWrites(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	value := strings.Repeat("x", 64*1024)
	for i := 0; i < 64; i++ {
		mustPut(t, fmt.Sprintf("%s%02d", p, i), value)
	}
	before := currentRev(t)

	// Small fixed windows: the server can send little before this client reads.
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(c, clientAddr, grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithInitialWindowSize(64*1024), grpc.WithInitialConnWindowSize(64*1024))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := pb.NewMaintenanceClient(conn).Snapshot(c, &pb.SnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if first.RemainingBytes < 2*1024*1024 {
		t.Fatalf("remaining_bytes %d after the first chunk of a snapshot of 4 MiB of values", first.RemainingBytes)
	}
	for i := 0; i < 20; i++ {
		pc, pcancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := cli.Put(pc, fmt.Sprintf("%sduring/%02d", p, i), "v")
		pcancel()
		if err != nil {
			t.Fatalf("put %d while a snapshot stream waits for its client: %v", i, err)
		}
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "streamed.db")
	out := append([]byte(nil), first.Blob...)
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Blob...)
	}
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if s := maintStatusOf(t, file); s.Revision != before {
		t.Fatalf("the snapshot has revision %d, want %d (when it was asked for)", s.Revision, before)
	}
}

// maintKVs describes key-values with every field, for comparing.
func maintKVs(kvs []*mvccpb.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = fmt.Sprintf("%q=%q@c%d/m%d/v%d/l%x", kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease)
	}
	return out
}

func maintHashKV(t *testing.T, rev int64) (*pb.HashKVResponse, error) {
	t.Helper()
	return pb.NewMaintenanceClient(rawConn).HashKV(ctx(t), &pb.HashKVRequest{Revision: rev})
}

func maintMustHashKV(t *testing.T, rev int64) *pb.HashKVResponse {
	t.Helper()
	r, err := maintHashKV(t, rev)
	if err != nil {
		t.Fatalf("HashKV(%d): %v", rev, err)
	}
	return r
}

func maintExpectStatus(t *testing.T, err error, code codes.Code, desc string) {
	t.Helper()
	if s, ok := status.FromError(err); !ok || s.Code() != code || s.Message() != desc {
		t.Fatalf("got %v, want %s %q", err, code, desc)
	}
}

func TestMaintenanceHashKV(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	r1 := mustPut(t, p+"a", "1").Header.Revision

	h1 := maintMustHashKV(t, 0)
	again := maintMustHashKV(t, 0)
	if h1.Header.Revision != r1 || again.Header.Revision != r1 || h1.Hash != again.Hash {
		t.Fatalf("two HashKVs at revision %d: %+v and %+v", r1, h1, again)
	}
	if at := maintMustHashKV(t, r1); at.Hash != h1.Hash {
		t.Fatalf("HashKV(%d) = %d, HashKV(0) at that revision = %d", r1, at.Hash, h1.Hash)
	}
	if h1.Header.MemberId == 0 || h1.Header.ClusterId == 0 || h1.Header.RaftTerm == 0 {
		t.Fatalf("header %+v", h1.Header)
	}
	out := ctlOK(t, "endpoint", "hashkv")
	if out != fmt.Sprintf("%s, %d\n", clientURL, h1.Hash) {
		t.Fatalf("etcdctl endpoint hashkv: %q, want hash %d", out, h1.Hash)
	}

	r2 := mustPut(t, p+"a", "2").Header.Revision
	h2 := maintMustHashKV(t, 0)
	if h2.Hash == h1.Hash || h2.Header.Revision != r2 {
		t.Fatalf("after a write: %+v (before: %+v)", h2, h1)
	}
	// The hash up to a revision ignores later writes.
	if at := maintMustHashKV(t, r1); at.Hash != h1.Hash || at.Header.Revision != r2 {
		t.Fatalf("HashKV(%d) after a later write: %+v, want hash %d and the current revision %d", r1, at, h1.Hash, r2)
	}

	_, err := maintHashKV(t, r2+1000)
	maintExpectStatus(t, err, codes.OutOfRange, "etcdserver: mvcc: required revision is a future revision")

	if _, err := cli.Compact(ctx(t), r2, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	for _, rev := range []int64{r1, r2} {
		_, err := maintHashKV(t, rev)
		maintExpectStatus(t, err, codes.OutOfRange, "etcdserver: mvcc: required revision has been compacted")
	}
	if h := maintMustHashKV(t, 0); h.CompactRevision != r2 || h.Header.Revision != r2 {
		t.Fatalf("after compacting at %d: %+v, want compact_revision and header revision %d", r2, h, r2)
	}
}

func TestMaintenanceHash(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	rev := mustPut(t, p+"a", "1").Header.Revision
	m := pb.NewMaintenanceClient(rawConn)
	h1, err := m.Hash(ctx(t), &pb.HashRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if h1.Header == nil || h1.Header.Revision != rev || h1.Header.MemberId == 0 || h1.Hash == 0 {
		t.Fatalf("Hash: %+v, want the header of revision %d and a hash", h1, rev)
	}
	mustPut(t, p+"a", "2")
	h2, err := m.Hash(ctx(t), &pb.HashRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if h2.Hash == h1.Hash || h2.Header.Revision != rev+1 {
		t.Fatalf("Hash after a write: %+v (before: %+v)", h2, h1)
	}
}

func TestMaintenanceDefrag(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	for i := 0; i < 50; i++ {
		mustPut(t, fmt.Sprintf("%s%02d", p, i), strings.Repeat("d", i*10))
	}
	rev := mustPut(t, p+"00", "again").Header.Revision
	if _, err := cli.Compact(ctx(t), rev); err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, p, clientv3.WithPrefix())

	if out := ctlOK(t, "defrag"); out != "Finished defragmenting etcd member["+clientURL+"]\n" {
		t.Fatalf("etcdctl defrag: %q", out)
	}
	if out := ctlOK(t, "defrag", "--cluster"); out != "Finished defragmenting etcd member["+clientURL+"]\n" {
		t.Fatalf("etcdctl defrag --cluster: %q", out)
	}
	after := mustGet(t, p, clientv3.WithPrefix())
	if after.Header.Revision != rev || len(after.Kvs) != 50 || strings.Join(maintKVs(after.Kvs), " ") != strings.Join(maintKVs(before.Kvs), " ") {
		t.Fatalf("after defrag: revision %d, %d keys, want %d and the same %d keys", after.Header.Revision, len(after.Kvs), rev, len(before.Kvs))
	}
	s, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	if s.DbSize <= 0 || s.DbSizeInUse <= 0 || s.DbSizeInUse > s.DbSize {
		t.Fatalf("status after defrag: dbSize %d, dbSizeInUse %d", s.DbSize, s.DbSizeInUse)
	}
	// The defragmented member still takes writes.
	mustPut(t, p+"new", "v")
}
