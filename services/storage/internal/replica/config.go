package replica

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/runnel/runnel/pkg/commitlog"
)

// Topic config names (Kafka's) that storage applies.
const (
	ConfigSegmentBytes      = "segment.bytes"
	ConfigSegmentMs         = "segment.ms"
	ConfigRetentionMs       = "retention.ms"
	ConfigRetentionBytes    = "retention.bytes"
	ConfigMaxMessageBytes   = "max.message.bytes"
	ConfigMinInsyncReplicas = "min.insync.replicas"
	ConfigReplicaLagTimeMs  = "replica.lag.time.max.ms"
)

// Kafka's defaults for the topic configs above (segment.bytes defaults to the node's setting).
const (
	DefaultSegmentAge        = 7 * 24 * time.Hour // segment.ms
	DefaultRetentionAge      = 7 * 24 * time.Hour // retention.ms
	DefaultRetentionBytes    = -1                 // retention.bytes: no limit
	DefaultMaxMessageBytes   = 1048588            // max.message.bytes
	DefaultMinInsyncReplicas = 1                  // min.insync.replicas
	DefaultReplicaLagTime    = 10 * time.Second   // replica.lag.time.max.ms (the metadata service's default)
)

// TopicConfig is what storage takes from a topic's configs.
type TopicConfig struct {
	SegmentBytes      int64
	SegmentAge        time.Duration
	RetentionAge      time.Duration // 0: keep forever (retention.ms = -1)
	RetentionBytes    int64         // <= 0: no size limit
	MaxMessageBytes   int
	MinInsyncReplicas int
	// ReplicaLagTime: a follower that has not caught up with the leader's log end for this long
	// is proposed out of the ISR.
	ReplicaLagTime time.Duration
}

// ParseTopicConfig reads configs over the defaults (segmentBytes is the node's default
// segment.bytes). A value that does not parse or is out of range keeps its default and is reported
// in the returned error; the returned config is always usable.
func ParseTopicConfig(configs map[string]string, segmentBytes int64) (TopicConfig, error) {
	c := TopicConfig{
		SegmentBytes:      segmentBytes,
		SegmentAge:        DefaultSegmentAge,
		RetentionAge:      DefaultRetentionAge,
		RetentionBytes:    DefaultRetentionBytes,
		MaxMessageBytes:   DefaultMaxMessageBytes,
		MinInsyncReplicas: DefaultMinInsyncReplicas,
		ReplicaLagTime:    DefaultReplicaLagTime,
	}
	var errs []error
	num := func(key string, lo, hi int64, set func(int64)) {
		s, ok := configs[key]
		if !ok {
			return
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < lo || v > hi {
			errs = append(errs, fmt.Errorf("%s=%q: want an integer in [%d, %d]", key, s, lo, hi))
			return
		}
		set(v)
	}
	const maxMs = int64(1<<63-1) / int64(time.Millisecond)
	num(ConfigSegmentBytes, 14, commitlog.MaxSegmentBytes, func(v int64) { c.SegmentBytes = v })
	num(ConfigSegmentMs, 1, maxMs, func(v int64) { c.SegmentAge = time.Duration(v) * time.Millisecond })
	num(ConfigRetentionMs, -1, maxMs, func(v int64) {
		c.RetentionAge = 0
		if v >= 0 {
			c.RetentionAge = max(time.Duration(v)*time.Millisecond, time.Millisecond)
		}
	})
	num(ConfigRetentionBytes, -1, 1<<62, func(v int64) { c.RetentionBytes = v })
	num(ConfigMaxMessageBytes, 0, 1<<31-1, func(v int64) { c.MaxMessageBytes = int(v) })
	num(ConfigMinInsyncReplicas, 1, 1<<31-1, func(v int64) { c.MinInsyncReplicas = int(v) })
	num(ConfigReplicaLagTimeMs, 1, maxMs, func(v int64) { c.ReplicaLagTime = time.Duration(v) * time.Millisecond })
	return c, errors.Join(errs...)
}

// logOptions are the commitlog options a topic config sets.
func (c TopicConfig) logOptions() commitlog.Options {
	return commitlog.Options{
		SegmentBytes:   c.SegmentBytes,
		SegmentAge:     c.SegmentAge,
		RetentionAge:   c.RetentionAge,
		RetentionBytes: c.RetentionBytes,
	}
}

// sameLog reports whether c and o open the log with the same options.
func (c TopicConfig) sameLog(o TopicConfig) bool {
	return c.SegmentBytes == o.SegmentBytes && c.SegmentAge == o.SegmentAge &&
		c.RetentionAge == o.RetentionAge && c.RetentionBytes == o.RetentionBytes
}
