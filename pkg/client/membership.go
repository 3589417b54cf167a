package client

import (
	"context"
	"fmt"
	"slices"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// assignment is a JoinGroup or Heartbeat answer.
type assignment struct {
	generation int32
	partitions []TopicPartition
	interval   time.Duration
}

// turnKey marks a context whose goroutine holds the member's turn (a rebalance callback).
type turnKey struct{}

func (g *GroupConsumer) acquire(ctx context.Context) error {
	select {
	case g.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *GroupConsumer) release() { <-g.turn }

func (g *GroupConsumer) holdsTurn(ctx context.Context) bool {
	return ctx.Value(turnKey{}) == g
}

// rpcTimeout bounds one coordinator call.
func (g *GroupConsumer) rpcTimeout() time.Duration {
	return max(g.cfg.sessionTimeout/2, time.Second)
}

// run is the background loop: heartbeats (or joins again) at the coordinator's interval and
// auto-commits, until Close or a fence.
func (g *GroupConsumer) run() {
	defer close(g.loopDone)
	var commitC <-chan time.Time
	if g.cfg.autoCommit {
		t := time.NewTicker(g.cfg.autoCommitInterval)
		defer t.Stop()
		commitC = t.C
	}
	next := time.Now().Add(g.wait())
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-g.loopCtx.Done():
			return
		case <-timer.C:
			g.beat()
			if g.isFenced() {
				return
			}
			next = time.Now().Add(g.wait())
		case <-commitC:
			g.autoCommit()
		}
		timer.Reset(time.Until(next))
	}
}

// wait is the time until the next heartbeat (or join attempt).
func (g *GroupConsumer) wait() time.Duration {
	if g.MemberID() == "" {
		return g.rejoin.wait()
	}
	if g.failures > 0 {
		return min(g.interval, 250*time.Millisecond)
	}
	return g.interval
}

func (g *GroupConsumer) isFenced() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fenced != nil
}

// beat is one turn of the loop: a heartbeat and what its answer asks, or a join after the
// membership was lost.
func (g *GroupConsumer) beat() {
	ctx := g.loopCtx
	if g.acquire(ctx) != nil {
		return
	}
	defer g.release()
	if g.MemberID() == "" {
		a, err := g.join(ctx)
		if err != nil {
			if ctx.Err() == nil {
				g.c.log.Warn("join failed", "group", g.group, "err", err)
			}
			return
		}
		g.rejoin.reset()
		g.handle(ctx, a)
		return
	}
	a, err := g.heartbeat(ctx)
	if err != nil {
		g.heartbeatFailed(ctx, err)
		return
	}
	g.handle(ctx, a)
	g.startPending(ctx)
}

// join sends JoinGroup; on success the member id is set and the generation acted on is 0.
func (g *GroupConsumer) join(ctx context.Context) (*assignment, error) {
	rctx, cancel := context.WithTimeout(ctx, g.rpcTimeout())
	defer cancel()
	resp, err := g.c.api.JoinGroup(rctx, &runnelv1.JoinGroupRequest{
		Group:            g.group,
		Topics:           g.topics,
		SessionTimeoutMs: int32(g.cfg.sessionTimeout.Milliseconds()),
		InstanceId:       g.cfg.instanceID,
		Assignor:         g.cfg.assignor,
		AutoOffsetReset:  string(g.cfg.fetch.reset),
		ClientId:         g.c.clientID,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, FromStatus(err)
	}
	g.mu.Lock()
	g.member, g.generation, g.acked, g.fenced = resp.GetMemberId(), 0, 0, nil
	g.mu.Unlock()
	g.c.log.Info("joined group", "group", g.group, "member", resp.GetMemberId(), "generation", resp.GetGeneration())
	return &assignment{
		generation: resp.GetGeneration(),
		partitions: partitionsOf(resp.GetAssignment()),
		interval:   time.Duration(resp.GetHeartbeatIntervalMs()) * time.Millisecond,
	}, nil
}

// heartbeat sends Heartbeat with the generation acted on.
func (g *GroupConsumer) heartbeat(ctx context.Context) (*assignment, error) {
	g.mu.Lock()
	member, acked := g.member, g.acked
	g.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, g.rpcTimeout())
	defer cancel()
	resp, err := g.c.api.Heartbeat(rctx, &runnelv1.HeartbeatRequest{Group: g.group, MemberId: member, Generation: acked})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, FromStatus(err)
	}
	return &assignment{
		generation: resp.GetGeneration(),
		partitions: partitionsOf(resp.GetAssignment()),
		interval:   time.Duration(resp.GetHeartbeatIntervalMs()) * time.Millisecond,
	}, nil
}

