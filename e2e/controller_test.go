package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
	"github.com/runnel/runnel/e2e/harness"
)

// TestControllerKillElectsAnother runs three metadata nodes and kills the controller's node with
// kill -9 while acks=all producers write: another node becomes controller (controller_id changes)
// within seconds and producing goes on. The new controller then does a controller's work: a
// storage leader killed next is replaced. With everything started again the checker runs.
func TestControllerKillElectsAnother(t *testing.T) {
	r := startReplicated(t, replicaSetup{metadataNodes: 3})
	w := r.produce(t, checker.Config{})
	r.waitAcks(t, -1, time.Time{}, 50, 30*time.Second)

	ctrl := controller(t, r, "")
	killed := time.Now()
	r.KillMetadata(t, ctrl)
	next := controller(t, r, ctrl)
	t.Logf("controller %s killed; %s is controller %s later", ctrl, next, since(killed))
	r.waitAcks(t, -1, time.Now(), 50, 30*time.Second)
	t.Logf("producing goes on: %s", r.hist.Summary())

	const p = 0
	before := r.partition(t, p)
	victim := before.Leader
	killedLeader := time.Now()
	r.KillStorage(t, victim)
	after := r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if pt.Leader < 0 || pt.Leader == victim || pt.LeaderEpoch <= before.LeaderEpoch {
			return fmt.Errorf("leader %d not replaced yet", victim)
		}
		return nil
	})
	t.Logf("under controller %s, storage leader %d replaced %s after its kill: %s", next, victim, since(killedLeader), after)
	r.waitAcks(t, p, time.Now(), 20, 30*time.Second)

	r.RestartStorage(t, victim)
	r.RestartMetadata(t, ctrl)
	r.healAndCheck(t, w)
}

// controller waits until a metadata node other than not is the controller and returns its id.
func controller(t *testing.T, r *replicated, not string) string {
	t.Helper()
	var id string
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		c, err := r.Controller(ctx)
		if err != nil {
			return err
		}
		if c == not {
			return fmt.Errorf("%s is still the controller", c)
		}
		if _, ok := r.Endpoints().MetadataByID(c); !ok {
			return fmt.Errorf("controller_id %q names no metadata node", c)
		}
		id = c
		return nil
	})
	return id
}
