package e2e

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testGroupShare: three `runnel consume --group` processes join one group on a 12-partition topic,
// one after the other, while a producer writes. Every produced record is consumed, and no
// partition is read by two members at the same time, checked two ways:
//   - the coordinator's view: DescribeGroup polled every 50 ms never shows a partition assigned to
//     or being revoked from two members;
//   - the readers' view: per partition, the consumers' printed offsets, merged in offset order,
//     change hands at most once per group generation change (a hand-over), no offset is printed by
//     two consumers (the old owner commits everything it printed before it acknowledges the
//     revocation, and the new owner starts at that commit), and each consumer's offsets grow.
func testGroupShare(t *testing.T, c *harness.Cluster) {
	const topic, group, partitions = "g-share", "g-share", 12
	rest := c.Client()
	createTopic(t, rest, topic, partitions, 1, nil)
	mon := monitorHolders(t, rest, group, 50*time.Millisecond)

	prod := startProducer(t, rest, topic, 2*partitions, 25*time.Millisecond)
	var consumers []*harness.CLIProcess
	for i := 1; i <= 3; i++ {
		p := groupConsumer(t, c, fmt.Sprintf("consumer %d", i), topic, group, "--session-timeout", "6s")
		consumers = append(consumers, p)
		memberOf(t, p)
		waitBalanced(t, rest, group, i, partitions, 20*time.Second)
		harness.EventuallyEvery(t, 20*time.Second, 20*time.Millisecond, func() error {
			if p.LineCount() == 0 {
				return fmt.Errorf("%s has printed nothing yet", p.Name)
			}
			return nil
		})
	}
	// Three members share the topic for a while before the producer stops.
	base := 0
	for _, p := range consumers {
		base += p.LineCount()
	}
	harness.EventuallyEvery(t, 20*time.Second, 20*time.Millisecond, func() error {
		n := 0
		for _, p := range consumers {
			n += p.LineCount()
		}
		if n < base+500 {
			return fmt.Errorf("the three consumers printed %d records since the last join, want 500", n-base)
		}
		return nil
	})
	produced := prod.stop(t)
	if len(produced) < 100 {
		t.Fatalf("the producer wrote only %d records", len(produced))
	}
	waitConsumed(t, produced, 30*time.Second, consumers...)
	hand := mon.generationSpan()
	mon.check(t, 20)
	t.Logf("%d records produced; group generations seen: %d changes", len(produced), hand)

	type read struct {
		offset int64
		who    string
	}
	byPartition := map[harness.TopicPartition][]read{}
	for who, recs := range consumedBy(t, consumers...) {
		last := map[harness.TopicPartition]int64{}
		for _, r := range recs {
			tp := harness.TopicPartition{Topic: r.Topic, Partition: r.Partition}
			if prev, ok := last[tp]; ok && int64(r.Offset) <= prev {
				t.Errorf("%s printed %s/%d offset %d after offset %d: a member reads each partition forward", who, tp.Topic, tp.Partition, r.Offset, prev)
			}
			last[tp] = int64(r.Offset)
			byPartition[tp] = append(byPartition[tp], read{int64(r.Offset), who})
		}
	}
	handovers := 0
	for tp, reads := range byPartition {
		slices.SortFunc(reads, func(x, y read) int { return cmp.Or(cmp.Compare(x.offset, y.offset), cmp.Compare(x.who, y.who)) })
		switches := 0
		for i := 1; i < len(reads); i++ {
			if reads[i].offset == reads[i-1].offset {
				t.Errorf("%s/%d offset %d was printed by %s and by %s", tp.Topic, tp.Partition, reads[i].offset, reads[i-1].who, reads[i].who)
			}
			if reads[i].who != reads[i-1].who {
				switches++
			}
		}
		handovers += switches
		if switches > hand {
			t.Errorf("%s/%d changed readers %d times over its offsets but the group changed only %d times: two members read it at once",
				tp.Topic, tp.Partition, switches, hand)
		}
	}
	t.Logf("%d partitions read, %d hand-overs between consumers seen in their output", len(byPartition), handovers)
	if len(byPartition) != partitions || handovers == 0 {
		t.Errorf("%d partitions read and %d hand-overs: want all %d partitions and the joins to move some", len(byPartition), handovers, partitions)
	}
	for _, p := range consumers {
		if code := p.Stop(t); code != 0 {
			t.Errorf("%s exited %d, want 0; stderr:\n%s", p.Name, code, p.Stderr())
		}
	}
}

// producer writes batches of unkeyed records until stopped.
type producer struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	out    []producedRecord
	err    error
}

// startProducer produces batch records every interval (at most 2000 batches) until stop.
func startProducer(t *testing.T, rest *harness.Client, topic string, batch int, interval time.Duration) *producer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &producer{cancel: cancel}
	p.wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for n := 0; n < 2000; n++ {
			recs := make([]harness.ProduceRecord, batch)
			values := make([]string, batch)
			for i := range recs {
				values[i] = fmt.Sprintf("%s-%d-%d", topic, n, i)
				recs[i] = harness.Text("", values[i])
			}
			// A request is never cut short, so every record's outcome is known.
			rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
			res, err := rest.Produce(rctx, topic, "all", recs)
			rcancel()
			p.mu.Lock()
			if err != nil {
				p.err = err
				p.mu.Unlock()
				return
			}
			for i, r := range res.Results {
				if r.Offset == nil || r.Error != "" {
					p.err = fmt.Errorf("record %d failed: %+v", i, r)
					p.mu.Unlock()
					return
				}
				p.out = append(p.out, producedRecord{harness.TopicPartition{Topic: topic, Partition: r.Partition}, int64(*r.Offset), values[i]})
			}
			p.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	t.Cleanup(func() { cancel(); p.wg.Wait() })
	return p
}

// stop stops the producer and returns what it wrote; it fails the test when a produce failed.
func (p *producer) stop(t *testing.T) []producedRecord {
	t.Helper()
	p.cancel()
	p.wg.Wait()
	if p.err != nil {
		t.Fatalf("producer: %v", p.err)
	}
	return p.out
}
