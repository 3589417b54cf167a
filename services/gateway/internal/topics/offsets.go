package topics

import (
	"context"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/router"
)

// offsets asks the leaders of partitions 0..n-1 of topic for their offsets, one call per leader,
// in rounds: partitions that failed with a retriable error are asked again after a metadata change
// or a backoff, until timeout (or shortly before ctx's deadline, so the caller still gets an
// answer). With waitLeaders false, a partition without a leader in the cache is not waited for.
// It returns the offsets it got and the last error of each
// partition it did not get.
func (s *Service) offsets(ctx context.Context, topic string, n int32, timeout time.Duration, waitLeaders bool) (map[int32]*runnelv1.PartitionOffsets, map[int32]error) {
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		timeout = min(timeout, left-min(100*time.Millisecond, left/10))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lookupFailed := map[int32]bool{}
	got := make(map[int32]*runnelv1.PartitionOffsets, n)
	errs := map[int32]error{}
	pending := make([]int32, n)
	for p := range pending {
		pending[p] = int32(p)
	}
	backoff := 25 * time.Millisecond
	for len(pending) > 0 {
		changed := s.cache.Changed()
		groups := map[int32][]int32{}
		leaders := map[int32]router.Leader{}
		for _, p := range pending {
			l, err := s.router.Leader(topic, p)
			if err != nil {
				errs[p] = err
				lookupFailed[p] = !waitLeaders
				continue
			}
			groups[l.Node] = append(groups[l.Node], p)
			leaders[l.Node] = l
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for node, parts := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, perr := askLeader(ctx, leaders[node], topic, parts)
				mu.Lock()
				defer mu.Unlock()
				for _, p := range parts {
					if po, ok := res[p]; ok {
						got[p] = po
						delete(errs, p)
					} else {
						errs[p] = perr[p]
					}
				}
			}()
		}
		wg.Wait()
		next := pending[:0]
		for _, p := range pending {
			if err, failed := errs[p]; failed && retry(err) && !lookupFailed[p] {
				next = append(next, p)
			}
		}
		pending = next
		if len(pending) == 0 {
			break
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return got, errs
		case <-changed:
		case <-t.C:
		}
		t.Stop()
		backoff = min(2*backoff, time.Second)
	}
	return got, errs
}

// retry reports whether a partition's failure may be asked again: a lookup that found no topic
// cannot, while a storage node's UNKNOWN_TOPIC_OR_PARTITION (not yet learned) can.
func retry(err error) bool {
	return !router.NotInCache(err) && consume.Retriable(err)
}

// askLeader asks one leader for some partitions' offsets.
func askLeader(ctx context.Context, l router.Leader, topic string, parts []int32) (map[int32]*runnelv1.PartitionOffsets, map[int32]error) {
	req := &runnelv1.ListPartitionOffsetsRequest{Partitions: make([]*runnelv1.TopicPartition, len(parts))}
	for i, p := range parts {
		req.Partitions[i] = &runnelv1.TopicPartition{Topic: topic, Partition: p}
	}
	got := map[int32]*runnelv1.PartitionOffsets{}
	errs := map[int32]error{}
	resp, err := l.Client.ListPartitionOffsets(ctx, req)
	if err != nil {
		err = rpcerr.FromStatus(err)
		for _, p := range parts {
			errs[p] = err
		}
		return got, errs
	}
	for _, po := range resp.GetPartitions() {
		if po.GetTopic() != topic {
			continue
		}
		if po.GetError() != "" {
			errs[po.GetPartition()] = consume.PartitionError(po)
		} else {
			got[po.GetPartition()] = po
		}
	}
	for _, p := range parts {
		if _, ok := got[p]; !ok && errs[p] == nil {
			errs[p] = rpcerr.New(rpcerr.NotLeaderOrFollower,
				"storage node %d did not report partition %d of topic %q", l.Node, p, topic)
		}
	}
	return got, errs
}
