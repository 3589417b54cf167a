package client

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff grows a wait from min to max, doubling, with up to 20% jitter.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func (b *backoff) wait() time.Duration {
	if b.next < b.min {
		b.next = b.min
	}
	d := b.next
	b.next = min(2*b.next, b.max)
	if j := int64(d) / 5; j > 0 {
		d += time.Duration(rand.Int64N(j))
	}
	return d
}

func (b *backoff) reset() { b.next = 0 }

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
