package replication

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/replica"
)

// fetchStream follows the partitions this node follows on one leader node, over one Replicate
// stream at a time (reconnecting after a backoff). Its goroutine is the only writer of the
// partitions' logs it follows.
type fetchStream struct {
	f      *Fetcher
	leader int32
	addr   string
	conn   *grpc.ClientConn
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{} // capacity 1: the desired partitions changed

	mu      sync.Mutex
	desired map[partKey]follow // set by Update

	// Owned by the stream's goroutine.
	parts   map[partKey]*followState
	removed []*runnelv1.TopicPartition
}

// followState is one followed partition on the stream's goroutine.
type followState struct {
	follow
	send    bool      // report the position at the next flush
	fenced  bool      // the leader is at a newer epoch: wait for metadata
	retryAt time.Time // do not report before
	backoff backoff.Backoff
}

func (st *followState) retry(now time.Time) {
	st.send = true
	st.retryAt = now.Add(st.backoff.Next())
}

func (st *followState) progressed() {
	st.send = true
	st.retryAt = time.Time{}
	st.backoff.Reset()
}

// startStream dials leader at addr (lazily) and starts its goroutine.
func (f *Fetcher) startStream(leader int32, addr string) (*fetchStream, error) {
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxResponseBytes)),
	}, f.cfg.DialOptions...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(f.ctx)
	s := &fetchStream{
		f: f, leader: leader, addr: addr, conn: conn, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{}, 1),
		desired: map[partKey]follow{}, parts: map[partKey]*followState{},
	}
	go s.run(ctx)
	return s, nil
}

// setParts replaces the partitions the stream follows.
func (s *fetchStream) setParts(parts map[partKey]follow) {
	s.mu.Lock()
	s.desired = parts
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stop ends the stream and waits for its goroutine.
func (s *fetchStream) stop() {
	s.cancel()
	<-s.done
}

func (s *fetchStream) run(ctx context.Context) {
	defer close(s.done)
	defer s.conn.Close()
	client := runnelv1.NewStorageServiceClient(s.conn)
	b := backoff.Backoff{Min: s.f.cfg.MinBackoff, Max: s.f.cfg.MaxBackoff}
	s.f.logger.Info("following leader", "leader", s.leader, "addr", s.addr)
	for ctx.Err() == nil {
		err := s.session(ctx, client, &b)
		if ctx.Err() != nil {
			break
		}
		s.f.logger.Warn("replication stream ended", "leader", s.leader, "addr", s.addr, "err", err)
		if !backoff.Sleep(ctx, b.Next()) {
			break
		}
	}
	s.f.logger.Info("stopped following leader", "leader", s.leader)
}

// session runs one Replicate stream until it breaks or ctx ends.
func (s *fetchStream) session(ctx context.Context, client runnelv1.StorageServiceClient, b *backoff.Backoff) error {
	sctx, cancel := context.WithCancel(ctx)
	var recvWG sync.WaitGroup
	defer recvWG.Wait()
	defer cancel()
	stream, err := client.Replicate(sctx)
	if err != nil {
		return rpcerr.FromStatus(err)
	}
	msgs := make(chan *runnelv1.ReplicateResponse)
	recvErr := make(chan error, 1)
	recvWG.Go(func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-sctx.Done():
				return
			}
		}
	})
	// A new stream: every position is sent in the first message.
	s.sync()
	s.removed = nil
	for _, st := range s.parts {
		st.progressed()
		st.fenced = false
	}
	first := true
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		req, next := s.collect()
		if first || len(req.Positions) > 0 || len(req.Removed) > 0 {
			if err := stream.Send(req); err != nil {
				select {
				case err = <-recvErr: // the stream's real error
				case <-sctx.Done():
				}
				return rpcerr.FromStatus(err)
			}
			first = false
		}
		timer.Reset(next)
		select {
		case m := <-msgs:
			b.Reset()
			s.handle(m)
		case err := <-recvErr:
			return rpcerr.FromStatus(err)
		case <-s.wake:
			s.sync()
		case <-timer.C:
		case <-ctx.Done():
			_ = stream.CloseSend()
			return ctx.Err()
		}
	}
}

// sync takes the desired partitions from Update: new ones and those at a new epoch report their
// position; those gone are listed as removed.
func (s *fetchStream) sync() {
	s.mu.Lock()
	desired := s.desired
	s.mu.Unlock()
	for k := range s.parts {
		if _, ok := desired[k]; !ok {
			delete(s.parts, k)
			s.removed = append(s.removed, &runnelv1.TopicPartition{Topic: k.topic, Partition: k.partition})
		}
	}
	for k, fl := range desired {
		st := s.parts[k]
		if st != nil && st.p == fl.p && st.epoch == fl.epoch {
			continue
		}
		st = &followState{follow: fl, backoff: backoff.Backoff{Min: s.f.cfg.MinBackoff, Max: s.f.cfg.MaxBackoff}}
		st.progressed()
		s.parts[k] = st
	}
}

