package store

import (
	"errors"
	"testing"
)

func TestParseKey(t *testing.T) {
	tests := []struct {
		key  string
		want ParsedKey
		bad  bool
	}{
		{TopicKey("orders"), ParsedKey{Kind: KindTopic, Topic: "orders"}, false},
		{PartitionKey("orders", 7), ParsedKey{Kind: KindPartition, Topic: "orders", Partition: 7}, false},
		{PartitionKey("o.r-d_s", 123456), ParsedKey{Kind: KindPartition, Topic: "o.r-d_s", Partition: 123456}, false},
		{NodeKey(42), ParsedKey{Kind: KindNode, Node: 42}, false},
		{"/runnel/groups/g/members/x", ParsedKey{Kind: KindOther}, false},
		{"/elsewhere", ParsedKey{Kind: KindOther}, false},
		{"/runnel/topics/", ParsedKey{}, true},
		{"/runnel/topics/a/b", ParsedKey{}, true},
		{"/runnel/partitions/orders", ParsedKey{}, true},
		{"/runnel/partitions/orders/x", ParsedKey{}, true},
		{"/runnel/partitions//00001", ParsedKey{}, true},
		{"/runnel/partitions/orders/-1", ParsedKey{}, true},
		{"/runnel/nodes/0", ParsedKey{}, true},
		{"/runnel/nodes/abc", ParsedKey{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, err := ParseKey(tt.key)
			if tt.bad {
				if !errors.Is(err, ErrBadKey) {
					t.Fatalf("ParseKey(%q) = %+v, %v; want ErrBadKey", tt.key, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseKey(%q) = %+v, %v; want %+v", tt.key, got, err, tt.want)
			}
		})
	}
	if PartitionKey("t", 3) != "/runnel/partitions/t/00003" {
		t.Fatalf("partition key %q: want 5-digit zero padding", PartitionKey("t", 3))
	}
}

// FuzzParseKey: keys come from etcd, which any client of it can write. Invariants: no panic; a
// key that parses as topic, partition or node is rebuilt by its constructor from the parts (up to
// zero padding of numbers).
func FuzzParseKey(f *testing.F) {
	for _, k := range []string{TopicKey("a"), PartitionKey("a", 1), NodeKey(3), "/runnel/nodes/+5", "/runnel/partitions/a/1/2", ""} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		pk, err := ParseKey(key)
		if err != nil {
			return
		}
		var again ParsedKey
		switch pk.Kind {
		case KindTopic:
			again, err = ParseKey(TopicKey(pk.Topic))
		case KindPartition:
			again, err = ParseKey(PartitionKey(pk.Topic, pk.Partition))
		case KindNode:
			again, err = ParseKey(NodeKey(pk.Node))
		default:
			return
		}
		if err != nil || again != pk {
			t.Fatalf("%q parsed to %+v, rebuilt key parsed to %+v, %v", key, pk, again, err)
		}
	})
}
