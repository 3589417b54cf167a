package client

import (
	"context"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// fetchSet reads a set of partitions ahead of Poll: one fetcher goroutine per partition issues
// Consume long-polls from the partition's position and hands each non-empty answer to Poll through
// a channel, then reads the next one while the caller processes. Poll takes results only when it
// has no records left, so at most two answers per partition are held (one taken, one waiting).
//
// Each partition has an epoch; a seek or removal bumps it and stops the fetcher (waiting until it
// has exited), and answers of an older epoch are dropped, so no record before a seek and no record
// of a removed partition is returned after the call.
type fetchSet struct {
	c       *Client
	cfg     fetchConfig
	ctx     context.Context // ends at close: stops every fetcher
	cancel  context.CancelFunc
	results chan fetchResult
	wake    chan struct{} // cap 1: Poll should look again (failure set)

	mu      sync.Mutex
	parts   map[TopicPartition]*partState
	order   []TopicPartition // Poll's round-robin order
	next    int
	epoch   uint64
	failure error // sticky: every Poll returns it
	wg      sync.WaitGroup
}

// partState is one partition's read state.
type partState struct {
	epoch    uint64
	cancel   context.CancelFunc
	done     chan struct{} // closed when the fetcher exited; nil without one
	position int64         // the next offset Poll hands out; -1 unknown
	consumed int64         // position when the latest Poll started: records before it are processed
	buf      []*runnelv1.ConsumedRecord
	err      error // a final read error Poll has not returned yet
}

// fetchResult is what a fetcher hands to Poll: records, a reset position, or a final error.
type fetchResult struct {
	tp     TopicPartition
	epoch  uint64
	recs   []*runnelv1.ConsumedRecord
	reset  bool
	offset int64
	err    error
}

func newFetchSet(c *Client, cfg fetchConfig) *fetchSet {
	ctx, cancel := context.WithCancel(context.Background())
	return &fetchSet{
		c:       c,
		cfg:     cfg,
		ctx:     ctx,
		cancel:  cancel,
		results: make(chan fetchResult),
		wake:    make(chan struct{}, 1),
		parts:   map[TopicPartition]*partState{},
	}
}

// set starts (or restarts) reading tp at offset; a negative offset holds tp without reading it
// (until a later set). It waits until a previous fetcher of tp has exited.
func (s *fetchSet) set(tp TopicPartition, offset int64) {
	s.mu.Lock()
	old := s.parts[tp]
	st := &partState{position: offset, consumed: offset}
	s.epoch++
	st.epoch = s.epoch
	if old == nil {
		s.order = append(s.order, tp)
	}
	s.parts[tp] = st
	if offset >= 0 && s.ctx.Err() == nil {
		ctx, cancel := context.WithCancel(s.ctx)
		st.cancel, st.done = cancel, make(chan struct{})
		s.wg.Add(1)
		go s.fetch(ctx, tp, st.epoch, offset, st.done)
	}
	s.mu.Unlock()
	stopFetcher(old)
}

// remove stops reading tps and forgets them; it returns their states (positions) and waits until
// their fetchers have exited.
func (s *fetchSet) remove(tps []TopicPartition) map[TopicPartition]*partState {
	out := make(map[TopicPartition]*partState, len(tps))
	s.mu.Lock()
	for _, tp := range tps {
		if st, ok := s.parts[tp]; ok {
			out[tp] = st
			delete(s.parts, tp)
		}
	}
	kept := s.order[:0]
	for _, tp := range s.order {
		if _, ok := s.parts[tp]; ok {
			kept = append(kept, tp)
		}
	}
	clear(s.order[len(kept):])
	s.order = kept
	s.mu.Unlock()
	for _, st := range out {
		stopFetcher(st)
	}
	return out
}

func stopFetcher(st *partState) {
	if st == nil || st.cancel == nil {
		return
	}
	st.cancel()
	<-st.done
}

// assigned lists the partitions held, in Poll order.
func (s *fetchSet) assigned() []TopicPartition {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TopicPartition(nil), s.order...)
}

// position returns tp's position (-1 unknown) and whether tp is held.
func (s *fetchSet) position(tp TopicPartition) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.parts[tp]
	if !ok {
		return -1, false
	}
	return st.position, true
}

