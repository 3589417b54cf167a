package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// GroupConsumer is a member of a consumer group: the group's coordinator decides which partitions
// it reads, and it commits its positions to the group. Safe for concurrent use.
//
// Membership (GROUPS.md): Subscribe joins the group; a background goroutine heartbeats at the
// interval the coordinator asks, each heartbeat carrying the generation the member last acted on.
// When an answer brings a new assignment, the partitions taken away stop being read, OnRevoked
// runs, their processed positions are committed (auto-commit), and the member heartbeats again at
// once with the new generation — the acknowledgement that frees them for their next owner; then
// the new partitions start at the group's committed offsets (GetGroupOffsets), or per
// WithOffsetReset when there is none or it lies outside the log, and OnAssigned runs. Heartbeats,
// rebalance steps and commits take turns, so a commit always carries the current generation.
//
// Errors: UNKNOWN_MEMBER_ID (the session expired) and ILLEGAL_GENERATION lose the partitions
// (OnLost) and join again; FENCED_INSTANCE_ID (another consumer took over the instance id) loses
// them and stops: every later Poll returns it. Other heartbeat failures are retried; after a
// whole session timeout without an answer the partitions are considered lost.
type GroupConsumer struct {
	c     *Client
	cfg   groupConfig
	group string
	fs    *fetchSet

	turn chan struct{} // cap 1: held by the loop's steps and by commits

	// Guarded by turn.
	topics    []string
	assigned  map[TopicPartition]bool
	unstarted []TopicPartition // assigned but without a start position yet
	committed map[TopicPartition]int64
	interval  time.Duration
	lastOK    time.Time
	failures  int
	rejoin    backoff

	mu         sync.Mutex // guards the fields below, for readers outside the turn
	member     string
	generation int32 // the latest generation the coordinator answered (commits carry it)
	acked      int32 // the generation acted on (heartbeats carry it)
	subscribed bool
	running    bool // the background loop was started
	closed     bool
	fenced     error

	loopCtx    context.Context
	loopCancel context.CancelFunc
	loopDone   chan struct{}
	async      sync.WaitGroup
}

// NewGroupConsumer returns a consumer for group; it joins on Subscribe. The options are validated
// here.
func (c *Client) NewGroupConsumer(group string, opts ...GroupOption) (*GroupConsumer, error) {
	cfg := defaultGroupConfig()
	for _, o := range opts {
		o.applyGroup(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if group == "" {
		return nil, fmt.Errorf("%w: empty group id", ErrInvalidOption)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &GroupConsumer{
		c:          c,
		cfg:        cfg,
		group:      group,
		fs:         newFetchSet(c, cfg.fetch),
		turn:       make(chan struct{}, 1),
		assigned:   map[TopicPartition]bool{},
		committed:  map[TopicPartition]int64{},
		interval:   time.Second,
		rejoin:     backoff{min: 100 * time.Millisecond, max: 2 * time.Second},
		loopCtx:    ctx,
		loopCancel: cancel,
		loopDone:   make(chan struct{}),
	}, nil
}

// Subscribe joins the group to read topics and starts the background heartbeats. It returns the
// join's error (INVALID_GROUP_ID, UNKNOWN_TOPIC_OR_PARTITION, INCONSISTENT_GROUP_PROTOCOL …),
// retrying the other retriable ones (no coordinator yet …) until ctx ends. Partitions usually arrive on the next heartbeats.
func (g *GroupConsumer) Subscribe(ctx context.Context, topics ...string) error {
	if len(topics) == 0 {
		return newError(CodeInvalidRequest, "subscribe to at least one topic", nil)
	}
	g.mu.Lock()
	switch {
	case g.closed:
		g.mu.Unlock()
		return ErrClosed
	case g.subscribed:
		g.mu.Unlock()
		return ErrSubscribed
	}
	g.subscribed = true
	g.mu.Unlock()

	if err := g.acquire(ctx); err != nil {
		g.unsubscribe()
		return err
	}
	g.topics = slices.Clone(topics)
	var resp *assignment
	bo := backoff{min: 100 * time.Millisecond, max: time.Second}
	for {
		var err error
		resp, err = g.join(ctx)
		if err == nil {
			break
		}
		// A missing topic is the caller's mistake here, not a passing state.
		if !IsRetriable(err) || CodeOf(err) == CodeUnknownTopicOrPartition || !sleep(ctx, bo.wait()) {
			g.release()
			g.unsubscribe()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
	g.handle(g.loopCtx, resp)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		g.release()
		return ErrClosed // Close, waiting for the turn, leaves the group
	}
	g.running = true
	g.mu.Unlock()
	g.release()
	go g.run()
	return nil
}

func (g *GroupConsumer) unsubscribe() {
	g.mu.Lock()
	g.subscribed = false
	g.mu.Unlock()
}

// Poll returns the next records of the member's partitions (at most WithMaxPollRecords), waiting
// until there is one or ctx ends (then ctx's error). Calling Poll marks every record returned
// before as processed (auto-commit commits those). A read error of a partition is returned once;
// after FENCED_INSTANCE_ID every call returns it; after Close, ErrClosed.
func (g *GroupConsumer) Poll(ctx context.Context) ([]*Record, error) {
	g.mu.Lock()
	subscribed := g.subscribed
	g.mu.Unlock()
	if !subscribed {
		return nil, ErrNotSubscribed
	}
	ctx, span := g.c.startPollSpan(ctx, g.group)
	recs, err := g.fs.poll(ctx, g.cfg.fetch.maxPollRecords)
	g.c.endPollSpan(span, recs, err)
	return recs, err
}

// Assignment returns the partitions the member reads now.
func (g *GroupConsumer) Assignment() []TopicPartition { return g.fs.assigned() }

// Position returns the offset of the next record Poll returns for tp (-1 while unknown) and
// whether tp is assigned.
func (g *GroupConsumer) Position(tp TopicPartition) (int64, bool) { return g.fs.position(tp) }

// MemberID returns the member id the coordinator gave ("" before Subscribe).
func (g *GroupConsumer) MemberID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.member
}

// Generation returns the member's current generation (0 before Subscribe).
func (g *GroupConsumer) Generation() int32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.generation
}

// CommitSync commits the position of every assigned partition (each record Poll returned counts as
// processed) with the current generation, waiting for the answer. Called from a rebalance callback
// it must get the callback's ctx.
func (g *GroupConsumer) CommitSync(ctx context.Context) error {
	return g.commitWith(ctx, func() []Offset { return g.fs.offsets(false) })
}

// CommitOffsets commits the given offsets (the next offset to read per partition) with the current
// generation; every partition must be assigned to the member (else PARTITION_NOT_ASSIGNED).
func (g *GroupConsumer) CommitOffsets(ctx context.Context, offsets []Offset) error {
	return g.commitWith(ctx, func() []Offset { return offsets })
}

// CommitAsync commits like CommitSync in the background; done (optional) gets the outcome. Commits
// keep their order. Close waits for them.
func (g *GroupConsumer) CommitAsync(done func(error)) {
	offsets := g.fs.offsets(false)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		if done != nil {
			done(ErrClosed)
		}
		return
	}
	g.async.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.async.Done()
		ctx, cancel := context.WithTimeout(context.Background(), g.cfg.sessionTimeout)
		defer cancel()
		err := g.commitWith(ctx, func() []Offset { return offsets })
		if done != nil {
			done(err)
		}
	}()
}

