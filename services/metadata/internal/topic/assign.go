package topic

import (
	"hash/fnv"
	"slices"
)

// Assign returns the replica lists of partitions 0..partitions-1 of a topic with replication
// factor rf over the given node ids (any order; duplicates ignored). It needs 1 <= rf <= number
// of distinct nodes and partitions >= 0; otherwise it returns nil.
func Assign(name string, partitions, rf int32, nodes []int32) [][]int32 {
	ids := slices.Clone(nodes)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	n := len(ids)
	if rf < 1 || int(rf) > n || partitions < 0 {
		return nil
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	sum := int(h.Sum32() & 0x7fffffff)
	start := sum % n
	shift := (sum / n) % n // the follower shift, grown by one every n partitions

	out := make([][]int32, partitions)
	for p := range int(partitions) {
		if p > 0 && p%n == 0 {
			shift++
		}
		first := (p + start) % n
		replicas := make([]int32, 0, rf)
		replicas = append(replicas, ids[first])
		for j := range int(rf) - 1 {
			// 1 <= step <= n-1 and distinct for each j < n-1: the followers are distinct and
			// never the leader.
			step := 1 + (shift+j)%(n-1)
			replicas = append(replicas, ids[(first+step)%n])
		}
		out[p] = replicas
	}
	return out
}
