package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
	"github.com/runnel/runnel/e2e/harness"
)

// replicaSetup shapes the cluster of a replication scenario: 3 storage nodes and one topic with
// replication factor 3 and min.insync.replicas=2.
type replicaSetup struct {
	metadataNodes  int           // 1 (default) or 3
	sessionTimeout time.Duration // metadata --session-timeout (default 2s)
	lagMs          int           // topic replica.lag.time.max.ms (default 3000)
	partitions     int32         // default 3
}

// replicated is a running scenario cluster, its topic and the history its workloads record.
type replicated struct {
	*harness.Cluster
	topic string
	parts int32
	setup replicaSetup
	hist  *checker.History
}

const replTopic = "events"

// startReplicated starts the cluster, creates the topic and waits until every partition has a
// leader and all three replicas in sync.
func startReplicated(t *testing.T, s replicaSetup) *replicated {
	t.Helper()
	if s.sessionTimeout == 0 {
		s.sessionTimeout = 2 * time.Second
	}
	if s.lagMs == 0 {
		s.lagMs = 3000
	}
	if s.partitions == 0 {
		s.partitions = 3
	}
	c := harness.Start(t, harness.Options{
		MetadataNodes: s.metadataNodes,
		Args:          []string{"--session-timeout", s.sessionTimeout.String()},
	})
	r := &replicated{Cluster: c, topic: replTopic, parts: s.partitions, setup: s, hist: checker.NewHistory()}
	createTopic(t, c.Client(), r.topic, s.partitions, 3, map[string]string{
		"min.insync.replicas":            "2",
		"replica.lag.time.max.ms":        strconv.Itoa(s.lagMs),
		"unclean.leader.election.enable": "false",
	})
	r.waitHealthy(t, 60*time.Second)
	return r
}

// produce starts a workload on the topic (acks=all producers and a consumer per partition) that
// records into r.hist.
func (r *replicated) produce(t *testing.T, cfg checker.Config) *checker.Workload {
	t.Helper()
	cfg.Topic = r.topic
	if cfg.Partitions == 0 {
		cfg.Partitions = r.parts
	}
	return checker.Start(t, r.Client(), r.hist, cfg)
}

// describe is GET /v1/topics/{topic}, bounded by a short timeout.
func (r *replicated) describe(t *testing.T) (*harness.Topic, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return r.Client().Describe(ctx, r.topic)
}

// partition describes partition p, failing the test when that fails.
func (r *replicated) partition(t *testing.T, p int32) harness.Partition {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pt, err := r.Client().PartitionState(ctx, r.topic, p)
	if err != nil {
		t.Fatalf("describe partition %d: %v", p, err)
	}
	return pt
}

// waitPartition waits until cond accepts partition p's state (describe errors count as not yet).
func (r *replicated) waitPartition(t *testing.T, p int32, timeout time.Duration, cond func(harness.Partition) error) harness.Partition {
	t.Helper()
	return r.waitTopicPartition(t, r.topic, p, timeout, cond)
}

// waitTopicPartition is waitPartition for another topic.
func (r *replicated) waitTopicPartition(t *testing.T, topic string, p int32, timeout time.Duration, cond func(harness.Partition) error) harness.Partition {
	t.Helper()
	var got harness.Partition
	harness.Eventually(t, timeout, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		pt, err := r.Client().PartitionState(ctx, topic, p)
		if err != nil {
			return err
		}
		if err := cond(pt); err != nil {
			return fmt.Errorf("%v (%s)", err, pt)
		}
		got = pt
		return nil
	})
	return got
}

// waitHealthy waits until every partition has a leader and every replica in its ISR.
func (r *replicated) waitHealthy(t *testing.T, timeout time.Duration) *harness.Topic {
	t.Helper()
	var top *harness.Topic
	harness.Eventually(t, timeout, func() error {
		d, err := r.describe(t)
		if err != nil {
			return err
		}
		if len(d.Partitions) != int(r.parts) {
			return fmt.Errorf("describe shows %d partitions, want %d", len(d.Partitions), r.parts)
		}
		for _, p := range d.Partitions {
			if p.Leader < 0 || !p.FullISR() || len(p.Replicas) != 3 || p.HighWatermark < 0 {
				return fmt.Errorf("not healthy yet: %s", p)
			}
		}
		top = d
		return nil
	})
	return top
}

// waitAcks waits until at least n records were acknowledged on partition p (all when p < 0)
// after since.
func (r *replicated) waitAcks(t *testing.T, p int32, since time.Time, n int, timeout time.Duration) {
	t.Helper()
	harness.Eventually(t, timeout, func() error {
		if got := r.hist.AcksSince(p, since); got < n {
			return fmt.Errorf("%d of %d records acknowledged on partition %d since %s; %s", got, n, p,
				since.Format("15:04:05.000"), r.hist.Summary())
		}
		return nil
	})
}

