package interop

// Maintenance checks that need members of their own, besides the suite's:
//
//	TestMaintenanceHashKVAcrossMembers   a 3-member cluster of the target: `endpoint hashkv
//	                                     --cluster` equal on every member, `defrag --cluster`
//	TestMaintenanceRestoreServesTheSameData   (swift-etcd) `etcdctl snapshot save`, then
//	                                     `swift-etcd snapshot restore` into a new data dir: the
//	                                     member started on it serves the same keys, revisions,
//	                                     history and leases, also after a defrag and a restart
//	TestMaintenanceRestoreRefusesADamagedFile (swift-etcd)

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"swiftetcd/testserver"
)

// maintMember is a server process a test starts and stops itself.
type maintMember struct {
	name, clientURL, peerURL, dataDir string
	cmd                               *exec.Cmd
	log                               *os.File
	exited                            chan struct{}
	cli                               *clientv3.Client
}

// maintNewMember picks free ports for a member called name with its data in dir.
func maintNewMember(t *testing.T, name, dir string) *maintMember {
	t.Helper()
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	return &maintMember{name: name, dataDir: filepath.Join(dir, name+".etcd"),
		clientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), peerURL: fmt.Sprintf("http://127.0.0.1:%d", ports[1])}
}

// start runs the member (killed when the test ends) and waits until it serves reads.
func (m *maintMember) start(t *testing.T, initialCluster, token string) {
	t.Helper()
	var err error
	if m.log, err = os.OpenFile(m.dataDir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(testserver.MemberFlags(m.name, m.dataDir, m.clientURL, m.peerURL, initialCluster),
		"--initial-cluster-token", token, "--initial-cluster-state", "new")
	m.cmd = testserver.Command(serverBin, args, m.log)
	if err := testserver.Start(m.cmd); err != nil {
		t.Fatal(err)
	}
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(m.cmd, m.exited)
	t.Cleanup(func() { m.stop(t) })
	if m.cli, err = testserver.NewClient([]string{m.clientURL}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// waitReady waits until a linearizable read succeeds.
func (m *maintMember) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := m.cli.Get(c, "ready-probe")
		cancel()
		if err == nil {
			return
		}
		select {
		case <-m.exited:
			t.Fatalf("%s exited before serving:\n%s", m.name, m.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30 s: %v\n%s", m.name, err, m.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the member with SIGTERM (SIGKILL after 10 s); stopping twice is fine.
func (m *maintMember) stop(t *testing.T) {
	if m.cmd == nil {
		return
	}
	if m.cli != nil {
		m.cli.Close()
		m.cli = nil
	}
	if testserver.Stop(m.cmd.Process, m.exited, 10*time.Second) {
		t.Errorf("%s did not stop within 10 s of SIGTERM", m.name)
	}
	m.cmd = nil
	m.log.Close()
}

func (m *maintMember) logTail() string {
	lines, _ := testserver.TailLines(m.dataDir+".log", 30)
	return strings.Join(lines, "\n")
}

// maintCtlAt runs etcdctl against endpoint; it must succeed.
func maintCtlAt(t *testing.T, endpoint string, args ...string) string {
	t.Helper()
	return maintRun(t, append([]string{etcdctlPath, "--endpoints", endpoint}, args...))
}

func TestMaintenanceHashKVAcrossMembers(t *testing.T) {
	dir := t.TempDir()
	var members []*maintMember
	var cluster []string
	for _, name := range []string{"m1", "m2", "m3"} {
		m := maintNewMember(t, name, dir)
		members = append(members, m)
		cluster = append(cluster, m.name+"="+m.peerURL)
	}
	for _, m := range members {
		m.start(t, strings.Join(cluster, ","), "hashkv-"+target)
	}
	for _, m := range members {
		m.waitReady(t)
	}
	lease, err := members[0].cli.Grant(ctx(t), 600)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if _, err := members[i%3].cli.Put(ctx(t), fmt.Sprintf("k%02d", i%7), fmt.Sprint(i), clientv3.WithLease(lease.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := members[1].cli.Delete(ctx(t), "k03"); err != nil {
		t.Fatal(err)
	}

	type hashKV struct {
		Endpoint string
		HashKV   struct {
			Header struct{ Revision int64 }
			Hash   uint32
		}
	}
	// Every member answers once it has applied everything: the same hash at the same revision.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []hashKV
		out := maintCtlAt(t, members[0].clientURL, "endpoint", "hashkv", "--cluster", "-w", "json")
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("endpoint hashkv -w json: %v in %q", err, out)
		}
		same := len(got) == 3
		for _, g := range got {
			same = same && g.HashKV.Hash == got[0].HashKV.Hash && g.HashKV.Header.Revision == got[0].HashKV.Header.Revision
		}
		if same {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoint hashkv --cluster never agreed: %s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}

	out := maintCtlAt(t, members[0].clientURL, "defrag", "--cluster")
	for _, m := range members {
		if !strings.Contains(out, "Finished defragmenting etcd member["+m.clientURL+"]\n") {
			t.Fatalf("defrag --cluster: %q does not name %s", out, m.clientURL)
		}
	}
	if _, err := members[2].cli.Put(ctx(t), "after-defrag", "v"); err != nil {
		t.Fatal(err)
	}
}

// maintEverything is every key-value of the member at rev, with the header revision.
func maintEverything(t *testing.T, c *clientv3.Client, rev int64) (int64, []string) {
	t.Helper()
	r, err := c.Get(ctx(t), "\x00", clientv3.WithFromKey(), clientv3.WithRev(rev))
	if err != nil {
		t.Fatalf("get everything at %d: %v", rev, err)
	}
	return r.Header.Revision, maintKVs(r.Kvs)
}

// maintLeases describes the leases ids: granted TTL and attached keys (a missing one: TTL 0, no keys).
func maintLeases(t *testing.T, c *clientv3.Client, ids ...clientv3.LeaseID) []string {
	t.Helper()
	var out []string
	for _, id := range ids {
		ttl, err := c.TimeToLive(ctx(t), id, clientv3.WithAttachedKeys())
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, k := range ttl.Keys {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		out = append(out, fmt.Sprintf("%x/%ds/%q", id, ttl.GrantedTTL, keys))
	}
	return out
}

func maintRestore(t *testing.T, file string, m *maintMember, token string) (stdout, stderr string, err error) {
	cmd := exec.Command(os.Getenv("SWIFT_ETCD_BIN"), "snapshot", "restore", file, "--data-dir", m.dataDir, "--name", m.name,
		"--initial-cluster", m.name+"="+m.peerURL, "--initial-cluster-token", token, "--initial-advertise-peer-urls", m.peerURL)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestMaintenanceRestoreServesTheSameData(t *testing.T) {
	if target != "swift-etcd" {
		t.Skip("restoring a swift-etcd backup file; etcd restores its own with etcdctl snapshot restore")
	}
	p := pfx(t)
	cleanupPrefix(t, p)
	// A history with every kind of write, leases with and without keys, and a compaction.
	withKeys, err := cli.Grant(ctx(t), 900)
	if err != nil {
		t.Fatal(err)
	}
	withoutKeys, err := cli.Grant(ctx(t), 1200)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cli.Revoke(context.Background(), withKeys.ID)
		cli.Revoke(context.Background(), withoutKeys.ID)
	})
	first := mustPut(t, p+"a", "1").Header.Revision
	mustPut(t, p+"b", "1", clientv3.WithLease(withKeys.ID))
	mustPut(t, p+"a", "2")
	if _, err := cli.Delete(ctx(t), p+"b"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx(t), first+1); err != nil {
		t.Fatal(err)
	}
	mustPut(t, p+"b", "again", clientv3.WithLease(withKeys.ID))
	if _, err := cli.Txn(ctx(t)).Then(clientv3.OpPut(p+"c", "t"), clientv3.OpPut(p+"d", "t", clientv3.WithLease(withKeys.ID))).Commit(); err != nil {
		t.Fatal(err)
	}
	middle := mustPut(t, p+"a", "3").Header.Revision
	mustPut(t, p+"e", strings.Repeat("e", 100000))

	dir := t.TempDir()
	file := maintSave(t, dir)
	saved := maintStatusOf(t, file)
	rev, kvs := maintEverything(t, cli, saved.Revision)
	_, kvsAtMiddle := maintEverything(t, cli, middle)
	leases := maintLeases(t, cli, withKeys.ID, withoutKeys.ID)
	hashKV := maintMustHashKV(t, saved.Revision).Hash

	m := maintNewMember(t, "restored", dir)
	if out, errOut, err := maintRestore(t, file, m, "restored-"+p); err != nil {
		t.Fatalf("snapshot restore: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	m.start(t, m.name+"="+m.peerURL, "restored-"+p)
	m.waitReady(t)

	compare := func(when string) {
		t.Helper()
		if gotRev, got := maintEverything(t, m.cli, saved.Revision); gotRev != rev || strings.Join(got, "\n") != strings.Join(kvs, "\n") {
			t.Fatalf("%s: revision %d, want %d; keys differ:\n%s\nwant:\n%s", when, gotRev, rev, strings.Join(got, "\n"), strings.Join(kvs, "\n"))
		}
		if _, got := maintEverything(t, m.cli, middle); strings.Join(got, "\n") != strings.Join(kvsAtMiddle, "\n") {
			t.Fatalf("%s: history at %d differs", when, middle)
		}
		if got := maintLeases(t, m.cli, withKeys.ID, withoutKeys.ID); strings.Join(got, " ") != strings.Join(leases, " ") {
			t.Fatalf("%s: leases %q, want %q", when, got, leases)
		}
		h, err := pb.NewMaintenanceClient(m.cli.ActiveConnection()).HashKV(ctx(t), &pb.HashKVRequest{Revision: saved.Revision})
		if err != nil || h.Hash != hashKV {
			t.Fatalf("%s: HashKV(%d) = %v, %v; the saved member's is %d", when, saved.Revision, h, err, hashKV)
		}
		// The whole state, leases included, is what the file recorded.
		st, err := pb.NewMaintenanceClient(m.cli.ActiveConnection()).Hash(ctx(t), &pb.HashRequest{})
		if err != nil || st.Hash != saved.Hash {
			t.Fatalf("%s: Hash = %v, %v; the file's is %x", when, st, err, saved.Hash)
		}
	}
	compare("restored")

	// A new cluster of one: the member list is the restore's, not the saved member's.
	list, err := m.cli.MemberList(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Members) != 1 || list.Members[0].Name != "restored" || list.Members[0].PeerURLs[0] != m.peerURL {
		t.Fatalf("member list: %+v", list.Members)
	}

	// Defragment saves a snapshot at the applied index; the member restarts from it.
	maintCtlAt(t, m.clientURL, "defrag")
	st, err := m.cli.Status(ctx(t), m.clientURL)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := filepath.Join(m.dataDir, "member", "snap", fmt.Sprintf("%016x-%016x.snap", st.RaftTerm, st.RaftAppliedIndex))
	if _, err := os.Stat(snapshot); err != nil {
		names, _ := filepath.Glob(filepath.Join(m.dataDir, "member", "snap", "*"))
		t.Fatalf("no snapshot at the applied index after defrag: %v (have %q)", err, names)
	}
	m.stop(t)
	m.start(t, m.name+"="+m.peerURL, "restored-"+p)
	m.waitReady(t)
	compare("restarted after defrag")
	if _, err := m.cli.Put(ctx(t), p+"f", "new"); err != nil {
		t.Fatal(err)
	}
}

func TestMaintenanceRestoreRefusesADamagedFile(t *testing.T) {
	if target != "swift-etcd" {
		t.Skip("swift-etcd's restore command")
	}
	dir := t.TempDir()
	file := maintSave(t, dir)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	m := maintNewMember(t, "damaged", dir)
	out, errOut, err := maintRestore(t, file, m, "damaged")
	if err == nil || !strings.Contains(errOut, "sha256 mismatch") {
		t.Fatalf("restore of a damaged file: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if _, err := os.Stat(m.dataDir); !os.IsNotExist(err) {
		t.Fatalf("the refused restore left %s behind: %v", m.dataDir, err)
	}
}
