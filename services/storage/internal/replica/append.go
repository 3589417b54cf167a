package replica

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/runnel/runnel/pkg/rpcerr"
)

// DefaultAppendTimeout bounds an acks=all wait when the request gives none.
const DefaultAppendTimeout = 30 * time.Second

// AppendRequest is one batch to append on the leader.
type AppendRequest struct {
	LeaderEpoch int32 // the sender's leader epoch, or -1 to skip the check
	Acks        Acks
	Batch       []byte        // one RecordBatch v2; modified in place (base offset, leader epoch)
	Timeout     time.Duration // acks=all wait; <= 0: DefaultAppendTimeout
}

// AppendResult says where the batch landed.
type AppendResult struct {
	BaseOffset int64
	LastOffset int64
	Offsets
}

// Append writes one batch to the log of a partition this node leads and waits as acks says.
// Nothing is written when a check fails (leadership, epoch, size, CRC, min.insync.replicas for
// acks=all). Errors are *rpcerr.Error values.
func (p *Partition) Append(ctx context.Context, req AppendRequest) (AppendResult, error) {
	if req.Acks < AcksAll || req.Acks > AcksNone {
		return AppendResult{}, rpcerr.New(rpcerr.InvalidRequiredAcks, "unknown acks level %d", int(req.Acks))
	}
	start := time.Now()
	res, err := p.append(ctx, req)
	p.metrics.appendLatency.Record(ctx, float64(time.Since(start).Microseconds())/1000, p.metrics.acks[req.Acks])
	return res, err
}

func (p *Partition) append(ctx context.Context, req AppendRequest) (AppendResult, error) {
	p.mu.RLock()
	if err := p.checkLeaderLocked(req.LeaderEpoch); err != nil {
		p.mu.RUnlock()
		return AppendResult{}, err
	}
	if limit := p.cfg.MaxMessageBytes; len(req.Batch) > limit {
		p.mu.RUnlock()
		return AppendResult{}, rpcerr.New(rpcerr.MessageTooLarge,
			"the batch is %d bytes, above max.message.bytes %d of topic %q", len(req.Batch), limit, p.topic)
	}
	if req.Acks == AcksAll && len(p.isr) < p.cfg.MinInsyncReplicas {
		isr, minISR := len(p.isr), p.cfg.MinInsyncReplicas
		p.mu.RUnlock()
		return AppendResult{}, rpcerr.New(rpcerr.NotEnoughReplicas,
			"partition %d of topic %q has %d in-sync replicas, below min.insync.replicas %d; nothing was written",
			p.index, p.topic, isr, minISR)
	}
	// The log validates the batch (record.Validate: framing, CRC, dense count) before writing.
	epoch := p.leaderEpoch
	span := p.metrics.startSpan(ctx, "log.append", attribute.String("runnel.fsync", p.metrics.fsyncMode),
		attribute.Int("runnel.batch.bytes", len(req.Batch)))
	start := time.Now()
	ar, err := p.log.Append(req.Batch, epoch)
	p.metrics.logLatency.Record(ctx, float64(time.Since(start).Microseconds())/1000, p.metrics.fsync)
	if err != nil {
		err = p.logError(err, "append to")
		endSpan(span, err)
		p.mu.RUnlock()
		return AppendResult{}, err
	}
	if span != nil {
		span.SetAttributes(attribute.Int64("runnel.offset", ar.BaseOffset), attribute.Int64("runnel.last_offset", ar.LastOffset))
		endSpan(span, nil)
	}
	p.hwMu.Lock()
	p.localLEO = max(p.localLEO, ar.LastOffset+1)
	p.updateHWLocked()
	p.hwMu.Unlock()
	p.mu.RUnlock()

	p.metrics.appendRecords.Add(ctx, ar.LastOffset-ar.BaseOffset+1, p.attrs)
	p.metrics.appendBytes.Add(ctx, int64(len(req.Batch)), p.attrs)

	if req.Acks == AcksAll {
		timeout := req.Timeout
		if timeout <= 0 {
			timeout = DefaultAppendTimeout
		}
		span := p.metrics.startSpan(ctx, "isr.wait", attribute.Int64("runnel.last_offset", ar.LastOffset))
		err := p.awaitReplicated(ctx, epoch, ar.BaseOffset, ar.LastOffset, timeout)
		endSpan(span, err)
		if err != nil {
			return AppendResult{}, err
		}
	}
	res := AppendResult{BaseOffset: ar.BaseOffset, LastOffset: ar.LastOffset}
	p.mu.RLock()
	if !p.closed && p.log != nil {
		res.Offsets = p.offsetsLocked()
	}
	p.mu.RUnlock()
	return res, nil
}

// awaitReplicated waits until the high watermark passes last (acks=all), as long as this node
// stays leader in epoch and the ISR keeps min.insync.replicas members.
func (p *Partition) awaitReplicated(ctx context.Context, epoch int32, base, last int64, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	p.metrics.appendWaits.Add(1)
	defer p.metrics.appendWaits.Add(-1)
	for {
		p.mu.RLock()
		leading := !p.closed && p.leader == p.node && p.leaderEpoch == epoch
		isr, minISR := len(p.isr), p.cfg.MinInsyncReplicas
		p.hwMu.Lock()
		hw, changed := p.hw, p.changed
		p.hwMu.Unlock()
		p.mu.RUnlock()
		switch {
		case !leading:
			return rpcerr.New(rpcerr.NotLeaderOrFollower,
				"node %d lost the leadership of partition %d of topic %q while offsets %d-%d awaited replication; they may be lost, retry on the new leader",
				p.node, p.index, p.topic, base, last)
		case isr < minISR:
			return rpcerr.New(rpcerr.NotEnoughReplicasAfterAppend,
				"offsets %d-%d of partition %d of topic %q were written, but the in-sync replicas fell to %d, below min.insync.replicas %d",
				base, last, p.index, p.topic, isr, minISR)
		case hw > last:
			return nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return rpcerr.New(rpcerr.RequestTimedOut,
				"offsets %d-%d of partition %d of topic %q were written but not replicated to the in-sync replicas within %v; retrying may duplicate them",
				base, last, p.index, p.topic, timeout)
		case <-p.drain:
			return rpcerr.New(rpcerr.NotLeaderOrFollower,
				"node %d is shutting down before offsets %d-%d of partition %d of topic %q were replicated; retry on the next leader (this may duplicate them)",
				p.node, base, last, p.index, p.topic)
		case <-ctx.Done():
			return rpcerr.Wrap(rpcerr.RequestTimedOut, ctx.Err(),
				"offsets %d-%d of partition %d of topic %q were written; the request ended (%v) before they were replicated",
				base, last, p.index, p.topic, ctx.Err())
		}
	}
}
