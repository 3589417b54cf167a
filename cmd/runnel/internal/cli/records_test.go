package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSplitKey(t *testing.T) {
	for _, tc := range []struct {
		line, sep  string
		key, value string
		wantHasKey bool
	}{
		{"k:v", ":", "k", "v", true},
		{"k:v:w", ":", "k", "v:w", true},
		{":v", ":", "", "v", true},
		{"k:", ":", "k", "", true},
		{"no separator", ":", "", "no separator", false},
		{"k=>v", "=>", "k", "v", true},
		{"k\tv", "\t", "k", "v", true},
		{"k:v", "", "", "k:v", false},
		{"", ":", "", "", false},
	} {
		t.Run(tc.line+" "+tc.sep, func(t *testing.T) {
			k, v, ok := splitKey([]byte(tc.line), tc.sep)
			if ok != tc.wantHasKey || string(k) != tc.key || string(v) != tc.value {
				t.Errorf("splitKey(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.line, tc.sep, k, v, ok, tc.key, tc.value, tc.wantHasKey)
			}
		})
	}
}

func TestNewRecord(t *testing.T) {
	p := int32(4)
	for _, tc := range []struct {
		name                 string
		line                 string
		sep                  string
		key, value           *string
		keyBytes, valueBytes string
	}{
		{"text value", "héllo", "", nil, ptr("héllo"), "", ""},
		{"text key", "k:v", ":", ptr("k"), ptr("v"), "", ""},
		{"binary value", "k:\xff\xfe", ":", ptr("k"), nil, "", "\xff\xfe"},
		{"binary key", "\xc3:v", ":", nil, ptr("v"), "\xc3", ""},
		{"empty", "", "", nil, ptr(""), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecord([]byte(tc.line), tc.sep, &p)
			if !eqPtr(r.Key, tc.key) || !eqPtr(r.Value, tc.value) ||
				string(r.KeyBase64) != tc.keyBytes || string(r.ValueBase64) != tc.valueBytes || r.GetPartition() != 4 {
				t.Errorf("record %v", r)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func eqPtr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestParseAcks(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"all", true}, {"-1", true}, {"1", true}, {"0", true}, {"2", false}, {"ALL", false}, {"", false}} {
		t.Run(tc.in, func(t *testing.T) {
			v, err := parseAcks(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("parseAcks(%q) err = %v", tc.in, err)
			}
			if tc.ok && v.GetStringValue() != tc.in {
				t.Errorf("acks %v", v)
			}
			var u usageError
			if !tc.ok && !errors.As(err, &u) {
				t.Errorf("error %v is not a usage error", err)
			}
		})
	}
}

func TestReadLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"lf", "a\nb\n", []string{"a", "b"}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b"}},
		{"no final newline", "a\nb", []string{"a", "b"}},
		{"empty lines", "\n\nx\n", []string{"", "", "x"}},
		{"empty input", "", nil},
		{"long line", strings.Repeat("y", 200000) + "\n", []string{strings.Repeat("y", 200000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := make(chan line, 10)
			done := make(chan error, 1)
			go func() { done <- readLines(context.Background(), iotest.OneByteReader(strings.NewReader(tc.in)), out) }()
			var got []string
			for l := range out {
				if l.n != len(got)+1 {
					t.Errorf("line number %d, want %d", l.n, len(got)+1)
				}
				got = append(got, string(l.data))
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadLinesStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan line) // nobody reads
	done := make(chan error, 1)
	go func() { done <- readLines(ctx, strings.NewReader("a\nb\n"), out) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("readLines = %v, want context.Canceled", err)
	}
}

func TestBatcher(t *testing.T) {
	mk := func(sizes ...int) []line {
		var ls []line
		for i, n := range sizes {
			ls = append(ls, line{n: i + 1, data: make([]byte, n)})
		}
		return ls
	}
	for _, tc := range []struct {
		name                 string
		lines                []line
		maxRecords, maxBytes int
		want                 []int // records per batch
	}{
		{"record limit", mk(1, 1, 1, 1, 1), 2, 100, []int{2, 2, 1}},
		{"byte limit", mk(40, 40, 40, 40), 10, 100, []int{2, 2}},
		{"oversized line alone", mk(10, 500, 10), 10, 100, []int{1, 1, 1}},
		{"everything fits", mk(1, 2, 3), 10, 100, []int{3}},
		{"nothing", nil, 10, 100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := make(chan line, len(tc.lines))
			for _, l := range tc.lines {
				in <- l
			}
			close(in)
			b := batcher{in: in, maxRecords: tc.maxRecords, maxBytes: tc.maxBytes}
			var got []int
			next := 1
			for open, i := true, 0; open && i < 100; i++ {
				batch, o, err := b.next(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				open = o
				if len(batch) > 0 {
					got = append(got, len(batch))
				}
				for _, l := range batch {
					if l.n != next {
						t.Fatalf("line %d out of order, want %d", l.n, next)
					}
					next++
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("batches %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBatcherSendsWhatIsReady(t *testing.T) {
	in := make(chan line, 10)
	in <- line{n: 1, data: []byte("a")}
	b := batcher{in: in, maxRecords: 500, maxBytes: 1 << 20}
	// Only one line is ready and the input is still open: the batch goes now, not when full.
	batch, open, err := b.next(context.Background())
	if err != nil || !open || len(batch) != 1 {
		t.Fatalf("batch %v open %v err %v", batch, open, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := b.next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("next on an idle input after cancel = %v", err)
	}
}

func TestParseConfigs(t *testing.T) {
	got, err := parseConfigs([]string{"min.insync.replicas=2", "retention.ms=", "x=a=b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["min.insync.replicas"] != "2" || got["retention.ms"] != "" || got["x"] != "a=b" {
		t.Errorf("configs %v", got)
	}
	for _, bad := range [][]string{{"novalue"}, {"=v"}, {"a=1", "a=2"}} {
		if _, err := parseConfigs(bad); err == nil {
			t.Errorf("parseConfigs(%q) accepted", bad)
		}
	}
}
