package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// rebalanceLog records callbacks.
type rebalanceLog struct {
	mu     sync.Mutex
	events []string
}

func (l *rebalanceLog) add(kind string) RebalanceFunc {
	return func(_ context.Context, tps []TopicPartition) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, fmt.Sprintf("%s %v", kind, tps))
	}
}

func (l *rebalanceLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

func newGroupConsumer(t *testing.T, cl *Client, group string, opts ...GroupOption) *GroupConsumer {
	t.Helper()
	g, err := cl.NewGroupConsumer(group, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.Close(ctx)
	})
	return g
}

func assignedCount(g *GroupConsumer, n int) func() error {
	return func() error {
		if got := g.Assignment(); len(got) != n {
			return errorf("member %s holds %v, want %d partitions", g.MemberID(), got, n)
		}
		return nil
	}
}

func TestGroupConsumerSingleMember(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 3)
	for p := range int32(3) {
		f.write(TopicPartition{"t", p}, 0, 20)
	}
	var log rebalanceLog
	g := newGroupConsumer(t, cl, "g", WithOnAssigned(log.add("assigned")), WithOnRevoked(log.add("revoked")))
	ctx := testCtx(t)
	if _, err := g.Poll(ctx); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("Poll before Subscribe = %v", err)
	}
	if err := g.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if err := g.Subscribe(ctx, "t"); !errors.Is(err, ErrSubscribed) {
		t.Fatalf("second Subscribe = %v", err)
	}
	recs := pollN(t, ctx, g.Poll, 60)
	next := map[int32]int64{}
	for _, r := range recs {
		if r.Offset != next[r.Partition] {
			t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
		}
		next[r.Partition]++
	}
	if err := g.CommitSync(ctx); err != nil {
		t.Fatal(err)
	}
	for p := range int32(3) {
		if got := f.committedOffset("g", TopicPartition{"t", p}); got != 20 {
			t.Fatalf("partition %d committed at %d, want 20", p, got)
		}
	}
	member := g.MemberID()
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := f.eventLog(); ev[len(ev)-1] != "leave "+member {
		t.Fatalf("last call %q, want a leave", ev[len(ev)-1])
	}
	want := []string{"assigned [t/0 t/1 t/2]", "revoked [t/0 t/1 t/2]"}
	if got := log.list(); !slices.Equal(got, want) {
		t.Fatalf("callbacks %v, want %v", got, want)
	}
}

// TestGroupConsumerRebalance: a second member takes half the partitions; the first stops reading
// them, runs OnRevoked, commits their processed positions with the new generation, and only then
// acknowledges with a heartbeat carrying that generation.
func TestGroupConsumerRebalance(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 4)
	for p := range int32(4) {
		f.write(TopicPartition{"t", p}, 0, 10)
	}
	var log1 rebalanceLog
	g1 := newGroupConsumer(t, cl, "g", WithOnRevoked(log1.add("revoked")), WithOnAssigned(log1.add("assigned")))
	ctx := testCtx(t)
	if err := g1.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	pollN(t, ctx, g1.Poll, 40)
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	_, _ = g1.Poll(short) // marks the 40 records processed
	cancel()

	g2 := newGroupConsumer(t, cl, "g")
	if err := g2.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, assignedCount(g1, 2))
	eventually(t, 5*time.Second, assignedCount(g2, 2))
	a1, a2 := g1.Assignment(), g2.Assignment()
	for _, tp := range a1 {
		if slices.Contains(a2, tp) {
			t.Fatalf("%s is owned by both members", tp)
		}
	}
	if got := log1.list(); len(got) != 2 || !strings.HasPrefix(got[1], "revoked") {
		t.Fatalf("member 1 callbacks %v, want assigned then revoked", got)
	}

	// In member 1's calls: the commit of the revoked partitions at generation G, then a heartbeat
	// acknowledging G right after it.
	m1 := g1.MemberID()
	ev := f.eventLog()
	var commitAt int
	var commitGen int
	for i, e := range ev {
		if strings.HasPrefix(e, "commit "+m1+" ") {
			commitAt = i
			fmt.Sscanf(strings.TrimPrefix(e, "commit "+m1+" "), "%d", &commitGen)
			break
		}
	}
	if commitAt == 0 {
		t.Fatalf("no commit of the revoked partitions in %v", ev)
	}
	for _, tp := range a2 {
		if !strings.Contains(ev[commitAt], fmt.Sprintf("%s=10", tp)) {
			t.Fatalf("commit %q lacks revoked %s=10", ev[commitAt], tp)
		}
	}
	ack := fmt.Sprintf("heartbeat %s %d", m1, commitGen)
	next := slices.IndexFunc(ev[commitAt+1:], func(e string) bool { return strings.HasPrefix(e, "heartbeat "+m1+" ") })
	if next < 0 || ev[commitAt+1+next] != ack {
		t.Fatalf("after the commit member 1 sent %v, want %q next", ev[commitAt+1:], ack)
	}

	// Member 2 starts at the committed offsets: new records only.
	for _, tp := range a2 {
		f.write(tp, 10, 1)
	}
	for _, r := range pollN(t, ctx, g2.Poll, 2) {
		if r.Offset != 10 {
			t.Fatalf("member 2 read %s@%d, want offset 10 only", r.TopicPartition(), r.Offset)
		}
	}
}

