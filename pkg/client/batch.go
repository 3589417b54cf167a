package client

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// pendingRecord is one accepted record until its outcome is known.
type pendingRecord struct {
	pr       *runnelv1.ProduceRecord
	size     int
	deadline time.Time // accepted + delivery timeout
	span     trace.Span
	done     func(Delivery, error)
}

// batch is records of one partition sent in one request.
type batch struct {
	topic   string
	recs    []*pendingRecord
	bytes   int
	created time.Time
}

// partQueue is one partition's batches: the open one (still filling), the closed ones waiting,
// and whether a sender goroutine is working on them (at most one: one request in flight).
type partQueue struct {
	tp      TopicPartition
	open    *batch
	ready   []*batch
	sending bool
	timer   *time.Timer // linger of the open batch
}

// takeAll removes every batch not in flight.
func (q *partQueue) takeAll() []*batch {
	out := q.ready
	if q.open != nil {
		out = append(out, q.open)
	}
	q.open, q.ready = nil, nil
	if q.timer != nil {
		q.timer.Stop()
	}
	return out
}

// enqueue reserves buffer space for rec (waiting while the buffer is full) and adds it to its
// partition's open batch.
func (p *Producer) enqueue(ctx context.Context, tp TopicPartition, rec *pendingRecord) error {
	p.mu.Lock()
	for !p.closing && p.buffered > 0 && p.buffered+rec.size > p.cfg.bufferBytes {
		space := p.space
		p.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	defer p.mu.Unlock()
	if p.closing {
		return ErrClosed
	}
	p.buffered += rec.size
	if p.records == 0 {
		p.idle = make(chan struct{})
	}
	p.records++

	q := p.queues[tp]
	if q == nil {
		q = &partQueue{tp: tp}
		p.queues[tp] = q
	}
	if b := q.open; b != nil && len(b.recs) > 0 && b.bytes+rec.size > p.cfg.batchBytes {
		q.ready = append(q.ready, b)
		q.open = nil
	}
	if q.open == nil {
		q.open = &batch{topic: tp.Topic, created: time.Now()}
		if p.cfg.linger > 0 {
			if q.timer == nil {
				q.timer = time.AfterFunc(p.cfg.linger, func() { p.kick(q) })
			} else {
				q.timer.Reset(p.cfg.linger)
			}
		}
	}
	b := q.open
	b.recs = append(b.recs, rec)
	b.bytes += rec.size
	if len(b.recs) >= p.cfg.batchRecords || b.bytes >= p.cfg.batchBytes {
		q.ready = append(q.ready, b)
		q.open = nil
	}
	p.kickLocked(q)
	return nil
}

func (p *Producer) kick(q *partQueue) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kickLocked(q)
}

func (p *Producer) kickAllLocked() {
	for _, q := range p.queues {
		p.kickLocked(q)
	}
}

// kickLocked starts q's sender if q has a sendable batch and no sender.
func (p *Producer) kickLocked(q *partQueue) {
	if q.sending || p.stopped || !p.sendableLocked(q) {
		return
	}
	q.sending = true
	p.wg.Add(1)
	go p.drain(q)
}

// sendableLocked reports whether q has a batch to send now: a closed one, or an open one whose
// linger passed (or with no linger, or while flushing or closing).
func (p *Producer) sendableLocked(q *partQueue) bool {
	if len(q.ready) > 0 {
		return true
	}
	if q.open == nil {
		return false
	}
	return p.cfg.linger == 0 || p.flushing > 0 || p.closing || time.Since(q.open.created) >= p.cfg.linger
}

// drain is q's sender: it sends q's batches one at a time until none is sendable.
func (p *Producer) drain(q *partQueue) {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		var b *batch
		switch {
		case p.stopped:
		case len(q.ready) > 0:
			b = q.ready[0]
			q.ready[0] = nil
			q.ready = q.ready[1:]
		case q.open != nil && p.sendableLocked(q):
			b = q.open
			q.open = nil
			if q.timer != nil {
				q.timer.Stop()
			}
		}
		if b == nil {
			q.sending = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		p.deliver(q.tp, b)
	}
}

// finish completes records: done callbacks and spans first, then the buffer space is released.
// With err nil, results[i] is record i's result.
func (p *Producer) finish(topic string, recs []*pendingRecord, results []*runnelv1.ProduceResult, err error) {
	if len(recs) == 0 {
		return
	}
	size := 0
	for i, r := range recs {
		d := Delivery{Topic: topic, Partition: r.pr.GetPartition(), Offset: -1}
		if err == nil && results != nil {
			res := results[i]
			d.Partition = res.GetPartition()
			if res.Offset != nil {
				d.Offset = res.GetOffset()
			}
		}
		size += r.size
		p.complete(r, d, err)
	}
	p.mu.Lock()
	p.buffered -= size
	p.records -= len(recs)
	p.signalSpaceLocked()
	if p.records == 0 {
		close(p.idle)
	}
	p.mu.Unlock()
}

// complete runs one record's callback and ends its span.
func (p *Producer) complete(r *pendingRecord, d Delivery, err error) {
	endSendSpan(r.span, d, err)
	if r.done != nil {
		r.done(d, err)
	}
}

func (p *Producer) signalSpaceLocked() {
	close(p.space)
	p.space = make(chan struct{})
}
