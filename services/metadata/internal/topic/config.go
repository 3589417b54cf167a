package topic

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/runnel/runnel/pkg/rpcerr"
)

// Topic config names (Kafka's).
const (
	MinInsyncReplicas       = "min.insync.replicas"
	RetentionMs             = "retention.ms"
	RetentionBytes          = "retention.bytes"
	SegmentBytes            = "segment.bytes"
	SegmentMs               = "segment.ms"
	MaxMessageBytes         = "max.message.bytes"
	CleanupPolicy           = "cleanup.policy"
	UncleanLeaderElection   = "unclean.leader.election.enable"
	ReplicaLagTimeMaxMs     = "replica.lag.time.max.ms"
	MinSegmentBytes         = 1024
	DefaultMaxMessageBytes  = 1048588 // Kafka's default: 1 MiB plus a record batch header
	DefaultSegmentBytes     = 1 << 30
	DefaultRetentionMs      = 7 * 24 * 60 * 60 * 1000
	DefaultSegmentMs        = 7 * 24 * 60 * 60 * 1000
	DefaultReplicaLagTimeMs = 10000 // 10 s, as Runnel documents (Kafka's default is 30 s)
)

// spec is one known config: its default and how to check and canonicalise a value. check sees
// the trimmed value and the topic's replication factor.
type spec struct {
	def   func(rf int32) string
	check func(v string, rf int32) (string, string) // canonical value, or "" and what is wrong
}

var specs = map[string]spec{
	MinInsyncReplicas: {
		def: func(int32) string { return "1" },
		check: func(v string, rf int32) (string, string) {
			return intIn(v, 1, int64(rf), "an integer from 1 to the replication factor ("+strconv.Itoa(int(rf))+")")
		},
	},
	RetentionMs:         {def: constant(DefaultRetentionMs), check: intRange(-1, math.MaxInt64, "-1 (keep forever) or a number of milliseconds")},
	RetentionBytes:      {def: constant(-1), check: intRange(-1, math.MaxInt64, "-1 (no size limit) or a number of bytes")},
	SegmentBytes:        {def: constant(DefaultSegmentBytes), check: intRange(MinSegmentBytes, math.MaxInt32, "a number of bytes from 1024 to 2147483647")},
	SegmentMs:           {def: constant(DefaultSegmentMs), check: intRange(1, math.MaxInt64, "a number of milliseconds of at least 1")},
	MaxMessageBytes:     {def: constant(DefaultMaxMessageBytes), check: intRange(0, math.MaxInt32, "a number of bytes from 0 to 2147483647")},
	ReplicaLagTimeMaxMs: {def: constant(DefaultReplicaLagTimeMs), check: intRange(1, math.MaxInt64, "a number of milliseconds of at least 1")},
	CleanupPolicy: {
		def: func(int32) string { return "delete" },
		check: func(v string, _ int32) (string, string) {
			switch strings.ToLower(v) {
			case "delete":
				return "delete", ""
			case "compact", "compact,delete", "delete,compact":
				return "", "log compaction is not supported yet; use \"delete\""
			}
			return "", "must be \"delete\""
		},
	},
	UncleanLeaderElection: {
		def: func(int32) string { return "false" },
		check: func(v string, _ int32) (string, string) {
			switch strings.ToLower(v) {
			case "true":
				return "true", ""
			case "false":
				return "false", ""
			}
			return "", "must be true or false"
		},
	},
}

func constant(n int64) func(int32) string {
	s := strconv.FormatInt(n, 10)
	return func(int32) string { return s }
}

func intRange(lo, hi int64, want string) func(string, int32) (string, string) {
	return func(v string, _ int32) (string, string) { return intIn(v, lo, hi, want) }
}

func intIn(v string, lo, hi int64, want string) (string, string) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return "", "must be " + want
	}
	return strconv.FormatInt(n, 10), ""
}

// Names returns the known config names, sorted.
func Names() []string {
	names := make([]string, 0, len(specs))
	for k := range specs {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Configs checks the requested configs of a topic with replication factor rf and returns the
// effective configs: the requested ones in canonical form plus the default of every one not
// given. rf must already be valid (at least 1). An unknown name or a bad value is INVALID_CONFIG naming the key.
func Configs(req map[string]string, rf int32) (map[string]string, error) {
	out := make(map[string]string, len(specs))
	// Check in name order so the reported error does not depend on map order.
	keys := make([]string, 0, len(req))
	for k := range req {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sp, ok := specs[k]
		if !ok {
			return nil, rpcerr.New(rpcerr.InvalidConfig, "unknown topic config %q; known configs: %s", k, strings.Join(Names(), ", "))
		}
		v, bad := sp.check(strings.TrimSpace(req[k]), rf)
		if bad != "" {
			return nil, rpcerr.New(rpcerr.InvalidConfig, "topic config %s=%q: %s", k, req[k], bad)
		}
		out[k] = v
	}
	for k, sp := range specs {
		if _, ok := out[k]; !ok {
			out[k] = sp.def(rf)
		}
	}
	return out, nil
}
