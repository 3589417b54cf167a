package e2e

import (
	"testing"

	"github.com/runnel/runnel/e2e/harness"
)

// TestSharedCluster runs the scenarios that can share one cluster (3 storage nodes) as subtests,
// each on its own topics.
func TestSharedCluster(t *testing.T) {
	c := harness.Start(t, harness.Options{})
	t.Run("Tour", func(t *testing.T) { testTour(t, c) })
	t.Run("ProduceShapes", func(t *testing.T) { testProduceShapes(t, c) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, c) })
}
