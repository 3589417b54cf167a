package replication

import (
	"context"
	"math/rand/v2"
	"time"
)

// Defaults of the follower's backoff.
const (
	DefaultMinBackoff = 50 * time.Millisecond
	DefaultMaxBackoff = time.Second
)

// backoff is an exponential backoff with jitter in [d/2, d], from min to max.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur < b.min {
		b.cur = b.min
	} else {
		b.cur = min(b.cur*2, b.max)
	}
	half := b.cur / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
