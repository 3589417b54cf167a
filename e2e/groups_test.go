package e2e

import (
	"testing"

	"github.com/runnel/runnel/e2e/harness"
)

// TestGroups runs the consumer-group scenarios against one real `runnel dev` (1 metadata node,
// 1 storage node, 1 gateway), each on its own topic and groups: the README tour (two CLI
// consumers sharing a topic), three consumers sharing a 12-partition topic while a producer
// writes, rebalances on join, leave and crash (kill -9), a static member's restart without a rebalance,
// resuming at committed offsets, the group
// admin commands, bad input, and last commits surviving a restart of the metadata node.
func TestGroups(t *testing.T) {
	c := harness.Start(t, harness.Options{StorageNodes: 1})
	t.Run("Tour", func(t *testing.T) { testGroupTour(t, c) })
	t.Run("Share", func(t *testing.T) { testGroupShare(t, c) })
	t.Run("Rebalance", func(t *testing.T) { testGroupRebalance(t, c) })
	t.Run("Resume", func(t *testing.T) { testGroupResume(t, c) })
	t.Run("Static", func(t *testing.T) { testGroupStatic(t, c) })
	t.Run("Admin", func(t *testing.T) { testGroupAdmin(t, c) })
	t.Run("BadInput", func(t *testing.T) { testGroupBadInput(t, c) })
	t.Run("MetadataRestart", func(t *testing.T) { testGroupMetadataRestart(t, c) }) // last: restarts the metadata
}