// offsets returns the known positions (consumed=false) or the processed positions (consumed=true)
// of every held partition, or of tps only when given.
func (s *fetchSet) offsets(consumed bool, tps ...TopicPartition) []Offset {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(tps) == 0 {
		tps = s.order
	}
	var out []Offset
	for _, tp := range tps {
		st, ok := s.parts[tp]
		if !ok {
			continue
		}
		off := st.position
		if consumed {
			off = st.consumed
		}
		if off >= 0 {
			out = append(out, Offset{TopicPartition: tp, Offset: off})
		}
	}
	return out
}

// stop stops reading tps but keeps their positions (until set or remove), and drops their
// unreturned records. It waits until their fetchers have exited.
func (s *fetchSet) stop(tps []TopicPartition) {
	var old []*partState
	s.mu.Lock()
	for _, tp := range tps {
		st, ok := s.parts[tp]
		if !ok {
			continue
		}
		old = append(old, &partState{cancel: st.cancel, done: st.done})
		s.epoch++
		st.epoch, st.cancel, st.done, st.buf = s.epoch, nil, nil, nil
	}
	s.mu.Unlock()
	for _, st := range old {
		stopFetcher(st)
	}
}

// setError makes the next Poll return err (once) for a held partition.
func (s *fetchSet) setError(tp TopicPartition, err error) {
	s.mu.Lock()
	if st, ok := s.parts[tp]; ok {
		st.err = err
	}
	s.mu.Unlock()
	s.poke()
}

// fail makes every later Poll return err.
func (s *fetchSet) fail(err error) {
	s.mu.Lock()
	s.failure = err
	s.mu.Unlock()
	s.poke()
}

// poke wakes a waiting Poll.
func (s *fetchSet) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// close stops every fetcher and waits for them.
func (s *fetchSet) close() {
	s.cancel()
	s.wg.Wait()
}

