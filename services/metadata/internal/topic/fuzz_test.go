package topic

import (
	"testing"
)

// FuzzValidate feeds request fields from outside. Invariants: no panic; an accepted name only has
// legal bytes; accepted configs are complete and canonical (validating them again gives the same
// map, for a valid replication factor); an accepted assignment has distinct replicas on the given nodes.
func FuzzValidate(f *testing.F) {
	f.Add("orders", int32(3), int32(2), "min.insync.replicas", "2", uint8(3))
	f.Add("..", int32(0), int32(0), "cleanup.policy", "compact", uint8(0))
	f.Add("a\x00b", int32(-1), int32(9), "retention.ms", " -1 ", uint8(9))
	f.Add("x", int32(10001), int32(1), "segment.bytes", "99999999999999999999", uint8(1))
	f.Fuzz(func(t *testing.T, name string, partitions, rf int32, key, value string, live uint8) {
		if ValidateName(name) == nil {
			for i := 0; i < len(name); i++ {
				if !legal(name[i]) {
					t.Fatalf("accepted name %q has illegal byte %q", name, name[i])
				}
			}
		}
		cfg, err := Configs(map[string]string{key: value}, rf)
		if err == nil && rf >= 1 { // Configs is called after the replication factor passed
			again, err := Configs(cfg, rf)
			if err != nil || len(again) != len(cfg) || len(cfg) != len(Names()) {
				t.Fatalf("configs %v not canonical: %v %v", cfg, again, err)
			}
			for k, v := range cfg {
				if again[k] != v {
					t.Fatalf("config %s: %q became %q", k, v, again[k])
				}
			}
		}
		nodes := make([]int32, int(live%8))
		for i := range nodes {
			nodes[i] = int32(i + 1)
		}
		if ValidatePartitions(partitions, 64) != nil || ValidateReplicationFactor(rf, len(nodes)) != nil {
			return
		}
		for p, reps := range Assign(name, partitions, rf, nodes) {
			seen := map[int32]bool{}
			for _, r := range reps {
				if seen[r] || r < 1 || int(r) > len(nodes) {
					t.Fatalf("partition %d: bad replicas %v", p, reps)
				}
				seen[r] = true
			}
		}
	})
}
