package commitlog

import (
	"bytes"
	"errors"
	"testing"
)

// leaderBatches appends n batches to a leader log and returns them as the
// leader stored them (offsets and epochs set).
func leaderBatches(t *testing.T, n int, epoch int32) []written {
	t.Helper()
	return appendN(t, openLog(t, t.TempDir(), testOptions()), n, epoch, 1000)
}

func TestAppendReplica(t *testing.T) {
	src := leaderBatches(t, 30, 2)
	follower := openLog(t, t.TempDir(), testOptions())
	// Ship in chunks of several batches, as replication does; the chunks
	// cross segment boundaries.
	for i := 0; i < len(src); i += 7 {
		j := min(i+7, len(src))
		res, err := follower.AppendReplica(concat(src[i:j]))
		if err != nil {
			t.Fatal(err)
		}
		if res.BaseOffset != src[i].base || res.LastOffset != src[j-1].last || res.LogEndOffset != src[j-1].last+1 {
			t.Fatalf("result %+v for batches %d..%d", res, i, j-1)
		}
	}
	checkLog(t, follower, src)
	checkEpochs(t, follower, src)
	if len(follower.segments()) < 3 {
		t.Fatal("expected the replica to roll segments")
	}
}

func TestAppendReplicaRefuses(t *testing.T) {
	src := leaderBatches(t, 6, 3)
	corrupt := bytes.Clone(src[4].bytes)
	corrupt[len(corrupt)-1] ^= 1
	older := bytes.Clone(src[3].bytes)
	putEpoch(older, 1)
	tests := []struct {
		name  string
		bytes []byte
		want  error
	}{
		{"does not start at log end", concat(src[3:5]), ErrOffsetMismatch},
		{"gap between batches", append(concat(src[2:3]), src[4].bytes...), ErrOffsetMismatch},
		{"one corrupt batch among good ones", append(concat(src[2:4]), corrupt...), ErrCorrupt},
		{"torn last batch", concat(src[2:5])[:len(concat(src[2:5]))-1], ErrCorrupt},
		{"epoch goes down", append(concat(src[2:3]), older...), ErrStaleEpoch},
		{"empty", nil, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openLog(t, t.TempDir(), testOptions())
			if _, err := l.AppendReplica(concat(src[:2])); err != nil {
				t.Fatal(err)
			}
			if _, err := l.AppendReplica(tc.bytes); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// All or nothing: the log is exactly as before.
			checkLog(t, l, src[:2])
			checkEpochs(t, l, src[:2])
			if _, err := l.AppendReplica(concat(src[2:])); err != nil {
				t.Fatalf("good append after a refused one: %v", err)
			}
			checkLog(t, l, src)
		})
	}
}

// A follower cannot append a batch from an epoch older than its latest.
func TestAppendReplicaStaleEpoch(t *testing.T) {
	src := leaderBatches(t, 4, 1)
	l := openLog(t, t.TempDir(), testOptions())
	newer := bytes.Clone(src[0].bytes)
	putEpoch(newer, 5)
	if _, err := l.AppendReplica(newer); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendReplica(src[1].bytes); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("err = %v, want ErrStaleEpoch", err)
	}
}
