package e2e

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
)

// TestRandomFaults is a seeded, bounded run of random faults while acks=all producers and
// consumers run: kill -9 and restart of a storage node, SIGSTOP/SIGCONT of a storage node, kill -9
// and restart or SIGSTOP/SIGCONT of a metadata node (three metadata nodes), or a storage and a
// metadata fault at once. At most one storage node and one metadata node are down or paused at a
// time, and before each fault the cluster is back in sync. It lasts at least 60 s (10 min with
// RUNNEL_LONG=1); the seed is logged, RUNNEL_SEED=<seed> replays it. Then everything is healed
// and the checker runs.
func TestRandomFaults(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("RUNNEL_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("RUNNEL_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with RUNNEL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x52554e4e454c))
	run := 60 * time.Second
	if long() {
		run = 10 * time.Minute
	}

	r := startReplicated(t, replicaSetup{metadataNodes: 3})
	w := r.produce(t, checker.Config{})
	r.waitAcks(t, -1, time.Time{}, 50, 30*time.Second)
	start := time.Now()
	maxHold := 2*r.setup.sessionTimeout + time.Second
	faults := 0
	for step := 1; step <= 10000 && time.Since(start) < run; step++ {
		r.waitHealthy(t, 60*time.Second)
		storage := int32(rng.IntN(3) + 1)
		meta := "m" + strconv.Itoa(rng.IntN(3)+1)
		hold := 300*time.Millisecond + time.Duration(rng.Int64N(int64(maxHold)))
		kind := rng.IntN(5)
		t.Logf("step %d at %s: %s for %s", step, since(start), describeFault(kind, storage, meta), hold.Round(time.Millisecond))
		var heal []func()
		if kind == 0 || kind == 4 {
			r.KillStorage(t, storage)
			heal = append(heal, func() { r.RestartStorage(t, storage) })
		}
		if kind == 1 {
			r.PauseStorage(t, storage)
			heal = append(heal, func() { r.ResumeStorage(t, storage) })
		}
		if kind == 2 || kind == 4 {
			r.KillMetadata(t, meta)
			heal = append(heal, func() { r.RestartMetadata(t, meta) })
		}
		if kind == 3 {
			r.PauseMetadata(t, meta)
			heal = append(heal, func() { r.ResumeMetadata(t, meta) })
		}
		holdFor(t, hold)
		for _, h := range heal {
			h()
		}
		faults++
	}
	healed := time.Now()
	r.waitHealthy(t, 60*time.Second)
	r.waitAcks(t, -1, healed, 50, 60*time.Second)
	t.Logf("%d faults in %s", faults, since(start))
	r.healAndCheck(t, w)
}

// describeFault names fault kind as the loop applies it.
func describeFault(kind int, storage int32, meta string) string {
	switch kind {
	case 0:
		return "kill -9 storage " + strconv.Itoa(int(storage))
	case 1:
		return "SIGSTOP storage " + strconv.Itoa(int(storage))
	case 2:
		return "kill -9 metadata " + meta
	case 3:
		return "SIGSTOP metadata " + meta
	default:
		return "kill -9 storage " + strconv.Itoa(int(storage)) + " and metadata " + meta
	}
}

// holdFor lets a fault last d (or until the test ends). It is the fault's duration, not a wait for
// a condition.
func holdFor(t *testing.T, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.Context().Done():
	}
}
