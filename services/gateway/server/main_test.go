package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the gateways the tests start leave no goroutine behind once stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
