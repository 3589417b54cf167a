package assign

import (
	"cmp"
	"slices"
)

// StickyAssign is the sticky assignor (see the package doc).
func StickyAssign(in Input) Assignment {
	ms, topics := prepare(in)
	owned := map[Partition]bool{}
	parts := make([][]Partition, len(ms))
	exists := func(p Partition) bool { return p.Partition >= 0 && p.Partition < in.Partitions[p.Topic] }

	// (1) Keep what the previous target gave to members still subscribed.
	for i, m := range ms {
		cur := slices.Clone(in.Current[m.id])
		slices.SortFunc(cur, Compare)
		for _, p := range cur {
			if exists(p) && m.subs[p.Topic] && !owned[p] {
				owned[p] = true
				parts[i] = append(parts[i], p)
			}
		}
	}

	// (2) The rest, those with the fewest eligible members first, to the least loaded.
	eligible := map[string][]int{}
	for _, t := range topics {
		for i, m := range ms {
			if m.subs[t] {
				eligible[t] = append(eligible[t], i)
			}
		}
	}
	var free []Partition
	for _, t := range topics {
		for p := range in.Partitions[t] {
			if pt := (Partition{t, p}); !owned[pt] {
				free = append(free, pt)
			}
		}
	}
	slices.SortStableFunc(free, func(a, b Partition) int {
		return cmp.Compare(len(eligible[a.Topic]), len(eligible[b.Topic]))
	})
	for _, p := range free {
		best := -1
		for _, i := range eligible[p.Topic] {
			if best < 0 || len(parts[i]) < len(parts[best]) {
				best = i
			}
		}
		parts[best] = append(parts[best], p)
	}

	// (3) Balance.
	balance(ms, parts)

	out := output(ms)
	for i, m := range ms {
		if len(parts[i]) > 0 {
			out[m.id] = parts[i]
		}
	}
	return sortAll(out)
}

// balance moves one partition at a time from a member to one with at least two partitions fewer
// that is subscribed to its topic, until no such move is left. Each step takes the least loaded
// member that can receive (ties: lowest id) and the most loaded member that can give it one
// (ties: highest id), and moves the giver's greatest partition it can take. Every move lowers the
// sum of the squared counts, so the loop ends; among members with the same subscriptions any
// partition of one can go to the other, so their counts end up at most one apart.
func balance(ms []member, parts [][]Partition) {
	order := make([]int, len(ms))
	total := 0
	for i := range ms {
		order[i] = i
		total += len(parts[i])
	}
	for range total*total + 1 {
		slices.SortFunc(order, func(a, b int) int {
			return cmp.Or(cmp.Compare(len(parts[a]), len(parts[b])), cmp.Compare(a, b))
		})
		if !moveOne(ms, parts, order) {
			return
		}
	}
}

// moveOne makes the first possible move for members in order (ascending load) and reports
// whether there was one.
func moveOne(ms []member, parts [][]Partition, order []int) bool {
	for _, r := range order {
		for j := len(order) - 1; j >= 0; j-- {
			d := order[j]
			if len(parts[d])-len(parts[r]) < 2 {
				break
			}
			g := -1
			for k, p := range parts[d] {
				if ms[r].subs[p.Topic] && (g < 0 || Compare(p, parts[d][g]) > 0) {
					g = k
				}
			}
			if g < 0 {
				continue
			}
			p := parts[d][g]
			parts[d] = slices.Delete(parts[d], g, g+1)
			parts[r] = append(parts[r], p)
			return true
		}
	}
	return false
}
