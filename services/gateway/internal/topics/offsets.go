package topics

import (
	"context"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// offsets asks the leaders of partitions 0..n-1 of topic for their offsets (package logoffsets:
// one call per leader, retried until timeout or shortly before ctx's deadline). With waitLeaders
// false, a partition without a leader in the cache is not waited for. It returns the offsets it got
// and the last error of each partition it did not get.
func (s *Service) offsets(ctx context.Context, topic string, n int32, timeout time.Duration, waitLeaders bool) (map[int32]*runnelv1.PartitionOffsets, map[int32]error) {
	parts := make([]logoffsets.Partition, n)
	for p := range parts {
		parts[p] = logoffsets.Partition{Topic: topic, Partition: int32(p)}
	}
	got, errs := logoffsets.List(ctx, s.router, parts, logoffsets.Options{Timeout: timeout, WaitLeaders: waitLeaders})
	gotByP := make(map[int32]*runnelv1.PartitionOffsets, len(got))
	for p, po := range got {
		gotByP[p.Partition] = po
	}
	errsByP := make(map[int32]error, len(errs))
	for p, err := range errs {
		errsByP[p.Partition] = err
	}
	return gotByP, errsByP
}
