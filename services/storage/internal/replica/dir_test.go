package replica

import (
	"errors"
	"testing"
)

func TestPartitionDirName(t *testing.T) {
	tests := []struct {
		name  string
		topic string
		part  int32
		ok    bool
	}{
		{"orders-0", "orders", 0, true},
		{"my-topic-12", "my-topic", 12, true},
		{"a.b_c-3", "a.b_c", 3, true},
		{"orders-3.deleting", "", 0, false},
		{"orders", "", 0, false},
		{"-1", "", 0, false},
		{"orders-", "", 0, false},
		{"orders-01", "", 0, false},
		{"orders--1", "orders-", 1, true},
		{"orders-+1", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, part, ok := parsePartitionDirName(tt.name)
			if ok != tt.ok || topic != tt.topic || part != tt.part {
				t.Fatalf("parse(%q) = %q, %d, %v; want %q, %d, %v", tt.name, topic, part, ok, tt.topic, tt.part, tt.ok)
			}
			if ok && partitionDirName(topic, part) != tt.name {
				t.Fatalf("round trip of %q gave %q", tt.name, partitionDirName(topic, part))
			}
		})
	}
}

// FuzzParsePartitionDirName: directory names come from the disk. Invariant: no panic, and a name
// that parses is exactly the name partitionDirName gives for the parts (so parse and format agree
// and a ".deleting" dir never parses).
func FuzzParsePartitionDirName(f *testing.F) {
	for _, s := range []string{"orders-0", "my-topic-12", "orders-3.deleting", "-", "a-2147483648", "a-2147483647"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		topic, part, ok := parsePartitionDirName(name)
		if !ok {
			return
		}
		if part < 0 || topic == "" || partitionDirName(topic, part) != name {
			t.Fatalf("parse(%q) = %q, %d", name, topic, part)
		}
	})
}

func TestDataDirOwnership(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, dir)
	if _, err := NewManager(Config{NodeID: me, DataDir: dir}); !errors.Is(err, ErrDataDir) {
		t.Fatalf("second manager on a locked dir: err = %v, want ErrDataDir", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewManager(Config{NodeID: 2, DataDir: dir}); !errors.Is(err, ErrDataDir) {
		t.Fatalf("manager of node 2 on node 1's dir: err = %v, want ErrDataDir", err)
	}
	m2, err := NewManager(Config{NodeID: me, DataDir: dir})
	if err != nil {
		t.Fatalf("reopen by the same node: %v", err)
	}
	_ = m2.Close()
}

func TestValidTopicName(t *testing.T) {
	long := make([]byte, 250)
	for i := range long {
		long[i] = 'a'
	}
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"orders", true}, {"a.b_c-D9", true}, {string(long[:249]), true},
		{"", false}, {".", false}, {"..", false}, {"a/b", false}, {"../x", false}, {"a b", false}, {string(long), false},
	} {
		if got := validTopicName(tt.name); got != tt.ok {
			t.Errorf("validTopicName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}
