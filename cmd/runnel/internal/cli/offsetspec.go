package cli

import (
	"strconv"
	"strings"
)

// offsetKind is where consume starts.
type offsetKind int

const (
	offsetEarliest offsetKind = iota // the log start offset
	offsetLatest                     // the high watermark when consume starts
	offsetExact                      // a given offset
)

// offsetSpec is a parsed --offset.
type offsetSpec struct {
	kind   offsetKind
	offset int64 // for offsetExact
}

// parseOffsetSpec parses --offset: earliest, latest or a non-negative offset.
func parseOffsetSpec(s string) (offsetSpec, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "earliest":
		return offsetSpec{kind: offsetEarliest}, nil
	case "latest":
		return offsetSpec{kind: offsetLatest}, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return offsetSpec{}, usagef("--offset %q: use earliest, latest or an offset (0 or more)", s)
	}
	return offsetSpec{kind: offsetExact, offset: n}, nil
}

// start is the first offset to read of a partition with the given range.
func (o offsetSpec) start(logStart, highWatermark int64) int64 {
	switch o.kind {
	case offsetLatest:
		return highWatermark
	case offsetExact:
		return o.offset
	}
	return logStart
}
