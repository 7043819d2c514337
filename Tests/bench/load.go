package main

// The load generator: one workload, one run, one JSON line.
//
// Like etcd's tools/benchmark, --conns clientv3 clients (one gRPC connection each) are shared by
// --clients goroutines, goroutine i using connection i % conns, and each goroutine issues its
// next request when the previous one is answered (a closed loop). Connections go round-robin
// over --endpoints. Every request that fails, times out or is never issued because the run hit
// its time limit is an error in the result, with its gRPC code and message: nothing is dropped.
//
// With --sync the generator prints BENCH-READY on stderr when connections (and leases, watches,
// prefilled keys) are set up and waits for a line on stdin before it starts the clock, then
// prints BENCH-DONE when the last request is answered and waits again before it tears anything
// down. The driver reads the servers' CPU counters at those two points, so set-up and teardown
// are not charged to the workload.

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"swiftetcd/testserver"
)

type loadConfig struct {
	op          string
	endpoints   []string
	conns       int
	clients     int
	total       int
	keySize     int
	valSize     int
	keySpace    int
	seqKeys     bool
	timeout     time.Duration
	opTimeout   time.Duration
	consistency string
	prefill     int
	txnOps      int
	mode        string
	sync        bool
	keyPrefix   string
	streams     int
	ttl         int64
	settle      time.Duration
}

var loadOps = map[string]func(*loadConfig) *result{
	"put":             runPut,
	"range":           runRange,
	"txn-put":         runTxnPut,
	"watch-latency":   func(c *loadConfig) *result { return runWatch(c, false) },
	"watch-fanout":    func(c *loadConfig) *result { return runWatch(c, true) },
	"lease-keepalive": runLeaseKeepAlive,
	"watch-idle":      runWatchIdle,
	"lease-expiry":    runLeaseExpiry,
}

// result is the JSON line a run prints. Latencies are of successful requests only; qps is
// successful requests (watch: delivered events) per second of the timed part.
type result struct {
	Op             string      `json:"op"`
	Total          int         `json:"total"`
	OK             int         `json:"ok"`
	Errors         int         `json:"errors"`
	Seconds        float64     `json:"seconds"`
	QPS            float64     `json:"qps"`
	P50            float64     `json:"p50_ms"`
	P90            float64     `json:"p90_ms"`
	P99            float64     `json:"p99_ms"`
	P999           float64     `json:"p99_9_ms"`
	Max            float64     `json:"max_ms"`
	ErrorKinds     []errorKind `json:"error_kinds,omitempty"`
	SetupNote      string      `json:"setup_note,omitempty"`
	Endpoints      []string    `json:"endpoints"`
	Conns          int         `json:"conns"`
	Clients        int         `json:"clients"`
	KeySize        int         `json:"key_size"`
	ValSize        int         `json:"val_size"`
	KeySpaceSize   int         `json:"key_space_size"`
	SequentialKeys bool        `json:"sequential_keys"`
	Consistency    string      `json:"consistency,omitempty"`
	TxnOps         int         `json:"txn_ops,omitempty"`
	Mode           string      `json:"mode,omitempty"`
	KeyPrefix      string      `json:"key_prefix,omitempty"`
	Streams        int         `json:"streams,omitempty"`
	TTL            int64       `json:"ttl_s,omitempty"`
	// Extra holds the figures of a workload that qps and latency do not cover (seconds to
	// expire every lease, ...); the driver adds its own (memory per watcher, restart time).
	Extra []figure `json:"extra,omitempty"`
}

// figure is one extra number of a row, shown in the report's "Other figures" table with the
// swift-etcd / etcd ratio.
type figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Lower bool    `json:"lower_is_better"`
	Text  string  `json:"text,omitempty"` // shown instead of Value (the ratio is still of Value)
}

func (r *result) addExtra(name string, v float64, unit string, lower bool) {
	r.Extra = append(r.Extra, figure{Name: name, Value: v, Unit: unit, Lower: lower})
}

type errorKind struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Count   int    `json:"count"`
}

