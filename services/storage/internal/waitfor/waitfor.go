package waitfor

import (
	"testing"
	"time"
)

// Condition polls cond every few milliseconds until it holds, and fails the test naming what it
// waited for once timeout has passed.
func Condition(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
