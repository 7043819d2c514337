package main

// The report: the machine, the servers, a table of swift-etcd / etcd ratios against the
// targets, a table of the measurements, and every error, start failure and crash. The same
// markdown is printed and written between the markers of docs/performance.md.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

type machineInfo struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	MemGiB    float64 `json:"mem_gib"`
	Kernel    string  `json:"kernel"`
	Disk      string  `json:"disk"`
	FsyncP50  float64 `json:"fdatasync_p50_ms"`
	FsyncP99  float64 `json:"fdatasync_p99_ms"`
	LoadStart string  `json:"loadavg_start"`
	LoadEnd   string  `json:"loadavg_end"`
	Go        string  `json:"go"`
	Commit    string  `json:"commit"`
}

func describeMachine(dataRoot string) machineInfo {
	var mi machineInfo
	mi.Cores = runtime.NumCPU()
	if data, err := ioutil.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				if i := strings.Index(l, ":"); i >= 0 {
					mi.CPU = strings.TrimSpace(l[i+1:])
				}
				break
			}
		}
	}
	if data, err := ioutil.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(string(data), "MemTotal: %f kB", &kb)
		mi.MemGiB = kb / (1 << 20)
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		mi.Kernel = "Linux " + charsToString(u.Release[:])
	}
	mi.Disk = describeDisk(dataRoot)
	mi.FsyncP50, mi.FsyncP99 = fsyncProbe(dataRoot)
	mi.LoadStart = loadAvg()
	mi.Go = runtime.Version()
	mi.Commit = gitCommit()
	return mi
}

func charsToString(ca []int8) string {
	b := make([]byte, 0, len(ca))
	for _, c := range ca {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

func loadAvg() string {
	data, err := ioutil.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// describeDisk names the device and file system that hold dir (from /proc/mounts and /sys).
func describeDisk(dir string) string {
	data, err := ioutil.ReadFile("/proc/mounts")
	if err != nil {
		return "?"
	}
	best, dev, fstype := "", "", ""
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, dev, fstype = mp, f[0], f[2]
		}
	}
	desc := fmt.Sprintf("%s (%s, mounted on %s)", dev, fstype, best)
	base := filepath.Base(dev)
	sys := "/sys/class/block/" + base
	if _, err := os.Stat(sys); err == nil {
		// A partition's queue settings live on its parent disk.
		if _, err := os.Stat(sys + "/partition"); err == nil {
			if p, err := filepath.EvalSymlinks(sys); err == nil {
				sys = filepath.Dir(p)
			}
		}
		var parts []string
		if drv, err := filepath.EvalSymlinks(sys + "/device/driver"); err == nil {
			parts = append(parts, "driver "+filepath.Base(drv))
		}
		if m, err := ioutil.ReadFile(sys + "/device/model"); err == nil && strings.TrimSpace(string(m)) != "" {
			parts = append(parts, "model "+strings.TrimSpace(string(m)))
		}
		if r, err := ioutil.ReadFile(sys + "/queue/rotational"); err == nil {
			parts = append(parts, "rotational="+strings.TrimSpace(string(r)))
		}
		if len(parts) > 0 {
			desc += ", " + strings.Join(parts, ", ")
		}
	}
	return desc
}

// fsyncProbe times 200 fdatasyncs of 2 KiB appends in dir, as a WAL append would be.
func fsyncProbe(dir string) (p50, p99 float64) {
	f, err := ioutil.TempFile(dir, "fsync-probe-")
	if err != nil {
		return 0, 0
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 2048)
	var lat []float64
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		if _, err := f.Write(buf); err != nil {
			return 0, 0
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, 0
		}
		lat = append(lat, float64(time.Since(t0))/1e6)
	}
	sort.Float64s(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " with uncommitted changes"
	}
	return c
}

func serverVersion(bin string) string {
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown"
	}
	first := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	return first
}

// ---------------------------------------------------------------------------
// Markdown

type target struct {
	name  string
	limit float64
	less  bool // ratio must be <= limit (else >=)
}

var targets = []target{
	{"server CPU/op", 1.0 / 3, true},
	{"qps", 1.5, false},
	{"p99", 1.0, true},
	{"peak RSS", 1.0 / 3, true},
}

func (t target) met(r float64) bool {
	if t.less {
		return r <= t.limit+1e-9
	}
	return r >= t.limit-1e-9
}