// collect builds the next request: the positions due and the removals. next is how long until
// the earliest position that waits on a backoff is due (an hour when none).
func (s *fetchStream) collect() (*runnelv1.ReplicateRequest, time.Duration) {
	now := time.Now()
	req := &runnelv1.ReplicateRequest{FollowerId: s.f.cfg.NodeID, Removed: s.removed}
	s.removed = nil
	next := time.Hour
	for k, st := range s.parts {
		if !st.send || st.fenced {
			continue
		}
		if wait := st.retryAt.Sub(now); wait > 0 {
			next = min(next, wait)
			continue
		}
		st.send = false
		pos, err := st.p.FollowerPosition(s.leader, st.epoch)
		if err != nil {
			continue // the role changed: the next Update moves the partition
		}
		req.Positions = append(req.Positions, &runnelv1.ReplicaPosition{
			Topic: k.topic, Partition: k.partition, LeaderEpoch: pos.LeaderEpoch,
			FetchOffset: pos.FetchOffset, LastFetchedEpoch: pos.LastFetchedEpoch,
		})
	}
	return req, next
}

// handle applies the leader's answers.
func (s *fetchStream) handle(m *runnelv1.ReplicateResponse) {
	now := time.Now()
	for _, d := range m.GetPartitions() {
		k := partKey{d.GetTopic(), d.GetPartition()}
		st := s.parts[k]
		if st == nil {
			continue
		}
		if d.GetError() != "" {
			s.handleError(k, st, d, now)
			continue
		}
		if d.GetLeaderEpoch() != st.epoch {
			continue // an answer to a position of another epoch
		}
		if div := d.GetDivergingEpoch(); div != nil {
			_, err := st.p.TruncateDiverged(s.leader, st.epoch, replica.EpochEnd{Epoch: div.GetEpoch(), EndOffset: div.GetEndOffset()})
			s.after(k, st, err, now, "truncate a diverged log")
			continue
		}
		span := s.startApply(k, d.GetRecords())
		_, err := st.p.AppendFromLeader(s.leader, st.epoch, d.GetRecords(), d.GetHighWatermark())
		if span != nil {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			}
			span.End()
		}
		if err == nil && len(d.GetRecords()) == 0 {
			continue // a high watermark update: nothing to report
		}
		s.after(k, st, err, now, "append the leader's records")
	}
}

// after schedules the next position once the log was written (or not).
func (s *fetchStream) after(k partKey, st *followState, err error, now time.Time, what string) {
	switch {
	case err == nil:
		st.progressed()
	case errors.Is(err, replica.ErrNotFollower), errors.Is(err, replica.ErrStaleAnswer):
		// Stale: the position this answers was superseded; its answer is on its way.
	case errors.Is(err, commitlog.ErrCorrupt):
		s.f.logger.Warn("refused a corrupt batch from the leader; asking again", "leader", s.leader,
			"topic", k.topic, "partition", k.partition, "epoch", st.epoch, "err", err)
		st.retry(now)
	default:
		s.f.logger.Warn("cannot "+what+"; asking again", "leader", s.leader,
			"topic", k.topic, "partition", k.partition, "epoch", st.epoch, "err", err)
		st.retry(now)
	}
}

// handleError applies an error answer.
func (s *fetchStream) handleError(k partKey, st *followState, d *runnelv1.ReplicaData, now time.Time) {
	code := answerCode(d.GetError())
	log := s.f.logger.With("leader", s.leader, "topic", k.topic, "partition", k.partition, "epoch", st.epoch,
		"leader_epoch", d.GetLeaderEpoch(), "error", d.GetError())
	switch code {
	case rpcerr.FencedLeaderEpoch:
		if d.GetLeaderEpoch() > st.epoch {
			log.Info("leader is at a newer epoch; waiting for metadata")
			st.fenced = true
			return
		}
	case rpcerr.OffsetOutOfRange:
		_, err := st.p.ResetToLeaderStart(s.leader, st.epoch, d.GetLogStartOffset())
		if err == nil {
			st.progressed()
			return
		}
		if errors.Is(err, replica.ErrNotFollower) {
			return
		}
		if !errors.Is(err, replica.ErrNoProgress) {
			log.Warn("cannot reset the log to the leader's start", "offset", d.GetLogStartOffset(), "err", err)
		}
	}
	log.Debug("leader refused the position; asking again after a backoff", "message", d.GetMessage())
	st.retry(now)
}
