package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// lines is n lines prefix0 … prefix(n-1).
func lines(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%d\n", prefix, i)
	}
	return b.String()
}

// eventually polls cond every 10 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		<-tick.C
	}
}

type printedRecord struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Value     string `json:"value"`
}

func parsePrinted(t *testing.T, out string) []printedRecord {
	t.Helper()
	var recs []printedRecord
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var r printedRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// following is a consumer run in the background.
type following struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan result
	res    *result
}

// follow runs runnel args... in the background until stop (or the test's end).
func follow(t *testing.T, addr string, args ...string) *following {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	f := &following{t: t, cancel: cancel, done: make(chan result, 1)}
	go func() { f.done <- runCLI(t, ctx, nil, addr, args...) }()
	t.Cleanup(func() { f.stop() })
	return f
}

// wait waits up to d for the command to end by itself.
func (f *following) wait(d time.Duration) result {
	f.t.Helper()
	if f.res == nil {
		select {
		case r := <-f.done:
			f.res = &r
		case <-time.After(d):
			f.cancel()
			r := <-f.done
			f.res = &r
			f.t.Fatalf("the command did not end within %s; stderr:\n%s", d, r.err)
		}
	}
	return *f.res
}

// stop ends the command as Ctrl-C does and returns its result.
func (f *following) stop() result {
	f.t.Helper()
	f.cancel()
	return f.wait(20 * time.Second)
}

func TestGroupConsumeCommitsAndResumes(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t", "-p", "3")
	mustRun(t, g.addr, lines("a", 10), "produce", "t") // round-robin: 4, 3, 3

	r := mustRun(t, g.addr, "", "consume", "t", "--group", "g", "--max", "10", "--format", "json")
	recs := parsePrinted(t, r.stdout)
	seen := map[[2]int64]bool{}
	for _, rec := range recs {
		if rec.Topic != "t" || seen[[2]int64{int64(rec.Partition), rec.Offset}] {
			t.Errorf("record %+v: wrong topic or printed twice", rec)
		}
		seen[[2]int64{int64(rec.Partition), rec.Offset}] = true
	}
	if len(recs) != 10 {
		t.Fatalf("printed %d records, want 10:\n%s", len(recs), r.stdout)
	}
	if got, want := g.committed("g"), map[int32]int64{0: 4, 1: 3, 2: 3}; !maps.Equal(got, want) {
		t.Errorf("committed %v, want %v (the next offset of every partition)", got, want)
	}
	if ids := g.memberIDs("g"); len(ids) != 0 {
		t.Errorf("members %v remain after --max was reached; want the member to leave", ids)
	}
	if !strings.Contains(r.err, "joined group g as member m1 (generation 1, assigned t:0-2)") {
		t.Errorf("stderr %q does not say the member joined", r.err)
	}

	// A second run resumes at the committed offsets: only the new records.
	mustRun(t, g.addr, lines("b", 3), "produce", "t")
	r = mustRun(t, g.addr, "", "consume", "t", "--group", "g", "--max", "3")
	got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	slices.Sort(got)
	if !slices.Equal(got, []string{"b0", "b1", "b2"}) {
		t.Errorf("second run printed %q, want b0, b1, b2", got)
	}
}

