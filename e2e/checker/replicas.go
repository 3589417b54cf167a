package checker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/runnel/runnel/pkg/record"
)

// Batch is one RecordBatch as stored in a replica's segment file.
type Batch struct {
	BaseOffset, NextOffset int64
	Epoch                  int32
	Bytes                  []byte
	Segment                string // the segment file it is in
}

// ReadLog reads every batch of the partition directory dir (segments "%020d.log" in name order).
// A torn batch at the end of the last segment ends the log (a crash may leave one above the high
// watermark); a torn or unparsable batch anywhere else is an error.
func ReadLog(dir string) ([]Batch, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Batch
	for i, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		batches, err := ParseSegment(b)
		for j := range batches {
			batches[j].Segment = filepath.Base(name)
		}
		out = append(out, batches...)
		if err != nil && (i != len(names)-1 || !errors.Is(err, record.ErrShortBatch)) {
			return out, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, nil
}

// ParseSegment splits the content of a segment file into batches (record.Next, then
// record.ParseHeader). It returns the batches before the first that cannot be split, and that
// error (record.ErrShortBatch for a torn tail).
func ParseSegment(b []byte) ([]Batch, error) {
	var out []Batch
	for {
		batch, rest, err := record.Next(b)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		h, err := record.ParseHeader(batch)
		if err != nil {
			return out, err
		}
		if h.LastOffsetDelta < 0 || h.NextOffset() <= h.BaseOffset {
			return out, fmt.Errorf("%w: batch at offset %d has last offset delta %d", record.ErrCorrupt, h.BaseOffset, h.LastOffsetDelta)
		}
		out = append(out, Batch{BaseOffset: h.BaseOffset, NextOffset: h.NextOffset(), Epoch: h.PartitionLeaderEpoch, Bytes: batch})
		b = rest
	}
}

// CompareReplicas checks the replicas of one partition (node id → its batches) below the high
// watermark hw: each holds [start, hw) in contiguous, CRC-valid batches, where start is the largest
// first offset among them, and they are byte for byte the same. It returns the violations.
func CompareReplicas(logs map[int32][]Batch, hw int64) []string {
	var bad []string
	if len(logs) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(logs))
	start := int64(0)
	for _, id := range ids {
		if l := logs[id]; len(l) > 0 {
			start = max(start, l[0].BaseOffset)
		}
	}
	prefix := map[int32][]Batch{}
	for _, id := range ids {
		var below []Batch
		next := int64(-1)
		for _, b := range logs[id] {
			if next >= 0 && b.BaseOffset != next {
				bad = append(bad, fmt.Sprintf("replica %d: batch at offset %d follows a batch ending at %d (%s): not contiguous", id, b.BaseOffset, next, b.Segment))
				break
			}
			next = b.NextOffset
			if b.NextOffset <= start || b.BaseOffset >= hw {
				continue
			}
			if _, err := record.Validate(b.Bytes); err != nil {
				bad = append(bad, fmt.Sprintf("replica %d: batch at offset %d below the high watermark %d is invalid: %v", id, b.BaseOffset, hw, err))
			}
			below = append(below, b)
		}
		end := start
		if len(below) > 0 {
			end = below[len(below)-1].NextOffset
		}
		if start < hw && end < hw {
			bad = append(bad, fmt.Sprintf("replica %d: holds offsets up to %d only, below the high watermark %d", id, end, hw))
		}
		prefix[id] = below
	}
	ref := ids[0]
	for _, id := range ids[1:] {
		a, b := prefix[ref], prefix[id]
		for i := range min(len(a), len(b)) {
			if !bytes.Equal(a[i].Bytes, b[i].Bytes) {
				bad = append(bad, fmt.Sprintf("replicas %d and %d differ below the high watermark %d: batch %d is offsets [%d,%d) epoch %d (%d bytes) on %d, [%d,%d) epoch %d (%d bytes) on %d",
					ref, id, hw, i, a[i].BaseOffset, a[i].NextOffset, a[i].Epoch, len(a[i].Bytes), ref,
					b[i].BaseOffset, b[i].NextOffset, b[i].Epoch, len(b[i].Bytes), id))
				break
			}
		}
		if len(a) != len(b) {
			bad = append(bad, fmt.Sprintf("replicas %d and %d hold %d and %d batches below the high watermark %d", ref, id, len(a), len(b), hw))
		}
	}
	return bad
}
