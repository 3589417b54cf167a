package checker

import (
	"context"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// consumeBackoff is how long a consumer waits after a failed read before the next.
const consumeBackoff = 100 * time.Millisecond

// consume is one consumer: it long-polls partition p from offset 0 and records what it read.
func consume(ctx context.Context, rest *harness.Client, h *History, cfg Config, p int32) {
	next := int64(0)
	backoff := time.NewTimer(0)
	defer backoff.Stop()
	<-backoff.C
	for range cfg.MaxPolls {
		if ctx.Err() != nil {
			return
		}
		r, err := rest.ConsumeWait(ctx, cfg.Topic, p, next, 500, cfg.ConsumeWait)
		if ctx.Err() != nil {
			return
		}
		if err != nil || len(r.Records) == 0 {
			// After a failure, or an answer that did not wait (no records yet), back off a little.
			if err != nil {
				h.readError(errName(err))
			}
			backoff.Reset(consumeBackoff)
			select {
			case <-ctx.Done():
				return
			case <-backoff.C:
			}
			if err != nil {
				continue
			}
		}
		hw := int64(r.HighWatermark)
		for _, rec := range r.Records {
			off := int64(rec.Offset)
			if off < next {
				h.violation("consumer of partition %d: asked for offset %d, got a record at %d", p, next, off)
			}
			if off >= hw {
				h.violation("consumer of partition %d: read offset %d at or above the high watermark %d of the same answer", p, off, hw)
			}
			h.observe(Observation{Partition: p, Offset: off, Value: string(rec.ValueBytes()), HighWatermark: hw})
			next = max(next, off+1)
		}
	}
}
