package e2e

import (
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
)

// TestWholeClusterRestart writes with acks=all, stops the whole cluster as a user does and starts
// it again on the same data: every partition gets a leader and a full ISR again, writes go on, and
// every record acknowledged before the stop is still at its offset (the checker).
func TestWholeClusterRestart(t *testing.T) {
	r := startReplicated(t, replicaSetup{})
	w := r.produce(t, checker.Config{})
	r.waitAcks(t, -1, time.Time{}, 300, 60*time.Second)
	w.Stop()
	acked := r.hist.AckCount(-1)

	stopped := time.Now()
	r.Stop(t)
	r.StartAgain(t)
	r.waitHealthy(t, 60*time.Second)
	t.Logf("%d acknowledged records before the stop; healthy again %s after the stop", acked, since(stopped))

	again := time.Now()
	w2 := r.produce(t, checker.Config{})
	r.waitAcks(t, -1, again, 100, 60*time.Second)
	r.healAndCheck(t, w2)
}
