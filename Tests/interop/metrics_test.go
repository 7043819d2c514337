package interop

// /metrics on the client URL, parsed as Prometheus text by the Prometheus parser: every metric
// the runbook and etcd's usual alerts read must be there with etcd 3.4's name, type, help text,
// labels and histogram buckets, and with values that make sense for a single member that has
// just taken writes. Run against etcd, this proves the table below is etcd's.

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// etcdMetrics: name, type and help text as etcd 3.4.23 registers them.
var etcdMetrics = []struct {
	name string
	typ  dto.MetricType
	help string
}{
	{"etcd_server_has_leader", dto.MetricType_GAUGE, "Whether or not a leader exists. 1 is existence, 0 is not."},
	{"etcd_server_is_leader", dto.MetricType_GAUGE, "Whether or not this member is a leader. 1 if is, 0 otherwise."},
	{"etcd_server_is_learner", dto.MetricType_GAUGE, "Whether or not this member is a learner. 1 if is, 0 otherwise."},
	{"etcd_server_leader_changes_seen_total", dto.MetricType_COUNTER, "The number of leader changes seen."},
	{"etcd_server_proposals_committed_total", dto.MetricType_GAUGE, "The total number of consensus proposals committed."},
	{"etcd_server_proposals_applied_total", dto.MetricType_GAUGE, "The total number of consensus proposals applied."},
	{"etcd_server_proposals_pending", dto.MetricType_GAUGE, "The current number of pending proposals to commit."},
	{"etcd_server_proposals_failed_total", dto.MetricType_COUNTER, "The total number of failed proposals seen."},
	{"etcd_server_quota_backend_bytes", dto.MetricType_GAUGE, "Current backend storage quota size in bytes."},
	{"etcd_server_version", dto.MetricType_GAUGE, "Which version is running. 1 for 'server_version' label with current version."},
	{"etcd_server_id", dto.MetricType_GAUGE, "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID."},
	{"etcd_cluster_version", dto.MetricType_GAUGE, "Which version is running. 1 for 'cluster_version' label with current cluster version"},
	{"etcd_server_health_success", dto.MetricType_COUNTER, "The total number of successful health checks"},
	{"etcd_server_health_failures", dto.MetricType_COUNTER, "The total number of failed health checks"},
	{"etcd_mvcc_db_total_size_in_bytes", dto.MetricType_GAUGE, "Total size of the underlying database physically allocated in bytes."},
	{"etcd_mvcc_db_total_size_in_use_in_bytes", dto.MetricType_GAUGE, "Total size of the underlying database logically in use in bytes."},
	{"etcd_debugging_mvcc_keys_total", dto.MetricType_GAUGE, "Total number of keys."},
	{"etcd_disk_wal_fsync_duration_seconds", dto.MetricType_HISTOGRAM, "The latency distributions of fsync called by WAL."},
	{"etcd_disk_backend_commit_duration_seconds", dto.MetricType_HISTOGRAM, "The latency distributions of commit called by backend."},
	{"grpc_server_started_total", dto.MetricType_COUNTER, "Total number of RPCs started on the server."},
	{"grpc_server_handled_total", dto.MetricType_COUNTER, "Total number of RPCs completed on the server, regardless of success or failure."},
	{"process_resident_memory_bytes", dto.MetricType_GAUGE, "Resident memory size in bytes."},
	{"os_fd_used", dto.MetricType_GAUGE, "The number of used file descriptors."},
	{"os_fd_limit", dto.MetricType_GAUGE, "The file descriptor limit."},
}

// etcd's disk histogram buckets: 1 ms doubling up to 8.192 s.
var diskBuckets = func() []float64 {
	var b []float64
	for i := 0; i < 14; i++ {
		b = append(b, 0.001*float64(int(1)<<i))
	}
	return b
}()

// scrapeMetrics GETs /metrics and parses it with the Prometheus text parser.
func scrapeMetrics(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	code, hdr, body := httpGet(t, "/metrics")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q", code, hdr.Get("Content-Type"))
	}
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not valid Prometheus text: %v", err)
	}
	return families
}

