package cli

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestRecordWriters(t *testing.T) {
	ts := timestamppb.New(time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("x", 3600)))
	for _, tc := range []struct {
		name   string
		format string
		rec    *runnelv1.ConsumedRecord
		want   string
	}{
		{"text", "text", &runnelv1.ConsumedRecord{Offset: 1, Key: ptr("k"), Value: ptr("v")}, "v\n"},
		{"text binary", "text", &runnelv1.ConsumedRecord{ValueBase64: []byte{0xff, 0}}, "\xff\x00\n"},
		{"text no value", "text", &runnelv1.ConsumedRecord{}, "\n"},
		{"json", "json", &runnelv1.ConsumedRecord{Offset: 7, Timestamp: ts, Key: ptr("k"), Value: ptr("<v>"),
			Headers: map[string]string{"h": "1"}},
			`{"topic":"t","partition":3,"offset":7,"timestamp":"2024-05-06T06:08:09.123Z","key":"k","value":"<v>","headers":{"h":"1"}}` + "\n"},
		{"json binary, no key", "json", &runnelv1.ConsumedRecord{Offset: 8, Timestamp: ts, ValueBase64: []byte{0xff}},
			`{"topic":"t","partition":3,"offset":8,"timestamp":"2024-05-06T06:08:09.123Z","key":null,"value":null,"value_base64":"/w==","headers":{}}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := newRecordWriter(tc.format, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.write("t", 3, tc.rec); err != nil {
				t.Fatal(err)
			}
			if err := w.flush(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("got  %q\nwant %q", buf.String(), tc.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 1000)
	for i := range hundred {
		hundred[i] = i + 1
	}
	rand.Shuffle(len(hundred), func(i, j int) { hundred[i], hundred[j] = hundred[j], hundred[i] })
	for _, tc := range []struct {
		name                string
		in                  []time.Duration
		p50, p99, p999, max time.Duration
	}{
		{"none", nil, 0, 0, 0, 0},
		{"one", ms(7), 7e6, 7e6, 7e6, 7e6},
		{"two", ms(9, 1), 1e6, 9e6, 9e6, 9e6},
		{"1..1000 shuffled", ms(hundred...), 500e6, 990e6, 999e6, 1000e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := summarize(slices.Clone(tc.in))
			if s.P50 != tc.p50 || s.P99 != tc.p99 || s.P999 != tc.p999 || s.Max != tc.max {
				t.Errorf("got %+v, want p50 %v p99 %v p99.9 %v max %v", s, tc.p50, tc.p99, tc.p999, tc.max)
			}
		})
	}
}
