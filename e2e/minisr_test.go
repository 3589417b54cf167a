package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
	"github.com/runnel/runnel/e2e/harness"
)

// TestTwoNodesDownRefusesAcksAll kills two of the three storage nodes while acks=all producers
// write: once the ISR of every partition is the survivor alone, an acks=all write is refused with
// a 503 naming NOT_ENOUGH_REPLICAS and is not written, while acks=1 is still accepted; with the two
// nodes started again acks=all writes are accepted again, and every acknowledged write (acks=1
// ones included: their leader never died) is kept. The explicit writes go to a second topic of the
// same shape that nothing else writes to, so that no retried batch of the workload can carry them.
func TestTwoNodesDownRefusesAcksAll(t *testing.T) {
	r := startReplicated(t, replicaSetup{})
	const probe = "probe"
	createTopic(t, r.Client(), probe, r.parts, 3, map[string]string{"min.insync.replicas": "2", "replica.lag.time.max.ms": "3000"})
	w := r.produce(t, checker.Config{TimeoutMs: 5000})
	r.waitAcks(t, -1, time.Time{}, 50, 30*time.Second)

	const survivor = 1
	killed := time.Now()
	r.KillStorage(t, 2)
	r.KillStorage(t, 3)
	for _, topic := range []string{r.topic, probe} {
		for p := range r.parts {
			r.waitTopicPartition(t, topic, p, 30*time.Second, func(pt harness.Partition) error {
				if pt.Leader != survivor || len(pt.ISR) != 1 || !pt.InISR(survivor) {
					return fmt.Errorf("%s: want leader %d and ISR [%d]", topic, survivor, survivor)
				}
				return nil
			})
		}
	}
	t.Logf("every partition is led by node %d alone %s after the kills", survivor, since(killed))

	refused := map[int32]string{}
	acked1 := map[int32]map[int64]string{}
	for p := range r.parts {
		v := fmt.Sprintf("refused-%d", p)
		_, err := r.produceTo(t, probe, p, "all", v, 1500*time.Millisecond)
		var e *harness.APIError
		switch {
		case err == nil:
			t.Errorf("partition %d: an acks=all write was accepted with only node %d in sync (min.insync.replicas=2)", p, survivor)
		case !errors.As(err, &e):
			t.Errorf("partition %d: acks=all write: %v, want a 503 NOT_ENOUGH_REPLICAS answer", p, err)
		default:
			if e.Status != http.StatusServiceUnavailable || !strings.Contains(e.Message, "NOT_ENOUGH_REPLICAS") {
				t.Errorf("partition %d: acks=all write answered %d %q, want 503 naming NOT_ENOUGH_REPLICAS", p, e.Status, e.Message)
			}
			t.Logf("partition %d: acks=all refused: %d %s", p, e.Status, e.Message)
		}
		refused[p] = v
		acked1[p] = map[int64]string{}
		for i := range 3 {
			v := fmt.Sprintf("acks1-%d-%d", p, i)
			off, err := r.produceTo(t, probe, p, "1", v, 5*time.Second)
			if err != nil {
				t.Fatalf("partition %d: acks=1 write with one node in sync: %v", p, err)
			}
			acked1[p][off] = v
		}
	}

	restarted := time.Now()
	r.RestartStorage(t, 2)
	r.RestartStorage(t, 3)
	for p := range r.parts {
		off := r.mustProduceTo(t, probe, p, "all", fmt.Sprintf("again-%d", p), 60*time.Second)
		t.Logf("partition %d: acks=all accepted again at offset %d, %s after the restarts", p, off, since(restarted))
	}
	r.waitAcks(t, -1, time.Now(), 50, 30*time.Second)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	probed, err := checker.ReadFinal(ctx, r.Client(), probe, r.parts)
	if err != nil {
		t.Fatalf("read %s: %v", probe, err)
	}
	for p := range r.parts {
		for off, v := range acked1[p] {
			if got, _ := valueAt(probed[p], off); got != v {
				t.Errorf("partition %d: acks=1 write %q acknowledged at offset %d while its leader never died; the log holds %q there", p, v, off, got)
			}
		}
		for _, e := range probed[p] {
			if e.Value == refused[p] {
				t.Errorf("partition %d: the refused acks=all write %q is in the log at offset %d", p, e.Value, e.Offset)
			}
		}
	}
	r.healAndCheck(t, w)
}