// value of the family's sample whose labels include all of want (a gauge, counter or untyped
// value; for a histogram its sample count); ok false when there is no such sample.
func metricValue(f *dto.MetricFamily, want map[string]string) (float64, bool) {
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func TestMetricsEtcdNamesTypesAndHelp(t *testing.T) {
	p := pfx(t)
	cleanupPrefix(t, p)
	const puts = 5
	for i := 0; i < puts; i++ {
		mustPut(t, fmt.Sprintf("%sk%d", p, i), "v")
	}
	// etcd commits its backend every 100 ms, so the commit histogram fills a moment later.
	var families map[string]*dto.MetricFamily
	deadline := time.Now().Add(5 * time.Second)
	for {
		families = scrapeMetrics(t)
		if n, _ := metricValue(families["etcd_disk_backend_commit_duration_seconds"], nil); n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, want := range etcdMetrics {
		f := families[want.name]
		if f == nil {
			t.Errorf("/metrics lacks %s", want.name)
			continue
		}
		if f.GetType() != want.typ {
			t.Errorf("%s is a %v, want %v", want.name, f.GetType(), want.typ)
		}
		if f.GetHelp() != want.help {
			t.Errorf("%s help %q, want %q", want.name, f.GetHelp(), want.help)
		}
	}

	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		v, ok := metricValue(families[name], labels)
		if !ok {
			t.Fatalf("%s has no sample with labels %v", name, labels)
		}
		return v
	}
	st, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
		got  float64
	}{
		{"etcd_server_has_leader == 1", value("etcd_server_has_leader", nil) == 1, value("etcd_server_has_leader", nil)},
		{"etcd_server_is_leader == 1 (the only member)", value("etcd_server_is_leader", nil) == 1, value("etcd_server_is_leader", nil)},
		{"etcd_server_is_learner == 0", value("etcd_server_is_learner", nil) == 0, value("etcd_server_is_learner", nil)},
		{"etcd_server_leader_changes_seen_total >= 1", value("etcd_server_leader_changes_seen_total", nil) >= 1, value("etcd_server_leader_changes_seen_total", nil)},
		// Raft indexes, as etcd sets them: at least one entry per put.
		{"etcd_server_proposals_committed_total >= puts", value("etcd_server_proposals_committed_total", nil) >= puts, value("etcd_server_proposals_committed_total", nil)},
		{"etcd_server_proposals_applied_total >= puts", value("etcd_server_proposals_applied_total", nil) >= puts, value("etcd_server_proposals_applied_total", nil)},
		// Read a moment apart while something (a lease expiring) may be applied: a little slack.
		{"etcd_server_proposals_applied_total <= committed", value("etcd_server_proposals_applied_total", nil) <= value("etcd_server_proposals_committed_total", nil)+5, value("etcd_server_proposals_applied_total", nil)},
		{"etcd_server_proposals_pending >= 0", value("etcd_server_proposals_pending", nil) >= 0, value("etcd_server_proposals_pending", nil)},
		{"etcd_server_proposals_failed_total >= 0", value("etcd_server_proposals_failed_total", nil) >= 0, value("etcd_server_proposals_failed_total", nil)},
		{"etcd_server_quota_backend_bytes == 2 GiB (the default)", value("etcd_server_quota_backend_bytes", nil) == 2<<30, value("etcd_server_quota_backend_bytes", nil)},
		{"etcd_mvcc_db_total_size_in_bytes > 0", value("etcd_mvcc_db_total_size_in_bytes", nil) > 0, value("etcd_mvcc_db_total_size_in_bytes", nil)},
		{"etcd_mvcc_db_total_size_in_use_in_bytes in (0, total]", value("etcd_mvcc_db_total_size_in_use_in_bytes", nil) > 0 &&
			value("etcd_mvcc_db_total_size_in_use_in_bytes", nil) <= value("etcd_mvcc_db_total_size_in_bytes", nil), value("etcd_mvcc_db_total_size_in_use_in_bytes", nil)},
		{"etcd_debugging_mvcc_keys_total >= puts", value("etcd_debugging_mvcc_keys_total", nil) >= puts, value("etcd_debugging_mvcc_keys_total", nil)},
		{"etcd_server_version{server_version=<Status version>} == 1", value("etcd_server_version", map[string]string{"server_version": st.Version}) == 1, 1},
		{"etcd_server_id{server_id=<member id>} == 1", value("etcd_server_id", map[string]string{"server_id": fmt.Sprintf("%x", st.Header.MemberId)}) == 1, 1},
		{"process_resident_memory_bytes > 1 MiB", value("process_resident_memory_bytes", nil) > 1<<20, value("process_resident_memory_bytes", nil)},
		{"os_fd_used in (0, os_fd_limit]", value("os_fd_used", nil) > 0 && value("os_fd_used", nil) <= value("os_fd_limit", nil), value("os_fd_used", nil)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %v", c.name, c.got)
		}
	}

	put := map[string]string{"grpc_service": "etcdserverpb.KV", "grpc_method": "Put", "grpc_type": "unary"}
	if v := value("grpc_server_started_total", put); v < puts {
		t.Errorf("grpc_server_started_total%v = %v, want >= %d", put, v, puts)
	}
	put["grpc_code"] = "OK"
	if v := value("grpc_server_handled_total", put); v < puts {
		t.Errorf("grpc_server_handled_total%v = %v, want >= %d", put, v, puts)
	}
}

