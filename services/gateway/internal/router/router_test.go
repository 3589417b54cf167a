package router

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
	"github.com/runnel/runnel/services/gateway/internal/storageconn"
)

func newRouter(t *testing.T) (*Router, *metacache.Cache) {
	t.Helper()
	cache := metacache.New()
	cache.Apply(&runnelv1.WatchResponse{Reset_: true,
		Topics: []*runnelv1.Topic{{Name: "t", Partitions: 3}},
		Partitions: []*runnelv1.PartitionState{
			{Topic: "t", Partition: 0, Leader: 1, LeaderEpoch: 4},
			{Topic: "t", Partition: 1, Leader: -1},
			{Topic: "t", Partition: 2, Leader: 9},
		},
		Nodes: []*runnelv1.Node{{Id: 1, GrpcAddr: "127.0.0.1:1"}}})
	pool := storageconn.New()
	t.Cleanup(func() { pool.Close() })
	return New(cache, pool), cache
}

func TestLeader(t *testing.T) {
	r, _ := newRouter(t)
	tests := []struct {
		name      string
		topic     string
		partition int32
		want      *rpcerr.Code
		final     bool
	}{
		{"leader known", "t", 0, nil, false},
		{"unknown topic", "nope", 0, rpcerr.UnknownTopicOrPartition, true},
		{"partition out of range", "t", 3, rpcerr.UnknownTopicOrPartition, true},
		{"negative partition", "t", -1, rpcerr.UnknownTopicOrPartition, true},
		{"no leader", "t", 1, rpcerr.LeaderNotAvailable, false},
		{"leader not registered", "t", 2, rpcerr.BrokerNotAvailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := r.Leader(tt.topic, tt.partition)
			if tt.want == nil {
				if err != nil || l.Node != 1 || l.Epoch != 4 || l.Client == nil {
					t.Fatalf("Leader = %+v, %v", l, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || NotInCache(err) != tt.final {
				t.Fatalf("err = %v (final %v), want %s (final %v)", err, NotInCache(err), tt.want.Name, tt.final)
			}
		})
	}
}

func TestDoRetriesUntilSuccessOrDeadline(t *testing.T) {
	r, cache := newRouter(t)
	retriable := func(err error) bool { return errors.Is(err, rpcerr.NotLeaderOrFollower) }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Fails twice with a retriable error, then succeeds on the epoch the cache moved to.
	calls := 0
	err := r.Do(ctx, "t", 0, retriable, func(_ context.Context, l Leader) error {
		calls++
		if calls < 3 {
			cache.Apply(&runnelv1.WatchResponse{Partitions: []*runnelv1.PartitionState{
				{Topic: "t", Partition: 0, Leader: 1, LeaderEpoch: l.Epoch + 1}}})
			return rpcerr.New(rpcerr.NotLeaderOrFollower, "moved")
		}
		if l.Epoch != 6 {
			t.Errorf("third attempt carried epoch %d, want 6", l.Epoch)
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Do = %v after %d calls", err, calls)
	}

	// A final error ends at once.
	calls = 0
	err = r.Do(ctx, "t", 0, retriable, func(context.Context, Leader) error {
		calls++
		return rpcerr.New(rpcerr.NotEnoughReplicasAfterAppend, "written")
	})
	if !errors.Is(err, rpcerr.NotEnoughReplicasAfterAppend) || calls != 1 {
		t.Fatalf("Do = %v after %d calls", err, calls)
	}

	// The deadline ends retries with the last definite answer (here LEADER_NOT_AVAILABLE).
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	err = r.Do(short, "t", 1, retriable, func(context.Context, Leader) error {
		t.Error("called without a leader")
		return nil
	})
	var e *rpcerr.Error
	if !errors.As(err, &e) || e.Code != rpcerr.LeaderNotAvailable || !strings.Contains(e.Error(), "attempts") {
		t.Fatalf("Do = %v, want LEADER_NOT_AVAILABLE saying it was retried", err)
	}

	// Any other failure until the deadline is REQUEST_TIMED_OUT naming it.
	short2, cancelShort2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort2()
	err = r.Do(short2, "t", 0, retriable, func(context.Context, Leader) error {
		return rpcerr.New(rpcerr.NotLeaderOrFollower, "moved")
	})
	if !errors.As(err, &e) || e.Code != rpcerr.RequestTimedOut || !errors.Is(e.Unwrap(), rpcerr.NotLeaderOrFollower) {
		t.Fatalf("Do = %v, want REQUEST_TIMED_OUT after NOT_LEADER_OR_FOLLOWER", err)
	}

	// A topic that is gone is final.
	if err := r.Do(ctx, "gone", 0, retriable, nil); !NotInCache(err) {
		t.Fatalf("Do on an unknown topic = %v", err)
	}
}