func loadMain(op string, args []string) int {
	cfg := &loadConfig{op: op}
	fs := flag.NewFlagSet(op, flag.ContinueOnError)
	eps := fs.String("endpoints", "127.0.0.1:2379", "comma-separated client endpoints; connections go round-robin over them")
	fs.IntVar(&cfg.conns, "conns", 1, "gRPC connections (clientv3 clients)")
	fs.IntVar(&cfg.clients, "clients", 1, "concurrent requesters (watch: watchers) sharing the connections")
	fs.IntVar(&cfg.total, "total", 10000, "requests to issue (watch: events to receive, summed over watchers)")
	fs.IntVar(&cfg.keySize, "key-size", 8, "key size in bytes")
	fs.IntVar(&cfg.valSize, "val-size", 8, "value size in bytes")
	fs.IntVar(&cfg.keySpace, "key-space-size", 1, "number of distinct keys")
	fs.BoolVar(&cfg.seqKeys, "sequential-keys", false, "use keys 0,1,2,... (mod key-space-size) instead of random ones")
	fs.DurationVar(&cfg.timeout, "timeout", 60*time.Second, "time limit of the run; requests not issued by then count as errors")
	fs.DurationVar(&cfg.opTimeout, "op-timeout", 10*time.Second, "time limit of one request")
	fs.StringVar(&cfg.consistency, "consistency", "l", "range: l (linearizable) or s (serializable)")
	fs.IntVar(&cfg.prefill, "prefill", -1, "range: keys 0..N-1 written before the timed part (-1: key-space-size)")
	fs.IntVar(&cfg.txnOps, "txn-ops", 4, "txn-put: puts per transaction")
	fs.StringVar(&cfg.mode, "mode", "stream", "lease-keepalive: stream (one LeaseKeepAlive stream per client) or once (KeepAliveOnce: a stream per request)")
	fs.StringVar(&cfg.keyPrefix, "key-prefix", "", "keys are this prefix plus the varint index, --key-size bytes in all")
	fs.IntVar(&cfg.streams, "streams", 0, "watch-latency, watch-fanout: gRPC Watch streams the watchers are spread over (watcher i on stream i % streams, stream s on connection s % conns; default --conns)")
	fs.Int64Var(&cfg.ttl, "ttl", 5, "lease-expiry: lease TTL in seconds")
	fs.DurationVar(&cfg.settle, "settle", time.Second, "watch-idle: wait this long after the last watch is created before the end of the timed part (memory is read then)")
	fs.BoolVar(&cfg.sync, "sync", false, "print BENCH-READY/BENCH-DONE on stderr and wait for a line on stdin at each (used by the driver)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, e := range strings.Split(*eps, ",") {
		if e = strings.TrimSpace(e); e != "" {
			cfg.endpoints = append(cfg.endpoints, e)
		}
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "etcd-bench %s: %v\n", op, err)
		return 2
	}
	res := loadOps[op](cfg)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return 0
}

func (c *loadConfig) validate() error {
	switch {
	case len(c.endpoints) == 0:
		return errors.New("--endpoints is empty")
	case c.conns < 1 || c.clients < 1 || c.total < 1:
		return errors.New("--conns, --clients and --total must be at least 1")
	case c.keySpace < 1:
		return errors.New("--key-space-size must be at least 1")
	case c.keySize-len(c.keyPrefix) < varintLen(int64(c.keySpace-1)):
		return fmt.Errorf("--key-size %d cannot hold %d distinct keys after the %d-byte --key-prefix", c.keySize, c.keySpace, len(c.keyPrefix))
	case c.valSize < 0:
		return errors.New("--val-size must not be negative")
	case c.consistency != "l" && c.consistency != "s":
		return errors.New("--consistency must be l or s")
	case c.mode != "stream" && c.mode != "once":
		return errors.New("--mode must be stream or once")
	case c.op == "txn-put" && (c.txnOps < 1 || c.keySpace < c.txnOps):
		return errors.New("--txn-ops must be at least 1 and at most --key-space-size")
	case c.timeout <= 0 || c.opTimeout <= 0:
		return errors.New("--timeout and --op-timeout must be positive")
	case c.streams < 0:
		return errors.New("--streams must not be negative")
	case c.op == "lease-expiry" && c.ttl < 1:
		return errors.New("--ttl must be at least 1")
	}
	if c.streams == 0 {
		c.streams = c.conns
	}
	if c.prefill < 0 {
		c.prefill = c.keySpace
	}
	return nil
}

