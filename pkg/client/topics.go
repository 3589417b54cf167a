package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// topicCache caches partition counts from GetTopic. One GetTopic per topic is in flight at a
// time; callers that need the same topic wait for it. A failed lookup is not cached.
type topicCache struct {
	api    runnelv1.GatewayServiceClient
	maxAge time.Duration

	mu     sync.Mutex
	topics map[string]*topicEntry
}

type topicEntry struct {
	ready      chan struct{} // closed when the lookup finished
	partitions int32
	err        error
	fetched    time.Time
	stale      bool
	rr         atomic.Uint32 // round-robin turn for records without a key
}

func newTopicCache(api runnelv1.GatewayServiceClient, maxAge time.Duration) *topicCache {
	return &topicCache{api: api, maxAge: maxAge, topics: map[string]*topicEntry{}}
}

// get returns the topic's entry with a known partition count, asking the gateway when the topic
// is not cached, is stale, or is older than maxAge.
func (c *topicCache) get(ctx context.Context, topic string) (*topicEntry, error) {
	c.mu.Lock()
	e, ok := c.topics[topic]
	if ok {
		select {
		case <-e.ready:
			if e.err != nil || e.stale || time.Since(e.fetched) > c.maxAge {
				ok = false
			}
		default:
		}
	}
	if !ok {
		old := e
		e = &topicEntry{ready: make(chan struct{})}
		if old != nil {
			e.rr.Store(old.rr.Load())
		}
		c.topics[topic] = e
		c.mu.Unlock()
		c.lookup(ctx, topic, e)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if e.err != nil {
		return nil, e.err
	}
	return e, nil
}

// lookup runs GetTopic for e. Its deadline is the caller's, at most 10 s.
func (c *topicCache) lookup(ctx context.Context, topic string, e *topicEntry) {
	defer close(e.ready)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := c.api.GetTopic(ctx, &runnelv1.GetTopicRequest{Topic: topic})
	switch n := int32(len(resp.GetTopic().GetPartitions())); {
	case err != nil:
		e.err = FromStatus(err)
	case n == 0:
		e.err = newError(CodeUnknownTopicOrPartition, fmt.Sprintf("topic %q has no partitions", topic), nil)
	default:
		e.partitions, e.fetched = n, time.Now()
	}
}

// invalidate marks a topic's count stale, so the next get asks again.
func (c *topicCache) invalidate(topic string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.topics[topic]; ok {
		select {
		case <-e.ready:
			e.stale = true
		default:
		}
	}
}

// partition picks the partition of a record: the key's murmur2 hash, else the topic's next
// round-robin turn.
func (e *topicEntry) partition(key []byte) int32 {
	if key != nil {
		return partitionForKey(key, e.partitions)
	}
	return int32((e.rr.Add(1) - 1) % uint32(e.partitions))
}
