package interop

// Alarms, the backend quota and automatic compaction. Tests that need flags of
// their own start a member of their own next to the suite's shared server.

import (
	"bytes"
	"context"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"swiftetcd/testserver"
)

// member is a server process a test starts with flags of its own.
type member struct {
	name, url, dir, log string
	args                []string
	cli                 *clientv3.Client
	conn                *grpc.ClientConn
	cmd                 *exec.Cmd
	exited              chan struct{}
}

// startCluster starts n members, each with extra flags; they are stopped
// (SIGTERM) and their directories removed when the test ends.
func startCluster(t *testing.T, n int, extra ...string) []*member {
	t.Helper()
	ports, err := testserver.FreePorts(2 * n)
	if err != nil {
		t.Fatal(err)
	}
	var members []*member
	var peers, initial []string
	for i := 0; i < n; i++ {
		dir, err := ioutil.TempDir(os.Getenv("INTEROP_TMPDIR"), "member-")
		if err != nil {
			t.Fatal(err)
		}
		m := &member{name: fmt.Sprintf("m%d", i+1), url: fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]), dir: dir,
			log: filepath.Join(dir, "server.log")}
		peer := fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1])
		peers = append(peers, peer)
		initial = append(initial, m.name+"="+peer)
		members = append(members, m)
	}
	for i, m := range members {
		m.args = append(testserver.MemberFlags(m.name, filepath.Join(m.dir, "data"), m.url, peers[i], strings.Join(initial, ",")), extra...)
		m.launch(t)
		m := m
		t.Cleanup(func() {
			m.stop()
			if t.Failed() {
				if lines, err := testserver.TailLines(m.log, 40); err == nil {
					t.Logf("%s %s log:\n%s", target, m.name, strings.Join(lines, "\n"))
				}
			}
			os.RemoveAll(m.dir)
		})
	}
	for _, m := range members {
		m.connect(t)
	}
	return members
}

func startMember(t *testing.T, extra ...string) *member {
	t.Helper()
	return startCluster(t, 1, extra...)[0]
}

// launch starts the process; its output is appended to the member's log.
func (m *member) launch(t *testing.T) {
	t.Helper()
	logFile, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	m.exited = make(chan struct{})
	m.cmd = testserver.Command(serverBin, m.args, logFile)
	if err := testserver.Start(m.cmd); err != nil {
		t.Fatal(err)
	}
	exited := m.exited
	go func(cmd *exec.Cmd) {
		cmd.Wait()
		logFile.Close()
		close(exited)
	}(m.cmd)
}

// connect waits until a linearizable Get succeeds, then opens the clients.
func (m *member) connect(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for m.cli == nil {
		select {
		case <-m.exited:
			t.Fatalf("%s exited at startup", m.name)
		default:
		}
		c, err := testserver.NewClient([]string{m.url}, time.Second)
		if err == nil {
			cx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = c.Get(cx, "ready-probe")
			cancel()
			if err == nil {
				m.cli = c
				break
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s: %v", m.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	if m.conn, err = grpc.DialContext(cx, strings.TrimPrefix(m.url, "http://"), grpc.WithInsecure(), grpc.WithBlock()); err != nil {
		t.Fatal(err)
	}
}

// stop closes the clients and stops the process (SIGTERM, then SIGKILL after 10 s).
func (m *member) stop() {
	if m.cli != nil {
		m.cli.Close()
		m.cli = nil
	}
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
	testserver.Stop(m.cmd.Process, m.exited, 10*time.Second)
}

// ctl runs etcdctl against the member; it must succeed with nothing on stderr.
func (m *member) ctl(t *testing.T, args ...string) string {
	t.Helper()
	cx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cx, etcdctlPath, append([]string{"--endpoints", m.url}, args...)...)
	cmd.Env = append(testserver.CleanEnv(os.Environ(), "ETCDCTL_"), "ETCDCTL_API=3")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil || e.Len() > 0 {
		t.Fatalf("etcdctl %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, o.String(), e.String())
	}
	return o.String()
}

func (m *member) id(t *testing.T) uint64 {
	t.Helper()
	r, err := m.cli.Get(ctx(t), "id-probe")
	if err != nil {
		t.Fatal(err)
	}
	return r.Header.MemberId
}

func wantAlarms(t *testing.T, what string, got []*pb.AlarmMember, want ...*pb.AlarmMember) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: alarms %v, want %v", what, got, want)
	}
	for i := range want {
		if got[i].MemberID != want[i].MemberID || got[i].Alarm != want[i].Alarm {
			t.Fatalf("%s: alarms %v, want %v", what, got, want)
		}
	}
}