// commitWith commits the offsets offsets() returns, in the member's turn.
func (g *GroupConsumer) commitWith(ctx context.Context, offsets func() []Offset) error {
	g.mu.Lock()
	subscribed, fenced := g.subscribed, g.fenced
	g.mu.Unlock()
	switch {
	case !subscribed:
		return ErrNotSubscribed
	case fenced != nil:
		return fenced
	}
	if !g.holdsTurn(ctx) {
		if err := g.acquire(ctx); err != nil {
			return err
		}
		defer g.release()
	}
	return g.commit(ctx, offsets())
}

// Close leaves the group: it stops the heartbeats, runs OnRevoked for every partition, commits
// every returned record's position when auto-commit is on, and sends LeaveGroup (not for a static
// member: its session timeout ends it, so a restart with the same instance id keeps the
// partitions). ctx bounds the commit and the leave. Calling it again does nothing.
func (g *GroupConsumer) Close(ctx context.Context) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	subscribed, running := g.subscribed, g.running
	g.mu.Unlock()

	g.loopCancel()
	if running {
		<-g.loopDone
	}
	var err error
	if subscribed {
		err = g.leave(ctx)
	}
	g.fs.close()
	g.async.Wait()
	return err
}

// leave runs the member's last steps in its turn.
func (g *GroupConsumer) leave(ctx context.Context) error {
	if err := g.acquire(ctx); err != nil {
		return err
	}
	defer g.release()
	g.mu.Lock()
	member, fenced := g.member, g.fenced
	g.mu.Unlock()
	if member == "" || fenced != nil {
		return nil
	}
	all := g.assignedList()
	g.fs.stop(all)
	var err error
	if len(all) > 0 {
		g.callback(ctx, g.cfg.onRevoked, all)
		if g.cfg.autoCommit {
			err = g.commit(ctx, g.fs.offsets(false, all...))
		}
	}
	g.fs.remove(all)
	clear(g.assigned)
	if g.cfg.instanceID != "" {
		return err
	}
	if _, lerr := g.c.api.LeaveGroup(ctx, &runnelv1.LeaveGroupRequest{Group: g.group, MemberId: member}); lerr != nil {
		err = errors.Join(err, FromStatus(lerr))
	}
	return err
}
