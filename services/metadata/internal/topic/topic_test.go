package topic

import (
	"errors"
	"strings"
	"testing"

	"github.com/runnel/runnel/pkg/rpcerr"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"orders", true},
		{"a", true},
		{"Orders_v2.eu-west", true},
		{strings.Repeat("x", 249), true},
		{"", false},
		{".", false},
		{"..", false},
		{"...", true},
		{strings.Repeat("x", 250), false},
		{"with space", false},
		{"slash/name", false},
		{"tab\tname", false},
		{"nul\x00", false},
		{"ümlaut", false},
		{"star*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.name)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
			if err != nil && !errors.Is(err, rpcerr.InvalidTopic) {
				t.Fatalf("ValidateName(%q) = %v, want INVALID_TOPIC_EXCEPTION", tt.name, err)
			}
		})
	}
}

func TestConfigs(t *testing.T) {
	tests := []struct {
		name    string
		req     map[string]string
		rf      int32
		wantErr string // substring naming the key; "" for success
		want    map[string]string
	}{
		{name: "defaults", rf: 3, want: map[string]string{
			MinInsyncReplicas: "1", RetentionMs: "604800000", RetentionBytes: "-1", SegmentBytes: "1073741824",
			SegmentMs: "604800000", MaxMessageBytes: "1048588", CleanupPolicy: "delete",
			UncleanLeaderElection: "false", ReplicaLagTimeMaxMs: "10000",
		}},
		{name: "canonical", rf: 3, req: map[string]string{MinInsyncReplicas: " 2 ", UncleanLeaderElection: "TRUE", RetentionMs: "-1", CleanupPolicy: "Delete"},
			want: map[string]string{MinInsyncReplicas: "2", UncleanLeaderElection: "true", RetentionMs: "-1", CleanupPolicy: "delete"}},
		{name: "min isr above rf", rf: 2, req: map[string]string{MinInsyncReplicas: "3"}, wantErr: MinInsyncReplicas},
		{name: "min isr zero", rf: 2, req: map[string]string{MinInsyncReplicas: "0"}, wantErr: MinInsyncReplicas},
		{name: "unknown", rf: 1, req: map[string]string{"compression.typo": "x"}, wantErr: "compression.typo"},
		{name: "retention below -1", rf: 1, req: map[string]string{RetentionMs: "-2"}, wantErr: RetentionMs},
		{name: "retention bytes text", rf: 1, req: map[string]string{RetentionBytes: "lots"}, wantErr: RetentionBytes},
		{name: "segment too small", rf: 1, req: map[string]string{SegmentBytes: "1023"}, wantErr: SegmentBytes},
		{name: "segment ms zero", rf: 1, req: map[string]string{SegmentMs: "0"}, wantErr: SegmentMs},
		{name: "max message negative", rf: 1, req: map[string]string{MaxMessageBytes: "-1"}, wantErr: MaxMessageBytes},
		{name: "compact", rf: 1, req: map[string]string{CleanupPolicy: "compact"}, wantErr: "not supported"},
		{name: "bool", rf: 1, req: map[string]string{UncleanLeaderElection: "yes"}, wantErr: UncleanLeaderElection},
		{name: "lag", rf: 1, req: map[string]string{ReplicaLagTimeMaxMs: "0"}, wantErr: ReplicaLagTimeMaxMs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Configs(tt.req, tt.rf)
			if tt.wantErr != "" {
				if !errors.Is(err, rpcerr.InvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Configs(%v) = %v, want INVALID_CONFIG mentioning %q", tt.req, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Configs(%v): %v", tt.req, err)
			}
			if len(got) != len(Names()) {
				t.Errorf("got %d configs, want all %d: %v", len(got), len(Names()), got)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestValidateCounts(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		code  *rpcerr.Code
		inMsg string
	}{
		{"partitions ok", ValidatePartitions(1, 10), nil, ""},
		{"partitions max", ValidatePartitions(10, 10), nil, ""},
		{"partitions zero", ValidatePartitions(0, 10), rpcerr.InvalidPartitions, "1 to 10"},
		{"partitions above", ValidatePartitions(11, 10), rpcerr.InvalidPartitions, "1 to 10"},
		{"rf ok", ValidateReplicationFactor(3, 3), nil, ""},
		{"rf zero", ValidateReplicationFactor(0, 3), rpcerr.InvalidReplicationFactor, "at least 1"},
		{"rf above live", ValidateReplicationFactor(4, 3), rpcerr.InvalidReplicationFactor, "3 live storage nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.code == nil {
				if tt.err != nil {
					t.Fatalf("unexpected error %v", tt.err)
				}
				return
			}
			if !errors.Is(tt.err, tt.code) || !strings.Contains(tt.err.Error(), tt.inMsg) {
				t.Fatalf("error %v, want %s mentioning %q", tt.err, tt.code.Name, tt.inMsg)
			}
		})
	}
}

func TestAssign(t *testing.T) {
	tests := []struct {
		name       string
		topic      string
		partitions int32
		rf         int32
		nodes      []int32
	}{
		{"single node", "a", 4, 1, []int32{7}},
		{"three nodes rf3", "orders", 6, 3, []int32{3, 1, 2}},
		{"five nodes rf2", "events", 20, 2, []int32{5, 4, 3, 2, 1}},
		{"rf equals nodes", "x", 7, 4, []int32{10, 20, 30, 40}},
		{"duplicates ignored", "d", 3, 2, []int32{1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Assign(tt.topic, tt.partitions, tt.rf, tt.nodes)
			if len(got) != int(tt.partitions) {
				t.Fatalf("got %d partitions, want %d", len(got), tt.partitions)
			}
			live := map[int32]bool{}
			for _, n := range tt.nodes {
				live[n] = true
			}
			leaders := map[int32]int{}
			for p, reps := range got {
				if len(reps) != int(tt.rf) {
					t.Fatalf("partition %d: %v has %d replicas, want %d", p, reps, len(reps), tt.rf)
				}
				seen := map[int32]bool{}
				for _, r := range reps {
					if seen[r] || !live[r] {
						t.Fatalf("partition %d: replicas %v repeat or name a node not given", p, reps)
					}
					seen[r] = true
				}
				leaders[reps[0]]++
			}
			// Leaders are spread evenly: counts differ by at most one.
			lo, hi := int(tt.partitions), 0
			for n := range live {
				lo, hi = min(lo, leaders[n]), max(hi, leaders[n])
			}
			if hi-lo > 1 {
				t.Errorf("leaders %v are not spread evenly over %v", leaders, tt.nodes)
			}
			if again := Assign(tt.topic, tt.partitions, tt.rf, tt.nodes); !equal(got, again) {
				t.Errorf("assignment is not reproducible: %v vs %v", got, again)
			}
		})
	}
}

func TestAssignRefuses(t *testing.T) {
	if got := Assign("t", 3, 4, []int32{1, 2, 3}); got != nil {
		t.Fatalf("rf above node count gave %v, want nil", got)
	}
	if got := Assign("t", 3, 0, []int32{1}); got != nil {
		t.Fatalf("rf 0 gave %v, want nil", got)
	}
}

func TestStartVariesByName(t *testing.T) {
	firsts := map[int32]bool{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		firsts[Assign(name, 1, 1, []int32{1, 2, 3})[0][0]] = true
	}
	if len(firsts) < 2 {
		t.Fatalf("eight topics all start on the same node: %v", firsts)
	}
}

func TestNewID(t *testing.T) {
	a, b := NewID(), NewID()
	if len(a) != 36 || a == b || a[14] != '4' {
		t.Fatalf("NewID gave %q and %q", a, b)
	}
}

func equal(a, b [][]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}
