package logoffsets

import (
	"context"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/router"
)

// Partition names one partition.
type Partition struct {
	Topic     string
	Partition int32
}

// Options shape one List call.
type Options struct {
	// TimestampMs, when set, also asks each leader for the first offset at or after it
	// (PartitionOffsets.timestamp_offset).
	TimestampMs *int64
	// Timeout bounds the retries (the caller's deadline, less a margin, bounds them too).
	Timeout time.Duration
	// WaitLeaders retries a partition that has no leader in the cache; without it such a
	// partition fails at once.
	WaitLeaders bool
}

// Backoff bounds between rounds when the cache does not change.
const (
	minBackoff = 25 * time.Millisecond
	maxBackoff = time.Second
)

// List returns the offsets it got and the last error of each partition it did not get.
func List(ctx context.Context, r *router.Router, parts []Partition, opts Options) (map[Partition]*runnelv1.PartitionOffsets, map[Partition]error) {
	timeout := opts.Timeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		timeout = min(timeout, left-min(100*time.Millisecond, left/10))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	got := make(map[Partition]*runnelv1.PartitionOffsets, len(parts))
	errs := map[Partition]error{}
	final := map[Partition]bool{} // failed in a way a retry cannot fix
	pending := append([]Partition(nil), parts...)
	backoff := minBackoff
	for len(pending) > 0 {
		changed := r.Cache().Changed()
		byNode := map[int32][]Partition{}
		leaders := map[int32]router.Leader{}
		for _, p := range pending {
			l, err := r.Leader(p.Topic, p.Partition)
			if err != nil {
				errs[p] = err
				final[p] = router.NotInCache(err) || !opts.WaitLeaders
				continue
			}
			byNode[l.Node] = append(byNode[l.Node], p)
			leaders[l.Node] = l
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for node, ps := range byNode {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, perr := ask(ctx, leaders[node], ps, opts.TimestampMs)
				mu.Lock()
				defer mu.Unlock()
				for _, p := range ps {
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
			if err, failed := errs[p]; failed && !final[p] && consume.Retriable(err) {
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
		backoff = min(2*backoff, maxBackoff)
	}
	return got, errs
}

// ask asks one leader for some partitions' offsets.
func ask(ctx context.Context, l router.Leader, parts []Partition, ts *int64) (map[Partition]*runnelv1.PartitionOffsets, map[Partition]error) {
	req := &runnelv1.ListPartitionOffsetsRequest{Partitions: make([]*runnelv1.TopicPartition, len(parts)), TimestampMs: ts}
	for i, p := range parts {
		req.Partitions[i] = &runnelv1.TopicPartition{Topic: p.Topic, Partition: p.Partition}
	}
	got := map[Partition]*runnelv1.PartitionOffsets{}
	errs := map[Partition]error{}
	resp, err := l.Client.ListPartitionOffsets(ctx, req)
	if err != nil {
		err = rpcerr.FromStatus(err)
		for _, p := range parts {
			errs[p] = err
		}
		return got, errs
	}
	for _, po := range resp.GetPartitions() {
		p := Partition{po.GetTopic(), po.GetPartition()}
		if po.GetError() != "" {
			errs[p] = consume.PartitionError(po)
		} else {
			got[p] = po
		}
	}
	for _, p := range parts {
		if _, ok := got[p]; !ok && errs[p] == nil {
			errs[p] = rpcerr.New(rpcerr.NotLeaderOrFollower,
				"storage node %d did not report partition %d of topic %q", l.Node, p.Partition, p.Topic)
		}
	}
	return got, errs
}
