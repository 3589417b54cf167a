package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// crashLog is what the background producer of TestStorageKillRecovers saw.
type crashLog struct {
	mu       sync.Mutex
	acked    map[loc]string // acknowledged records
	sent     map[string]bool
	okCount  map[int32]int // acknowledged records per partition
	errCount map[int32]int // failed records per partition
	rounds   int
}

func (l *crashLog) roundsDone() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rounds
}

func (l *crashLog) counts(parts []int32) (ok, failed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range parts {
		ok += l.okCount[p]
		failed += l.errCount[p]
	}
	return ok, failed
}

// TestStorageKillRecovers kills a storage node with kill -9 while a producer writes to every
// partition (acks=1), starts it again with the argv of the endpoints file and checks that its log
// recovered: the other nodes kept serving meanwhile, produce and consume work again on its
// partitions, every record acknowledged before the kill is still at its offset, and every record
// read decodes (a batch failing its CRC would fail the read).
func TestStorageKillRecovers(t *testing.T) {
	const topic, parts = "crash", 6
	c := harness.Start(t, harness.Options{})
	rest := c.Client()
	desc := createTopic(t, rest, topic, parts, 1, nil)
	l := &crashLog{acked: map[loc]string{}, sent: map[string]bool{}, okCount: map[int32]int{}, errCount: map[int32]int{}}
	stop := make(chan struct{})
	done := make(chan struct{})
	maxRounds := 3000
	if long() {
		maxRounds = 30000
	}
	go func() { // the producer; stopped through stop, waited for below and in t.Cleanup
		defer close(done)
		produceRounds(t.Context(), rest, topic, parts, maxRounds, stop, l)
	}()
	stopped := sync.OnceFunc(func() {
		close(stop)
		<-done
	})
	t.Cleanup(stopped)

	cycles := 1
	if long() {
		cycles = 6
	}
	for cycle := range cycles {
		// Kill the leader of another partition each cycle.
		killAndRestart(t, c, l, desc, desc.Partitions[cycle%parts].Leader)
	}
	stopped()

	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("%d rounds, acknowledged per partition %v, failed %v", l.rounds, l.okCount, l.errCount)
	for p := range int32(parts) {
		recs, hw, err := rest.ConsumeAll(testCtx(t, time.Minute), topic, p, 0)
		if err != nil {
			t.Fatalf("read partition %d: %v", p, err)
		}
		got := map[int64]string{}
		for i, r := range recs {
			if int64(r.Offset) != int64(i) {
				t.Fatalf("partition %d: record %d has offset %d; offsets must be contiguous", p, i, r.Offset)
			}
			v := string(r.ValueBytes())
			if !l.sent[v] || partOf(v) != p {
				t.Fatalf("partition %d offset %d holds %q, which was never sent to it", p, i, v)
			}
			got[int64(i)] = v
		}
		for at, v := range l.acked {
			if at.partition == p && got[at.offset] != v {
				t.Errorf("partition %d offset %d: acknowledged %q, reads %q (high watermark %d)", p, at.offset, v, got[at.offset], hw)
			}
		}
	}

	// Every partition, the restarted nodes' too, takes writes with acks=all and serves them.
	for p := range int32(parts) {
		res, err := rest.Produce(testCtx(t, time.Minute), topic, "all", []harness.ProduceRecord{{Partition: harness.Ptr(p), Value: harness.Ptr("after-restart")}})
		if err != nil || res.Results[0].Offset == nil {
			t.Fatalf("produce to partition %d after the restart: %v %+v", p, err, res)
		}
		got, err := rest.Consume(testCtx(t, time.Minute), topic, p, int64(*res.Results[0].Offset), 1)
		if err != nil || len(got.Records) != 1 || string(got.Records[0].ValueBytes()) != "after-restart" {
			t.Fatalf("consume partition %d after the restart: %v %+v", p, err, got)
		}
	}
}

// killAndRestart kills storage node victim once writes flow to its partitions, checks that its
// partitions fail and the others keep taking writes while it is down, starts it again and waits
// for writes to its partitions to be acknowledged again.
func killAndRestart(t *testing.T, c *harness.Cluster, l *crashLog, desc *harness.Topic, victim int32) {
	t.Helper()
	var victimParts, otherParts []int32
	for _, p := range desc.Partitions {
		if p.Leader == victim {
			victimParts = append(victimParts, p.Partition)
		} else {
			otherParts = append(otherParts, p.Partition)
		}
	}
	if len(otherParts) == 0 {
		t.Fatalf("every partition is led by node %d; the test needs partitions on other nodes", victim)
	}
	okBefore, _ := l.counts(victimParts)
	harness.Eventually(t, 60*time.Second, func() error {
		if ok, _ := l.counts(victimParts); ok < okBefore+50 {
			return fmt.Errorf("%d records acknowledged on node %d's partitions", ok-okBefore, victim)
		}
		return nil
	})
	c.KillStorage(t, victim)
	okOthers, _ := l.counts(otherParts)
	_, failedVictim := l.counts(victimParts)

	// While it is down its partitions fail and the others keep taking writes.
	harness.Eventually(t, 60*time.Second, func() error {
		ok, _ := l.counts(otherParts)
		_, failed := l.counts(victimParts)
		if failed <= failedVictim || ok < okOthers+3*len(otherParts) {
			return fmt.Errorf("since node %d was killed: %d failures on its partitions, %d writes to the others", victim, failed-failedVictim, ok-okOthers)
		}
		return nil
	})

	c.RestartStorage(t, victim)
	okVictim, _ := l.counts(victimParts)
	harness.Eventually(t, 90*time.Second, func() error {
		if ok, _ := l.counts(victimParts); ok < okVictim+50 {
			return fmt.Errorf("%d records acknowledged on restarted node %d's partitions after %d rounds", ok-okVictim, victim, l.roundsDone())
		}
		return nil
	})
}

// crashValue is the value of round i's record for partition p.
func crashValue(i int, p int32) string { return fmt.Sprintf("r%06d-p%d", i, p) }

// partOf is the partition a crashValue names, -1 for another value.
func partOf(v string) int32 {
	var i int
	var p int32
	if _, err := fmt.Sscanf(v, "r%06d-p%d", &i, &p); err != nil {
		return -1
	}
	return p
}

// produceRounds sends, until stop is closed or maxRounds rounds have gone, one request per round
// with one record for each partition (acks=1, a short delivery timeout), and logs the outcome.
// It must not fail the test: it runs on its own goroutine. It stops when ctx ends too.
func produceRounds(ctx context.Context, rest *harness.Client, topic string, parts, maxRounds int, stop <-chan struct{}, l *crashLog) {
	for i := range maxRounds {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		var recs []harness.ProduceRecord
		for p := range int32(parts) {
			v := crashValue(i, p)
			recs = append(recs, harness.ProduceRecord{Partition: harness.Ptr(p), Value: harness.Ptr(v)})
		}
		l.mu.Lock()
		for _, r := range recs {
			l.sent[*r.Value] = true
		}
		l.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := rest.ProduceRequest(rctx, topic, harness.ProduceRequest{Acks: "1", Records: recs, TimeoutMs: 1000})
		cancel()
		l.mu.Lock()
		l.rounds++
		for j, r := range recs {
			switch {
			case err != nil || len(res.Results) != len(recs) || res.Results[j].Offset == nil:
				l.errCount[*r.Partition]++
			default:
				l.okCount[*r.Partition]++
				l.acked[loc{*r.Partition, int64(*res.Results[j].Offset)}] = *r.Value
			}
		}
		l.mu.Unlock()
	}
}
