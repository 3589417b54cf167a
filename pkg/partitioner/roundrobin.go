package partitioner

import "sync/atomic"

// RoundRobin hands out partitions in turn: 0, 1, …, n-1, 0, … for a steady
// partition count n. The zero value is ready to use and it is safe for
// concurrent use; concurrent callers each get a distinct turn.
type RoundRobin struct {
	next atomic.Uint64
}

// Next returns the next partition among partitions partitions, or -1 if
// partitions < 1.
func (r *RoundRobin) Next(partitions int) int {
	if partitions < 1 {
		return -1
	}
	return int((r.next.Add(1) - 1) % uint64(partitions))
}
