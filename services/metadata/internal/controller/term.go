package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/metadata/internal/store"
	"github.com/runnel/runnel/services/metadata/internal/topic"
)

// term is one stretch of leading: a view of the state built from a snapshot and kept current by
// the etcd watch, and the reconcile loop. Every write is guarded by the election key, so a term
// whose node lost the role cannot change anything.
type term struct {
	c     *Controller
	guard clientv3.Cmp
	v     *view
	// timer fires when the earliest pending preferred-leader move is due.
	timer *time.Timer
	due   time.Time
}

// minTimer keeps a due move that could not be written yet (its partition changed meanwhile) from
// spinning the loop until the watch brings the newer state.
const minTimer = 10 * time.Millisecond

func newTerm(c *Controller, guard clientv3.Cmp) *term {
	return &term{c: c, guard: guard}
}

// run leads until ctx ends (nil), a write is fenced (store.ErrFenced) or etcd fails (the error).
func (t *term) run(ctx context.Context) error {
	t.timer = time.NewTimer(time.Hour)
	t.timer.Stop()
	defer t.timer.Stop()
	for {
		snap, err := t.c.st.Snapshot(ctx)
		if err != nil {
			return err
		}
		if t.v == nil {
			t.v = newView(snap)
		} else {
			t.v.reload(snap) // after a broken watch: nodes that changed meanwhile count as restarted
		}
		t.publish()
		if err := t.reconcile(ctx, t.v.allKeys()); err != nil {
			return err
		}
		err = t.follow(ctx, snap.Revision+1)
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, store.ErrResync) {
			return err
		}
		t.c.log.Info("controller watch broken; reloading the state", "err", err)
	}
}

// follow applies watch changes and reconciles what they touch, until the watch breaks or ctx ends.
func (t *term) follow(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	batches := make(chan []store.Change)
	done := make(chan error, 1)
	go func() {
		done <- t.c.st.Changes(wctx, rev, func(cs []store.Change) error {
			select {
			case batches <- cs:
				return nil
			case <-wctx.Done():
				return wctx.Err()
			}
		})
	}()
	err := t.loop(ctx, batches, done)
	cancel()
	if err != errWatchEnded {
		<-done
		return err
	}
	return <-done
}

// errWatchEnded tells follow that the watch goroutine has ended and sent its error again.
var errWatchEnded = errors.New("controller: watch ended")

func (t *term) loop(ctx context.Context, batches <-chan []store.Change, done chan error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			done <- err // follow reads it
			return errWatchEnded
		case cs := <-batches:
			keys, all := t.v.apply(cs)
			if all {
				keys = t.v.allKeys()
			}
			t.publish()
			if err := t.reconcile(ctx, keys); err != nil {
				return err
			}
		case <-t.timer.C:
			t.due = time.Time{}
			if err := t.reconcile(ctx, t.v.waitingKeys()); err != nil {
				return err
			}
		}
	}
}

// reconcile decides the given partitions and writes the changes, MaxUpdates per transaction. A
// write refused because the partition changed meanwhile is left alone: the watch brings the
// newer state, which is decided again.
func (t *term) reconcile(ctx context.Context, keys []string) error {
	now := time.Now()
	var ups []store.Update
	var decisions []Decision
	var at []*entry
	for _, k := range keys {
		e := t.v.parts[k]
		if e == nil {
			continue
		}
		d := Decide(t.input(e, now))
		if d.State == nil {
			e.restarted = nil // nothing left to do for those restarts here
			continue
		}
		ups = append(ups, store.Update{State: d.State, ModRevision: e.modRev})
		decisions = append(decisions, d)
		at = append(at, e)
	}
	for start := 0; start < len(ups); start += store.MaxUpdates {
		end := min(start+store.MaxUpdates, len(ups))
		applied, rev, err := t.c.st.UpdatePartitions(ctx, t.guard, ups[start:end])
		if err != nil {
			return err
		}
		for i, ok := range applied {
			if !ok {
				continue
			}
			e, d := at[start+i], decisions[start+i]
			t.v.set(e, d.State, rev)
			e.restarted = nil
			t.record(ctx, d)
		}
	}
	t.publish()
	t.schedule()
	return nil
}

// input builds the decision input of one partition and keeps track of how long its preferred
// replica has been eligible.
func (t *term) input(e *entry, now time.Time) Input {
	in := Input{State: e.st, Live: t.v.live, Restarted: e.restarted, Unclean: t.v.unclean(e.st.GetTopic())}
	if t.c.cfg.DisableRebalance || !PreferredEligible(e.st, t.v.live) {
		t.v.setEligible(e, time.Time{})
		return in
	}
	if e.eligibleSince.IsZero() {
		t.v.setEligible(e, now)
	}
	in.Preferred = now.Sub(e.eligibleSince) >= t.c.cfg.RebalanceDelay
	return in
}

// schedule sets the timer to the earliest pending preferred-leader move.
func (t *term) schedule() {
	next := t.v.nextDue(t.c.cfg.RebalanceDelay)
	if next.IsZero() || next.Equal(t.due) {
		return
	}
	t.due = next
	t.timer.Stop()
	t.timer.Reset(max(time.Until(next), minTimer))
}

func (t *term) record(ctx context.Context, d Decision) {
	t.c.m.record(ctx, d)
	st := d.State
	log := t.c.log.With("topic", st.GetTopic(), "partition", st.GetPartition(),
		"leader", st.GetLeader(), "epoch", st.GetLeaderEpoch(), "partition_epoch", st.GetPartitionEpoch(),
		"isr", fmt.Sprint(st.GetIsr()), "reason", string(d.Reason))
	switch d.Reason {
	case ReasonUnclean:
		log.WarnContext(ctx, "unclean leader election: records acknowledged by the lost in-sync replicas may be gone")
	case ReasonOffline:
		log.WarnContext(ctx, "partition offline: no live in-sync replica")
	default:
		log.InfoContext(ctx, "partition state changed")
	}
}

// publish copies the view's counts to the gauges.
func (t *term) publish() {
	t.c.m.offline.Store(int64(t.v.offline))
	t.c.m.underReplicated.Store(int64(t.v.underReplicated))
}

// uncleanAllowed reads a topic's unclean.leader.election.enable (false when absent).
func uncleanAllowed(tp *runnelv1.Topic) bool {
	return tp != nil && tp.GetConfigs()[topic.UncleanLeaderElection] == "true"
}
