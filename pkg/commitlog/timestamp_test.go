package commitlog

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/runnel/runnel/pkg/record"
)

// tsRecord is one stored record as a linear scan sees it.
type tsRecord struct{ off, ts int64 }

// wantOffsetBelow is the reference answer of OffsetForTimestampBelow: a
// linear scan of every record in offset order.
func wantOffsetBelow(recs []tsRecord, start, end, ts, limit int64) int64 {
	limit = max(min(limit, end), start)
	if ts < 0 {
		return start
	}
	for _, r := range recs {
		if r.off >= limit {
			break
		}
		if r.off >= start && r.ts >= ts {
			return r.off
		}
	}
	return limit
}

// randomBatch encodes 1..5 records whose timestamps jump back and forth
// around base; a few batches use LogAppendTime.
func randomBatch(t *testing.T, rng *rand.Rand, base int64) []byte {
	t.Helper()
	recs := make([]record.Record, 1+rng.IntN(5))
	for i := range recs {
		recs[i] = record.Record{Timestamp: base + int64(rng.IntN(400)) - 200, Value: make([]byte, 10+rng.IntN(60))}
	}
	b, err := record.Encode(nil, recs, record.EncodeOptions{LogAppendTime: rng.IntN(8) == 0})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOffsetForTimestampBelowProperty compares OffsetForTimestampBelow with
// a linear scan over random logs (unordered timestamps within and across
// batches, many small segments, a raised log start, reopened indexes) for
// random timestamps and limits.
func TestOffsetForTimestampBelowProperty(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			dir := t.TempDir()
			opts := testOptions()
			l := openLog(t, dir, opts)
			var recs []tsRecord
			n := 20 + rng.IntN(60)
			for i := range n {
				b := randomBatch(t, rng, int64(1000+i*30))
				if _, err := l.Append(b, 1); err != nil {
					t.Fatal(err)
				}
				stored, err := l.Read(l.LogEndOffset()-1, 1, l.LogEndOffset())
				if err != nil {
					t.Fatal(err)
				}
				_, rs, err := record.Decode(stored)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					recs = append(recs, tsRecord{r.Offset, r.Timestamp})
				}
			}
			if seed%3 == 1 {
				if err := l.DeleteBefore(l.LogEndOffset() / 3); err != nil {
					t.Fatal(err)
				}
			}
			if seed%2 == 0 {
				l.Close()
				l = openLog(t, dir, opts)
			}
			start, end := l.LogStartOffset(), l.LogEndOffset()
			probes := []int64{-1, 0, 1 << 60}
			for range 40 {
				probes = append(probes, recs[rng.IntN(len(recs))].ts+int64(rng.IntN(3))-1)
			}
			for _, ts := range probes {
				for _, limit := range []int64{end, end + 10, start, start - 1, start + rng.Int64N(end-start+1)} {
					got, err := l.OffsetForTimestampBelow(ts, limit)
					if err != nil {
						t.Fatal(err)
					}
					if want := wantOffsetBelow(recs, start, end, ts, limit); got != want {
						t.Fatalf("OffsetForTimestampBelow(%d, %d) = %d, want %d (log [%d, %d))", ts, limit, got, want, start, end)
					}
				}
			}
		})
	}
}

func TestOffsetForTimestampBelowEdges(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	if got, err := l.OffsetForTimestampBelow(5, 100); err != nil || got != 0 {
		t.Fatalf("empty log: %d, %v; want 0", got, err)
	}
	appendN(t, l, 10, 1, 1000) // batch i has timestamps 1000+10i .. +3
	tests := []struct {
		name      string
		ts, limit int64
		want      int64
	}{
		{"before everything", 0, 100, 0},
		{"exact record", 1010, 100, 1},
		{"between records", 1011, 100, 2},
		{"after everything", 5000, 100, l.LogEndOffset()},
		{"match above the limit", 1050, 3, 3},
		{"limit zero", 1000, 0, 0},
		{"negative timestamp", -1, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.OffsetForTimestampBelow(tt.ts, tt.limit)
			if err != nil || got != tt.want {
				t.Fatalf("OffsetForTimestampBelow(%d, %d) = %d, %v; want %d", tt.ts, tt.limit, got, err, tt.want)
			}
		})
	}
	l.Close()
	if _, err := l.OffsetForTimestampBelow(0, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed log: %v, want ErrClosed", err)
	}
}
