package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// runGroupConsume is `runnel consume TOPIC --group G`.
func (a *app) runGroupConsume(ctx context.Context, opts memberOptions, format string) error {
	out, err := newRecordWriter(format, a.Out)
	if err != nil {
		return err
	}
	g, err := a.connect()
	if err != nil {
		return err
	}
	defer g.Close()
	m := newMember(g.client, g.addr, opts, a.Err)
	err = m.run(ctx, out)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil // Ctrl-C ends following
	}
	return err
}

// run joins, reads until opts.max records are written or ctx ends, then commits what was printed
// and leaves.
func (m *member) run(ctx context.Context, out recordWriter) error {
	if err := m.join(ctx); err != nil {
		return err
	}
	st := m.state()
	m.noticef("joined group %s as member %s (generation %d, assigned %s)", m.opts.group, st.id, st.generation, formatAssignment(st.assignment))
	hbCtx, stopHeartbeats := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { m.heartbeats(hbCtx) })

	r := &reader{m: m, out: out, pending: map[topicPartition]int64{}}
	readErr := r.read(ctx)
	stopHeartbeats()
	wg.Wait()

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := r.finalCommit(fctx); err != nil {
		m.noticef("the last offsets were not committed (the group will read them again): %v", err)
	}
	if err := m.leave(fctx); err != nil {
		m.noticef("leaving group %s failed (the member's session will end it): %v", m.opts.group, err)
	}
	return readErr
}

type topicPartition struct {
	topic     string
	partition int32
}

// reader is the read loop of a member: fetch, print, commit, act on new assignments.
type reader struct {
	m       *member
	out     recordWriter
	written int64
	// pending holds, per partition, the next offset after the last printed record that is not
	// committed yet.
	pending map[topicPartition]int64
	// unackedSince is when the read loop first saw a generation it has not acknowledged.
	unackedSince time.Time
}

// read is the loop: reconcile, fetch, print, commit.
func (r *reader) read(ctx context.Context) error {
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	var failingSince time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := r.m.state()
		if st.fatal != nil {
			return st.fatal
		}
		if st.lost {
			clear(r.pending) // a new member's commits start from what the group has
			if err := r.m.join(ctx); err != nil {
				return err
			}
			st := r.m.state()
			r.m.noticef("joined group %s again as member %s (generation %d, assigned %s)", r.m.opts.group, st.id, st.generation, formatAssignment(st.assignment))
			continue
		}
		r.reconcile(ctx, st)

		req := &runnelv1.FetchGroupRecordsRequest{Group: r.m.opts.group, MemberId: st.id, MaxRecords: consumeBatch,
			MaxWaitMs: int32(groupFetchWait.Milliseconds())}
		if r.m.opts.max > 0 {
			req.MaxRecords = int32(min(int64(consumeBatch), r.m.opts.max-r.written))
		}
		resp, err := r.m.client.FetchGroupRecords(ctx, req)
		if err != nil {
			err = gatewayError(ctx, r.m.addr, err)
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, rpcerr.UnknownMemberID), errors.Is(err, rpcerr.GroupIDNotFound):
				r.m.markLost(st.id, err)
				continue
			case errors.Is(err, rpcerr.FencedInstanceID) || !retriable(err):
				return err
			}
			if failingSince.IsZero() {
				failingSince = time.Now()
			} else if time.Since(failingSince) > retryGiveUp {
				return err
			}
			if !backoff.Sleep(ctx, bo.Next()) {
				return ctx.Err()
			}
			continue
		}
		failingSince = time.Time{}
		bo.Reset()
		r.m.observe(st.id, resp.GetGeneration(), resp.GetAssignment(), 0)
		done, err := r.print(resp.GetRecords())
		if err != nil {
			return err
		}
		if len(resp.GetRecords()) > 0 {
			_ = r.commit(ctx, st.id) // a failed commit is tried again with the next one
		}
		if done {
			return nil
		}
	}
}

// print writes records (up to --max) and remembers the next offset of each partition.
func (r *reader) print(records []*runnelv1.ConsumedRecord) (done bool, err error) {
	for _, rec := range records {
		if err := r.out.write(r.m.opts.topic, rec.GetPartition(), rec); err != nil {
			return false, fmt.Errorf("writing output: %w", err)
		}
		tp := topicPartition{cmp.Or(rec.GetTopic(), r.m.opts.topic), rec.GetPartition()}
		r.pending[tp] = max(r.pending[tp], rec.GetOffset()+1)
		r.written++
		if r.m.opts.max > 0 && r.written >= r.m.opts.max {
			done = true
			break
		}
	}
	if len(records) > 0 {
		if err := r.out.flush(); err != nil {
			return false, fmt.Errorf("writing output: %w", err)
		}
	}
	return done, nil
}