func renderMarkdown(info *runInfo, rows []rowSpec, topologies []int) string {
	var b strings.Builder
	mi := info.Machine
	title := map[string]string{"quick": "`make bench-quick`", "full": "`make bench`"}[info.Mode]
	fmt.Fprintf(&b, "### %s, %s\n\n", title, info.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- Machine: %s, %d cores, %.0f GiB RAM, %s.\n", mi.CPU, mi.Cores, mi.MemGiB, mi.Kernel)
	fmt.Fprintf(&b, "- Disk (data dirs): %s; fdatasync of a 2 KiB append: p50 %.3f ms, p99 %.3f ms.\n", mi.Disk, mi.FsyncP50, mi.FsyncP99)
	fmt.Fprintf(&b, "- Load average (1/5/15 min) at start %s, at end %s — other work on the machine competes with both servers.\n", mi.LoadStart, mi.LoadEnd)
	for _, s := range info.Servers {
		fmt.Fprintf(&b, "- %s: `%s` (%s).\n", s.Name, s.Bin, s.Version)
	}
	fmt.Fprintf(&b, "- Client: etcd-bench (Tests/bench) on Debian's Go clientv3 3.4.23, %s. Source commit %s.\n", mi.Go, mi.Commit)
	scale := "the standard totals"
	if info.Mode == "quick" {
		scale = "quick totals (20–100 % of the standard ones, see the ok / total column; no restart row)"
	}
	fmt.Fprintf(&b, "- Scale: %s; row time limit %s; took %s.\n", scale, info.RowTimeout,
		info.Finished.Sub(info.Started).Round(time.Second))
	for _, s := range info.IdleCPU {
		fmt.Fprintf(&b, "- Idle: %s.\n", s)
	}
	for _, n := range topologies {
		var peaks []string
		for _, srv := range []string{"swift-etcd", "etcd"} {
			peak := 0.0
			for _, m := range info.Results {
				if m.Server == srv && m.Nodes == n && m.PeakMiB > peak {
					peak = m.PeakMiB
				}
			}
			if peak > 0 {
				peaks = append(peaks, fmt.Sprintf("%s %.1f MiB", srv, peak))
			}
		}
		if len(peaks) > 0 {
			fmt.Fprintf(&b, "- Highest peak RSS of any row, %d node(s), summed over members: %s.\n", n, strings.Join(peaks, ", "))
		}
	}
	b.WriteString("\n")

	get := func(row string, nodes int, server string) *measurement {
		for _, m := range info.Results {
			if m.Row == row && m.Nodes == nodes && m.Server == server {
				return m
			}
		}
		return nil
	}

	b.WriteString("#### swift-etcd / etcd (targets: server CPU/op ≤ 0.33, qps ≥ 1.5, p99 ≤ 1.0, peak RSS ≤ 0.33)\n\n")
	if len(info.Servers) < 2 {
		names := []string{}
		for _, s := range info.Servers {
			names = append(names, s.Name)
		}
		fmt.Fprintf(&b, "Only %s ran (`--servers` / `BENCH_TARGETS`): no ratios.\n\n", strings.Join(names, ", "))
	} else {
		b.WriteString("| workload | nodes | server CPU/op | qps | p99 | peak RSS | targets met |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	}
	for _, n := range topologies {
		if len(info.Servers) < 2 {
			break
		}
		// A server that did not start makes every row n/a: one line says so.
		startFailed, nRows := "", 0
		for _, row := range rows {
			if row.runsOn(n) {
				nRows++
			}
		}
		for _, srv := range []string{"swift-etcd", "etcd"} {
			all := nRows > 0
			for _, row := range rows {
				if !row.runsOn(n) {
					continue
				}
				if m := get(row.id, n, srv); m == nil || !m.StartFailed {
					all = false
				}
			}
			if all {
				startFailed = srv
			}
		}
		if startFailed != "" {
			fmt.Fprintf(&b, "| all %d rows | %d | – | – | – | – | **n/a** (%s did not start, see below) |\n", nRows, n, startFailed)
			continue
		}
		for _, row := range rows {
			s, e := get(row.id, n, "swift-etcd"), get(row.id, n, "etcd")
			if s == nil || e == nil {
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | ", row.label, n)
			if reason := naRatio(s, e); reason != "" {
				fmt.Fprintf(&b, "– | – | – | – | **n/a** (%s) |\n", reason)
				continue
			}
			vals := []float64{
				ratio(s.CPUUsPerOp, e.CPUUsPerOp, s.CPUValid && e.CPUValid),
				ratio(s.Result.QPS, e.Result.QPS, true),
				ratio(s.Result.P99, e.Result.P99, true),
				ratio(s.PeakMiB, e.PeakMiB, s.PeakMiB > 0 && e.PeakMiB > 0),
			}
			met, known := 0, 0
			var cells []string
			for i, v := range vals {
				if math.IsNaN(v) {
					cells = append(cells, "?")
					continue
				}
				known++
				mark := "✗"
				if targets[i].met(v) {
					mark, met = "✓", met+1
				}
				cells = append(cells, fmt.Sprintf("%s %s", fmtRatio(v), mark))
			}
			verdict := fmt.Sprintf("%d/%d", met, known)
			if s.Result.Errors > 0 || e.Result.Errors > 0 {
				verdict += " ⚠ errors (see below)"
			}
			fmt.Fprintf(&b, "%s | %s |\n", strings.Join(cells, " | "), verdict)
		}
	}
	b.WriteString("\n")

	b.WriteString("#### Measurements\n\n")
	b.WriteString("Server CPU is user+system time of the server processes (all members) from /proc between the start and the end of the timed part, divided by the successful operations; RSS and peak RSS (VmHWM, reset at the start of each row) are summed over the members.\n\n")
	b.WriteString("| workload | nodes | server | ok / total | errors | qps | p50 ms | p99 ms | p99.9 ms | server CPU µs/op | RSS MiB | peak RSS MiB |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var problems []string
	for _, n := range topologies {
		for _, row := range rows {
			for _, srv := range []string{"swift-etcd", "etcd"} {
				m := get(row.id, n, srv)
				if m == nil {
					continue
				}
				name := srv
				if m.Result == nil {
					fmt.Fprintf(&b, "| %s | %d | %s | – | **n/a** | – | – | – | – | – | – | – |\n", row.label, n, name)
					if !m.StartFailed { // start failures are listed once, per cluster
						problems = append(problems, fmt.Sprintf("%s, %d node(s), %s: **n/a** — %s", row.label, n, srv, m.NA))
					}
					continue
				}
				r := m.Result
				errCell := "0"
				if r.Errors > 0 {
					errCell = fmt.Sprintf("**%d ⚠**", r.Errors)
					var kinds []string
					for _, k := range r.ErrorKinds {
						kinds = append(kinds, fmt.Sprintf("%d × %s: %s", k.Count, k.Code, k.Message))
					}
					label := "errors"
					if m.NA != "" {
						label = "**n/a**, every request failed"
					}
					problems = append(problems, fmt.Sprintf("%s, %d node(s), %s: %s — %s", row.label, n, srv, label, strings.Join(kinds, "; ")))
				}
				if m.Note != "" {
					problems = append(problems, fmt.Sprintf("%s, %d node(s), %s: %s", row.label, n, srv, m.Note))
				}
				if m.NA != "" {
					fmt.Fprintf(&b, "| %s | %d | %s | %d / %d | %s | **n/a** | – | – | – | – | %s | %s |\n",
						row.label, n, name, r.OK, r.Total, errCell, fmtMiB(m.RSSMiB), fmtMiB(m.PeakMiB))
					continue
				}
				cpu := "?"
				if m.CPUValid {
					cpu = fmt.Sprintf("%.1f", m.CPUUsPerOp)
				}
				fmt.Fprintf(&b, "| %s | %d | %s | %d / %d | %s | %.0f | %.2f | %.2f | %.2f | %s | %s | %s |\n",
					row.label, n, name, r.OK, r.Total, errCell, r.QPS, r.P50, r.P99, r.P999, cpu, fmtMiB(m.RSSMiB), fmtMiB(m.PeakMiB))
			}
		}
	}
	b.WriteString("\n")
	renderExtras(&b, info, rows, topologies, get)
	if len(info.StartErrors) > 0 || len(info.ClusterLogs) > 0 || len(problems) > 0 {
		b.WriteString("#### Errors, unsupported rows, start failures\n\n")
		for _, s := range info.StartErrors {
			fmt.Fprintf(&b, "- did not start, so every row on it is **n/a**: %s\n", s)
		}
		for _, s := range info.ClusterLogs {
			fmt.Fprintf(&b, "- %s\n", s)
		}
		for _, p := range problems {
			fmt.Fprintf(&b, "- %s\n", p)
		}
		b.WriteString("\n")
	}
	b.WriteString("Load-generator arguments per row (plus `--endpoints`, `--timeout`, `--op-timeout 10s`):\n\n")
	seen := map[string]bool{}
	for _, m := range info.Results {
		if !seen[m.Row] {
			seen[m.Row] = true
			fmt.Fprintf(&b, "- %s: `etcd-bench %s`\n", m.Label, m.Args)
		}
	}
	return b.String()
}

// renderExtras is the table of the figures that qps and latency do not cover: memory per idle
// watcher, seconds to expire every lease, restart time, ...
func renderExtras(b *strings.Builder, info *runInfo, rows []rowSpec, topologies []int, get func(string, int, string) *measurement) {
	var lines []string
	for _, n := range topologies {
		for _, row := range rows {
			var names []string
			vals := map[string]map[string]figure{}
			for _, srv := range []string{"swift-etcd", "etcd"} {
				m := get(row.id, n, srv)
				if m == nil {
					continue
				}
				for _, f := range m.Extra {
					if vals[f.Name] == nil {
						vals[f.Name] = map[string]figure{}
						names = append(names, f.Name)
					}
					vals[f.Name][srv] = f
				}
			}
			for _, name := range names {
				cell := func(srv string) string {
					f, ok := vals[name][srv]
					if !ok {
						return "–"
					}
					return fmtFigure(f)
				}
				r := "–"
				s, okS := vals[name]["swift-etcd"]
				e, okE := vals[name]["etcd"]
				if okS && okE && e.Value > 0 {
					r = fmtRatio(s.Value / e.Value)
				}
				lines = append(lines, fmt.Sprintf("| %s | %d | %s | %s | %s | %s |", row.label, n, name, cell("swift-etcd"), cell("etcd"), r))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("#### Other figures\n\n")
	b.WriteString("Figures of the rows that qps and latency do not cover (see the method): memory per idle watcher, lease expiry, restart.\n\n")
	b.WriteString("| workload | nodes | figure | swift-etcd | etcd | swift-etcd / etcd |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
}

func fmtFigure(f figure) string {
	v := f.Text
	if v == "" {
		switch {
		case f.Unit == "B" || f.Unit == "" || math.Abs(f.Value) >= 1000:
			v = fmt.Sprintf("%.0f", f.Value)
		case f.Unit == "MiB":
			v = fmt.Sprintf("%.1f", f.Value)
		default:
			v = fmt.Sprintf("%.2f", f.Value)
		}
	}
	if f.Unit == "" {
		return v
	}
	return v + " " + f.Unit
}

// naRatio says why a row has no ratios: a server that could not run it at all.
func naRatio(s, e *measurement) string {
	var why []string
	for _, m := range []*measurement{s, e} {
		if m.Result == nil || m.NA != "" {
			short := m.NAShort
			if short == "" {
				short = shorten(m.NA, 110)
			}
			why = append(why, m.Server+": "+short)
		}
	}
	return strings.Join(why, "; ")
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "|", "/")
	if len([]rune(s)) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}

func ratio(a, b float64, ok bool) float64 {
	if !ok || b <= 0 {
		return math.NaN()
	}
	return a / b
}

func fmtRatio(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func fmtMiB(v float64) string {
	if v <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", v)
}

// updateDoc replaces the section between <!-- bench-MODE:begin --> and <!-- bench-MODE:end -->
// in path (appending one if the markers are missing), leaving the hand-written text alone.
func updateDoc(path, mode, md string) error {
	begin := fmt.Sprintf("<!-- bench-%s:begin (generated by etcd-bench matrix; do not edit by hand) -->", mode)
	end := fmt.Sprintf("<!-- bench-%s:end -->", mode)
	old, err := ioutil.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	if doc == "" {
		doc = "# Performance\n"
	}
	section := begin + "\n\n" + md + "\n" + end
	beginPrefix := fmt.Sprintf("<!-- bench-%s:begin", mode)
	i := strings.Index(doc, beginPrefix)
	j := strings.Index(doc, end)
	if i >= 0 && j > i {
		doc = doc[:i] + section + doc[j+len(end):]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section + "\n"
	}
	return ioutil.WriteFile(path, []byte(doc), 0o644)
}

// reportMain re-renders the tables of a recorded run (results-MODE.json) and writes them
// into the doc, without running anything.
func reportMain(args []string) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: etcd-bench report RESULTS.json [DOC.md]")
		return 2
	}
	data, err := ioutil.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		return 2
	}
	var info runInfo
	if err := json.Unmarshal(data, &info); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		return 2
	}
	var rows []rowSpec
	for _, r := range matrixRows {
		for _, m := range info.Results {
			if m.Row == r.id {
				r.label = m.Label // e.g. the restart row's key count
				rows = append(rows, r)
				break
			}
		}
	}
	var topologies []int
	seen := map[int]bool{}
	for _, m := range info.Results {
		if !seen[m.Nodes] {
			seen[m.Nodes] = true
			topologies = append(topologies, m.Nodes)
		}
	}
	md := renderMarkdown(&info, rows, topologies)
	fmt.Println(md)
	if len(args) == 2 {
		if err := updateDoc(args[1], info.Mode, md); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			return 1
		}
	}
	return 0
}
