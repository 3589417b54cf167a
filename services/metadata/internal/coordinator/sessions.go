package coordinator

import (
	"container/heap"
	"sync"
	"time"
)

// sessions is the queue of member session deadlines the run loop waits on. A heartbeat only
// moves the deadline kept with the group (entry.deadlines); when the queue's entry for a member
// comes due before its real deadline, the loop queues it again at the real one. So a member has
// at most one entry most of the time, and a heartbeat costs no queue operation.
type sessions struct {
	mu sync.Mutex
	q  deadlineQueue
}

type deadline struct {
	at            time.Time
	group, member string
}

type deadlineQueue []deadline

func (q deadlineQueue) Len() int           { return len(q) }
func (q deadlineQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q deadlineQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *deadlineQueue) Push(x any)        { *q = append(*q, x.(deadline)) }
func (q *deadlineQueue) Pop() any {
	old := *q
	d := old[len(old)-1]
	*q = old[:len(old)-1]
	return d
}

// add queues a deadline and reports whether it is now the earliest.
func (s *sessions) add(d deadline) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	heap.Push(&s.q, d)
	return s.q[0] == d
}

// next returns the earliest deadline (false when none).
func (s *sessions) next() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.q) == 0 {
		return time.Time{}, false
	}
	return s.q[0].at, true
}

// due removes and returns the deadlines at or before now.
func (s *sessions) due(now time.Time) []deadline {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []deadline
	for len(s.q) > 0 && !s.q[0].at.After(now) {
		out = append(out, heap.Pop(&s.q).(deadline))
	}
	return out
}