// waitFirstAck waits for the first acknowledgement on partition p after since and returns its time.
func (r *replicated) waitFirstAck(t *testing.T, p int32, since time.Time, timeout time.Duration) time.Time {
	t.Helper()
	var at time.Time
	harness.Eventually(t, timeout, func() error {
		a, ok := r.hist.FirstAckAfter(p, since)
		if !ok {
			return fmt.Errorf("no record acknowledged on partition %d since %s; %s", p, since.Format("15:04:05.000"), r.hist.Summary())
		}
		at = a
		return nil
	})
	return at
}

// produceTo writes one record to partition p of topic with acks and a delivery timeout; it
// returns the offset, or the error the gateway answered.
func (r *replicated) produceTo(t *testing.T, topic string, p int32, acks, value string, timeout time.Duration) (int64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout+30*time.Second)
	defer cancel()
	res, err := r.Client().ProduceRequest(ctx, topic, harness.ProduceRequest{
		Acks:      acks,
		Records:   []harness.ProduceRecord{{Partition: harness.Ptr(p), Value: harness.Ptr(value)}},
		TimeoutMs: int32(timeout.Milliseconds()),
	})
	if err != nil {
		return 0, err
	}
	if len(res.Results) != 1 {
		return 0, fmt.Errorf("%d results for one record", len(res.Results))
	}
	if res.Results[0].Offset == nil {
		return 0, fmt.Errorf("no offset: %s: %s", res.Results[0].Error, res.Results[0].Message)
	}
	return int64(*res.Results[0].Offset), nil
}

// mustProduceTo is produceTo retried (each attempt with a 5 s delivery timeout) until it succeeds
// within timeout.
func (r *replicated) mustProduceTo(t *testing.T, topic string, p int32, acks, value string, timeout time.Duration) int64 {
	t.Helper()
	var off int64
	harness.Eventually(t, timeout, func() error {
		var err error
		off, err = r.produceTo(t, topic, p, acks, value, 5*time.Second)
		return err
	})
	return off
}

// healAndCheck ends the workloads, waits until every replica is back in sync, reads every
// partition and verifies the history against it, then stops the cluster cleanly and compares the
// replicas' logs on disk byte for byte below the high watermark. It returns the partitions' final
// content for scenario-specific checks.
func (r *replicated) healAndCheck(t *testing.T, ws ...*checker.Workload) map[int32][]checker.Entry {
	t.Helper()
	for _, w := range ws {
		w.Stop()
	}
	t.Logf("workload: %s", r.hist.Summary())
	top := r.waitHealthy(t, 90*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	final, err := checker.ReadFinal(ctx, r.Client(), r.topic, r.parts)
	if err != nil {
		t.Fatalf("read the topic after healing: %v", err)
	}
	rep := r.hist.Verify(final)
	t.Logf("checker: %d acknowledged records and %d consumer reads checked, %d values written twice (retries), %d violations",
		rep.Acked, rep.Read, rep.Duplicates, len(rep.Violations))
	if rep.Acked == 0 {
		t.Errorf("no record was acknowledged: the scenario checked nothing")
	}
	first, more := rep.FirstViolations(30)
	for _, v := range first {
		t.Errorf("checker: %s", v)
	}
	if more > 0 {
		t.Errorf("checker: … and %d more violations", more)
	}

	r.Stop(t)
	for _, p := range top.Partitions {
		logs := map[int32][]checker.Batch{}
		for _, id := range p.Replicas {
			dir := r.PartitionDir(t, id, r.topic, p.Partition)
			l, err := checker.ReadLog(dir)
			if err != nil {
				t.Errorf("partition %d: read replica %d's log in %s: %v", p.Partition, id, dir, err)
			}
			logs[id] = l
		}
		bad := checker.CompareReplicas(logs, int64(p.HighWatermark))
		for _, b := range bad {
			t.Errorf("partition %d: %s", p.Partition, b)
		}
		if len(bad) == 0 {
			below := 0
			for _, b := range logs[p.Replicas[0]] {
				if b.BaseOffset < int64(p.HighWatermark) {
					below++
				}
			}
			t.Logf("partition %d: replicas %v identical byte for byte below the high watermark %d (%d batches each)",
				p.Partition, p.Replicas, p.HighWatermark, below)
		}
	}
	return final
}

// valueAt is the value at offset off of a final partition content ("" when there is none).
func valueAt(es []checker.Entry, off int64) (string, bool) {
	for _, e := range es {
		if e.Offset == off {
			return e.Value, true
		}
	}
	return "", false
}

// others returns the replicas of p other than the given nodes.
func others(p harness.Partition, not ...int32) []int32 {
	var out []int32
next:
	for _, r := range p.Replicas {
		for _, n := range not {
			if r == n {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

// since is a duration for logs, rounded to milliseconds.
func since(t0 time.Time) time.Duration { return time.Since(t0).Round(time.Millisecond) }
