package client

import (
	"context"
	"fmt"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// deliver sends one batch with retries until every record has an outcome: written, failed with a
// final error, failed at its delivery deadline (the batch's first record's), or failed with
// ErrClosed when Close gave up.
func (p *Producer) deliver(tp TopicPartition, b *batch) {
	recs := b.recs
	deadline := recs[0].deadline
	bo := backoff{min: p.cfg.backoffMin, max: p.cfg.backoffMax}
	var last error
	for {
		if p.ctx.Err() != nil {
			p.finish(tp.Topic, recs, nil, ErrClosed)
			return
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			p.finish(tp.Topic, recs, nil, p.timeoutError(tp, last))
			return
		}
		retry, err := p.produce(tp, recs, deadline, remaining)
		switch {
		case err == nil && len(retry) == 0:
			return
		case err != nil && p.ctx.Err() != nil:
			p.finish(tp.Topic, recs, nil, ErrClosed)
			return
		case err != nil && !IsRetriable(err):
			p.finish(tp.Topic, recs, nil, err)
			return
		case err != nil:
			// A call cut by the delivery deadline says less than the failure before it.
			if last == nil || time.Until(deadline) > 0 {
				last = err
			}
		default:
			last = retry[0].err
			recs = recs[:0:0]
			for _, r := range retry {
				recs = append(recs, r.rec)
			}
		}
		if CodeOf(last) == CodeUnknownTopicOrPartition {
			p.topics.invalidate(tp.Topic)
		}
		p.c.log.Debug("retrying produce", "topic", tp.Topic, "partition", tp.Partition, "records", len(recs), "err", last)
		if !sleep(p.ctx, min(bo.wait(), time.Until(deadline))) && p.ctx.Err() != nil {
			p.finish(tp.Topic, recs, nil, ErrClosed)
			return
		}
	}
}

// retryRecord is a record whose result was a retriable error.
type retryRecord struct {
	rec *pendingRecord
	err error
}

// produce sends recs in one request. A failed call is returned as err (nothing completed). A
// successful call completes every record with a result that is written or finally failed, and
// returns those whose result was retriable.
func (p *Producer) produce(tp TopicPartition, recs []*pendingRecord, deadline time.Time, remaining time.Duration) ([]retryRecord, error) {
	prs := make([]*runnelv1.ProduceRecord, len(recs))
	for i, r := range recs {
		prs[i] = r.pr
	}
	ctx, cancel := context.WithDeadline(p.ctx, deadline)
	defer cancel()
	resp, err := p.c.api.Produce(ctx, &runnelv1.ProduceRequest{
		Topic:     tp.Topic,
		Acks:      p.acks,
		Records:   prs,
		TimeoutMs: int32(max(1, remaining.Milliseconds())),
	})
	if err != nil {
		return nil, FromStatus(err)
	}
	results := resp.GetResults()
	if len(results) != len(recs) {
		return nil, newError(CodeUnknown, fmt.Sprintf("the gateway answered %d results for %d records", len(results), len(recs)), nil)
	}
	var retry []retryRecord
	var okRecs []*pendingRecord
	var okResults []*runnelv1.ProduceResult
	for i, res := range results {
		if res.GetError() == "" {
			okRecs = append(okRecs, recs[i])
			okResults = append(okResults, res)
			continue
		}
		e := newError(res.GetError(), res.GetMessage(), nil)
		if e.Retriable() {
			retry = append(retry, retryRecord{rec: recs[i], err: e})
			continue
		}
		p.finish(tp.Topic, recs[i:i+1], nil, e)
	}
	p.finish(tp.Topic, okRecs, okResults, nil)
	return retry, nil
}

// timeoutError is the outcome of a record not written within its delivery timeout.
func (p *Producer) timeoutError(tp TopicPartition, last error) error {
	msg := fmt.Sprintf("the record to %s was not written within the delivery timeout %s", tp, p.cfg.deliveryTimeout)
	if last != nil {
		msg += "; last error: " + last.Error()
	}
	return newError(CodeRequestTimedOut, msg, last)
}
