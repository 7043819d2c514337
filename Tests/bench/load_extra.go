package main

// Workloads whose figure is not a closed loop of requests: idle watchers (the driver reads the
// server's memory per watcher) and the expiry of many leases at once.

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// ---------------------------------------------------------------------------
// watch-idle

// runWatchIdle creates --total watches, each on its own key that nobody writes, spread over
// --clients Watch streams on --conns connections (stream s on connection s % conns). Each
// stream's watches are created one after another by its own goroutine; a sample is the time
// from the Watch call to its `created` response. Only the connections exist at BENCH-READY;
// after the last watch is created the run waits --settle, then prints BENCH-DONE with every
// watch still in place, so the driver's two memory readings differ by the watches (and the
// streams that carry them).
func runWatchIdle(cfg *loadConfig) *result {
	res := newResult(cfg)
	clis, err := dialConns(cfg, cfg.conns, 0)
	if err != nil {
		return res.allFailed(err)
	}
	defer closeAll(clis)
	streams := cfg.clients
	icfg := *cfg
	icfg.streams = streams
	base := fmt.Sprintf("bench/idle/%d/", rand.Int63())
	wctx, stop := context.WithCancel(context.Background())
	defer stop()

	syncPoint(cfg, "BENCH-READY")
	start := time.Now()
	deadline := start.Add(cfg.timeout)
	tallies := make([]*tally, streams)
	var wg sync.WaitGroup
	for s := 0; s < streams; s++ {
		tallies[s] = newTally()
		wg.Add(1)
		go func(s int, t *tally) {
			defer wg.Done()
			c, ctx := clis[s%len(clis)], streamCtx(wctx, &icfg, s)
			stalled := 0
			for i := s; i < cfg.total; i += streams {
				if !time.Now().Before(deadline) {
					t.fail(limitError)
					continue
				}
				if stalled >= 3 { // this stream answers nothing: do not wait 10 s per watch
					t.fail(stallError)
					continue
				}
				t0 := time.Now()
				ch := c.Watch(ctx, base+strconv.Itoa(i), clientv3.WithCreatedNotify())
				timer := time.NewTimer(cfg.opTimeout)
				select {
				case r, ok := <-ch:
					switch {
					case !ok:
						t.fail(&stageError{"watch create", errors.New("watch channel closed")})
					case r.Err() != nil:
						t.fail(&stageError{"watch create", r.Err()})
					case !r.Created:
						t.fail(&stageError{"watch create", errors.New("first response is not `created`")})
					default:
						t.ok(time.Since(t0))
						stalled = 0
					}
				case <-timer.C:
					t.fail(&stageError{"watch create", context.DeadlineExceeded})
					stalled++
				}
				timer.Stop()
			}
		}(s, tallies[s])
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.SetupNote = streamsNote(streams)
	res.addExtra("gRPC Watch streams opened (counted in the client)", float64(atomic.LoadInt64(&watchStreamsOpened)), "", false)
	time.Sleep(cfg.settle)
	syncPoint(cfg, "BENCH-DONE")
	stop()

	all := newTally()
	for _, t := range tallies {
		all.merge(t)
	}
	res.finish(all, elapsed)
	return res
}

// ---------------------------------------------------------------------------
// lease-expiry

// runLeaseExpiry grants --total leases with --ttl (all grants first, --clients at a time, so
// they are granted as close together as the server allows), then puts one key on each; a
// watcher on the keys' prefix (own connection, deletes only) records when each key's delete
// arrives. The timed part starts after the puts and ends when every key's delete has arrived
// (or --timeout). A lease is due at the moment its grant was sent plus the TTL the server
// granted: no server may delete its key earlier.
//
// Samples: per lease, the delete's arrival minus the lease's due time (the expiry lag). qps is
// deletes per second over the expiry: the number of deletes divided by the time from the first
// lease's due time to the last delete, which is also `seconds`.
func runLeaseExpiry(cfg *loadConfig) *result {
	res := newResult(cfg)
	n := cfg.total
	clis, err := dialConns(cfg, cfg.conns, 0)
	if err != nil {
		return res.allFailed(err)
	}
	defer closeAll(clis)
	wcli, err := dial(cfg.endpoints[len(cfg.endpoints)-1])
	if err != nil {
		return res.allFailed(err)
	}
	defer wcli.Close()

	prefix := fmt.Sprintf("bench/lease-expiry/%d/", rand.Int63())
	delAt := make([]int64, n) // unix ns the delete event arrived (atomic)
	var deleted int64
	var watchErr atomic.Value
	wctx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	wch := wcli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithFilterPut(), clientv3.WithCreatedNotify())
	select {
	case r, ok := <-wch:
		switch {
		case !ok:
			return res.allFailed(&stageError{"watch create", errors.New("watch channel closed")})
		case r.Err() != nil:
			return res.allFailed(&stageError{"watch create", r.Err()})
		}
	case <-time.After(cfg.opTimeout):
		return res.allFailed(&stageError{"watch create", context.DeadlineExceeded})
	}
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for r := range wch {
			now := time.Now().UnixNano()
			if err := r.Err(); err != nil {
				if wctx.Err() == nil {
					watchErr.Store(&stageError{"delete watch", err})
				}
				return
			}
			for _, ev := range r.Events {
				if ev.Type != mvccpb.DELETE || ev.Kv == nil {
					continue
				}
				i, err := strconv.Atoi(strings.TrimPrefix(string(ev.Kv.Key), prefix))
				if err != nil || i < 0 || i >= n {
					continue
				}
				if atomic.CompareAndSwapInt64(&delAt[i], 0, now) {
					atomic.AddInt64(&deleted, 1)
				}
			}
		}
	}()

	// Set-up: grants, then puts.
	due := make([]int64, n)
	sent := make([]int64, n)
	ids := make([]clientv3.LeaseID, n)
	setupErr := make([]error, n)
	setupStart := time.Now()
	setupDeadline := setupStart.Add(cfg.timeout)
	parallel := func(fn func(c *clientv3.Client, i int) error) {
		var next int64
		var wg sync.WaitGroup
		for g := 0; g < cfg.clients; g++ {
			wg.Add(1)
			go func(c *clientv3.Client) {
				defer wg.Done()
				for {
					i := int(atomic.AddInt64(&next, 1) - 1)
					if i >= n {
						return
					}
					if setupErr[i] != nil {
						continue
					}
					if !time.Now().Before(setupDeadline) {
						setupErr[i] = limitError
						continue
					}
					setupErr[i] = fn(c, i)
				}
			}(clis[g%len(clis)])
		}
		wg.Wait()
	}
	parallel(func(c *clientv3.Client, i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
		defer cancel()
		t0 := time.Now()
		lr, err := c.Grant(ctx, cfg.ttl)
		if err != nil {
			return &stageError{"lease grant", err}
		}
		sent[i], ids[i] = t0.UnixNano(), lr.ID
		due[i] = t0.Add(time.Duration(lr.TTL) * time.Second).UnixNano()
		return nil
	})
	grantsDone := time.Now()
	parallel(func(c *clientv3.Client, i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
		defer cancel()
		if _, err := c.Put(ctx, prefix+strconv.Itoa(i), "x", clientv3.WithLease(ids[i])); err != nil {
			return &stageError{"put with lease", err}
		}
		return nil
	})
	setupEnd := time.Now()
	earlyInSetup := atomic.LoadInt64(&deleted)

	var firstDue, lastDue, firstSent, lastSent int64
	expected := 0
	for i := 0; i < n; i++ {
		if setupErr[i] != nil {
			continue
		}
		expected++
		if firstDue == 0 || due[i] < firstDue {
			firstDue = due[i]
		}
		if due[i] > lastDue {
			lastDue = due[i]
		}
		if firstSent == 0 || sent[i] < firstSent {
			firstSent = sent[i]
		}
		if sent[i] > lastSent {
			lastSent = sent[i]
		}
	}

	syncPoint(cfg, "BENCH-READY")
	start := time.Now()
	deadline := start.Add(cfg.timeout)
	for expected > 0 && int(atomic.LoadInt64(&deleted)) < expected && time.Now().Before(deadline) && watchErr.Load() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	waited := time.Since(start)
	remaining := int64(-1)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
	if gr, err := clis[0].Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly()); err == nil {
		remaining = gr.Count
	}
	cancel()
	syncPoint(cfg, "BENCH-DONE")
	stopWatch()
	<-watchDone

	// Accounting: every lease is a sample or an error.
	t := newTally()
	var firstDel, lastDel int64
	early, maxEarly := 0, time.Duration(0)
	notDeleted := error(fmt.Errorf("key not deleted within --timeout after the timed part started: %w", context.DeadlineExceeded))
	if err, ok := watchErr.Load().(error); ok && err != nil {
		notDeleted = err
	}
	for i := 0; i < n; i++ {
		if setupErr[i] != nil {
			t.fail(setupErr[i])
			continue
		}
		d := atomic.LoadInt64(&delAt[i])
		if d == 0 {
			t.fail(notDeleted)
			continue
		}
		if firstDel == 0 || d < firstDel {
			firstDel = d
		}
		if d > lastDel {
			lastDel = d
		}
		lag := time.Duration(d - due[i])
		if lag < 0 { // deleted before its TTL ran out
			early++
			if -lag > maxEarly {
				maxEarly = -lag
			}
			lag = 0
		}
		t.ok(lag)
	}
	elapsed := waited
	if lastDel > 0 && firstDue > 0 {
		elapsed = time.Duration(lastDel - firstDue)
	}
	res.finish(t, elapsed)

	ns := func(v int64) float64 { return float64(v) / 1e9 }
	if lastDel > 0 {
		res.addExtra("seconds to expire all (first lease due → last key deleted)", ns(lastDel-firstDue), "s", true)
		res.addExtra("seconds after the last lease was due until the last key was deleted", ns(lastDel-lastDue), "s", true)
	}
	res.addExtra("grant spread (first → last grant sent), a floor for expire-all", ns(lastSent-firstSent), "s", true)
	notes := []string{fmt.Sprintf("ttl %d s; set-up %.2f s (grants %.2f s, puts %.2f s)", cfg.ttl,
		setupEnd.Sub(setupStart).Seconds(), grantsDone.Sub(setupStart).Seconds(), setupEnd.Sub(grantsDone).Seconds())}
	if firstDue > 0 && firstDue < start.UnixNano() {
		notes = append(notes, fmt.Sprintf("the first lease was due %.2f s before the timed part started (set-up longer than the TTL)", ns(start.UnixNano()-firstDue)))
	}
	if earlyInSetup > 0 {
		notes = append(notes, fmt.Sprintf("%d keys deleted during set-up", earlyInSetup))
	}
	if early > 0 {
		notes = append(notes, fmt.Sprintf("%d keys deleted BEFORE their lease's TTL ran out (by up to %v)", early, maxEarly.Round(time.Millisecond)))
	}
	if remaining != 0 {
		notes = append(notes, fmt.Sprintf("keys left under the prefix at the end: %d (-1: count failed)", remaining))
	}
	res.SetupNote = strings.Join(notes, "; ")

	// Teardown (not timed): whatever is left.
	if remaining != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.opTimeout)
		clis[0].Delete(ctx, prefix, clientv3.WithPrefix())
		cancel()
	}
	return res
}