// reconcile acts on the newest assignment the member has seen. Every fetch started before it
// was seen has returned and its records are printed (the loop is sequential), so the member has
// stopped reading the partitions it lost: it commits what it printed of them (a member may commit
// a revoked partition until it acknowledges), forgets them and acknowledges the generation, which
// lets the coordinator hand them to another member. When that commit fails with a stale
// generation or a retriable error the acknowledgement waits (up to ackGrace) for the next
// heartbeat, so that the next owner starts where this one stopped.
func (r *reader) reconcile(ctx context.Context, st memberState) {
	if st.generation == st.acked && len(r.pending) == 0 {
		return
	}
	if st.generation != st.acked && r.unackedSince.IsZero() {
		r.unackedSince = time.Now()
	}
	if len(r.pending) > 0 {
		err := r.commit(ctx, st.id)
		if err != nil && st.generation != st.acked && time.Since(r.unackedSince) < ackGrace &&
			(errors.Is(err, rpcerr.IllegalGeneration) || retriable(err)) {
			r.m.heartbeatNow()
			return
		}
	}
	if st.generation == st.acked {
		return
	}
	owned := assignedSet(st.assignment)
	for tp := range r.pending {
		if !owned[tp] {
			delete(r.pending, tp)
		}
	}
	r.unackedSince = time.Time{}
	r.m.ack(st.id, st.generation)
	r.m.noticef("member %s generation %d: assigned %s", st.id, st.generation, formatAssignment(st.assignment))
}

// commit commits the pending offsets with the member's newest generation; on success they are
// no longer pending. A partition the coordinator says the member does not own is dropped, and the
// rest committed once more.
func (r *reader) commit(ctx context.Context, id string) error {
	for attempt := 0; ; attempt++ {
		if len(r.pending) == 0 {
			return nil
		}
		st := r.m.state()
		if st.id != id || st.lost {
			return nil
		}
		req := &runnelv1.CommitOffsetsRequest{Group: r.m.opts.group, MemberId: id, Generation: st.generation}
		for _, tp := range slices.SortedFunc(maps.Keys(r.pending), compareTP) {
			req.Offsets = append(req.Offsets, &runnelv1.OffsetCommit{Topic: tp.topic, Partition: tp.partition, Offset: r.pending[tp]})
		}
		cctx, cancel := context.WithTimeout(ctx, groupCallTimeout)
		_, err := r.m.client.CommitOffsets(cctx, req)
		err = gatewayError(cctx, r.m.addr, err)
		cancel()
		switch {
		case err == nil:
			clear(r.pending)
			return nil
		case ctx.Err() != nil:
			return err
		case errors.Is(err, rpcerr.UnknownMemberID):
			r.m.markLost(id, err)
			clear(r.pending)
		case errors.Is(err, rpcerr.FencedInstanceID):
			r.m.setFatal(err)
		case errors.Is(err, rpcerr.PartitionNotAssigned) && attempt == 0:
			owned := assignedSet(st.assignment)
			for tp := range r.pending {
				if !owned[tp] {
					delete(r.pending, tp)
				}
			}
			continue
		case errors.Is(err, rpcerr.IllegalGeneration), errors.Is(err, rpcerr.PartitionNotAssigned),
			errors.Is(err, rpcerr.RebalanceInProgress), retriable(err):
			// kept: committed with a later batch or after the next heartbeat
		default:
			r.m.noticef("commit failed, offsets dropped: %v", err)
			clear(r.pending)
		}
		return err
	}
}

// finalCommit commits what is still pending when the reading ends; on a stale generation it
// heartbeats once to learn the current one and tries again.
func (r *reader) finalCommit(ctx context.Context) error {
	var err error
	for range 3 {
		st := r.m.state()
		if len(r.pending) == 0 || st.lost || st.fatal != nil {
			return nil
		}
		if err = r.commit(ctx, st.id); err == nil {
			return nil
		}
		if !errors.Is(err, rpcerr.IllegalGeneration) && !retriable(err) {
			return err
		}
		bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
		failing := false
		if _, ok := r.m.heartbeat(ctx, &bo, &failing); !ok {
			return err
		}
	}
	return err
}

func compareTP(x, y topicPartition) int {
	return cmp.Or(cmp.Compare(x.topic, y.topic), cmp.Compare(x.partition, y.partition))
}

func assignedSet(a []*runnelv1.TopicPartitions) map[topicPartition]bool {
	out := map[topicPartition]bool{}
	for _, tp := range a {
		for _, p := range tp.GetPartitions() {
			out[topicPartition{tp.GetTopic(), p}] = true
		}
	}
	return out
}