func TestMetricsDiskHistogramsHaveEtcdsBuckets(t *testing.T) {
	mustPut(t, pfx(t)+"k", "v")
	cleanupPrefix(t, pfx(t))
	var families map[string]*dto.MetricFamily
	names := []string{"etcd_disk_wal_fsync_duration_seconds", "etcd_disk_backend_commit_duration_seconds"}
	deadline := time.Now().Add(5 * time.Second)
	for {
		families = scrapeMetrics(t)
		n, _ := metricValue(families[names[1]], nil)
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, name := range names {
		f := families[name]
		if f == nil || len(f.Metric) != 1 || f.Metric[0].Histogram == nil {
			t.Fatalf("%s: want one histogram, got %v", name, f)
		}
		h := f.Metric[0].Histogram
		if h.GetSampleCount() < 1 {
			t.Errorf("%s_count = %d, want >= 1 after a write", name, h.GetSampleCount())
		}
		if s := h.GetSampleSum(); s < 0 || math.IsNaN(s) {
			t.Errorf("%s_sum = %v", name, s)
		}
		// etcd's finite bounds, then le="+Inf" counting every sample.
		if len(h.Bucket) != len(diskBuckets)+1 {
			t.Fatalf("%s has %d buckets, want %d and +Inf", name, len(h.Bucket), len(diskBuckets))
		}
		if inf := h.Bucket[len(diskBuckets)]; !math.IsInf(inf.GetUpperBound(), 1) || inf.GetCumulativeCount() != h.GetSampleCount() {
			t.Errorf("%s last bucket le=%v count %d, want +Inf with the sample count %d", name, inf.GetUpperBound(), inf.GetCumulativeCount(), h.GetSampleCount())
		}
		previous := uint64(0)
		for i, b := range h.Bucket[:len(diskBuckets)] {
			if math.Abs(b.GetUpperBound()-diskBuckets[i]) > 1e-12 {
				t.Errorf("%s bucket %d: le=%v, want %v", name, i, b.GetUpperBound(), diskBuckets[i])
			}
			if b.GetCumulativeCount() < previous || b.GetCumulativeCount() > h.GetSampleCount() {
				t.Errorf("%s bucket le=%v: cumulative count %d after %d (total %d)", name, b.GetUpperBound(), b.GetCumulativeCount(), previous, h.GetSampleCount())
			}
			previous = b.GetCumulativeCount()
		}
	}
	// The exposition itself has the _bucket, _sum and _count series a scraper stores.
	_, _, body := httpGet(t, "/metrics")
	for _, name := range names {
		for _, series := range []string{name + `_bucket{le="0.001"} `, name + `_bucket{le="8.192"} `, name + `_bucket{le="+Inf"} `, name + "_sum ", name + "_count "} {
			if !strings.Contains(body, "\n"+series) {
				t.Errorf("/metrics lacks a %q line", series)
			}
		}
	}
}
