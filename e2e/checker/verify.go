package checker

import (
	"context"
	"fmt"
	"slices"

	"github.com/runnel/runnel/e2e/harness"
)

// Entry is one record of a partition's final content.
type Entry struct {
	Offset int64
	Value  string
}

// Report is the outcome of Verify.
type Report struct {
	Violations []string
	Acked      int // acknowledged records checked
	Read       int // consumer observations checked
	Duplicates int // workload values found at more than one offset
}

// ReadFinal reads every partition [0, partitions) of topic from its log start up to its high
// watermark over REST.
func ReadFinal(ctx context.Context, rest *harness.Client, topic string, partitions int32) (map[int32][]Entry, error) {
	out := map[int32][]Entry{}
	for p := range partitions {
		recs, _, err := rest.ConsumeAll(ctx, topic, p, 0)
		if err != nil {
			return nil, fmt.Errorf("read partition %d: %w", p, err)
		}
		es := make([]Entry, len(recs))
		for i, r := range recs {
			es[i] = Entry{Offset: int64(r.Offset), Value: string(r.ValueBytes())}
		}
		out[p] = es
	}
	return out, nil
}

// Verify checks the history against final, the content of every partition after the test (see
// the package doc for what counts as a violation).
func (h *History) Verify(final map[int32][]Entry) Report {
	acks, reads, sent, violations := h.snapshot()
	rep := Report{Violations: violations, Acked: len(acks), Read: len(reads)}
	bad := func(format string, args ...any) {
		rep.Violations = append(rep.Violations, fmt.Sprintf(format, args...))
	}

	at := map[int32]map[int64]string{} // partition → offset → value
	where := map[string][]locationOf{} // workload value → where it is
	for p, es := range final {
		m := make(map[int64]string, len(es))
		at[p] = m
		for i, e := range es {
			if i > 0 && e.Offset != es[i-1].Offset+1 {
				bad("partition %d: offset %d follows %d; offsets must be contiguous", p, e.Offset, es[i-1].Offset)
			}
			m[e.Offset] = e.Value
			prod, seq, ok := ParseValue(e.Value)
			if !ok {
				continue
			}
			if seq >= sent[prod] {
				bad("partition %d offset %d holds %q, which no producer sent", p, e.Offset, e.Value)
			}
			where[e.Value] = append(where[e.Value], locationOf{p, e.Offset})
		}
	}
	for _, locs := range where {
		if len(locs) > 1 {
			rep.Duplicates++
		}
	}

	// Every acknowledged record is at its offset.
	for _, a := range acks {
		got, ok := at[a.Partition][a.Offset]
		if ok && got == a.Value {
			continue
		}
		desc := "nothing"
		if ok {
			desc = fmt.Sprintf("%q", got)
		}
		bad("acknowledged record %q (partition %d offset %d) is missing: the log holds %s there; the value is at %v",
			a.Value, a.Partition, a.Offset, desc, where[a.Value])
	}

	// Per partition, a producer's acknowledged records are in sequence order (acks are sorted by
	// producer, then sequence number).
	last := map[[2]int64]Ack{} // (partition, producer) → the previous ack
	for _, a := range acks {
		k := [2]int64{int64(a.Partition), int64(a.Producer)}
		if prev, ok := last[k]; ok && a.Offset <= prev.Offset {
			bad("partition %d: producer %d's record seq %d is at offset %d, not after seq %d at offset %d: order broken",
				a.Partition, a.Producer, a.Seq, a.Offset, prev.Seq, prev.Offset)
		}
		last[k] = a
	}

	// What consumers read below the high watermark is committed: it is in the final log, unchanged.
	for _, o := range reads {
		if o.Offset >= o.HighWatermark {
			continue // reported while running
		}
		got, ok := at[o.Partition][o.Offset]
		if !ok || got != o.Value {
			bad("a consumer read %q at partition %d offset %d below the high watermark %d, but the final log holds %q there: it read a record that was not committed",
				o.Value, o.Partition, o.Offset, o.HighWatermark, got)
		}
	}
	return rep
}

// locationOf is where a value was found.
type locationOf struct {
	Partition int32
	Offset    int64
}

func (l locationOf) String() string { return fmt.Sprintf("%d@%d", l.Partition, l.Offset) }

// FirstViolations returns at most n violations, and how many were left out.
func (r Report) FirstViolations(n int) ([]string, int) {
	if len(r.Violations) <= n {
		return slices.Clone(r.Violations), 0
	}
	return slices.Clone(r.Violations[:n]), len(r.Violations) - n
}