func TestAlarmListEmpty(t *testing.T) {
	wantOut(t, "alarm list", ctlOK(t, "alarm", "list"), "")
	wantOut(t, "alarm disarm", ctlOK(t, "alarm", "disarm"), "")
	wantOut(t, "alarm list -w json", ctlOK(t, "alarm", "list", "-w", "json"), "{}\n")

	mc := pb.NewMaintenanceClient(rawConn)
	for _, alarm := range []pb.AlarmType{pb.AlarmType_NONE, pb.AlarmType_NOSPACE, pb.AlarmType_CORRUPT} {
		r, err := mc.Alarm(ctx(t), &pb.AlarmRequest{Action: pb.AlarmRequest_GET, Alarm: alarm})
		if err != nil {
			t.Fatalf("GET %v: %v", alarm, err)
		}
		if r.Header != nil || len(r.Alarms) != 0 {
			t.Fatalf("GET %v: %+v, want no header and no alarms", alarm, r)
		}
	}
	// Disarming an alarm nobody raised answers nothing, and changes nothing.
	r, err := mc.Alarm(ctx(t), &pb.AlarmRequest{Action: pb.AlarmRequest_DEACTIVATE, MemberID: 1, Alarm: pb.AlarmType_NOSPACE})
	if err != nil || r.Header != nil || len(r.Alarms) != 0 {
		t.Fatalf("DEACTIVATE unknown: %+v, %v", r, err)
	}
}

// Raising and disarming by hand; CORRUPT refuses every write but not reads.
func TestAlarmActivateDeactivate(t *testing.T) {
	m := startMember(t)
	id := m.id(t)
	mc := pb.NewMaintenanceClient(m.conn)
	kv := pb.NewKVClient(m.conn)
	if _, err := m.cli.Put(ctx(t), "k", "v"); err != nil {
		t.Fatal(err)
	}

	corrupt := &pb.AlarmMember{MemberID: 0, Alarm: pb.AlarmType_CORRUPT}
	for i := 0; i < 2; i++ { // raising it again answers the same
		r, err := mc.Alarm(ctx(t), &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: 0, Alarm: pb.AlarmType_CORRUPT})
		if err != nil || r.Header != nil {
			t.Fatalf("ACTIVATE CORRUPT: %+v, %v", r, err)
		}
		wantAlarms(t, "ACTIVATE CORRUPT", r.Alarms, corrupt)
	}
	list, err := m.cli.AlarmList(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantAlarms(t, "list", list.Alarms, corrupt)
	wantOut(t, "etcdctl alarm list", m.ctl(t, "alarm", "list"), "alarm:CORRUPT \n") // protobuf text leaves out the zero member ID

	const corruptMsg = "etcdserver: corrupt cluster"
	_, err = kv.Put(ctx(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v2")})
	statusErr(t, "put under CORRUPT", err, codes.DataLoss, corruptMsg)
	_, err = kv.DeleteRange(ctx(t), &pb.DeleteRangeRequest{Key: []byte("k")})
	statusErr(t, "delete under CORRUPT", err, codes.DataLoss, corruptMsg)
	_, err = kv.Compact(ctx(t), &pb.CompactionRequest{Revision: 1})
	statusErr(t, "compact under CORRUPT", err, codes.DataLoss, corruptMsg)
	_, err = kv.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestDeleteRange{
		RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte("k")}}}}})
	statusErr(t, "txn under CORRUPT", err, codes.DataLoss, corruptMsg)
	_, err = pb.NewLeaseClient(m.conn).LeaseGrant(ctx(t), &pb.LeaseGrantRequest{TTL: 10})
	statusErr(t, "lease grant under CORRUPT", err, codes.DataLoss, corruptMsg)
	_, err = pb.NewLeaseClient(m.conn).LeaseRevoke(ctx(t), &pb.LeaseRevokeRequest{ID: 1})
	statusErr(t, "lease revoke under CORRUPT", err, codes.DataLoss, corruptMsg)
	// etcd 3.4 serves reads from its base applier, alarms or not.
	for _, serializable := range []bool{false, true} {
		g, err := kv.Range(ctx(t), &pb.RangeRequest{Key: []byte("k"), Serializable: serializable})
		if err != nil || len(g.Kvs) != 1 {
			t.Fatalf("get under CORRUPT (serializable %v): %+v, %v", serializable, g, err)
		}
	}
	if _, err := m.cli.Txn(ctx(t)).Then(clientv3.OpGet("k")).Commit(); err != nil {
		t.Fatalf("read-only txn under CORRUPT: %v", err)
	}

	// Another member's NOSPACE next to it; disarming lists what was disarmed.
	nospace := &pb.AlarmMember{MemberID: id, Alarm: pb.AlarmType_NOSPACE}
	if _, err := mc.Alarm(ctx(t), &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: id, Alarm: pb.AlarmType_NOSPACE}); err != nil {
		t.Fatal(err)
	}
	r, err := mc.Alarm(ctx(t), &pb.AlarmRequest{Action: pb.AlarmRequest_GET, Alarm: pb.AlarmType_NOSPACE})
	if err != nil {
		t.Fatal(err)
	}
	wantAlarms(t, "GET NOSPACE", r.Alarms, nospace)
	// etcd lists alarms in map order; swift-etcd by type, then member.
	disarmed := strings.Split(m.ctl(t, "alarm", "disarm"), "\n")
	sort.Strings(disarmed)
	wantOut(t, "etcdctl alarm disarm", strings.Join(disarmed, "\n"), fmt.Sprintf("\nalarm:CORRUPT \nmemberID:%d alarm:NOSPACE ", id))
	wantOut(t, "alarm list after disarm", m.ctl(t, "alarm", "list"), "")
	if _, err := m.cli.Put(ctx(t), "k", "v3"); err != nil {
		t.Fatalf("put after disarm: %v", err)
	}
}

