package produce

import (
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/telemetry"
)

// queueKey is the batching key: records share a batch only with records of the same partition
// and acks.
type queueKey struct {
	topic     string
	partition int32
	acks      runnelv1.Acks
}

// part is a run of a batch's records that belong to one call. Records of acks=0 requests have
// no part.
type part struct {
	call  *call
	index []int32 // result index in the call of each record of the run, in batch order
}

// batch is records waiting to be sent together.
type batch struct {
	recs     []record.Record
	parts    []part
	bytes    int // upper bound of the encoded size
	maxBytes int
	deadline time.Time

	// Tracing (see trace): the span context the send span is a child of, links to the other
	// sampled requests with records in the batch (at most telemetry.MaxLinks; the rest counted
	// in droppedLinks), and the span id last seen (a request adds its records one by one).
	parent       trace.SpanContext
	links        []trace.Link
	droppedLinks int
	lastSpan     trace.SpanID
}

func newBatch(maxBytes int) *batch {
	return &batch{bytes: record.HeaderSize, maxBytes: maxBytes}
}

func (b *batch) add(it *item, c *call, idx int32, deadline time.Time, sc trace.SpanContext) {
	b.trace(sc)
	b.recs = append(b.recs, it.rec)
	b.bytes += it.share
	switch n := len(b.parts); {
	case c == nil: // acks=0: nobody waits for the outcome
	case n > 0 && b.parts[n-1].call == c:
		b.parts[n-1].index = append(b.parts[n-1].index, idx)
	default:
		b.parts = append(b.parts, part{call: c, index: []int32{idx}})
	}
	if b.deadline.IsZero() || deadline.Before(b.deadline) {
		b.deadline = deadline // the earliest: no record is written after its request was answered
	}
}

// trace notes the span context of a request with records in the batch. The batch's send span is
// a child of the first sampled request (of the first request when none is sampled, so an
// unsampled trace stays unsampled downstream) and links to every other sampled request.
func (b *batch) trace(sc trace.SpanContext) {
	if !sc.IsValid() || sc.SpanID() == b.lastSpan {
		return
	}
	b.lastSpan = sc.SpanID()
	switch {
	case !b.parent.IsValid():
		b.parent = sc
	case !b.parent.IsSampled() && sc.IsSampled():
		b.parent = sc // an unsampled parent needs no link
	case sc.IsSampled() && sc.SpanID() != b.parent.SpanID() && !b.linked(sc.SpanID()):
		b.link(sc)
	}
}

// linked reports whether the batch links to span id already.
func (b *batch) linked(id trace.SpanID) bool {
	for _, l := range b.links {
		if l.SpanContext.SpanID() == id {
			return true
		}
	}
	return false
}

func (b *batch) link(sc trace.SpanContext) {
	if len(b.links) >= telemetry.MaxLinks {
		b.droppedLinks++
		return
	}
	b.links = append(b.links, trace.Link{SpanContext: sc})
}

// fits reports whether o can be appended to b.
func (b *batch) fits(o *batch) bool {
	return b.bytes+o.bytes-record.HeaderSize <= min(b.maxBytes, o.maxBytes)
}

// merge appends o to b.
func (b *batch) merge(o *batch) {
	b.recs = append(b.recs, o.recs...)
	b.parts = append(b.parts, o.parts...)
	b.bytes += o.bytes - record.HeaderSize
	b.maxBytes = min(b.maxBytes, o.maxBytes)
	if o.deadline.Before(b.deadline) {
		b.deadline = o.deadline
	}
	if o.parent.IsValid() {
		b.lastSpan = trace.SpanID{}
		b.trace(o.parent)
	}
	for _, l := range o.links {
		if l.SpanContext.SpanID() != b.parent.SpanID() && !b.linked(l.SpanContext.SpanID()) {
			b.link(l.SpanContext)
		}
	}
	b.droppedLinks += o.droppedLinks
	b.lastSpan = o.lastSpan
}

// queue accumulates the records of one key and sends its batches one at a time, in order.
type queue struct {
	p   *Producer
	key queueKey

	mu      sync.Mutex
	open    *batch      // taking records
	ready   []*batch    // closed, waiting for the sender
	timer   *time.Timer // closes open after the linger
	sending bool        // a sender goroutine owns the queue
}

// add queues the items (all of this queue's partition) of call c; idx[i] is the result index of
// items[i].
func (q *queue) add(items []*item, c *call, idx []int32, deadline time.Time, maxBytes int, sc trace.SpanContext) {
	linger := q.p.cfg.Linger
	q.mu.Lock()
	for i, it := range items {
		if q.open != nil && len(q.open.recs) > 0 && q.open.bytes+it.share > q.open.maxBytes {
			q.closeOpenLocked()
		}
		if q.open == nil {
			q.open = newBatch(min(maxBytes, q.p.cfg.MaxBatchBytes))
			if linger > 0 {
				q.startTimerLocked(q.open, linger)
			}
		}
		q.open.add(it, c, idx[i], deadline, sc)
	}
	if linger <= 0 {
		q.closeOpenLocked()
	}
	start := q.claimSenderLocked()
	q.mu.Unlock()
	if start {
		q.p.runSender(q)
	}
}

// startTimerLocked closes b after d. The producer's wait group covers the timer until it fired or
// was stopped.
func (q *queue) startTimerLocked(b *batch, d time.Duration) {
	q.p.wg.Add(1)
	q.timer = time.AfterFunc(d, func() {
		defer q.p.wg.Done()
		q.mu.Lock()
		if q.open != b {
			q.mu.Unlock()
			return
		}
		q.timer = nil
		q.closeOpenLocked()
		start := q.claimSenderLocked()
		q.mu.Unlock()
		if start {
			q.p.runSender(q)
		}
	})
}

// closeOpenLocked moves the open batch to the ready list.
func (q *queue) closeOpenLocked() {
	if q.timer != nil {
		if q.timer.Stop() {
			q.p.wg.Done()
		}
		q.timer = nil
	}
	if q.open != nil && len(q.open.recs) > 0 {
		q.ready = append(q.ready, q.open)
	}
	q.open = nil
}

// claimSenderLocked reports whether the caller must start a sender.
func (q *queue) claimSenderLocked() bool {
	if q.sending || len(q.ready) == 0 {
		return false
	}
	q.sending = true
	return true
}

// flush closes the open batch and makes sure a sender takes it.
func (q *queue) flush() {
	q.mu.Lock()
	q.closeOpenLocked()
	start := q.claimSenderLocked()
	q.mu.Unlock()
	if start {
		q.p.runSender(q)
	}
}

// next takes the next batch to send, merged with the ready batches behind it that fit, or
// releases the queue when there is none.
func (q *queue) next() *batch {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.ready) == 0 {
		q.sending = false
		return nil
	}
	b := q.ready[0]
	q.ready[0] = nil
	q.ready = q.ready[1:]
	for len(q.ready) > 0 && b.fits(q.ready[0]) {
		b.merge(q.ready[0])
		q.ready[0] = nil
		q.ready = q.ready[1:]
	}
	if len(q.ready) == 0 {
		q.ready = nil
	}
	return b
}