// TestGroupConsumeHandsOverRevokedPartitions checks the order a member gives partitions up in:
// everything it read of a revoked partition is committed before the heartbeat that acknowledges
// the revocation, so the next owner starts where it stopped.
func TestGroupConsumeHandsOverRevokedPartitions(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t", "-p", "3")
	mustRun(t, g.addr, lines("a", 6), "produce", "t")
	f := follow(t, g.addr, "consume", "t", "--group", "g", "--format", "json")
	eventually(t, 10*time.Second, "the member commits 2 records of each partition", func() bool {
		return maps.Equal(g.committed("g"), map[int32]int64{0: 2, 1: 2, 2: 2})
	})
	id := g.memberIDs("g")[0]
	// The commit after the next batch meets a new generation in which partitions 1 and 2 are
	// revoked: it fails with ILLEGAL_GENERATION, and the member must commit them with the new
	// generation before it acknowledges it.
	g.revokeWithNextCommit(0)
	mustRun(t, g.addr, lines("c", 30), "produce", "t")
	var gen int32
	eventually(t, 10*time.Second, "partitions 1 and 2 are given up", func() bool {
		var assigned, revoking []int32
		gen, assigned, revoking, _ = g.memberState("g", id)
		return slices.Equal(assigned, []int32{0}) && len(revoking) == 0
	})
	// Replay the log: the heartbeat that acknowledged the revoking generation came after the
	// last commit of partitions 1 and 2, and that commit covered everything the member fetched.
	evs := g.eventLog()
	ackAt := slices.IndexFunc(evs, func(e fakeEvent) bool { return e.kind == "heartbeat" && e.member == id && e.generation >= gen })
	if ackAt < 0 {
		t.Fatalf("no heartbeat acknowledged generation %d:\n%s", gen, eventsString(evs))
	}
	if !slices.ContainsFunc(evs[:ackAt], func(e fakeEvent) bool { return e.kind == "commit" && e.generation == gen && e.offsets[1] == 12 }) {
		t.Errorf("no commit of the revoked partitions with generation %d before it was acknowledged:\n%s", gen, eventsString(evs))
	}
	for _, e := range evs[ackAt:] {
		_, has1 := e.offsets[1]
		_, has2 := e.offsets[2]
		if e.kind == "commit" && (has1 || has2) {
			t.Errorf("%v after the acknowledgement at event %d:\n%s", e, ackAt, eventsString(evs))
		}
	}
	res := f.stop()
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.err)
	}
	printed := map[int32]int64{}
	for _, rec := range parsePrinted(t, res.stdout) {
		printed[rec.Partition] = max(printed[rec.Partition], rec.Offset+1)
	}
	committed := g.committed("g")
	for _, p := range []int32{1, 2} {
		if committed[p] != printed[p] {
			t.Errorf("partition %d: printed up to %d, committed %d; want everything printed committed before the hand-over", p, printed[p], committed[p])
		}
	}
	if last := g.eventLog(); last[len(last)-1].kind != "leave" {
		t.Errorf("the last call was %v, want a leave", last[len(last)-1])
	}
	if !strings.Contains(res.err, "assigned t:0\n") {
		t.Errorf("stderr does not show the new assignment:\n%s", res.err)
	}
}

func TestGroupConsumeMembership(t *testing.T) {
	t.Run("static member stays", func(t *testing.T) {
		g := startFakeGateway(t)
		mustRun(t, g.addr, "", "topic", "create", "t")
		mustRun(t, g.addr, "x\n", "produce", "t")
		r := mustRun(t, g.addr, "", "consume", "t", "--group", "g", "--instance-id", "i-1", "--max", "1")
		if r.stdout != "x\n" {
			t.Errorf("stdout %q", r.stdout)
		}
		if ids := g.memberIDs("g"); len(ids) != 1 {
			t.Errorf("members %v; a static member does not leave on exit", ids)
		}
		if !strings.Contains(r.err, "stays in group g until its session times out") {
			t.Errorf("stderr %q", r.err)
		}
	})
	t.Run("fenced member stops", func(t *testing.T) {
		g := startFakeGateway(t)
		mustRun(t, g.addr, "", "topic", "create", "t")
		f := follow(t, g.addr, "consume", "t", "--group", "g", "--instance-id", "i-1")
		eventually(t, 10*time.Second, "the member joins", func() bool { return len(g.memberIDs("g")) == 1 })
		g.fence("g", g.memberIDs("g")[0])
		r := f.wait(10 * time.Second) // it ends by itself
		if r.code != exitError || !strings.Contains(r.err, "FENCED_INSTANCE_ID: instance \"i-1\" was taken over\nhint: another member joined") {
			t.Errorf("exit %d, stderr %q; want FENCED_INSTANCE_ID with its hint", r.code, r.err)
		}
	})
	t.Run("expired member joins again", func(t *testing.T) {
		g := startFakeGateway(t)
		mustRun(t, g.addr, "", "topic", "create", "t", "-p", "2")
		mustRun(t, g.addr, lines("a", 4), "produce", "t")
		f := follow(t, g.addr, "consume", "t", "--group", "g", "--format", "json")
		eventually(t, 10*time.Second, "4 records committed", func() bool {
			return maps.Equal(g.committed("g"), map[int32]int64{0: 2, 1: 2})
		})
		g.expire("g", "m1")
		eventually(t, 10*time.Second, "a new member joins", func() bool { return slices.Equal(g.memberIDs("g"), []string{"m2"}) })
		mustRun(t, g.addr, lines("b", 4), "produce", "t")
		eventually(t, 10*time.Second, "8 records committed", func() bool {
			return maps.Equal(g.committed("g"), map[int32]int64{0: 4, 1: 4})
		})
		r := f.stop()
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
		if n := len(parsePrinted(t, r.stdout)); n != 8 {
			t.Errorf("printed %d records, want each of 8 once:\n%s", n, r.stdout)
		}
		if !strings.Contains(r.err, "member m1 left group g (UNKNOWN_MEMBER_ID") || !strings.Contains(r.err, "joined group g again as member m2 (generation 1") {
			t.Errorf("stderr %q", r.err)
		}
	})
}
