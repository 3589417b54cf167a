package replica

import (
	"bytes"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
)

// FuzzAppendFromLeader feeds a follower arbitrary bytes as the leader's records. Invariants: no
// panic; an answer that is refused leaves the log exactly as it was; an accepted one is appended
// byte for byte at the log end, and everything in the log reads back whole.
func FuzzAppendFromLeader(f *testing.F) {
	leader, err := commitlog.Open(f.TempDir(), commitlog.Options{Fsync: commitlog.FsyncPolicy{Mode: commitlog.FsyncNever}})
	if err != nil {
		f.Fatal(err)
	}
	defer leader.Close()
	for _, e := range []int32{1, 1, 3} {
		if _, err := leader.Append(batch(f, 3, 8), e); err != nil {
			f.Fatal(err)
		}
	}
	valid, err := leader.Read(0, 1<<20, leader.LogEndOffset())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	flipped := bytes.Clone(valid)
	flipped[70] ^= 1
	f.Add(flipped)
	f.Add([]byte{})
	f.Add(make([]byte, 61))

	dir := f.TempDir()
	m, err := NewManager(Config{NodeID: me, DataDir: dir, Fsync: commitlog.FsyncPolicy{Mode: commitlog.FsyncNever}})
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", nil)}, state("t", "id1", 0, 2, 3, []int32{2, me})), true)
	p, err := m.Partition("t", 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, records []byte) {
		p.mu.RLock()
		err := p.log.Truncate(0) // start every input on an empty log
		p.mu.RUnlock()
		if err != nil {
			t.Fatal(err)
		}
		before, err := p.FollowerPosition(2, 3)
		if err != nil {
			t.Fatal(err)
		}
		after, err := p.AppendFromLeader(2, 3, records, 1<<40)
		got := partitionBytes(t, p, before.FetchOffset)
		if err != nil {
			if after.FetchOffset != before.FetchOffset || len(got) != 0 {
				t.Fatalf("refused answer (%v) changed the log: %+v -> %+v", err, before, after)
			}
			return
		}
		if !bytes.Equal(got, records) {
			t.Fatalf("accepted %d bytes, log holds %d", len(records), len(got))
		}
	})
}