func newResult(cfg *loadConfig) *result {
	r := &result{
		Op: cfg.op, Total: cfg.total, Endpoints: cfg.endpoints, Conns: cfg.conns, Clients: cfg.clients,
		KeySize: cfg.keySize, ValSize: cfg.valSize, KeySpaceSize: cfg.keySpace, SequentialKeys: cfg.seqKeys,
	}
	switch cfg.op {
	case "range":
		r.Consistency = map[string]string{"l": "linearizable", "s": "serializable"}[cfg.consistency]
	case "txn-put":
		r.TxnOps = cfg.txnOps
	case "lease-keepalive":
		r.Mode = cfg.mode
	case "watch-latency", "watch-fanout":
		r.Streams = cfg.streams
	case "watch-idle":
		r.Streams = cfg.clients
	case "lease-expiry":
		r.TTL = cfg.ttl
	}
	r.KeyPrefix = cfg.keyPrefix
	return r
}

// ---------------------------------------------------------------------------
// Synchronisation with the driver.

var stdinLines = bufio.NewReader(os.Stdin)

func syncPoint(cfg *loadConfig, marker string) {
	if cfg.sync {
		fmt.Fprintln(os.Stderr, marker)
		_, _ = stdinLines.ReadString('\n')
	}
}

// ---------------------------------------------------------------------------
// Results: latencies and errors.

type errKey struct{ code, msg string }

// tally is one goroutine's record; tallies are merged at the end.
type tally struct {
	lat  []time.Duration
	errs map[errKey]int
}

func newTally() *tally { return &tally{errs: map[errKey]int{}} }

func (t *tally) ok(d time.Duration) { t.lat = append(t.lat, d) }

func (t *tally) fail(err error) { t.failN(err, 1) }

func (t *tally) failN(err error, n int) {
	if n > 0 {
		t.errs[classify(err)] += n
	}
}

func (t *tally) merge(o *tally) {
	t.lat = append(t.lat, o.lat...)
	for k, v := range o.errs {
		t.errs[k] += v
	}
}

// stageError says which set-up step failed, keeping the gRPC code of the cause.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }

// limitError is a request that was never issued because the run reached its time limit;
// stallError one never issued because the server answered nothing (see closedLoop).
var (
	limitError = errors.New("not issued: the run reached its --timeout")
	stallError = errors.New("not issued: no request succeeded and requests kept timing out (server stalled)")
)

