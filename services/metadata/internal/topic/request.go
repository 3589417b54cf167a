package topic

import (
	"github.com/runnel/runnel/pkg/rpcerr"
)

// ValidatePartitions checks a partition count against 1..max.
func ValidatePartitions(partitions, max int32) error {
	if partitions < 1 || partitions > max {
		return rpcerr.New(rpcerr.InvalidPartitions, "%d partitions requested; choose from 1 to %d", partitions, max)
	}
	return nil
}

// ValidateReplicationFactor checks a replication factor against 1..live (the live storage nodes).
func ValidateReplicationFactor(rf int32, live int) error {
	switch {
	case rf < 1:
		return rpcerr.New(rpcerr.InvalidReplicationFactor, "replication factor %d requested; it must be at least 1", rf)
	case int64(rf) > int64(live):
		return rpcerr.New(rpcerr.InvalidReplicationFactor,
			"replication factor %d is more than the %d live storage nodes; lower it or start more storage nodes", rf, live)
	}
	return nil
}
