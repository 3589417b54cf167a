package client

import (
	"fmt"
	"testing"
	"time"
)

// eventually calls cond every 10 ms until it returns nil or timeout passes, then fails the test
// with cond's last error.
func eventually(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		<-tick.C
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
