package checker

import (
	"strings"
	"testing"
	"time"
)

// history builds a History by hand: producers 1 and 2, with the given acks and reads.
func history(sent map[int]int64, acks []Ack, reads []Observation) *History {
	h := NewHistory()
	h.producers = len(sent)
	for p, s := range sent {
		h.sent[p] = s
	}
	for _, a := range acks {
		a.Value = Value(a.Producer, a.Seq)
		a.At = time.Unix(0, 0)
		h.ack(a)
	}
	for _, o := range reads {
		h.observe(o)
	}
	return h
}

func entries(vals ...string) []Entry {
	out := make([]Entry, len(vals))
	for i, v := range vals {
		out[i] = Entry{Offset: int64(i), Value: v}
	}
	return out
}

func TestVerify(t *testing.T) {
	sent := map[int]int64{1: 10, 2: 10}
	cases := []struct {
		name  string
		acks  []Ack
		reads []Observation
		final map[int32][]Entry
		want  []string // substrings, one per expected violation
		dups  int
	}{
		{
			name:  "clean",
			acks:  []Ack{{Partition: 0, Offset: 0, Producer: 1, Seq: 0}, {Partition: 0, Offset: 2, Producer: 1, Seq: 1}, {Partition: 1, Offset: 0, Producer: 2, Seq: 0}},
			reads: []Observation{{Partition: 0, Offset: 1, Value: "other", HighWatermark: 3}},
			final: map[int32][]Entry{0: entries("w1-0", "other", "w1-1"), 1: entries("w2-0")},
		},
		{
			name:  "acknowledged record missing",
			acks:  []Ack{{Partition: 0, Offset: 1, Producer: 1, Seq: 0}},
			final: map[int32][]Entry{0: entries("w2-0")},
			want:  []string{`"w1-0" (partition 0 offset 1) is missing: the log holds nothing there`},
		},
		{
			name:  "acknowledged record at another offset",
			acks:  []Ack{{Partition: 0, Offset: 0, Producer: 1, Seq: 0}},
			final: map[int32][]Entry{0: entries("w2-0", "w1-0")},
			want:  []string{`the log holds "w2-0" there; the value is at [0@1]`},
		},
		{
			name: "order broken",
			acks: []Ack{{Partition: 0, Offset: 1, Producer: 1, Seq: 0}, {Partition: 0, Offset: 0, Producer: 1, Seq: 1}},
			final: map[int32][]Entry{
				0: entries("w1-1", "w1-0"),
			},
			want: []string{"producer 1's record seq 1 is at offset 0, not after seq 0 at offset 1"},
		},
		{
			name:  "other producers interleave freely",
			acks:  []Ack{{Partition: 0, Offset: 1, Producer: 1, Seq: 0}, {Partition: 0, Offset: 0, Producer: 2, Seq: 5}},
			final: map[int32][]Entry{0: entries("w2-5", "w1-0")},
		},
		{
			name:  "consumer read a record that was not committed",
			reads: []Observation{{Partition: 0, Offset: 1, Value: "w1-3", HighWatermark: 2}},
			final: map[int32][]Entry{0: entries("w1-0", "w1-4")},
			want:  []string{`read "w1-3" at partition 0 offset 1 below the high watermark 2, but the final log holds "w1-4"`},
		},
		{
			name:  "value never sent",
			final: map[int32][]Entry{0: entries("w1-10")},
			want:  []string{`holds "w1-10", which no producer sent`},
		},
		{
			name:  "offsets not contiguous",
			final: map[int32][]Entry{0: {{Offset: 0, Value: "a"}, {Offset: 2, Value: "b"}}},
			want:  []string{"offset 2 follows 0"},
		},
		{
			name:  "a retried duplicate is counted, not a violation",
			acks:  []Ack{{Partition: 0, Offset: 1, Producer: 1, Seq: 0}},
			final: map[int32][]Entry{0: entries("w1-0", "w1-0")},
			dups:  1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := history(sent, tc.acks, tc.reads).Verify(tc.final)
			if len(rep.Violations) != len(tc.want) {
				t.Fatalf("violations %q, want %d matching %q", rep.Violations, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(rep.Violations[i], w) {
					t.Errorf("violation %q does not say %q", rep.Violations[i], w)
				}
			}
			if rep.Duplicates != tc.dups {
				t.Errorf("duplicates %d, want %d", rep.Duplicates, tc.dups)
			}
		})
	}
}

func TestRunningViolationsAreReported(t *testing.T) {
	h := NewHistory()
	h.violation("consumer of partition %d: read offset %d at or above the high watermark %d of the same answer", 0, 5, 5)
	rep := h.Verify(map[int32][]Entry{})
	if len(rep.Violations) != 1 || !strings.Contains(rep.Violations[0], "at or above the high watermark") {
		t.Fatalf("violations %q", rep.Violations)
	}
}

func TestFirstAckAfter(t *testing.T) {
	h := NewHistory()
	base := time.Unix(100, 0)
	for i, p := range []int32{0, 1, 0, 0} {
		h.ack(Ack{Partition: p, Offset: int64(i), At: base.Add(time.Duration(i) * time.Second)})
	}
	cases := []struct {
		p     int32
		after time.Duration
		want  time.Duration
		ok    bool
	}{
		{0, -time.Second, 0, true},
		{0, 0, 2 * time.Second, true},
		{1, 0, time.Second, true},
		{0, 3 * time.Second, 0, false},
	}
	for _, tc := range cases {
		got, ok := h.FirstAckAfter(tc.p, base.Add(tc.after))
		if ok != tc.ok || (ok && !got.Equal(base.Add(tc.want))) {
			t.Errorf("FirstAckAfter(%d, +%s) = %v %v, want +%s %v", tc.p, tc.after, got, ok, tc.want, tc.ok)
		}
	}
	if n := h.AcksSince(0, base); n != 2 {
		t.Errorf("AcksSince(0) = %d, want 2", n)
	}
	if n := h.AckCount(-1); n != 4 {
		t.Errorf("AckCount(-1) = %d, want 4", n)
	}
}

func TestParseValue(t *testing.T) {
	cases := []struct {
		in   string
		prod int
		seq  int64
		ok   bool
	}{
		{Value(3, 17), 3, 17, true},
		{"w1-0", 1, 0, true},
		{"w0-1", 0, 0, false},
		{"w01-2", 0, 0, false},
		{"w1-+2", 0, 0, false},
		{"w1-02", 0, 0, false},
		{"w1", 0, 0, false},
		{"x1-1", 0, 0, false},
		{"w-1-1", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			p, s, ok := ParseValue(tc.in)
			if ok != tc.ok || (ok && (p != tc.prod || s != tc.seq)) {
				t.Errorf("ParseValue(%q) = %d %d %v, want %d %d %v", tc.in, p, s, ok, tc.prod, tc.seq, tc.ok)
			}
		})
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"w1-0", "w12-345", "w01-2", "w1--1", "", "w9223372036854775807-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, seq, ok := ParseValue(s)
		if ok && Value(p, seq) != s {
			t.Fatalf("%q parses to %d, %d, which formats as %q", s, p, seq, Value(p, seq))
		}
	})
}
