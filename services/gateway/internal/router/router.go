package router

import (
	"context"
	"errors"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
	"github.com/runnel/runnel/services/gateway/internal/storageconn"
)

// Backoff bounds between two attempts when the cache does not change.
const (
	minBackoff = 25 * time.Millisecond
	maxBackoff = time.Second
)

// Router resolves partition leaders.
type Router struct {
	cache *metacache.Cache
	pool  *storageconn.Pool
}

// New returns a Router over a cache and a connection pool.
func New(cache *metacache.Cache, pool *storageconn.Pool) *Router {
	return &Router{cache: cache, pool: pool}
}

// Cache returns the metadata cache.
func (r *Router) Cache() *metacache.Cache { return r.cache }

// Leader is a partition's leader as the cache knows it.
type Leader struct {
	Node   int32
	Epoch  int32
	Client runnelv1.StorageServiceClient
}

// errNoTopic marks a lookup failure that retrying cannot fix.
var errNoTopic = errors.New("router: topic not in cache")

// NotInCache reports whether err is a Leader error for a topic or partition the cache does not
// hold, which retrying cannot fix.
func NotInCache(err error) bool { return errors.Is(err, errNoTopic) }

// Leader returns the leader of a partition. Errors: UNKNOWN_TOPIC_OR_PARTITION (wrapping errNoTopic)
// for a topic or partition number the cache does not hold; LEADER_NOT_AVAILABLE and
// BROKER_NOT_AVAILABLE while the partition has no reachable leader.
func (r *Router) Leader(topic string, partition int32) (Leader, error) {
	t, ok := r.cache.Topic(topic)
	if !ok {
		return Leader{}, rpcerr.Wrap(rpcerr.UnknownTopicOrPartition, errNoTopic,
			"topic %q does not exist; create it first (runnel topic create) or check the name", topic)
	}
	if partition < 0 || partition >= t.GetPartitions() {
		return Leader{}, rpcerr.Wrap(rpcerr.UnknownTopicOrPartition, errNoTopic,
			"topic %q has partitions 0..%d, not %d", topic, t.GetPartitions()-1, partition)
	}
	ps, ok := r.cache.Partition(topic, partition)
	if !ok || ps.GetLeader() < 0 {
		return Leader{}, rpcerr.New(rpcerr.LeaderNotAvailable,
			"partition %d of topic %q has no leader right now; retry shortly", partition, topic)
	}
	n, ok := r.cache.Node(ps.GetLeader())
	if !ok {
		return Leader{}, rpcerr.New(rpcerr.BrokerNotAvailable,
			"storage node %d, the leader of partition %d of topic %q, is not registered; retry shortly",
			ps.GetLeader(), partition, topic)
	}
	c, err := r.pool.Client(n.GetGrpcAddr())
	if err != nil {
		return Leader{}, rpcerr.Wrap(rpcerr.BrokerNotAvailable, err, "storage node %d: %v", n.GetId(), err)
	}
	return Leader{Node: n.GetId(), Epoch: ps.GetLeaderEpoch(), Client: c}, nil
}

// Do calls fn with the partition's leader until it succeeds, fails with an error retriable does
// not accept, or ctx ends (then REQUEST_TIMED_OUT with the last error). Errors from fn are turned
// into catalogue errors with rpcerr.FromStatus before retriable sees them.
func (r *Router) Do(ctx context.Context, topic string, partition int32, retriable func(error) bool,
	fn func(context.Context, Leader) error) error {
	backoff := minBackoff
	var last error // the last failure that was not just the deadline passing
	for attempt := 1; ; attempt++ {
		changed := r.cache.Changed()
		l, err := r.Leader(topic, partition)
		if errors.Is(err, errNoTopic) {
			return err
		}
		if err == nil {
			err = rpcerr.FromStatus(fn(ctx, l))
			if err == nil {
				return nil
			}
			if !retriable(err) {
				return err
			}
		}
		if ctx.Err() == nil || last == nil || !errors.Is(err, rpcerr.RequestTimedOut) {
			last = err
		}
		if ctx.Err() != nil {
			return timedOut(last, attempt)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return timedOut(last, attempt)
		case <-changed:
		case <-t.C:
		}
		t.Stop()
		backoff = min(2*backoff, maxBackoff)
	}
}

// timedOut is the answer when retries run out of time. When the cluster's last answer says the
// partition cannot take writes now (NOT_ENOUGH_REPLICAS, LEADER_NOT_AVAILABLE) that answer is what
// the caller sees, so a user learns why, not only that time ran out; anything else becomes
// REQUEST_TIMED_OUT naming the last error.
func timedOut(last error, attempts int) error {
	switch c := rpcerr.CodeOf(last); c {
	case rpcerr.NotEnoughReplicas, rpcerr.LeaderNotAvailable:
		msg := last.Error()
		var e *rpcerr.Error
		if errors.As(last, &e) {
			msg = e.Msg
		}
		return rpcerr.Wrap(c, last, "%s (still so after %d attempts until the delivery timeout)", msg, attempts)
	default:
		return rpcerr.Wrap(rpcerr.RequestTimedOut, last,
			"gave up after %d attempts, last error: %v; retry, or raise the timeout", attempts, last)
	}
}
