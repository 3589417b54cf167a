package partitioner

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka's own vectors (clients/.../utils/UtilsTest.java, testMurmur2) and
// librdkafka's (src/rdmurmur2.c, unittest_murmur2, "java_murmur2_results"),
// which cover every tail length and the empty key.
var murmur2Vectors = []struct {
	key  string
	want int32
}{
	{"21", -973932308},
	{"foobar", -790332482},
	{"a-little-bit-long-string", -985981536},
	{"a-little-bit-longer-string", -1486304829},
	{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
	{"abc", 479470107},
	{"kafka", int32(-0x2f98309c)},             // 0xd067cf64
	{"giberish123456789", int32(-0x70aad4f4)}, // 0x8f552b0c
	{"1234", int32(-0x603684ec)},              // 0x9fc97b14
	{"234", int32(-0x183ff636)},               // 0xe7c009ca
	{"34", int32(-0x78c6cf26)},                // 0x873930da
	{"4", 0x5a4b5ca1},
	{"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1c},
	{"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377},
	{"eAmbleWillBeRemoved,ThePrePartThatIs", int32(-0x1f1b1f62)}, // 0xe0e4e09e
	{"AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43f},
	{"", 0x106e08d9},
}

func TestMurmur2Vectors(t *testing.T) {
	for _, v := range murmur2Vectors {
		t.Run(v.key, func(t *testing.T) {
			if got := Murmur2([]byte(v.key)); got != v.want {
				t.Fatalf("Murmur2(%q) = %d (%#08x), want %d (%#08x)", v.key, got, uint32(got), v.want, uint32(v.want))
			}
		})
	}
	if Murmur2(nil) != Murmur2([]byte{}) {
		t.Fatal("nil and empty input hash differently")
	}
}

// TestForKeyKnownPartitions pins key → partition pairs: Kafka's vectors
// mapped by hand through (h & 0x7fffffff) % n, and a published 12-partition
// table checked against the Java client.
func TestForKeyKnownPartitions(t *testing.T) {
	tests := []struct {
		key        string
		partitions int
		want       int
	}{
		{"21", 50, 40},
		{"foobar", 50, 16},
		{"foobar", 12, 6},
		{"a-little-bit-long-string", 1000, 112},
		{"a-little-bit-longer-string", 12, 11},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 50, 27},
		{"abc", 3, 0},
		{"abc", 1000, 107},
		{"", 50, 31},
		{"kafka", 1000, 580},
		{"anything", 1, 0},
		{"1039-36302-36840-2-9f138052", 12, 4},
		{"1388-20023-36900-2-c9985f66", 12, 0},
		{"1175-03505-36600-2-126dd9ca", 12, 1},
		{"1011-98208-36480-2-9eef750a", 12, 8},
		{"233-75504-36900-2-609151bd", 12, 10},
		{"1182-07205-22440-2-0ad4507d", 12, 9},
		{"1010-98110-23700-2-295bfb4c", 12, 10},
		{"1137-01302-23820-2-d560d49a", 12, 4},
		{"599999", 12, 3},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := ForKey([]byte(tt.key), tt.partitions); got != tt.want {
				t.Fatalf("ForKey(%q, %d) = %d, want %d", tt.key, tt.partitions, got, tt.want)
			}
		})
	}
	for _, n := range []int{0, -1} {
		if got := ForKey([]byte("k"), n); got != -1 {
			t.Fatalf("ForKey with %d partitions = %d, want -1", n, got)
		}
	}
}

// TestMatchesFranzGo compares against franz-go's StickyKeyPartitioner, which
// hashes keyed records with its own murmur2 as Kafka does. With 1<<31
// partitions the partition is the hash's low 31 bits, so the comparison
// covers the whole hash except the sign bit (pinned by the vectors above).
func TestMatchesFranzGo(t *testing.T) {
	part := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	rng := rand.New(rand.NewPCG(1, 2))
	key := make([]byte, 0, 64)
	for i := range 20000 {
		key = key[:rng.IntN(64)]
		for j := range key {
			key[j] = byte(rng.UintN(256))
		}
		r := &kgo.Record{Key: key}
		if got, want := int(Murmur2(key)&0x7fffffff), part.Partition(r, 1<<31); got != want {
			t.Fatalf("key %x: low 31 bits %d, franz-go %d", key, got, want)
		}
		n := 1 + i%97
		if got, want := ForKey(key, n), part.Partition(r, n); got != want {
			t.Fatalf("key %x, %d partitions: ForKey %d, franz-go %d", key, n, got, want)
		}
	}
}

func TestRoundRobin(t *testing.T) {
	t.Run("in turn", func(t *testing.T) {
		var rr RoundRobin
		for i := range 10 {
			if got := rr.Next(4); got != i%4 {
				t.Fatalf("call %d: %d, want %d", i, got, i%4)
			}
		}
		if rr.Next(0) != -1 || rr.Next(-3) != -1 {
			t.Fatal("no partitions must give -1")
		}
	})
	t.Run("concurrent callers share the turns evenly", func(t *testing.T) {
		var rr RoundRobin
		const workers, each, partitions = 8, 1000, 6
		counts := make([][partitions]int, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range each {
					p := rr.Next(partitions)
					if p < 0 || p >= partitions {
						t.Errorf("partition %d out of range", p)
						return
					}
					counts[w][p]++
				}
			})
		}
		wg.Wait()
		for p := range partitions {
			total := 0
			for w := range workers {
				total += counts[w][p]
			}
			// 8000 turns over 6 partitions: 1333 or 1334 each.
			if total != workers*each/partitions && total != workers*each/partitions+1 {
				t.Fatalf("partition %d got %d turns", p, total)
			}
		}
	})
}

func BenchmarkForKey(b *testing.B) {
	key := []byte("customer-0000042-order")
	for b.Loop() {
		ForKey(key, 12)
	}
}
