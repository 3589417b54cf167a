package groups

import (
	"context"
	"errors"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// readResult is one partition read.
type readResult struct {
	p      logoffsets.Partition
	offset int64
	resp   *runnelv1.ConsumeResponse
	err    error
}

// read reads the member's placed partitions fairly: the partition read first rotates from call to
// call; a first pass reads every partition (concurrently) up to an equal share of max_records; a
// second pass gives what is left of max_records to the partitions that filled their share, in
// the same order (answers are cut at max_records; positions follow the records returned). When nothing came back and max_wait_ms allows, it long-polls the partitions at
// once and answers as soon as one has records. Positions advance past the records returned; a
// partition whose position fell out of its log (OFFSET_OUT_OF_RANGE) loses it and is placed
// again on the next call. When every partition failed, the first error is returned.
func (s *Service) read(ctx context.Context, m *member, assigned []logoffsets.Partition, lim consume.Limits) ([]*runnelv1.ConsumedRecord, error) {
	var parts []logoffsets.Partition
	for _, p := range assigned {
		if _, ok := m.pos[p]; ok {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		waitEmpty(ctx, lim.Wait)
		return nil, nil
	}
	k := m.cursor % len(parts)
	m.cursor++
	order := append(append([]logoffsets.Partition(nil), parts[k:]...), parts[:k]...)
	share := (lim.Records + len(order) - 1) / len(order)

	var recs []*runnelv1.ConsumedRecord
	results := s.readAll(ctx, m, order, share, 0, lim.Bytes, false)
	var full []logoffsets.Partition
	failed := 0
	var firstErr error
	for _, r := range results {
		got, err := s.apply(m, r, lim.Records-len(recs))
		recs = append(recs, got...)
		if err != nil {
			failed++
			firstErr = cmpErr(firstErr, err)
		}
		if len(got) == share {
			full = append(full, r.p)
		}
	}
	for _, p := range full {
		if len(recs) >= lim.Records {
			break
		}
		room := lim.Records - len(recs)
		got, _ := s.apply(m, s.readOne(ctx, p, m.pos[p], room, 0, lim.Bytes), room)
		recs = append(recs, got...)
	}
	if len(recs) > 0 {
		return recs, nil
	}
	if failed == len(results) {
		return nil, firstErr
	}
	if lim.Wait <= 0 {
		return nil, nil
	}
	poll := order[:min(len(order), maxLongPollPartitions)]
	for _, r := range s.readAll(ctx, m, poll, share, lim.Wait, lim.Bytes, true) {
		got, _ := s.apply(m, r, lim.Records-len(recs))
		recs = append(recs, got...)
	}
	return recs, nil
}

// readAll reads partitions concurrently. With firstWins, the first answer holding records ends
// the others' waits, and their cancelled reads count as empty.
func (s *Service) readAll(ctx context.Context, m *member, parts []logoffsets.Partition, share int, wait time.Duration, bytes int32, firstWins bool) []readResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]readResult, len(parts))
	offsets := make([]int64, len(parts))
	for i, p := range parts {
		offsets[i] = m.pos[p]
	}
	limit := readConcurrency
	if firstWins {
		limit = len(parts)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := s.readOne(ctx, p, offsets[i], share, wait, bytes)
			if firstWins && r.err == nil && len(r.resp.GetRecords()) > 0 {
				cancel()
			}
			results[i] = r
		}()
	}
	wg.Wait()
	if firstWins && ctx.Err() != nil {
		for i := range results {
			if errors.Is(results[i].err, rpcerr.RequestTimedOut) {
				results[i].err = nil // ended by the winner (or the caller), not a failure
			}
		}
	}
	return results
}

// readOne reads one partition from offset.
func (s *Service) readOne(ctx context.Context, p logoffsets.Partition, offset int64, records int, wait time.Duration, bytes int32) readResult {
	resp, err := s.reader.Consume(ctx, &runnelv1.ConsumeRequest{
		Topic:      p.Topic,
		Partition:  p.Partition,
		Offset:     &offset,
		MaxRecords: int32(records),
		MaxWaitMs:  int32(wait.Milliseconds()),
		MaxBytes:   bytes,
	})
	return readResult{p: p, offset: offset, resp: resp, err: err}
}

// apply returns at most room of a read's records and advances the member's position past them; a
// position that fell out of its log is dropped.
func (s *Service) apply(m *member, r readResult, room int) ([]*runnelv1.ConsumedRecord, error) {
	if r.err != nil {
		if errors.Is(r.err, rpcerr.OffsetOutOfRange) {
			s.log.Info("group read position out of range; placing the partition again", "group", m.key.group,
				"member", m.key.member, "topic", r.p.Topic, "partition", r.p.Partition, "offset", r.offset)
			delete(m.pos, r.p)
		}
		return nil, r.err
	}
	recs := r.resp.GetRecords()
	if len(recs) == 0 || room <= 0 || m.pos[r.p] != r.offset {
		return nil, nil
	}
	if len(recs) > room {
		recs = recs[:room]
		m.pos[r.p] = recs[room-1].GetOffset() + 1
	} else {
		m.pos[r.p] = r.resp.GetNextOffset()
	}
	return recs, nil
}

// cmpErr keeps the first error.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
