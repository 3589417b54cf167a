package checker

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Ack is one record the cluster acknowledged with an offset.
type Ack struct {
	Partition int32
	Offset    int64
	Producer  int
	Seq       int64
	Value     string
	At        time.Time // when the answer arrived
}

// Observation is one record a consumer read, with the high watermark of that answer.
type Observation struct {
	Partition     int32
	Offset        int64
	Value         string
	HighWatermark int64
}

// History is what every workload sharing it saw. It is safe for concurrent use.
type History struct {
	mu         sync.Mutex
	producers  int
	sent       map[int]int64 // producer → number of sequence numbers handed out
	acks       []Ack
	failures   map[string]int // error name → records
	samples    map[string]string
	reads      []Observation
	violations []string // found while running (a consumer above the high watermark)
	readErrors map[string]int
}

// NewHistory returns an empty history.
func NewHistory() *History {
	return &History{
		sent:       map[int]int64{},
		failures:   map[string]int{},
		samples:    map[string]string{},
		readErrors: map[string]int{},
	}
}

// newProducer hands out the next producer id (from 1).
func (h *History) newProducer() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.producers++
	return h.producers
}

// reserve records that producer is about to send sequence numbers up to seq (exclusive).
func (h *History) reserve(producer int, seq int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent[producer] = max(h.sent[producer], seq)
}

func (h *History) ack(a Ack) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.acks = append(h.acks, a)
}

func (h *History) fail(name, msg string, records int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures[name] += records
	if _, ok := h.samples[name]; !ok {
		h.samples[name] = msg
	}
}

func (h *History) observe(o Observation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads = append(h.reads, o)
}

func (h *History) violation(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.violations = append(h.violations, fmt.Sprintf(format, args...))
}

func (h *History) readError(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.readErrors[name]++
}

// Acks returns a copy of every acknowledgement so far.
func (h *History) Acks() []Ack {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.acks)
}

// AckCount is the number of records acknowledged on partition p (every partition when p < 0).
func (h *History) AckCount(p int32) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, a := range h.acks {
		if p < 0 || a.Partition == p {
			n++
		}
	}
	return n
}

// AcksSince is the number of records acknowledged on partition p (every partition when p < 0)
// whose answer arrived after t.
func (h *History) AcksSince(p int32, t time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, a := range h.acks {
		if (p < 0 || a.Partition == p) && a.At.After(t) {
			n++
		}
	}
	return n
}

// FirstAckAfter is the arrival time of the first acknowledgement on partition p after t.
func (h *History) FirstAckAfter(p int32, t time.Time) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var first time.Time
	for _, a := range h.acks {
		if a.Partition == p && a.At.After(t) && (first.IsZero() || a.At.Before(first)) {
			first = a.At
		}
	}
	return first, !first.IsZero()
}

// Failures returns error name → records that failed with it.
func (h *History) Failures() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.failures)
}

// Summary is a one-paragraph account for t.Log: records acknowledged, failed by name (with a
// sample message each), read, and read errors.
func (h *History) Summary() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d producers, %d records acknowledged, %d read by consumers", h.producers, len(h.acks), len(h.reads))
	names := slices.Sorted(maps.Keys(h.failures))
	for _, n := range names {
		fmt.Fprintf(&b, "\n  failed %s: %d records (e.g. %.200s)", n, h.failures[n], h.samples[n])
	}
	if len(h.readErrors) > 0 {
		keys := slices.Sorted(maps.Keys(h.readErrors))
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s×%d", k, h.readErrors[k]))
		}
		fmt.Fprintf(&b, "\n  consumer errors: %s", strings.Join(parts, ", "))
	}
	return b.String()
}

// snapshot copies what Verify needs.
func (h *History) snapshot() (acks []Ack, reads []Observation, sent map[int]int64, violations []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	acks = slices.Clone(h.acks)
	sort.SliceStable(acks, func(i, j int) bool {
		if acks[i].Producer != acks[j].Producer {
			return acks[i].Producer < acks[j].Producer
		}
		return acks[i].Seq < acks[j].Seq
	})
	return acks, slices.Clone(h.reads), maps.Clone(h.sent), slices.Clone(h.violations)
}