// poll returns up to max records from the held partitions, waiting until there is one, a read
// failed, or ctx ends. Records before the call count as processed (offsets(true)).
func (s *fetchSet) poll(ctx context.Context, max int) ([]*Record, error) {
	s.mu.Lock()
	for _, st := range s.parts {
		st.consumed = st.position
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		recs, err := s.takeLocked(max)
		s.mu.Unlock()
		if len(recs) > 0 || err != nil {
			return recs, err
		}
		select {
		case r := <-s.results:
			s.apply(r)
			// Take whatever else is ready, at most one answer per partition.
		drain:
			for range len(s.assigned()) {
				select {
				case r := <-s.results:
					s.apply(r)
				default:
					break drain
				}
			}
		case <-s.wake:
		case <-s.ctx.Done():
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// takeLocked takes up to max buffered records, partitions in turn, and advances positions. A
// pending read error or failure is returned instead, when there is no record to return.
func (s *fetchSet) takeLocked(max int) ([]*Record, error) {
	if s.failure != nil {
		return nil, s.failure
	}
	var out []*Record
	n := len(s.order)
	for i := 0; i < n && len(out) < max; i++ {
		tp := s.order[(s.next+i)%n]
		st := s.parts[tp]
		k := min(len(st.buf), max-len(out))
		for _, cr := range st.buf[:k] {
			out = append(out, recordOf(cr))
		}
		if k > 0 {
			st.position = st.buf[k-1].GetOffset() + 1
			clear(st.buf[:k])
			st.buf = st.buf[k:]
		}
	}
	if n > 0 {
		s.next = (s.next + 1) % n
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, tp := range s.order {
		if st := s.parts[tp]; st.err != nil {
			err := st.err
			st.err = nil
			return nil, err
		}
	}
	return nil, nil
}

// apply files a fetcher's answer, unless its partition was removed or moved since.
func (s *fetchSet) apply(r fetchResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.parts[r.tp]
	if !ok || st.epoch != r.epoch {
		return
	}
	switch {
	case r.err != nil:
		st.err = r.err
	case r.reset:
		// Records read before the reset are still returned; the position jumps after them.
		if len(st.buf) == 0 {
			st.position, st.consumed = r.offset, r.offset
		}
	default:
		for _, cr := range r.recs {
			if cr.GetOffset() >= st.position {
				st.buf = append(st.buf, cr)
			}
		}
	}
}

// fetch is tp's fetcher: it reads from offset until ctx ends or a read fails for good. An
// OFFSET_OUT_OF_RANGE answer moves it per the reset policy; retriable errors are retried with a
// backoff.
func (s *fetchSet) fetch(ctx context.Context, tp TopicPartition, epoch uint64, offset int64, done chan struct{}) {
	defer s.wg.Done()
	defer close(done)
	bo := backoff{min: s.cfg.backoffMin, max: s.cfg.backoffMax}
	quick := backoff{min: 10 * time.Millisecond, max: 200 * time.Millisecond}
	for {
		start := time.Now()
		resp, err := s.c.api.Consume(ctx, &runnelv1.ConsumeRequest{
			Topic:      tp.Topic,
			Partition:  tp.Partition,
			Offset:     &offset,
			MaxRecords: s.cfg.maxRecords,
			MaxWaitMs:  int32(s.cfg.maxWait.Milliseconds()),
			MaxBytes:   s.cfg.maxBytes,
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			e := FromStatus(err)
			if CodeOf(e) == CodeOffsetOutOfRange && s.cfg.reset != ResetNone {
				off, rerr := resolveReset(ctx, s.c.api, tp, s.cfg.reset)
				if rerr == nil {
					s.c.log.Info("offset out of range, resetting", "topic", tp.Topic, "partition", tp.Partition,
						"offset", offset, "reset", string(s.cfg.reset), "to", off)
					if !s.hand(ctx, fetchResult{tp: tp, epoch: epoch, reset: true, offset: off}) {
						return
					}
					offset = off
					continue
				}
				e = rerr
			}
			if IsRetriable(e) {
				s.c.log.Debug("consume failed, retrying", "topic", tp.Topic, "partition", tp.Partition, "offset", offset, "err", e)
				if !sleep(ctx, bo.wait()) {
					return
				}
				continue
			}
			s.hand(ctx, fetchResult{tp: tp, epoch: epoch, err: e})
			return
		}
		bo.reset()
		if len(resp.GetRecords()) == 0 {
			// A long poll that ends at once with nothing (a short max wait) must not spin.
			if time.Since(start) < 5*time.Millisecond && !sleep(ctx, quick.wait()) {
				return
			}
			continue
		}
		quick.reset()
		if !s.hand(ctx, fetchResult{tp: tp, epoch: epoch, recs: resp.GetRecords()}) {
			return
		}
		offset = resp.GetNextOffset()
	}
}

// hand passes r to Poll; false when ctx ended first.
func (s *fetchSet) hand(ctx context.Context, r fetchResult) bool {
	select {
	case s.results <- r:
		return true
	case <-ctx.Done():
		return false
	}
}

// resolveReset returns the offset the policy gives for tp: its log start offset or high
// watermark. ResetNone gives OFFSET_OUT_OF_RANGE.
func resolveReset(ctx context.Context, api runnelv1.GatewayServiceClient, tp TopicPartition, policy OffsetReset) (int64, error) {
	if policy == ResetNone {
		return -1, newError(CodeOffsetOutOfRange,
			"partition "+tp.String()+" has no valid position and the offset reset policy is none; seek or commit an offset", nil)
	}
	ranges, err := listOffsets(ctx, api, tp.Topic)
	if err != nil {
		return -1, err
	}
	r, ok := ranges[tp.Partition]
	if !ok {
		return -1, newError(CodeUnknownTopicOrPartition, "partition "+tp.String()+" does not exist", nil)
	}
	if policy == ResetLatest {
		return r.GetHighWatermark(), nil
	}
	return r.GetLogStartOffset(), nil
}

// listOffsets returns each partition's offset range of topic.
func listOffsets(ctx context.Context, api runnelv1.GatewayServiceClient, topic string) (map[int32]*runnelv1.PartitionOffsetRange, error) {
	resp, err := api.ListOffsets(ctx, &runnelv1.ListOffsetsRequest{Topic: topic})
	if err != nil {
		return nil, FromStatus(err)
	}
	out := make(map[int32]*runnelv1.PartitionOffsetRange, len(resp.GetPartitions()))
	for _, p := range resp.GetPartitions() {
		out[p.GetPartition()] = p
	}
	return out, nil
}
