package sdk

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/client"
)

// member is a GroupConsumer polling in the background, recording what it read and its rebalance
// callbacks.
type member struct {
	name string
	g    *client.GroupConsumer

	mu       sync.Mutex
	read     int
	assigned [][]client.TopicPartition
	revoked  [][]client.TopicPartition

	cancel context.CancelFunc
	done   chan error
}

// seen records, per (partition, offset), that some member read the record.
type seen struct {
	mu   sync.Mutex
	recs map[client.TopicPartition]map[int64]bool
}

func (s *seen) add(r *client.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tp := r.TopicPartition()
	if s.recs[tp] == nil {
		s.recs[tp] = map[int64]bool{}
	}
	s.recs[tp][r.Offset] = true
}

// missing returns how many of offsets [0, n) of each partition nobody read.
func (s *seen) missing(tps []client.TopicPartition, n int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	miss := 0
	for _, tp := range tps {
		for off := range n {
			if !s.recs[tp][off] {
				miss++
			}
		}
	}
	return miss
}

func startMember(t *testing.T, cl *client.Client, name, group, topic string, s *seen) *member {
	t.Helper()
	m := &member{name: name, done: make(chan error, 1)}
	g, err := cl.NewGroupConsumer(group,
		client.WithSessionTimeout(6*time.Second),
		client.WithAutoCommitInterval(500*time.Millisecond),
		client.WithOnAssigned(func(_ context.Context, tps []client.TopicPartition) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.assigned = append(m.assigned, tps)
		}),
		client.WithOnRevoked(func(_ context.Context, tps []client.TopicPartition) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.revoked = append(m.revoked, tps)
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	m.g = g
	t.Cleanup(func() {
		m.stop()
		ctx, cancel := closeCtx()
		defer cancel()
		_ = g.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Subscribe(ctx, topic); err != nil {
		t.Fatalf("%s: subscribe: %v", name, err)
	}
	pctx, pcancel := context.WithCancel(context.Background())
	m.cancel = pcancel
	go func() {
		for {
			recs, err := g.Poll(pctx)
			if pctx.Err() != nil {
				m.done <- nil
				return
			}
			if err != nil {
				m.done <- fmt.Errorf("%s: poll: %w", name, err)
				return
			}
			for _, r := range recs {
				s.add(r)
			}
			m.mu.Lock()
			m.read += len(recs)
			m.mu.Unlock()
		}
	}()
	return m
}

// stop ends the polling goroutine and returns its error.
func (m *member) stop() error {
	if m.cancel == nil {
		return nil
	}
	m.cancel()
	m.cancel = nil
	return <-m.done
}

func (m *member) snapshot() (read int, assigned, revoked [][]client.TopicPartition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.read, slices.Clone(m.assigned), slices.Clone(m.revoked)
}

// TestGroupOfTwoSharesTopic: one member reads a 6-partition topic, a second joins; the first gives
// up half the partitions (OnRevoked) and the second gets them (OnAssigned); every record is read;
// the members hold disjoint halves; their commits are the high watermarks; and after both left, a
// new member of the group reads only records written since, from the committed offsets.
func TestGroupOfTwoSharesTopic(t *testing.T) {
	const topic, group, parts, perPartition = "events", "billing", 6, 500
	c, cl := startCluster(t, 1)
	createTopic(t, c, topic, parts, 1)
	ctx := testCtx(t, 3*time.Minute)
	tps := partitions(topic, parts)
	produce(t, ctx, cl, topic, parts, perPartition, 0)

	s := &seen{recs: map[client.TopicPartition]map[int64]bool{}}
	a := startMember(t, cl, "a", group, topic, s)
	harness.Eventually(t, 30*time.Second, func() error {
		if read, _, _ := a.snapshot(); read < 500 {
			return fmt.Errorf("member a read %d records", read)
		}
		return nil
	})
	b := startMember(t, cl, "b", group, topic, s)

	harness.Eventually(t, 60*time.Second, func() error {
		la, lb := a.g.Assignment(), b.g.Assignment()
		if len(la) != parts/2 || len(lb) != parts/2 {
			return fmt.Errorf("assignments a=%v b=%v, want %d each", la, lb, parts/2)
		}
		if miss := s.missing(tps, perPartition); miss > 0 {
			return fmt.Errorf("%d records not read yet", miss)
		}
		return nil
	})
	la, lb := a.g.Assignment(), b.g.Assignment()
	for _, tp := range la {
		if slices.Contains(lb, tp) {
			t.Fatalf("%s is assigned to both members", tp)
		}
	}
	_, aAssigned, aRevoked := a.snapshot()
	_, bAssigned, _ := b.snapshot()
	if len(aAssigned) == 0 || len(aRevoked) != 1 || len(aRevoked[0]) != parts/2 {
		t.Fatalf("member a callbacks: assigned %v revoked %v, want one revocation of %d partitions", aAssigned, aRevoked, parts/2)
	}
	var gotB []client.TopicPartition
	for _, tps := range bAssigned {
		gotB = append(gotB, tps...)
	}
	slices.SortFunc(gotB, func(x, y client.TopicPartition) int { return int(x.Partition - y.Partition) })
	if !slices.Equal(gotB, lb) || !slices.Equal(aRevoked[0], lb) {
		t.Fatalf("member b was assigned %v (callbacks %v); member a revoked %v", lb, bAssigned, aRevoked)
	}

	for _, m := range []*member{a, b} {
		if err := m.stop(); err != nil {
			t.Fatal(err)
		}
		if err := m.g.CommitSync(ctx); err != nil {
			t.Fatalf("%s: commit: %v", m.name, err)
		}
	}
	offs, err := cl.Gateway().GetGroupOffsets(ctx, &runnelv1.GetGroupOffsetsRequest{Group: group})
	if err != nil {
		t.Fatal(client.FromStatus(err))
	}
	if len(offs.GetOffsets()) != parts {
		t.Fatalf("group offsets %v", offs.GetOffsets())
	}
	for _, o := range offs.GetOffsets() {
		if o.GetOffset() != perPartition || o.GetLag() != 0 {
			t.Fatalf("partition %d committed at %d with lag %d, want %d and 0", o.GetPartition(), o.GetOffset(), o.GetLag(), perPartition)
		}
	}
	for _, m := range []*member{a, b} {
		cctx, cancel := closeCtx()
		if err := m.g.Close(cctx); err != nil {
			t.Fatalf("%s: close: %v", m.name, err)
		}
		cancel()
	}
	desc, err := cl.Gateway().DescribeGroup(ctx, &runnelv1.DescribeGroupRequest{Group: group})
	if err != nil {
		t.Fatal(client.FromStatus(err))
	}
	if desc.GetState() != "Empty" || len(desc.GetMembers()) != 0 {
		t.Fatalf("after both left the group is %s with %d members", desc.GetState(), len(desc.GetMembers()))
	}

	// A new member resumes at the committed offsets: only the records written since.
	const more = 10
	produce(t, ctx, cl, topic, parts, more, perPartition)
	fresh := &seen{recs: map[client.TopicPartition]map[int64]bool{}}
	n := startMember(t, cl, "c", group, topic, fresh)
	harness.Eventually(t, 60*time.Second, func() error {
		if read, _, _ := n.snapshot(); read < parts*more {
			return fmt.Errorf("member c read %d of %d records", read, parts*more)
		}
		return nil
	})
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	fresh.mu.Lock()
	defer fresh.mu.Unlock()
	for tp, offs := range fresh.recs {
		for off := range offs {
			if off < perPartition {
				t.Fatalf("the new member read %s@%d, below the committed offset %d", tp, off, perPartition)
			}
		}
	}
	if read, _, _ := n.snapshot(); read != parts*more {
		t.Fatalf("the new member read %d records, want %d", read, parts*more)
	}
}

// produce writes n records to each partition with the SDK (explicit partitions), values
// "<partition>/<first+i>".
func produce(t *testing.T, ctx context.Context, cl *client.Client, topic string, parts int32, n, first int) {
	t.Helper()
	p, err := cl.NewProducer(client.WithAcks(client.AcksLeader))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}()
	var mu sync.Mutex
	var firstErr error
	for i := range n {
		for part := range parts {
			r := &client.Record{Topic: topic, Partition: part, ExplicitPartition: true, Value: fmt.Appendf(nil, "%d/%d", part, first+i)}
			if err := p.SendAsync(ctx, r, func(_ client.Delivery, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}