// handle acts on an answer: partitions taken away are stopped, passed to OnRevoked, committed
// (auto-commit) and acknowledged at once with a heartbeat carrying the new generation; then the
// partitions added start. The acknowledgement's own answer is handled the same way (bounded).
func (g *GroupConsumer) handle(ctx context.Context, a *assignment) {
	for range 8 {
		if a == nil || ctx.Err() != nil {
			return
		}
		g.lastOK, g.failures = time.Now(), 0
		if a.interval > 0 {
			g.interval = a.interval
		}
		target := make(map[TopicPartition]bool, len(a.partitions))
		var revoked, added []TopicPartition
		for _, tp := range a.partitions {
			target[tp] = true
			if !g.assigned[tp] {
				added = append(added, tp)
			}
		}
		for tp := range g.assigned {
			if !target[tp] {
				revoked = append(revoked, tp)
			}
		}
		sortPartitions(revoked)
		sortPartitions(added)

		g.mu.Lock()
		g.generation = a.generation // commits from here on carry it
		g.mu.Unlock()
		if len(revoked) > 0 {
			g.revoke(ctx, revoked)
		}
		g.mu.Lock()
		g.acked = a.generation
		g.mu.Unlock()

		var next *assignment
		if len(revoked) > 0 {
			n, err := g.heartbeat(ctx)
			if err != nil {
				if g.heartbeatFailed(ctx, err) {
					return
				}
			}
			next = n
		}
		if len(added) > 0 {
			for _, tp := range added {
				g.assigned[tp] = true
				g.fs.set(tp, -1) // held, read once its start is known
			}
			g.unstarted = append(g.unstarted, added...)
			g.startPending(ctx)
		}
		a = next
	}
}

// revoke gives partitions up: stop reading, OnRevoked, commit processed positions (auto-commit),
// forget them.
func (g *GroupConsumer) revoke(ctx context.Context, tps []TopicPartition) {
	g.fs.stop(tps)
	g.callback(ctx, g.cfg.onRevoked, tps)
	if g.cfg.autoCommit {
		if err := g.commit(ctx, g.fs.offsets(true, tps...)); err != nil {
			g.c.log.Warn("commit of revoked partitions failed", "group", g.group, "member", g.MemberID(), "err", err)
		}
	}
	g.forget(tps)
	g.c.log.Info("partitions revoked", "group", g.group, "member", g.MemberID(), "generation", g.Generation(), "partitions", fmt.Sprint(tps))
}

// forget drops partitions from the member's state.
func (g *GroupConsumer) forget(tps []TopicPartition) {
	g.fs.remove(tps)
	for _, tp := range tps {
		delete(g.assigned, tp)
		delete(g.committed, tp)
	}
	g.unstarted = slices.DeleteFunc(g.unstarted, func(tp TopicPartition) bool { return !g.assigned[tp] })
}

// startPending finds start positions for assigned partitions not read yet: the committed offset
// when it lies in [log start, high watermark], else per the reset policy. Partitions whose start
// cannot be found now are tried again on the next heartbeat.
func (g *GroupConsumer) startPending(ctx context.Context) {
	if len(g.unstarted) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, g.rpcTimeout())
	defer cancel()
	offs, err := groupOffsets(rctx, g.c.api, g.group)
	if err != nil {
		if ctx.Err() == nil {
			g.c.log.Warn("reading committed offsets failed", "group", g.group, "err", err)
		}
		return
	}
	var started, later []TopicPartition
	for _, tp := range g.unstarted {
		pos, err := g.startOffset(rctx, tp, offs[tp])
		switch {
		case err == nil:
			g.fs.set(tp, pos)
			started = append(started, tp)
		case CodeOf(err) == CodeOffsetOutOfRange:
			g.fs.setError(tp, err) // reset policy none: Poll reports it; the partition stays unread
		default:
			later = append(later, tp)
		}
	}
	g.unstarted = later
	if len(started) > 0 {
		g.c.log.Info("partitions assigned", "group", g.group, "member", g.MemberID(), "generation", g.Generation(), "partitions", fmt.Sprint(started))
		g.callback(ctx, g.cfg.onAssigned, started)
	}
}

// startOffset is where tp starts given its committed offset o (nil when the group has none).
func (g *GroupConsumer) startOffset(ctx context.Context, tp TopicPartition, o *runnelv1.GroupOffset) (int64, error) {
	reset := g.cfg.fetch.reset
	switch {
	case o != nil && o.GetOffset() >= 0 && o.GetOffset() >= o.GetLogStartOffset() && o.GetOffset() <= o.GetHighWatermark():
		g.committed[tp] = o.GetOffset()
		return o.GetOffset(), nil
	case reset == ResetNone:
		return -1, newError(CodeOffsetOutOfRange, fmt.Sprintf(
			"partition %s of group %q has no committed offset in the log and the offset reset policy is none", tp, g.group), nil)
	case o != nil && reset == ResetLatest:
		return o.GetHighWatermark(), nil
	case o != nil:
		return o.GetLogStartOffset(), nil
	}
	return resolveReset(ctx, g.c.api, tp, reset)
}

