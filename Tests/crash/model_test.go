package crash

// What a verification (after each restart) checks, against every request the
// server acknowledged (recorded with its response header revision) and every
// request whose outcome is unknown (in flight at the kill, or failed):
//
//   - every key's current state is that of its latest acknowledged write
//     (a put: present, mod_revision == the put's revision, same value; a
//     delete: absent), or of an unacknowledged write (a put of that value at
//     a later mod_revision, or a delete) — never anything else;
//   - every older acknowledged write is in the history: a Get at its revision
//     shows the put (mod_revision and value) or no key for a delete (no
//     compaction happens, so ErrCompacted is a failure too);
//   - the store revision is at least the highest revision any response
//     showed before the kill, and at most that plus the number of unknown
//     requests (each could have made one revision);
//   - an unacknowledged transaction found applied is there whole (every write
//     of it shows at its revision), and at a revision no acknowledged
//     request has;
//   - no key the test never wrote; sane create_revision/version.
//
// While writing, each writer also checks that its acknowledged requests have
// increasing revisions, that no two acknowledged requests share a revision,
// and that deletes and compares on its own acknowledged keys find them.
//
// After the verification the store's state becomes the known state of every
// key (and is checked again in every later cycle).

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The keys the test writes all live under keyPrefix.
const (
	keyPrefix = "/crash/"
	keyEnd    = "/crash0" // prefix end of keyPrefix
)

type kind int8

const (
	kPut kind = iota
	kDel
)

func (k kind) String() string {
	if k == kPut {
		return "put"
	}
	return "delete"
}

// kw is one write of a request: a put of val to key, or a delete of key.
type kw struct {
	key  string
	kind kind
	val  string // put: the value, unique in the run
}

// write is a write the server acknowledged (rev > 0, the response header's
// revision) or one whose outcome is unknown (rev 0: in flight at the kill, or
// the request failed).
type write struct {
	kind  kind
	val   string
	rev   int64
	op    int64 // the request: a transaction's writes share it
	cycle int
}

// keyState is what the test knows about one key.
type keyState struct {
	base    *write  // the state the last verification confirmed (a put; nil: none yet)
	acked   []write // acknowledged since that verification
	unknown []write // sent since, outcome unknown
}

// problem is one thing found wrong; class groups them in the summary.
type problem struct {
	class string
	msg   string
}

// model records what the writers did; the verification checks the store
// against it after each restart, then settles it to what the store holds.
type model struct {
	mu       sync.Mutex
	keys     map[string]*keyState
	revOwner map[int64]int64 // acknowledged write revision -> request id
	maxAcked int64           // highest revision of an acknowledged write
	maxSeen  int64           // highest revision in any response header
	problems []problem       // found while writing, since the last verification
	nextOp   int64
	multi    map[int64][]kw // unknown requests of several writes, by request id

	// Counts since the last verification, and in total.
	cycleAcked, cycleUnknown int
	totalAcked, totalUnknown int
}

func newModel() *model {
	return &model{keys: map[string]*keyState{}, revOwner: map[int64]int64{}, multi: map[int64][]kw{}}
}

func (m *model) state(key string) *keyState {
	ks := m.keys[key]
	if ks == nil {
		ks = &keyState{}
		m.keys[key] = ks
	}
	return ks
}

func (m *model) problem(class, format string, args ...interface{}) {
	m.mu.Lock()
	m.problems = append(m.problems, problem{class, fmt.Sprintf(format, args...)})
	m.mu.Unlock()
}

// seen records a response header revision (of any response).
func (m *model) seen(rev int64) {
	m.mu.Lock()
	if rev > m.maxSeen {
		m.maxSeen = rev
	}
	m.mu.Unlock()
}

// acked records the writes of one acknowledged request, all at revision rev.
// A request that wrote nothing (a delete that found no key) is not recorded.
func (m *model) acked(cycle int, rev int64, ws []kw) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextOp++
	op := m.nextOp
	if prev, dup := m.revOwner[rev]; dup && prev != op {
		m.problems = append(m.problems, problem{"duplicate-revision", fmt.Sprintf(
			"revision %d acknowledged for two different requests (now %s %q)", rev, ws[0].kind, ws[0].key)})
	}
	m.revOwner[rev] = op
	for _, w := range ws {
		ks := m.state(w.key)
		ks.acked = append(ks.acked, write{kind: w.kind, val: w.val, rev: rev, op: op, cycle: cycle})
	}
	if rev > m.maxAcked {
		m.maxAcked = rev
	}
	if rev > m.maxSeen {
		m.maxSeen = rev
	}
	m.cycleAcked++
	m.totalAcked++
}