// classify turns an error into (gRPC code name, message), so "Unimplemented" from a server
// that lacks a service is visible as such in the table.
func classify(err error) errKey {
	prefix := ""
	var se *stageError
	for errors.As(err, &se) {
		prefix += se.stage + ": "
		err = se.err
	}
	var k errKey
	switch {
	case err == limitError || err == stallError:
		k = errKey{"NotIssued", err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		k = errKey{"DeadlineExceeded", err.Error()}
	case errors.Is(err, context.Canceled):
		k = errKey{"Canceled", err.Error()}
	default:
		if s, ok := status.FromError(err); ok && s != nil {
			k = errKey{s.Code().String(), s.Message()}
		} else if ee, ok := err.(rpctypes.EtcdError); ok {
			k = errKey{ee.Code().String(), ee.Error()}
		} else {
			k = errKey{"Error", err.Error()}
		}
	}
	k.msg = prefix + k.msg
	if len(k.msg) > 200 {
		k.msg = k.msg[:200] + "…"
	}
	return k
}

// finish fills the result from the merged tally. Requests neither answered nor failed are
// counted as errors here, so ok + errors == total always.
func (r *result) finish(t *tally, elapsed time.Duration) {
	r.OK = len(t.lat)
	counted := r.OK
	for _, v := range t.errs {
		counted += v
	}
	if counted < r.Total {
		t.errs[errKey{"Unknown", "request neither answered nor failed"}] += r.Total - counted
	}
	r.Errors = r.Total - r.OK
	r.Seconds = elapsed.Seconds()
	if r.Seconds > 0 {
		r.QPS = float64(r.OK) / r.Seconds
	}
	if n := len(t.lat); n > 0 {
		sort.Slice(t.lat, func(i, j int) bool { return t.lat[i] < t.lat[j] })
		pct := func(q float64) float64 {
			i := int(math.Ceil(q*float64(n))) - 1
			if i < 0 {
				i = 0
			}
			if i >= n {
				i = n - 1
			}
			return float64(t.lat[i]) / 1e6
		}
		r.P50, r.P90, r.P99, r.P999, r.Max = pct(0.50), pct(0.90), pct(0.99), pct(0.999), float64(t.lat[n-1])/1e6
	}
	for k, v := range t.errs {
		r.ErrorKinds = append(r.ErrorKinds, errorKind{Code: k.code, Message: k.msg, Count: v})
	}
	sort.Slice(r.ErrorKinds, func(i, j int) bool {
		a, b := r.ErrorKinds[i], r.ErrorKinds[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Code+a.Message < b.Code+b.Message
	})
}

// allFailed is the result of a run that could not start at all (e.g. no connection).
func (r *result) allFailed(err error) *result {
	t := newTally()
	t.failN(err, r.Total)
	r.finish(t, 0)
	return r
}

// ---------------------------------------------------------------------------
// Connections, keys and values.

// watchStreamsOpened counts the gRPC Watch streams this process opened, so a run can check
// that its watchers really are spread over the streams it asked for.
var watchStreamsOpened int64

func countWatchStreams(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err == nil && method == "/etcdserverpb.Watch/Watch" {
		atomic.AddInt64(&watchStreamsOpened, 1)
	}
	return cs, err
}

func dial(ep string) (*clientv3.Client, error) {
	c, err := testserver.NewClient([]string{ep}, 5*time.Second, grpc.WithBlock(), grpc.WithChainStreamInterceptor(countWatchStreams))
	if err != nil {
		return nil, &stageError{"connect to " + ep, err}
	}
	return c, nil
}

// dialConns opens n connections, the i-th to endpoints[(i+offset) % len(endpoints)].
func dialConns(cfg *loadConfig, n, offset int) ([]*clientv3.Client, error) {
	clis := make([]*clientv3.Client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clis {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			clis[i], errs[i] = dial(cfg.endpoints[(i+offset)%len(cfg.endpoints)])
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			closeAll(clis)
			return nil, err
		}
	}
	return clis, nil
}

func closeAll(clis []*clientv3.Client) {
	for _, c := range clis {
		if c != nil {
			c.Close()
		}
	}
}

func varintLen(v int64) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutVarint(buf[:], v)
}

// encodeKey is etcd's benchmark key: the index as a varint in key-size bytes.
func encodeKey(idx, size int) string {
	k := make([]byte, size)
	binary.PutVarint(k, int64(idx))
	return string(k)
}

// key is key idx of the run: --key-prefix, then the index as a varint, --key-size bytes in all.
func (c *loadConfig) key(idx int) string {
	if c.keyPrefix == "" {
		return encodeKey(idx, c.keySize)
	}
	return c.keyPrefix + encodeKey(idx, c.keySize-len(c.keyPrefix))
}

type keyGen struct {
	cfg *loadConfig
	rng *rand.Rand
}

func newKeyGen(cfg *loadConfig, seed int64) *keyGen {
	return &keyGen{cfg: cfg, rng: rand.New(rand.NewSource(time.Now().UnixNano() + seed*7919))}
}

// index is the key index of request n.
func (g *keyGen) index(n int) int {
	if g.cfg.seqKeys {
		return n % g.cfg.keySpace
	}
	return g.rng.Intn(g.cfg.keySpace)
}

func (g *keyGen) key(n int) string { return g.cfg.key(g.index(n)) }

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// ---------------------------------------------------------------------------
// The closed loop shared by put, range, txn-put and lease-keepalive.

type opFunc func(ctx context.Context, n int) error

// closedLoop runs setup for each of cfg.clients goroutines (not timed), then lets them issue
// requests 0..total-1 until all are issued or the time limit is reached.
func closedLoop(cfg *loadConfig, res *result, setup func(w int) (opFunc, error)) {
	type worker struct {
		op       opFunc
		setupErr error
		t        *tally
	}
	workers := make([]*worker, cfg.clients)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range workers {
		workers[i] = &worker{t: newTally()}
		wg.Add(1)
		go func(w *worker, i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			w.op, w.setupErr = setup(i)
		}(workers[i], i)
	}
	wg.Wait()

	syncPoint(cfg, "BENCH-READY")
	start := time.Now()
	deadline := start.Add(cfg.timeout)
	// A server that answers nothing would hold every client for --op-timeout per request
	// until the time limit: once stallLimit requests have timed out and none has succeeded,
	// stop issuing (the rest count as errors).
	var next, okCount, timeouts int64
	stallLimit := int64(cfg.clients)
	if stallLimit > 10 {
		stallLimit = 10
	}
	var stalled int32
	for _, w := range workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if atomic.LoadInt32(&stalled) != 0 {
					return
				}
				n := int(atomic.AddInt64(&next, 1) - 1)
				if n >= cfg.total {
					return
				}
				if w.setupErr != nil {
					w.t.fail(w.setupErr)
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
				t0 := time.Now()
				err := w.op(ctx, n)
				d := time.Since(t0)
				cancel()
				if err != nil {
					w.t.fail(err)
					if errors.Is(err, context.DeadlineExceeded) &&
						atomic.AddInt64(&timeouts, 1) >= stallLimit && atomic.LoadInt64(&okCount) == 0 {
						atomic.StoreInt32(&stalled, 1)
					}
				} else {
					w.t.ok(d)
					atomic.AddInt64(&okCount, 1)
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	syncPoint(cfg, "BENCH-DONE")

	all := newTally()
	for _, w := range workers {
		all.merge(w.t)
	}
	if issued := int(atomic.LoadInt64(&next)); issued < cfg.total {
		if issued > cfg.total {
			issued = cfg.total
		}
		reason := limitError
		if atomic.LoadInt32(&stalled) != 0 {
			reason = stallError
		}
		all.failN(reason, cfg.total-issued)
	}
	res.finish(all, elapsed)
}

// ---------------------------------------------------------------------------
// put, range, txn-put

func runPut(cfg *loadConfig) *result {
	res := newResult(cfg)
	clis, err := dialConns(cfg, cfg.conns, 0)
	if err != nil {
		return res.allFailed(err)
	}
	defer closeAll(clis)
	val := string(randBytes(cfg.valSize))
	closedLoop(cfg, res, func(w int) (opFunc, error) {
		c, kg := clis[w%len(clis)], newKeyGen(cfg, int64(w))
		return func(ctx context.Context, n int) error {
			_, err := c.Put(ctx, kg.key(n), val)
			return err
		}, nil
	})
	return res
}

func runRange(cfg *loadConfig) *result {
	res := newResult(cfg)
	clis, err := dialConns(cfg, cfg.conns, 0)
	if err != nil {
		return res.allFailed(err)
	}
	defer closeAll(clis)
	if cfg.prefill > 0 {
		res.SetupNote = prefill(cfg, clis)
	}
	var opts []clientv3.OpOption
	if cfg.consistency == "s" {
		opts = append(opts, clientv3.WithSerializable())
	}
	closedLoop(cfg, res, func(w int) (opFunc, error) {
		c, kg := clis[w%len(clis)], newKeyGen(cfg, int64(w))
		return func(ctx context.Context, n int) error {
			_, err := c.Get(ctx, kg.key(n), opts...)
			return err
		}, nil
	})
	return res
}

// prefill writes keys 0..prefill-1 (before the clock starts) so that ranges find them.
func prefill(cfg *loadConfig, clis []*clientv3.Client) string {
	val := string(randBytes(cfg.valSize))
	var next, failed int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			c := clis[g%len(clis)]
			for {
				i := int(atomic.AddInt64(&next, 1) - 1)
				if i >= cfg.prefill {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
				_, err := c.Put(ctx, cfg.key(i), val)
				cancel()
				if err != nil {
					atomic.AddInt64(&failed, 1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}(g)
	}
	wg.Wait()
	note := fmt.Sprintf("prefilled %d keys", cfg.prefill)
	if failed > 0 {
		note += fmt.Sprintf(" (%d puts failed: %v)", failed, firstErr.Load())
	}
	return note
}

func runTxnPut(cfg *loadConfig) *result {
	res := newResult(cfg)
	clis, err := dialConns(cfg, cfg.conns, 0)
	if err != nil {
		return res.allFailed(err)
	}
	defer closeAll(clis)
	val := string(randBytes(cfg.valSize))
	closedLoop(cfg, res, func(w int) (opFunc, error) {
		c, kg := clis[w%len(clis)], newKeyGen(cfg, int64(w))
		ops := make([]clientv3.Op, cfg.txnOps)
		return func(ctx context.Context, n int) error {
			// Distinct keys in one txn (etcd refuses duplicates): consecutive indexes.
			base := kg.index(n * cfg.txnOps)
			for j := range ops {
				ops[j] = clientv3.OpPut(cfg.key((base+j)%cfg.keySpace), val)
			}
			_, err := c.Txn(ctx).Then(ops...).Commit()
			return err
		}, nil
	})
	return res
}

// ---------------------------------------------------------------------------
// lease-keepalive

// kaStream is one client's LeaseKeepAlive stream, reopened after an error.
type kaStream struct {
	lc      pb.LeaseClient
	id      int64
	timeout time.Duration
	stream  pb.Lease_LeaseKeepAliveClient
	cancel  context.CancelFunc
}

func (s *kaStream) open() {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := s.lc.LeaseKeepAlive(ctx)
	if err != nil {
		cancel()
		return
	}
	s.stream, s.cancel = st, cancel
}

func (s *kaStream) close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.stream, s.cancel = nil, nil
}

func (s *kaStream) do(_ context.Context, _ int) error {
	if s.stream == nil {
		s.open()
		if s.stream == nil {
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
			defer cancel()
			_, err := s.lc.LeaseKeepAlive(ctx)
			if err == nil {
				err = errors.New("cannot open LeaseKeepAlive stream")
			}
			return err
		}
	}
	timer := time.AfterFunc(s.timeout, s.cancel)
	defer timer.Stop()
	err := s.stream.Send(&pb.LeaseKeepAliveRequest{ID: s.id})
	var resp *pb.LeaseKeepAliveResponse
	if err == nil || err == io.EOF { // io.EOF: the server ended the stream; Recv has the status
		resp, err = s.stream.Recv()
	}
	if err != nil {
		s.close()
		return err
	}
	if resp.TTL <= 0 {
		return rpctypes.ErrLeaseNotFound
	}
	return nil
}

func runLeaseKeepAlive(cfg *loadConfig) *result {
	res := newResult(cfg)
	clis, err := dialConns(cfg, cfg.conns, 0)
	if err != nil {
		return res.allFailed(err)
	}
	defer closeAll(clis)
	leases := make([]clientv3.LeaseID, cfg.clients)
	streams := make([]*kaStream, cfg.clients)
	closedLoop(cfg, res, func(w int) (opFunc, error) {
		c := clis[w%len(clis)]
		ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
		lr, err := c.Grant(ctx, 600)
		cancel()
		if err != nil {
			return nil, &stageError{"lease grant", err}
		}
		leases[w] = lr.ID
		if cfg.mode == "once" {
			return func(ctx context.Context, _ int) error {
				_, err := c.KeepAliveOnce(ctx, lr.ID)
				return err
			}, nil
		}
		s := &kaStream{lc: pb.NewLeaseClient(c.ActiveConnection()), id: int64(lr.ID), timeout: cfg.opTimeout}
		s.open()
		streams[w] = s
		return s.do, nil
	})
	// Teardown (not timed): close streams, revoke the leases.
	var wg sync.WaitGroup
	for w := range leases {
		if streams[w] != nil {
			streams[w].close()
		}
		if leases[w] == 0 {
			continue
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			clis[w%len(clis)].Revoke(ctx, leases[w])
			cancel()
		}(w)
	}
	wg.Wait()
	return res
}

// ---------------------------------------------------------------------------
// watch-latency and watch-fanout

// streamCtx is the context for the watches of stream s. clientv3 puts all the watches of one
// client whose contexts carry the same outgoing gRPC metadata on one Watch stream; with more
// streams than connections, each stream gets its own metadata value, hence its own stream.
func streamCtx(parent context.Context, cfg *loadConfig, s int) context.Context {
	if cfg.streams <= cfg.conns {
		return parent
	}
	return metadata.AppendToOutgoingContext(parent, "bench-watch-stream", strconv.Itoa(s))
}

// streamsNote says how many Watch streams were opened (counted by a client interceptor).
func streamsNote(want int) string {
	got := atomic.LoadInt64(&watchStreamsOpened)
	note := fmt.Sprintf("%d watch streams opened", got)
	if got != int64(want) {
		note += fmt.Sprintf(" (asked for %d)", want)
	}
	return note
}

// runWatch: cfg.clients watchers on cfg.conns connections (the i-th to endpoint i+1, so on a
// cluster the event crosses members) watch one key; a putter on its own connection to the
// first endpoint writes it. Each value carries the put's sequence number, so each watcher
// measures from the start of the put to the arrival of its event. watch-latency waits for every
// watcher's event before the next put; watch-fanout puts back to back. One sample per
// (put, watcher): --total samples, so total/clients puts.
func runWatch(cfg *loadConfig, fanout bool) *result {
	res := newResult(cfg)
	nw := cfg.clients
	puts := (cfg.total + nw - 1) / nw
	res.Total = puts * nw

	putter, err := dial(cfg.endpoints[0])
	if err != nil {
		return res.allFailed(err)
	}
	defer putter.Close()
	clis, err := dialConns(cfg, cfg.conns, 1)
	if err != nil {
		return res.allFailed(err)
	}
	defer closeAll(clis)

	key := fmt.Sprintf("bench/watch/%d", rand.Int63())
	starts := make([]int64, puts)
	type watcher struct {
		ch     clientv3.WatchChan
		err    error // set in set-up, or by the watcher's goroutine when its stream ends (errMu)
		errMu  sync.Mutex
		gaveUp error // set by the putter (latency mode)
		lat    []time.Duration
		got    int64 // atomic
		dead   bool  // putter's view
	}
	failed := func(w *watcher) error {
		w.errMu.Lock()
		defer w.errMu.Unlock()
		if w.err != nil {
			return w.err
		}
		return w.gaveUp
	}
	type ack struct {
		w, seq int
		dead   bool
	}
	ws := make([]*watcher, nw)
	acks := make(chan ack, 4*nw+16)
	wctx, stopWatches := context.WithCancel(context.Background())
	defer stopWatches()

	// Set-up: every watch created (or failed) before the clock starts.
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = &watcher{}
		wg.Add(1)
		st := i % cfg.streams
		go func(w *watcher, c *clientv3.Client, ctx context.Context) {
			defer wg.Done()
			w.ch = c.Watch(ctx, key, clientv3.WithCreatedNotify())
			select {
			case r, ok := <-w.ch:
				switch {
				case !ok:
					w.err = &stageError{"watch create", errors.New("watch channel closed")}
				case r.Err() != nil:
					w.err = &stageError{"watch create", r.Err()}
				}
			case <-time.After(cfg.opTimeout):
				w.err = &stageError{"watch create", context.DeadlineExceeded}
			}
		}(ws[i], clis[st%len(clis)], streamCtx(wctx, cfg, st))
	}
	wg.Wait()
	res.SetupNote = streamsNote(cfg.streams)
	if cfg.streams > cfg.conns {
		res.addExtra("gRPC Watch streams opened (counted in the client)", float64(atomic.LoadInt64(&watchStreamsOpened)), "", false)
	}
	live := 0
	for i, w := range ws {
		if w.err != nil {
			w.dead = true
			continue
		}
		live++
		wg.Add(1)
		go func(i int, w *watcher) {
			defer wg.Done()
			for r := range w.ch {
				now := time.Now()
				if err := r.Err(); err != nil {
					if wctx.Err() == nil {
						w.errMu.Lock()
						w.err = err
						w.errMu.Unlock()
						select {
						case acks <- ack{w: i, dead: true}:
						case <-wctx.Done():
						}
					}
					return
				}
				for _, ev := range r.Events {
					if ev.Kv == nil || len(ev.Kv.Value) < 8 {
						continue
					}
					seq := int(binary.BigEndian.Uint64(ev.Kv.Value))
					if seq < 0 || seq >= puts {
						continue
					}
					w.lat = append(w.lat, now.Sub(time.Unix(0, atomic.LoadInt64(&starts[seq]))))
					atomic.AddInt64(&w.got, 1)
					if !fanout {
						select {
						case acks <- ack{w: i, seq: seq}:
						case <-wctx.Done():
							return
						}
					}
				}
			}
		}(i, w)
	}

	val := randBytes(cfg.valSize)
	if len(val) < 8 {
		val = make([]byte, 8)
	}
	putErrs := newTally()
	failedPuts, issued := 0, 0
	byLimit := false

	syncPoint(cfg, "BENCH-READY")
	start := time.Now()
	deadline := start.Add(cfg.timeout)
	acked := make([]bool, nw)
	missed := make([]int, nw)
	for seq := 0; seq < puts && live > 0; seq++ {
		if !time.Now().Before(deadline) {
			byLimit = true
			break
		}
		// Watchers that died while we were putting (fanout drains acks only here).
		for drained := false; !drained; {
			select {
			case a := <-acks:
				if a.dead && !ws[a.w].dead {
					ws[a.w].dead = true
					live--
				}
			default:
				drained = true
			}
		}
		if live == 0 {
			break
		}
		v := append([]byte(nil), val...)
		binary.BigEndian.PutUint64(v, uint64(seq))
		atomic.StoreInt64(&starts[seq], time.Now().UnixNano())
		ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
		_, err := putter.Put(ctx, key, string(v))
		cancel()
		issued++
		if err != nil {
			failedPuts++
			putErrs.failN(&stageError{"put", err}, nw)
			continue
		}
		if fanout {
			continue
		}
		need := 0
		for i := range acked {
			acked[i] = false
			if !ws[i].dead {
				need++
			}
		}
		timer := time.NewTimer(cfg.opTimeout)
		for need > 0 {
			select {
			case a := <-acks:
				w := ws[a.w]
				if a.dead {
					if !w.dead {
						w.dead = true
						live--
						if !acked[a.w] {
							need--
						}
					}
				} else if a.seq == seq && !w.dead && !acked[a.w] {
					acked[a.w] = true
					need--
				}
			case <-timer.C:
				// Give up on watchers that missed this event after missing the two before.
				for i, w := range ws {
					if w.dead || acked[i] {
						continue
					}
					missed[i]++
					if missed[i] >= 3 {
						w.dead = true
						w.gaveUp = fmt.Errorf("no event for 3 puts in a row, gave up on this watcher: %w", context.DeadlineExceeded)
						live--
					}
				}
				need = 0
			}
		}
		timer.Stop()
		for i := range ws {
			if acked[i] {
				missed[i] = 0
			}
		}
	}
	if fanout {
		// Wait until every live watcher has every event, or op-timeout after the last put.
		want := int64(issued - failedPuts)
		limit := time.Now().Add(cfg.opTimeout)
		for time.Now().Before(limit) {
			done := true
			for _, w := range ws {
				if failed(w) == nil && atomic.LoadInt64(&w.got) < want {
					done = false
					break
				}
			}
			if done {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	syncPoint(cfg, "BENCH-DONE")
	stopWatches()
	wg.Wait()

	// Account for every missing sample: failed puts, puts never issued, dead watchers, lost events.
	all := newTally()
	all.merge(putErrs)
	notIssued := puts - issued
	for _, w := range ws {
		all.lat = append(all.lat, w.lat...)
		missing := puts - int(w.got) - failedPuts
		if byLimit {
			all.failN(limitError, notIssued)
			missing -= notIssued
		}
		switch err := failed(w); {
		case missing <= 0:
		case err != nil:
			all.failN(err, missing)
		default:
			all.failN(fmt.Errorf("event not received within --op-timeout: %w", context.DeadlineExceeded), missing)
		}
	}
	res.finish(all, elapsed)
	return res
}
