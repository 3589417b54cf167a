package harness

import (
	"fmt"
	"testing"
	"time"
)

// Eventually calls cond until it returns nil, every 100 ms, for at most timeout; then it fails the
// test with cond's last error.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	if err := poll(timeout, 100*time.Millisecond, cond); err != nil {
		t.Fatalf("condition not met: %v", err)
	}
}

// poll calls cond every interval until it returns nil or timeout passes; it returns cond's last
// error, wrapped with the timeout.
func poll(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		<-tick.C
	}
}
