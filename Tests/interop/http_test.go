package interop

// Plain HTTP/1.1 on the client port (same port as gRPC).

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestHTTPHealth(t *testing.T) {
	code, _, body := httpGet(t, "/health")
	if code != 200 {
		t.Fatalf("GET /health: %d %q", code, body)
	}
	var h map[string]interface{}
	if err := json.Unmarshal([]byte(body), &h); err != nil || len(h) != 1 || h["health"] != "true" {
		t.Fatalf(`GET /health body %q, want {"health":"true"}`, body)
	}
	resp, err := httpClient.Post(clientURL+"/health", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("POST /health: %d, want 405", resp.StatusCode)
	}
}

func TestHTTPVersion(t *testing.T) {
	code, hdr, body := httpGet(t, "/version")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /version: %d %q %q", code, hdr.Get("Content-Type"), body)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(body), &v); err != nil || len(v) != 2 {
		t.Fatalf("GET /version body %q: %v", body, err)
	}
	s, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	if v["etcdserver"] != s.Version {
		t.Fatalf("/version etcdserver %q, Status version %q", v["etcdserver"], s.Version)
	}
	// Cluster version is major.minor.0 of the server version.
	m := semver.FindString(s.Version)
	parts := strings.Split(m, ".")
	if want := parts[0] + "." + parts[1] + ".0"; v["etcdcluster"] != want {
		t.Fatalf("/version etcdcluster %q, want %q", v["etcdcluster"], want)
	}
}

func TestHTTPMetrics(t *testing.T) {
	code, hdr, body := httpGet(t, "/metrics")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %q", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		"# TYPE etcd_server_has_leader gauge\n",
		"# TYPE etcd_server_is_leader gauge\n",
		"# TYPE process_resident_memory_bytes gauge\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The text format allows "1" and "1.0" alike; compare values, not spellings.
	for _, name := range []string{"etcd_server_has_leader", "etcd_server_is_leader"} {
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("/metrics has no %s sample", name)
		} else if f, err := strconv.ParseFloat(m[1], 64); err != nil || f != 1 {
			t.Errorf("%s = %q, want 1", name, m[1])
		}
	}
	// etcdctl check datascale parses this line as a float.
	m := regexp.MustCompile(`(?m)^process_resident_memory_bytes (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no process_resident_memory_bytes sample")
	}
	if f, err := strconv.ParseFloat(m[1], 64); err != nil || f <= 0 {
		t.Fatalf("process_resident_memory_bytes %q", m[1])
	}
}

func TestHTTPUnknownPath(t *testing.T) {
	for _, p := range []string{"/nope", "/healthz", "/metrics/nope"} {
		if code, _, body := httpGet(t, p); code != 404 {
			t.Errorf("GET %s: %d %q, want 404", p, code, body)
		}
	}
}
