package client

import "testing"

// Kafka's own vectors (UtilsTest.testMurmur2) and librdkafka's java_murmur2_results, the ones
// pkg/partitioner pins too: every tail length and the empty key.
func TestMurmur2Vectors(t *testing.T) {
	tests := []struct {
		key  string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
		{"kafka", int32(-0x2f98309c)},
		{"giberish123456789", int32(-0x70aad4f4)},
		{"1234", int32(-0x603684ec)},
		{"234", int32(-0x183ff636)},
		{"34", int32(-0x78c6cf26)},
		{"4", 0x5a4b5ca1},
		{"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1c},
		{"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377},
		{"eAmbleWillBeRemoved,ThePrePartThatIs", int32(-0x1f1b1f62)},
		{"AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43f},
		{"", 0x106e08d9},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := murmur2([]byte(tt.key)); got != tt.want {
				t.Fatalf("murmur2(%q) = %d, want %d", tt.key, got, tt.want)
			}
		})
	}
}

// Key → partition pairs of Kafka's default partitioner (pkg/partitioner's table, checked there
// against the Java client and franz-go).
func TestPartitionForKey(t *testing.T) {
	tests := []struct {
		key        string
		partitions int32
		want       int32
	}{
		{"21", 50, 40},
		{"foobar", 50, 16},
		{"foobar", 12, 6},
		{"a-little-bit-long-string", 1000, 112},
		{"a-little-bit-longer-string", 12, 11},
		{"abc", 3, 0},
		{"", 50, 31},
		{"kafka", 1000, 580},
		{"anything", 1, 0},
		{"1039-36302-36840-2-9f138052", 12, 4},
		{"1388-20023-36900-2-c9985f66", 12, 0},
		{"233-75504-36900-2-609151bd", 12, 10},
		{"599999", 12, 3},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := partitionForKey([]byte(tt.key), tt.partitions); got != tt.want {
				t.Fatalf("partitionForKey(%q, %d) = %d, want %d", tt.key, tt.partitions, got, tt.want)
			}
		})
	}
}