// TestGroupConsumerCommitInCallback: with auto-commit off, OnRevoked commits with its ctx in the
// rebalance's turn (no deadlock), before the acknowledgement.
func TestGroupConsumerCommitInCallback(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 2)
	f.write(TopicPartition{"t", 0}, 0, 5)
	f.write(TopicPartition{"t", 1}, 0, 5)
	var g1 *GroupConsumer
	var commitErr error
	revoked := make(chan struct{}, 1)
	g1 = newGroupConsumer(t, cl, "g", WithAutoCommit(false), WithOnRevoked(func(ctx context.Context, _ []TopicPartition) {
		commitErr = g1.CommitSync(ctx)
		select {
		case revoked <- struct{}{}:
		default:
		}
	}))
	ctx := testCtx(t)
	if err := g1.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	pollN(t, ctx, g1.Poll, 10)
	g2 := newGroupConsumer(t, cl, "g")
	if err := g2.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-revoked:
	case <-ctx.Done():
		t.Fatal("OnRevoked never ran")
	}
	if commitErr != nil {
		t.Fatalf("commit in OnRevoked: %v", commitErr)
	}
	eventually(t, 5*time.Second, assignedCount(g2, 1))
	if got := f.committedOffset("g", g2.Assignment()[0]); got != 5 {
		t.Fatalf("revoked partition committed at %d, want 5", got)
	}
}

func TestGroupConsumerResumesAtCommittedOffsets(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 2)
	f.write(TopicPartition{"t", 0}, 0, 10)
	f.write(TopicPartition{"t", 1}, 0, 10)
	ctx := testCtx(t)
	c := newConsumer(t, cl)
	if err := c.CommitOffsets(ctx, "g", []Offset{{TopicPartition: TopicPartition{"t", 0}, Offset: 7}, {TopicPartition: TopicPartition{"t", 1}, Offset: 99}}); err != nil {
		t.Fatal(err)
	}
	g := newGroupConsumer(t, cl, "g")
	if err := g.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	// t/0 resumes at 7; t/1's commit is past the log end, so it resets to the earliest.
	first := map[int32]int64{}
	for _, r := range pollN(t, ctx, g.Poll, 13) {
		if _, ok := first[r.Partition]; !ok {
			first[r.Partition] = r.Offset
		}
	}
	if first[0] != 7 || first[1] != 0 {
		t.Fatalf("first offsets %v, want t/0 at 7 and t/1 at 0", first)
	}
}

func TestGroupConsumerRejoins(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(f *fakeGateway, member string)
		leave   bool // the lost member is told to leave first
	}{
		{"unknown member", func(f *fakeGateway, member string) { f.expire("g", member) }, false},
		{"illegal generation", func(f *fakeGateway, member string) {
			var once sync.Once
			f.mu.Lock()
			f.heartbeatHook = func(req *runnelv1.HeartbeatRequest) error {
				var err error
				if req.GetMemberId() == member {
					once.Do(func() { err = statusErr(codes.Aborted, CodeIllegalGeneration, "stale") })
				}
				return err
			}
			f.mu.Unlock()
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, cl := startFake(t)
			f.addTopic("t", 2)
			var log rebalanceLog
			g := newGroupConsumer(t, cl, "g", WithOnLost(log.add("lost")))
			ctx := testCtx(t)
			if err := g.Subscribe(ctx, "t"); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, assignedCount(g, 2))
			old := g.MemberID()
			tt.breakIt(f, old)
			eventually(t, 5*time.Second, func() error {
				if g.MemberID() == old || g.MemberID() == "" {
					return errorf("still member %q", g.MemberID())
				}
				return assignedCount(g, 2)()
			})
			if got := log.list(); len(got) != 1 || got[0] != "lost [t/0 t/1]" {
				t.Fatalf("callbacks %v, want one lost", got)
			}
			if left := slices.Contains(f.eventLog(), "leave "+old); left != tt.leave {
				t.Fatalf("leave sent for the old member: %v, want %v", left, tt.leave)
			}
		})
	}
}