// unknown records the writes of a request whose outcome is unknown.
func (m *model) unknown(cycle int, ws []kw) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextOp++
	for _, w := range ws {
		ks := m.state(w.key)
		ks.unknown = append(ks.unknown, write{kind: w.kind, val: w.val, op: m.nextOp, cycle: cycle})
	}
	if len(ws) > 1 {
		m.multi[m.nextOp] = ws
	}
	m.cycleUnknown++
	m.totalUnknown++
}

// liveKeys lists the keys under prefix the last verification found, with
// their mod revisions (for a writer to delete or overwrite).
func (m *model) liveKeys(prefix string) []liveKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []liveKey
	for k, ks := range m.keys {
		if ks.base != nil && strings.HasPrefix(k, prefix) {
			out = append(out, liveKey{k, ks.base.rev})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

type liveKey struct {
	key string
	rev int64
}

// observed is a key as the store returned it.
type observed struct {
	mod, create, version int64
	val                  string
}

// readAll reads every key under keyPrefix at one revision, in pages.
func readAll(ctx context.Context, kv pb.KVClient) (map[string]observed, int64, error) {
	out := map[string]observed{}
	key := []byte(keyPrefix)
	var rev int64
	for page := 0; page < 10000; page++ {
		resp, err := kv.Range(ctx, &pb.RangeRequest{Key: key, RangeEnd: []byte(keyEnd), Limit: 5000, Revision: rev})
		if err != nil {
			return nil, rev, fmt.Errorf("range %q.. at rev %d: %v", key, rev, err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, p := range resp.Kvs {
			out[string(p.Key)] = observed{p.ModRevision, p.CreateRevision, p.Version, string(p.Value)}
		}
		if !resp.More {
			return out, rev, nil
		}
		if len(resp.Kvs) == 0 {
			return nil, rev, fmt.Errorf("range %q..: more=true with no keys", key)
		}
		key = append(append([]byte{}, resp.Kvs[len(resp.Kvs)-1].Key...), 0)
	}
	return nil, rev, fmt.Errorf("range of %s: too many pages", keyPrefix)
}

// verifyStats describes one verification.
type verifyStats struct {
	storeRev   int64
	keys       int // keys the store holds under keyPrefix
	atRev      int // acknowledged writes checked with a Get at their revision
	confirmed  int // acknowledged writes confirmed by the current state
	unresolved int // unknown writes found applied
}

// atRevCheck is an acknowledged write not visible in the current state
// (superseded by a later write), checked with a Get at its revision.
type atRevCheck struct {
	key string
	w   write
}

// verify checks the restarted store against every acknowledged write since
// the last verification, then settles the model to the store's state. It
// returns the problems found, those of the writers included.
func (m *model) verify(kv pb.KVClient, cycle int) ([]problem, verifyStats) {
	var st verifyStats
	m.mu.Lock()
	defer m.mu.Unlock()
	probs := m.problems
	m.problems = nil
	add := func(class, format string, args ...interface{}) {
		probs = append(probs, problem{class, fmt.Sprintf(format, args...)})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	obs, r0, err := readAll(ctx, kv)
	if err != nil {
		add("read-error", "cannot read the store: %v", err)
		return probs, st
	}
	st.storeRev, st.keys = r0, len(obs)

	// Revisions: nothing acknowledged may be missing, nothing may go back,
	// and each revision past what was seen needs an unacknowledged write.
	unknownReqs := m.cycleUnknown
	if r0 < m.maxAcked {
		add("revision-backwards", "store revision %d after the restart is below the highest acknowledged write revision %d", r0, m.maxAcked)
	} else if r0 < m.maxSeen {
		add("revision-backwards", "store revision went backwards: %d seen before the kill, %d after the restart", m.maxSeen, r0)
	}
	if r0 > m.maxSeen+int64(unknownReqs) {
		add("phantom-revision", "store revision %d after the restart is beyond the highest revision seen (%d) plus the %d unacknowledged requests", r0, m.maxSeen, unknownReqs)
	}

	keys := make([]string, 0, len(m.keys)+len(obs))
	for k := range m.keys {
		keys = append(keys, k)
	}
	for k := range obs {
		if m.keys[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)

	var checks []atRevCheck
	var applied []appliedTxn
	for _, k := range keys {
		ks := m.keys[k]
		o, present := obs[k]
		if present && (o.mod > r0 || o.create > o.mod || o.version < 1) {
			add("bad-metadata", "%q: mod_revision %d, create_revision %d, version %d at store revision %d", k, o.mod, o.create, o.version, r0)
		}
		if ks == nil {
			add("phantom-key", "%q = %q (mod_revision %d) is in the store, but the test never wrote it (or saw it deleted)", k, short(o.val), o.mod)
			m.keys[k] = &keyState{base: &write{kind: kPut, val: o.val, rev: o.mod, cycle: cycle}}
			continue
		}
		sort.SliceStable(ks.acked, func(i, j int) bool { return ks.acked[i].rev < ks.acked[j].rev })
		last := ks.base
		if n := len(ks.acked); n > 0 {
			last = &ks.acked[n-1]
		}
		var lastRev int64
		if last != nil {
			lastRev = last.rev
		}
		lastReported := false
		if present {
			switch {
			case last != nil && last.kind == kPut && o.mod == last.rev:
				if o.val != last.val {
					add("wrong-value", "%q at mod_revision %d holds %q, the acknowledged put there wrote %q", k, o.mod, short(o.val), short(last.val))
					lastReported = true
				}
			case o.mod > lastRev && findUnknownPut(ks.unknown, o.val) != nil:
				// An unacknowledged put that was applied: fine, if it has a
				// revision of its own and (a transaction) came whole.
				st.unresolved++
				u := findUnknownPut(ks.unknown, o.val)
				if owner, taken := m.revOwner[o.mod]; taken && owner != u.op {
					add("duplicate-revision", "unacknowledged put %q = %q applied at mod_revision %d, the revision of an acknowledged request", k, short(o.val), o.mod)
				}
				if ws := m.multi[u.op]; ws != nil {
					applied = append(applied, appliedTxn{u.op, o.mod, k})
				}
			case last != nil && last.kind == kPut:
				add("lost-put", "acknowledged put %q = %q at revision %d (cycle %d) is lost: the store has %q at mod_revision %d",
					k, short(last.val), last.rev, last.cycle, short(o.val), o.mod)
				lastReported = true
			case last != nil:
				add("lost-delete", "acknowledged delete of %q at revision %d (cycle %d) is undone: the store has %q at mod_revision %d",
					k, last.rev, last.cycle, short(o.val), o.mod)
				lastReported = true
			default:
				add("phantom-key", "%q = %q (mod_revision %d): no request of the test wrote that value", k, short(o.val), o.mod)
			}
		} else if last != nil && last.kind == kPut {
			if hasUnknown(ks.unknown, kDel, "") {
				st.unresolved++
			} else {
				add("lost-put", "acknowledged put %q = %q at revision %d (cycle %d) is lost: the key is not in the store (revision %d)",
					k, short(last.val), last.rev, last.cycle, r0)
				lastReported = true
			}
		}
		// Settle the key to what the store holds (checked every cycle from now on).
		if present {
			cyc := cycle
			if last != nil && last.rev == o.mod {
				cyc = last.cycle
			}
			m.keys[k] = &keyState{base: &write{kind: kPut, val: o.val, rev: o.mod, cycle: cyc}}
		} else {
			delete(m.keys, k)
		}
		for i := range ks.acked {
			a := ks.acked[i]
			isLast := i == len(ks.acked)-1
			switch {
			case isLast && lastReported:
			case a.kind == kPut && present && o.mod == a.rev && o.val == a.val:
				st.confirmed++
			case a.kind == kDel && !present && isLast:
				st.confirmed++
			default:
				checks = append(checks, atRevCheck{k, a})
			}
		}
	}

	// Superseded acknowledged writes: a Get at their revision must show them.
	for _, c := range checks {
		st.atRev++
		if p := checkAtRev(ctx, kv, c, r0); p != nil {
			probs = append(probs, *p)
		}
	}
	// An unacknowledged transaction found applied must be there whole: at its
	// revision every write of it shows.
	done := map[int64]bool{}
	for _, a := range applied {
		if done[a.op] {
			continue
		}
		done[a.op] = true
		for _, w := range m.multi[a.op] {
			if w.key == a.key {
				continue
			}
			c := atRevCheck{w.key, write{kind: w.kind, val: w.val, rev: a.rev, op: -1, cycle: cycle}}
			if p := checkAtRev(ctx, kv, c, r0); p != nil {
				p.class = "torn-txn"
				p.msg = fmt.Sprintf("unacknowledged txn found applied at revision %d (its put of %q): %s", a.rev, a.key, p.msg)
				probs = append(probs, *p)
			}
		}
	}
	m.multi = map[int64][]kw{}

	// From here on the store as it is now is the reference: after a failed
	// verification revisions above r0 are forgotten, so the next cycle
	// reports its own losses rather than this cycle's again.
	if len(probs) > 0 {
		for rev := range m.revOwner {
			if rev > r0 {
				delete(m.revOwner, rev)
			}
		}
	}
	m.maxSeen = r0
	if m.maxAcked > r0 {
		m.maxAcked = r0
	}
	m.cycleAcked, m.cycleUnknown = 0, 0
	return probs, st
}

// short shortens a value for a message: values carry up to 32 KiB of padding.
func short(v string) string {
	if len(v) <= 40 {
		return v
	}
	return fmt.Sprintf("%s...(%d bytes)", v[:32], len(v))
}

// appliedTxn is an unknown request of several writes whose put on key was
// found applied at rev.
type appliedTxn struct {
	op  int64
	rev int64
	key string
}

func findUnknownPut(ws []write, val string) *write {
	for i := range ws {
		if ws[i].kind == kPut && ws[i].val == val {
			return &ws[i]
		}
	}
	return nil
}

func hasUnknown(ws []write, k kind, val string) bool {
	for _, w := range ws {
		if w.kind == k && (k == kDel || w.val == val) {
			return true
		}
	}
	return false
}

// checkAtRev reads c.key at c.w.rev: a put must be there with that
// mod_revision and value, a delete must have left no key.
func checkAtRev(ctx context.Context, kv pb.KVClient, c atRevCheck, storeRev int64) *problem {
	what := fmt.Sprintf("acknowledged %s of %q at revision %d (cycle %d)", c.w.kind, c.key, c.w.rev, c.w.cycle)
	if c.w.op < 0 {
		what = fmt.Sprintf("its %s of %q", c.w.kind, c.key)
	}
	resp, err := kv.Range(ctx, &pb.RangeRequest{Key: []byte(c.key), Revision: c.w.rev})
	if err != nil {
		s, _ := status.FromError(err)
		switch {
		case s.Code() == codes.OutOfRange && strings.Contains(s.Message(), "compacted"):
			// Nothing in this test compacts, so no revision may be compacted.
			return &problem{"history", fmt.Sprintf("%s: Get at its revision: %v (nothing compacts in this test)", what, err)}
		case s.Code() == codes.OutOfRange && strings.Contains(s.Message(), "future"):
			return &problem{"lost-revision", fmt.Sprintf("%s: its revision is in the future of the store (revision %d): %v", what, storeRev, err)}
		default:
			return &problem{"read-error", fmt.Sprintf("%s: Get at its revision: %v", what, err)}
		}
	}
	if c.w.kind == kDel {
		if len(resp.Kvs) != 0 {
			p := resp.Kvs[0]
			return &problem{"history", fmt.Sprintf("%s: at that revision the key still holds %q (mod_revision %d)", what, short(string(p.Value)), p.ModRevision)}
		}
		return nil
	}
	if len(resp.Kvs) != 1 {
		return &problem{"history", fmt.Sprintf("%s = %q: at that revision the key is absent", what, short(c.w.val))}
	}
	p := resp.Kvs[0]
	if p.ModRevision != c.w.rev || !bytes.Equal(p.Value, []byte(c.w.val)) {
		return &problem{"history", fmt.Sprintf("%s = %q: at that revision the key holds %q at mod_revision %d", what, short(c.w.val), short(string(p.Value)), p.ModRevision)}
	}
	return nil
}

// classOrder ranks problem classes: the most telling first.
var classOrder = []string{
	"restart", "server-exited", "read-error", "revision-backwards", "lost-put", "lost-delete",
	"wrong-value", "history", "torn-txn", "lost-revision", "phantom-key", "phantom-revision", "bad-metadata",
	"txn", "revision-order", "duplicate-revision",
}

func classRank(c string) int {
	for i, x := range classOrder {
		if x == c {
			return i
		}
	}
	return len(classOrder)
}

// examples picks up to n problems to show, taking one of each class in
// turn, the most telling class first.
func examples(probs []problem, n int) []problem {
	byClass := map[string][]problem{}
	var classes []string
	for _, p := range probs {
		if byClass[p.class] == nil {
			classes = append(classes, p.class)
		}
		byClass[p.class] = append(byClass[p.class], p)
	}
	sort.SliceStable(classes, func(i, j int) bool { return classRank(classes[i]) < classRank(classes[j]) })
	var out []problem
	for round := 0; len(out) < n && len(out) < len(probs); round++ {
		for _, c := range classes {
			if round < len(byClass[c]) && len(out) < n {
				out = append(out, byClass[c][round])
			}
		}
	}
	return out
}

// summarize counts problems by class, most frequent first.
func summarize(probs []problem) string {
	n := map[string]int{}
	for _, p := range probs {
		n[p.class]++
	}
	classes := make([]string, 0, len(n))
	for c := range n {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		if n[classes[i]] != n[classes[j]] {
			return n[classes[i]] > n[classes[j]]
		}
		return classes[i] < classes[j]
	})
	parts := make([]string, len(classes))
	for i, c := range classes {
		parts[i] = fmt.Sprintf("%s %d", c, n[c])
	}
	return strings.Join(parts, ", ")
}