// heartbeatFailed acts on a failed heartbeat; it reports whether the membership changed (lost,
// fenced, or to be joined again).
func (g *GroupConsumer) heartbeatFailed(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	member := g.MemberID()
	switch CodeOf(err) {
	case CodeFencedInstanceID:
		g.c.log.Error("member fenced: another consumer joined with the same instance id", "group", g.group, "member", member, "err", err)
		g.lose(ctx)
		g.mu.Lock()
		g.fenced = err
		g.mu.Unlock()
		g.fs.fail(err)
		return true
	case CodeUnknownMemberID, CodeIllegalGeneration:
		g.c.log.Warn("membership lost, joining again", "group", g.group, "member", member, "err", err)
		g.lose(ctx)
		if CodeOf(err) == CodeIllegalGeneration && g.cfg.instanceID == "" {
			rctx, cancel := context.WithTimeout(ctx, g.rpcTimeout())
			_, _ = g.c.api.LeaveGroup(rctx, &runnelv1.LeaveGroupRequest{Group: g.group, MemberId: member})
			cancel()
		}
		g.clearMember()
		return true
	}
	g.failures++
	g.c.log.Warn("heartbeat failed", "group", g.group, "member", member, "err", err)
	if !IsRetriable(err) {
		g.lose(ctx)
		g.clearMember()
		return true
	}
	if time.Since(g.lastOK) >= g.cfg.sessionTimeout && len(g.assigned) > 0 {
		g.c.log.Warn("no heartbeat answer for a session timeout, partitions lost", "group", g.group, "member", member)
		g.lose(ctx)
		return true
	}
	return false
}

// lose drops every partition without committing (OnLost, else OnRevoked).
func (g *GroupConsumer) lose(ctx context.Context) {
	all := g.assignedList()
	if len(all) == 0 {
		return
	}
	g.fs.stop(all)
	f := g.cfg.onLost
	if f == nil {
		f = g.cfg.onRevoked
	}
	g.callback(ctx, f, all)
	g.forget(all)
	g.c.log.Warn("partitions lost", "group", g.group, "member", g.MemberID(), "partitions", fmt.Sprint(all))
}

func (g *GroupConsumer) clearMember() {
	g.mu.Lock()
	g.member, g.generation, g.acked = "", 0, 0
	g.mu.Unlock()
}

func (g *GroupConsumer) assignedList() []TopicPartition {
	out := make([]TopicPartition, 0, len(g.assigned))
	for tp := range g.assigned {
		out = append(out, tp)
	}
	sortPartitions(out)
	return out
}

// autoCommit commits processed positions in the member's turn.
func (g *GroupConsumer) autoCommit() {
	ctx := g.loopCtx
	if g.acquire(ctx) != nil {
		return
	}
	defer g.release()
	if g.MemberID() == "" {
		return
	}
	if err := g.commit(ctx, g.fs.offsets(true)); err != nil && ctx.Err() == nil {
		g.c.log.Warn("auto-commit failed", "group", g.group, "member", g.MemberID(), "err", err)
	}
}

// commit sends the offsets that differ from what the member last committed, with its current
// generation. The caller holds the turn.
func (g *GroupConsumer) commit(ctx context.Context, offsets []Offset) error {
	var todo []Offset
	for _, o := range offsets {
		if c, ok := g.committed[o.TopicPartition]; ok && c == o.Offset && o.Metadata == "" {
			continue
		}
		todo = append(todo, o)
	}
	if len(todo) == 0 {
		return nil
	}
	g.mu.Lock()
	member, gen := g.member, g.generation
	g.mu.Unlock()
	if member == "" {
		return newError(CodeUnknownMemberID, "the consumer is not a member of group "+g.group+" right now (joining again)", nil)
	}
	rctx, cancel := context.WithTimeout(ctx, g.rpcTimeout())
	defer cancel()
	if err := commitOffsets(rctx, g.c.api, g.group, member, gen, todo); err != nil {
		return err
	}
	for _, o := range todo {
		g.committed[o.TopicPartition] = o.Offset
	}
	return nil
}

// callback runs a rebalance callback with a context that lets it commit in this turn.
func (g *GroupConsumer) callback(ctx context.Context, f RebalanceFunc, tps []TopicPartition) {
	if f == nil || len(tps) == 0 {
		return
	}
	f(context.WithValue(ctx, turnKey{}, g), slices.Clone(tps))
}

func sortPartitions(tps []TopicPartition) {
	slices.SortFunc(tps, func(a, b TopicPartition) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return int(a.Partition - b.Partition)
	})
}
