package replica

import (
	"testing"
	"time"
)

func TestParseTopicConfig(t *testing.T) {
	def := TopicConfig{
		SegmentBytes: 1 << 20, SegmentAge: DefaultSegmentAge, RetentionAge: DefaultRetentionAge,
		RetentionBytes: DefaultRetentionBytes, MaxMessageBytes: DefaultMaxMessageBytes, MinInsyncReplicas: 1,
		ReplicaLagTime: DefaultReplicaLagTime,
	}
	with := func(f func(*TopicConfig)) TopicConfig { c := def; f(&c); return c }
	tests := []struct {
		name    string
		configs map[string]string
		want    TopicConfig
		wantErr bool
	}{
		{"defaults", nil, def, false},
		{"all set", map[string]string{
			"segment.bytes": "4096", "segment.ms": "60000", "retention.ms": "3600000",
			"retention.bytes": "1000000", "max.message.bytes": "2048", "min.insync.replicas": "2",
			"cleanup.policy": "delete", "replica.lag.time.max.ms": "500",
		}, TopicConfig{
			SegmentBytes: 4096, SegmentAge: time.Minute, RetentionAge: time.Hour, RetentionBytes: 1000000,
			MaxMessageBytes: 2048, MinInsyncReplicas: 2, ReplicaLagTime: 500 * time.Millisecond,
		}, false},
		{"retention forever", map[string]string{"retention.ms": "-1"}, with(func(c *TopicConfig) { c.RetentionAge = 0 }), false},
		{"bad number keeps default", map[string]string{"segment.bytes": "big", "min.insync.replicas": "2"},
			with(func(c *TopicConfig) { c.MinInsyncReplicas = 2 }), true},
		{"out of range keeps default", map[string]string{"min.insync.replicas": "0"}, def, true},
		{"lag time zero keeps default", map[string]string{"replica.lag.time.max.ms": "0"}, def, true},
		{"segment too large", map[string]string{"segment.bytes": "4294967296"}, def, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTopicConfig(tt.configs, 1<<20)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
