package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// simMember is a group member that heartbeats at the interval the coordinator gives it,
// acknowledging the generation it last got, until stopped.
type simMember struct {
	member
	mu     sync.Mutex // guards member's fields
	stop   context.CancelFunc
	done   chan struct{}
	notify chan<- struct{}
}

func startSim(b *testing.B, c runnelv1.GroupCoordinatorServiceClient, group string, topic string, notify chan<- struct{}) *simMember {
	b.Helper()
	m := &simMember{member: *join(b, c, &runnelv1.JoinGroupRequest{Group: group, Topics: []string{topic}}),
		done: make(chan struct{}), notify: notify}
	ctx, cancel := context.WithCancel(context.Background())
	m.stop = func() { cancel(); <-m.done }
	go func() {
		defer close(m.done)
		for {
			m.mu.Lock()
			iv := m.interval
			cur := m.member
			m.mu.Unlock()
			t := time.NewTimer(iv)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			resp, err := c.Heartbeat(ctx, &runnelv1.GroupCoordinatorServiceHeartbeatRequest{Request: &runnelv1.HeartbeatRequest{
				Group: group, MemberId: cur.id, Generation: cur.gen}})
			if err != nil {
				if ctx.Err() == nil {
					b.Errorf("heartbeat %s: %v", cur.id, err)
				}
				return
			}
			r := resp.GetResponse()
			m.mu.Lock()
			m.gen, m.assigned = r.GetGeneration(), flatten(r.GetAssignment())
			m.interval = time.Duration(r.GetHeartbeatIntervalMs()) * time.Millisecond
			m.mu.Unlock()
			select {
			case notify <- struct{}{}:
			default:
			}
		}
	}()
	return m
}

// stable reports whether the members together hold every one of the partitions, each once, with
// counts at most one apart: the sticky target, as the members themselves were told it.
func stable(ms []*simMember, partitions int) bool {
	seen := map[string]bool{}
	lo, hi := partitions, 0
	for _, m := range ms {
		m.mu.Lock()
		n := len(m.assigned)
		for _, p := range m.assigned {
			if seen[p] {
				m.mu.Unlock()
				return false
			}
			seen[p] = true
		}
		m.mu.Unlock()
		lo, hi = min(lo, n), max(hi, n)
	}
	return len(seen) == partitions && hi-lo <= 1
}

func waitStable(b *testing.B, ms []*simMember, partitions int, notify <-chan struct{}) {
	b.Helper()
	deadline := time.After(30 * time.Second)
	for !stable(ms, partitions) {
		select {
		case <-notify:
		case <-deadline:
			b.Fatalf("group of %d members not stable within 30s", len(ms))
		}
	}
}

// BenchmarkJoinStable measures the time from an 11th member joining a stable group of 10 members
// on a 100-partition topic until every member holds its stable assignment, each member
// heartbeating at the interval the coordinator gives it (1s once settled, 100ms while its
// assignment changes) and acknowledging the generation it got. Real metadata node, real etcd,
// real gRPC on loopback.
//
//	cd services/metadata && go test ./server -run XXX -bench JoinStable -benchtime 10x
func BenchmarkJoinStable(b *testing.B) {
	const partitions = 100
	n := startNode(b, testConfig(b))
	eventually(b, waitTimeout, "the node to coordinate groups", n.srv.IsCoordinator)
	topicWithNode(b, n, "bench", partitions)
	c := groupClient(b, n)
	notify := make(chan struct{}, 1)
	var ms []*simMember
	defer func() {
		for _, m := range ms {
			m.stop()
		}
	}()
	for i := range 10 {
		ms = append(ms, startSim(b, c, "bench", "bench", notify))
		_ = i
	}
	waitStable(b, ms, partitions, notify)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := startSim(b, c, "bench", "bench", notify)
		ms = append(ms, m)
		waitStable(b, ms, partitions, notify)

		b.StopTimer()
		m.stop()
		ms = ms[:len(ms)-1]
		m.mu.Lock()
		id := m.id
		m.mu.Unlock()
		if _, err := c.LeaveGroup(context.Background(), &runnelv1.GroupCoordinatorServiceLeaveGroupRequest{
			Request: &runnelv1.LeaveGroupRequest{Group: "bench", MemberId: id}}); err != nil {
			b.Fatal(fmt.Errorf("leave: %w", err))
		}
		waitStable(b, ms, partitions, notify)
		b.StartTimer()
	}
}
