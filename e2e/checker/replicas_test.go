package checker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runnel/runnel/pkg/record"
)

// batch encodes a batch of n records at base with epoch; tag makes its bytes distinct.
func batch(t testing.TB, base int64, n int, epoch int32, tag string) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Timestamp: 1000, Value: fmt.Appendf(nil, "%s-%d", tag, base+int64(i))}
	}
	b, err := record.Encode(nil, recs, record.EncodeOptions{BaseOffset: base, PartitionLeaderEpoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// segments writes segment files into a new dir: base offset → content.
func segments(t *testing.T, files map[int64][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for base, b := range files {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d.log", base)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Files that are not segments are ignored.
	if err := os.WriteFile(filepath.Join(dir, "high-watermark-checkpoint"), []byte("0\n5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestReadLog(t *testing.T) {
	a, b, c := batch(t, 0, 2, 1, "a"), batch(t, 2, 3, 1, "b"), batch(t, 5, 1, 2, "c")
	cases := []struct {
		name    string
		files   map[int64][]byte
		next    []int64 // next offsets of the batches read
		wantErr bool
	}{
		{"one segment", map[int64][]byte{0: cat(a, b, c)}, []int64{2, 5, 6}, false},
		{"two segments", map[int64][]byte{0: cat(a, b), 5: c}, []int64{2, 5, 6}, false},
		{"torn tail of the last segment ends the log", map[int64][]byte{0: cat(a, b), 5: c[:len(c)-3]}, []int64{2, 5}, false},
		{"torn batch inside an earlier segment", map[int64][]byte{0: cat(a, b[:20]), 5: c}, []int64{2}, true},
		{"garbage length", map[int64][]byte{0: cat(a, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 2})}, []int64{2}, true},
		{"empty dir", map[int64][]byte{}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadLog(segments(t, tc.files))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			var next []int64
			for _, b := range got {
				next = append(next, b.NextOffset)
			}
			if fmt.Sprint(next) != fmt.Sprint(tc.next) {
				t.Fatalf("next offsets %v, want %v", next, tc.next)
			}
		})
	}
}

func TestCompareReplicas(t *testing.T) {
	a, b, c := batch(t, 0, 2, 1, "a"), batch(t, 2, 3, 1, "b"), batch(t, 5, 1, 2, "c")
	otherB := batch(t, 2, 3, 2, "x")  // diverged at offset 2
	corruptB := cat(b)                // a CRC failure
	corruptB[len(corruptB)-1] ^= 0xff // in the last record byte
	gapC := batch(t, 6, 1, 2, "c")    // leaves out offset 5
	parse := func(bs ...[]byte) []Batch {
		out, err := ParseSegment(cat(bs...))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name string
		logs map[int32][]Batch
		hw   int64
		want []string
	}{
		{"same", map[int32][]Batch{1: parse(a, b, c), 2: parse(a, b, c), 3: parse(a, b, c)}, 6, nil},
		{"differ only above the high watermark", map[int32][]Batch{1: parse(a, b, c), 2: parse(a, b), 3: parse(a, otherB)}, 2, nil},
		{"differ below the high watermark", map[int32][]Batch{1: parse(a, b), 2: parse(a, otherB)}, 5, []string{"replicas 1 and 2 differ below the high watermark 5: batch 1 is offsets [2,5) epoch 1"}},
		{"short replica", map[int32][]Batch{1: parse(a, b, c), 2: parse(a)}, 5, []string{"replica 2: holds offsets up to 2 only", "hold 2 and 1 batches"}},
		{"corrupt batch below the high watermark", map[int32][]Batch{1: parse(a, b), 2: parse(a, corruptB)}, 5, []string{"replica 2: batch at offset 2 below the high watermark 5 is invalid", "differ below"}},
		{"gap", map[int32][]Batch{1: parse(a, b, gapC), 2: parse(a, b, c)}, 6, []string{"replica 1: batch at offset 6 follows a batch ending at 5", "replica 1: holds offsets up to 5 only", "hold 2 and 3 batches"}},
		{"empty logs and zero high watermark", map[int32][]Batch{1: nil, 2: nil}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CompareReplicas(tc.logs, tc.hw)
			if len(got) != len(tc.want) {
				t.Fatalf("violations %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("violation %q does not say %q", got[i], w)
				}
			}
		})
	}
}

func FuzzParseSegment(f *testing.F) {
	a, b := batch(f, 0, 2, 1, "a"), batch(f, 2, 3, 1, "b")
	f.Add(cat(a, b))
	f.Add(cat(a, b[:30]))
	f.Add([]byte{})
	f.Add(a[:12])
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseSegment(data)
		n := 0
		for _, b := range got {
			if b.NextOffset <= b.BaseOffset {
				t.Fatalf("batch [%d,%d) is empty or inverted", b.BaseOffset, b.NextOffset)
			}
			if len(b.Bytes) < record.HeaderSize {
				t.Fatalf("batch of %d bytes is shorter than a header", len(b.Bytes))
			}
			n += len(b.Bytes)
		}
		if n > len(data) {
			t.Fatalf("%d bytes of batches from %d bytes", n, len(data))
		}
		if err == nil && n != len(data) {
			t.Fatalf("no error but %d of %d bytes split", n, len(data))
		}
	})
}