// TestGroupConsumerStaticMembership: a second consumer with the same instance id takes over; the
// first is fenced (Poll fails with FENCED_INSTANCE_ID) and neither sends LeaveGroup on Close.
func TestGroupConsumerStaticMembership(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 2)
	ctx := testCtx(t)
	a := newGroupConsumer(t, cl, "g", WithInstanceID("i1"))
	if err := a.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, assignedCount(a, 2))
	b := newGroupConsumer(t, cl, "g", WithInstanceID("i1"))
	if err := b.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, assignedCount(b, 2))
	eventually(t, 5*time.Second, func() error {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := a.Poll(short); CodeOf(err) != CodeFencedInstanceID {
			return errorf("Poll of the replaced member = %v", err)
		}
		return nil
	})
	if err := a.CommitSync(ctx); CodeOf(err) != CodeFencedInstanceID {
		t.Fatalf("commit of the fenced member = %v", err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range f.eventLog() {
		if strings.HasPrefix(e, "leave ") {
			t.Fatalf("a static member sent %q", e)
		}
	}
}

func TestGroupConsumerBadInput(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	ctx := testCtx(t)
	g := newGroupConsumer(t, cl, "g")
	if err := g.Subscribe(ctx, "missing"); CodeOf(err) != CodeUnknownTopicOrPartition {
		t.Fatalf("Subscribe to a missing topic = %v", err)
	}
	if err := g.Subscribe(ctx); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("Subscribe to nothing = %v", err)
	}
	for _, o := range []GroupOption{WithSessionTimeout(time.Millisecond), WithAssignor("best"), WithAutoCommitInterval(0), WithOffsetReset("soon")} {
		if _, err := cl.NewGroupConsumer("g", o); !errors.Is(err, ErrInvalidOption) {
			t.Fatalf("got %v, want ErrInvalidOption", err)
		}
	}
	if _, err := cl.NewGroupConsumer(""); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("empty group = %v", err)
	}
}

// TestGroupConsumerCloseNeverHangs: with heartbeats stuck in a gateway that does not answer,
// Close still returns within its context and leaves the group.
func TestGroupConsumerCloseNeverHangs(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	ctx := testCtx(t)
	g := newGroupConsumer(t, cl, "g")
	if err := g.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, assignedCount(g, 1))
	release := make(chan struct{})
	defer close(release)
	stuck := make(chan struct{}, 1)
	f.mu.Lock()
	f.heartbeatHook = func(*runnelv1.HeartbeatRequest) error {
		select {
		case stuck <- struct{}{}:
		default:
		}
		<-release
		return nil
	}
	f.mu.Unlock()
	<-stuck
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := g.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close took %s", took)
	}
	if ev := f.eventLog(); !slices.Contains(ev, "leave "+g.MemberID()) {
		t.Fatalf("no leave in %v", ev)
	}
	if _, err := g.Poll(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Poll after Close = %v", err)
	}
}

func TestGroupConsumerCommitAsync(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	f.write(TopicPartition{"t", 0}, 0, 8)
	ctx := testCtx(t)
	g := newGroupConsumer(t, cl, "g", WithAutoCommit(false))
	if err := g.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	pollN(t, ctx, g.Poll, 8)
	done := make(chan error, 1)
	g.CommitAsync(func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := f.committedOffset("g", TopicPartition{"t", 0}); got != 8 {
		t.Fatalf("committed %d, want 8", got)
	}
	if err := g.CommitOffsets(ctx, []Offset{{TopicPartition: TopicPartition{"t", 5}, Offset: 1}}); CodeOf(err) != CodePartitionNotAssigned {
		t.Fatalf("commit of a partition not assigned = %v", err)
	}
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	g.CommitAsync(func(err error) { done <- err })
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("CommitAsync after Close = %v", err)
	}
}

// TestGroupConsumerLosesPartitionsWithoutAnswers: when no heartbeat is answered for a session
// timeout, the member stops reading its partitions (OnLost); once answers come back, it reads them
// again from the committed offsets.
func TestGroupConsumerLosesPartitionsWithoutAnswers(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	tp := TopicPartition{"t", 0}
	f.write(tp, 0, 4)
	var log rebalanceLog
	g := newGroupConsumer(t, cl, "g", WithSessionTimeout(time.Second), WithOnLost(log.add("lost")), WithOnAssigned(log.add("assigned")))
	ctx := testCtx(t)
	if err := g.Subscribe(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	pollN(t, ctx, g.Poll, 4)
	if err := g.CommitSync(ctx); err != nil {
		t.Fatal(err)
	}
	var failing atomic.Bool
	failing.Store(true)
	f.mu.Lock()
	f.heartbeatHook = func(*runnelv1.HeartbeatRequest) error {
		if failing.Load() {
			return statusErr(codes.Unavailable, CodeCoordinatorNotAvailable, "electing")
		}
		return nil
	}
	f.mu.Unlock()
	eventually(t, 5*time.Second, assignedCount(g, 0))
	failing.Store(false)
	eventually(t, 5*time.Second, assignedCount(g, 1))
	if pos, _ := g.Position(tp); pos != 4 {
		t.Fatalf("position after regaining %s = %d, want the committed 4", tp, pos)
	}
	want := []string{"assigned [t/0]", "lost [t/0]", "assigned [t/0]"}
	if got := log.list(); !slices.Equal(got, want) {
		t.Fatalf("callbacks %v, want %v", got, want)
	}
}