// A member over its quota raises NOSPACE for itself; writes that take space
// fail until space is freed and the alarm is disarmed.
func TestQuotaNoSpace(t *testing.T) {
	const quota = 256 * 1024
	m := startMember(t, "--quota-backend-bytes", fmt.Sprint(quota))
	id := m.id(t)
	kv := pb.NewKVClient(m.conn)
	value := strings.Repeat("x", 8*1024)

	written := 0
	for ; written < 1000; written++ {
		_, err := m.cli.Put(ctx(t), fmt.Sprintf("/quota/%03d", written), value)
		if err == nil {
			continue
		}
		wantErr(t, "put over the quota", err, rpctypes.ErrNoSpace)
		break
	}
	t.Logf("%d puts of 8 KiB fit", written)
	if written == 0 || written == 1000 {
		t.Fatalf("%d puts of 8 KiB fit a %d-byte quota", written, quota)
	}
	nospace := &pb.AlarmMember{MemberID: id, Alarm: pb.AlarmType_NOSPACE}
	list, err := m.cli.AlarmList(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantAlarms(t, "alarm list", list.Alarms, nospace)
	wantOut(t, "etcdctl alarm list", m.ctl(t, "alarm", "list"), fmt.Sprintf("memberID:%d alarm:NOSPACE \n", id))

	// What takes space is refused, even a tiny put.
	const noSpaceMsg = "etcdserver: mvcc: database space exceeded"
	_, err = kv.Put(ctx(t), &pb.PutRequest{Key: []byte("/quota/small"), Value: []byte("v")})
	statusErr(t, "small put", err, codes.ResourceExhausted, noSpaceMsg)
	_, err = kv.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{
		RequestPut: &pb.PutRequest{Key: []byte("/quota/small"), Value: []byte("v")}}}}})
	statusErr(t, "txn with a put", err, codes.ResourceExhausted, noSpaceMsg)
	_, err = pb.NewLeaseClient(m.conn).LeaseGrant(ctx(t), &pb.LeaseGrantRequest{TTL: 10})
	statusErr(t, "lease grant", err, codes.ResourceExhausted, noSpaceMsg)

	// Reads, deletes and transactions without puts still work.
	g, err := m.cli.Get(ctx(t), "/quota/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || g.Count != int64(written) {
		t.Fatalf("count under NOSPACE: %+v, %v (want %d)", g, err, written)
	}
	if _, err := m.cli.Txn(ctx(t)).Then(clientv3.OpDelete("/quota/000")).Commit(); err != nil {
		t.Fatalf("txn with a delete under NOSPACE: %v", err)
	}
	d, err := m.cli.Delete(ctx(t), "/quota/", clientv3.WithPrefix())
	if err != nil || d.Deleted != int64(written-1) {
		t.Fatalf("delete under NOSPACE: %+v, %v", d, err)
	}
	// Deleting frees nothing until compaction (and, in etcd, defragmentation).
	if _, err := m.cli.Compact(ctx(t), d.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("compact under NOSPACE: %v", err)
	}
	if _, err := m.cli.Defragment(ctx(t), m.url); err != nil {
		if status.Code(err) != codes.Unimplemented || target != "swift-etcd" {
			t.Fatalf("defragment: %v", err)
		}
	}
	_, err = kv.Put(ctx(t), &pb.PutRequest{Key: []byte("/quota/small"), Value: []byte("v")})
	statusErr(t, "put before disarm", err, codes.ResourceExhausted, noSpaceMsg)

	wantOut(t, "etcdctl alarm disarm", m.ctl(t, "alarm", "disarm"), fmt.Sprintf("memberID:%d alarm:NOSPACE \n", id))
	wantOut(t, "alarm list after disarm", m.ctl(t, "alarm", "list"), "")
	if _, err := m.cli.Put(ctx(t), "/quota/small", "v"); err != nil {
		t.Fatalf("put after disarm: %v", err)
	}
	if _, err := m.cli.Grant(ctx(t), 10); err != nil {
		t.Fatalf("lease grant after disarm: %v", err)
	}
}

