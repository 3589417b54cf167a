package produce

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/router"
)

// bufPool holds encode buffers; buffers above maxPooled are dropped rather than kept.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxPooled = 4 << 20

// Retriable reports whether a failed Append may be sent again. NOT_ENOUGH_REPLICAS_AFTER_APPEND
// is not: the batch is in the leader's log and a retry could write it twice.
func Retriable(err error) bool {
	switch rpcerr.CodeOf(err) {
	case rpcerr.NotLeaderOrFollower, rpcerr.LeaderNotAvailable, rpcerr.BrokerNotAvailable,
		rpcerr.FencedLeaderEpoch, rpcerr.UnknownLeaderEpoch, rpcerr.RequestTimedOut,
		rpcerr.NotEnoughReplicas, rpcerr.UnknownTopicOrPartition, rpcerr.KafkaStorageError:
		return true
	}
	return false
}

// send encodes b once, appends it to the partition leader with retries and reports the outcome
// to every call with records in it.
func (p *Producer) send(k queueKey, b *batch) {
	ctx, span := p.startSend(k, b)
	err := p.deliver(ctx, k, b)
	if span != nil {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, rpcerr.CodeOf(err).Name)
		}
		span.End()
	}
}

// startSend starts the batch's produce.send span: a child of the request the batch traces to
// (batch.trace) with links to the other sampled requests in it. No span (nil) when tracing is
// off or no request carried a span context.
func (p *Producer) startSend(k queueKey, b *batch) (context.Context, trace.Span) {
	if p.cfg.Tracer == nil || !b.parent.IsValid() {
		return p.ctx, nil
	}
	attrs := []attribute.KeyValue{
		attribute.String("runnel.topic", k.topic),
		attribute.Int("runnel.partition", int(k.partition)),
		attribute.String("runnel.acks", AcksName(k.acks)),
		attribute.Int("runnel.records", len(b.recs)),
		attribute.Int("runnel.requests", 1+len(b.links)+b.droppedLinks),
	}
	if b.droppedLinks > 0 {
		attrs = append(attrs, attribute.Int("runnel.links.dropped", b.droppedLinks))
	}
	return p.cfg.Tracer.Start(trace.ContextWithSpanContext(p.ctx, b.parent), "produce.send",
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithLinks(b.links...), trace.WithAttributes(attrs...))
}

// deliver does send's work and returns its outcome.
func (p *Producer) deliver(ctx context.Context, k queueKey, b *batch) error {
	if time.Now().After(b.deadline) {
		err := rpcerr.New(rpcerr.RequestTimedOut,
			"the records waited in the gateway past their delivery timeout and were not sent; retry, or raise timeout_ms")
		p.finish(k, b, 0, err)
		return err
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooled {
			bufPool.Put(bp)
		}
	}()
	enc, err := record.Encode((*bp)[:0], b.recs, record.EncodeOptions{})
	*bp = enc
	if err != nil {
		err = rpcerr.Wrap(rpcerr.MessageTooLarge, err, "the batch could not be encoded: %v; send smaller records", err)
		p.finish(k, b, 0, err)
		return err
	}
	ctx, cancel := context.WithDeadline(ctx, b.deadline)
	defer cancel()
	var resp *runnelv1.AppendResponse
	err = p.router.Do(ctx, k.topic, k.partition, Retriable, func(ctx context.Context, l router.Leader) error {
		var err error
		resp, err = l.Client.Append(ctx, &runnelv1.AppendRequest{
			Topic:       k.topic,
			Partition:   k.partition,
			LeaderEpoch: l.Epoch,
			Acks:        k.acks,
			Batch:       enc,
			TimeoutMs:   int32(max(time.Until(b.deadline).Milliseconds(), 1)),
		})
		return err
	})
	if err == nil {
		if n := resp.GetLastOffset() - resp.GetBaseOffset() + 1; n != int64(len(b.recs)) {
			p.cfg.Logger.WarnContext(ctx, "append answered an offset range that does not match the batch",
				"topic", k.topic, "partition", k.partition, "offset", resp.GetBaseOffset(),
				"records", len(b.recs), "range", n)
		}
		attrs := metric.WithAttributes(attribute.String("topic", k.topic))
		p.records.Add(ctx, int64(len(b.recs)), attrs)
		p.bytes.Add(ctx, int64(len(enc)), attrs)
	} else if k.acks == runnelv1.Acks_ACKS_NONE {
		p.cfg.Logger.WarnContext(ctx, "acks=0 batch was not written", "topic", k.topic, "partition", k.partition,
			"records", len(b.recs), "err", err)
	}
	p.finish(k, b, resp.GetBaseOffset(), err)
	return err
}

// finish reports a batch's outcome to its calls: record i of the batch got offset base+i.
func (p *Producer) finish(_ queueKey, b *batch, base int64, err error) {
	pos := int64(0)
	for _, pt := range b.parts {
		pt.call.complete(pt.index, base+pos, err)
		pos += int64(len(pt.index))
	}
}
