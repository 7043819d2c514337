package interop

// Health on the client URL: /health as etcd 3.4 answers it (alarms, ?exclude=), the gRPC
// health service, and /livez and /readyz. etcd 3.4 has no /livez or /readyz (they came with
// 3.5.11): against etcd the suite checks that they are 404, and their 3.5 behaviour is
// checked against swift-etcd only.

import (
	"net/http"
	"strings"
	"testing"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func wantHTTP(t *testing.T, path string, wantCode int, wantBody string) http.Header {
	t.Helper()
	code, hdr, body := httpGet(t, path)
	if code != wantCode || body != wantBody {
		t.Fatalf("GET %s: %d %q, want %d %q", path, code, body, wantCode, wantBody)
	}
	return hdr
}

func TestHealthAnswersAsEtcd34(t *testing.T) {
	hdr := wantHTTP(t, "/health", 200, `{"health":"true"}`)
	// etcd writes it without a content type, which Go sniffs as text.
	if ct := hdr.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("/health Content-Type %q", ct)
	}
	wantHTTP(t, "/health?exclude=NOSPACE", 200, `{"health":"true"}`)
	resp, err := httpClient.Post(clientURL+"/health", "text/plain", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Fatalf("POST /health: %d Allow %q, want 405 Allow GET", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// setAlarm raises or disarms an alarm of this member through the Maintenance service.
func setAlarm(t *testing.T, action pb.AlarmRequest_AlarmAction, alarm pb.AlarmType) {
	t.Helper()
	st, err := cli.Status(ctx(t), clientURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pb.NewMaintenanceClient(rawConn).Alarm(ctx(t), &pb.AlarmRequest{Action: action, MemberID: st.Header.MemberId, Alarm: alarm})
	if err != nil {
		t.Fatalf("Alarm %v %v: %v", action, alarm, err)
	}
}

func TestHealthFalseUnderAlarmUnlessExcluded(t *testing.T) {
	setAlarm(t, pb.AlarmRequest_ACTIVATE, pb.AlarmType_NOSPACE)
	t.Cleanup(func() { setAlarm(t, pb.AlarmRequest_DEACTIVATE, pb.AlarmType_NOSPACE) })

	hdr := wantHTTP(t, "/health", 503, "{\"health\":\"false\"}\n")
	if hdr.Get("Content-Type") != "text/plain; charset=utf-8" || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("503 /health headers %v, want http.Error's", hdr)
	}
	wantHTTP(t, "/health?exclude=NOSPACE", 200, `{"health":"true"}`)
	wantHTTP(t, "/health?exclude=CORRUPT", 503, "{\"health\":\"false\"}\n")
	wantHTTP(t, "/health?exclude=CORRUPT&exclude=NOSPACE", 200, `{"health":"true"}`)
	if target == "swift-etcd" {
		// etcd 3.5: NOSPACE leaves the member live and ready (reads and deletes still work).
		wantHTTP(t, "/livez", 200, "ok\n")
		wantHTTP(t, "/readyz", 200, "ok\n")
	}

	setAlarm(t, pb.AlarmRequest_DEACTIVATE, pb.AlarmType_NOSPACE)
	wantHTTP(t, "/health", 200, `{"health":"true"}`)
}

func TestHealthGRPCCheck(t *testing.T) {
	hc := healthpb.NewHealthClient(rawConn)
	resp, err := hc.Check(ctx(t), &healthpb.HealthCheckRequest{})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Health.Check(\"\"): %v %v, want SERVING", resp, err)
	}
	_, err = hc.Check(ctx(t), &healthpb.HealthCheckRequest{Service: "etcdserverpb.KV"})
	if s, _ := status.FromError(err); s.Code() != codes.NotFound || s.Message() != "unknown service" {
		t.Fatalf("Health.Check(etcdserverpb.KV): %v, want NotFound \"unknown service\"", err)
	}
}

func TestHealthLivezReadyz(t *testing.T) {
	if target != "swift-etcd" {
		// etcd 3.4 serves neither; 3.5.11+ does, as swift-etcd does below.
		for _, p := range []string{"/livez", "/readyz", "/readyz/linearizable_read"} {
			wantHTTP(t, p, 404, "404 page not found\n")
		}
		return
	}
	hdr := wantHTTP(t, "/livez", 200, "ok\n")
	if hdr.Get("Content-Type") != "text/plain; charset=utf-8" || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("/livez headers %v", hdr)
	}
	wantHTTP(t, "/livez?verbose", 200, "[+]serializable_read ok\nok\n")
	wantHTTP(t, "/livez/serializable_read", 200, "ok\n")
	wantHTTP(t, "/readyz", 200, "ok\n")
	wantHTTP(t, "/readyz?verbose", 200,
		"[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\n[+]non_learner ok\nok\n")
	wantHTTP(t, "/readyz?verbose&exclude=linearizable_read&exclude=no_such_check", 200,
		"[+]data_corruption ok\n[+]serializable_read ok\n[+]non_learner ok\nok\n")
	wantHTTP(t, "/readyz/linearizable_read?verbose", 200, "[+]linearizable_read ok\nok\n")
	wantHTTP(t, "/readyz/no_such_check", 404, "404 page not found\n")
	wantHTTP(t, "/livez/", 404, "404 page not found\n")
	resp, err := httpClient.Post(clientURL+"/readyz", "text/plain", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("POST /readyz: %d, want 405", resp.StatusCode)
	}

	setAlarm(t, pb.AlarmRequest_ACTIVATE, pb.AlarmType_CORRUPT)
	t.Cleanup(func() { setAlarm(t, pb.AlarmRequest_DEACTIVATE, pb.AlarmType_CORRUPT) })
	// A failing probe always lists every check (http.Error adds a newline).
	wantHTTP(t, "/readyz", 503,
		"[-]data_corruption failed: alarm activated: CORRUPT\n[+]serializable_read ok\n[+]linearizable_read ok\n[+]non_learner ok\n\n")
	wantHTTP(t, "/readyz?exclude=data_corruption", 200, "ok\n")
	wantHTTP(t, "/livez", 200, "ok\n")
	wantHTTP(t, "/health", 503, "{\"health\":\"false\"}\n")
	setAlarm(t, pb.AlarmRequest_DEACTIVATE, pb.AlarmType_CORRUPT)
	wantHTTP(t, "/readyz", 200, "ok\n")
}