// Periodic auto-compaction with a retention of one second: etcd waits one
// retention, then compacts at the revision of one retention ago, every
// retention. (Revision mode looks only every five minutes, too slow here.)
func TestAutoCompactionPeriodic(t *testing.T) {
	m := startMember(t, "--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1s")
	first, err := m.cli.Put(ctx(t), "/auto/k", "v0")
	if err != nil {
		t.Fatal(err)
	}
	old := first.Header.Revision
	deadline := time.Now().Add(15 * time.Second)
	for i := 1; ; i++ {
		r, err := m.cli.Put(ctx(t), "/auto/k", fmt.Sprint("v", i))
		if err != nil {
			t.Fatal(err)
		}
		// The newest revision is never compacted away at once.
		if _, err := m.cli.Get(ctx(t), "/auto/k", clientv3.WithRev(r.Header.Revision)); err != nil {
			t.Fatalf("get at the newest revision %d: %v", r.Header.Revision, err)
		}
		_, err = m.cli.Get(ctx(t), "/auto/k", clientv3.WithRev(old))
		if err == rpctypes.ErrCompacted {
			return
		}
		if err != nil {
			t.Fatalf("get at revision %d: %v", old, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision %d still readable after 15 s of periodic 1s auto-compaction", old)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Three members with both corruption checks: every second the leader compares
// its HashKV with its followers', and a restarted member compares its own with
// its peers' before it serves. Members that agree raise no alarm.
func TestCorruptionChecksPassOnHealthyCluster(t *testing.T) {
	ms := startCluster(t, 3, "--experimental-initial-corrupt-check", "--experimental-corrupt-check-time", "1s")
	var middle int64
	for i := 0; i < 20; i++ {
		r, err := ms[i%3].cli.Put(ctx(t), fmt.Sprintf("/corrupt/%d", i%7), fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			middle = r.Header.Revision
		}
	}
	if _, err := ms[1].cli.Compact(ctx(t), middle); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)

	ms[2].stop()
	if _, err := ms[0].cli.Put(ctx(t), "/corrupt/while-down", "v"); err != nil {
		t.Fatal(err)
	}
	ms[2].launch(t)
	ms[2].connect(t)
	if _, err := ms[2].cli.Put(ctx(t), "/corrupt/after-restart", "v"); err != nil {
		t.Fatalf("put on the restarted member: %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	for _, m := range ms {
		list, err := m.cli.AlarmList(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		wantAlarms(t, m.name+" alarm list", list.Alarms)
	}
}
