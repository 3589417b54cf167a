package cli

import (
	"strconv"
	"testing"
)

func TestParseOffsetSpec(t *testing.T) {
	for _, tc := range []struct {
		in        string
		ok        bool
		wantStart int64 // for a partition with log start 10 and high watermark 50
	}{
		{"earliest", true, 10},
		{"EARLIEST", true, 10},
		{"latest", true, 50},
		{" latest ", true, 50},
		{"0", true, 0},
		{"42", true, 42},
		{"9223372036854775807", true, 9223372036854775807},
		{"-1", false, 0},
		{"9223372036854775808", false, 0},
		{"1.5", false, 0},
		{"", false, 0},
		{"beginning", false, 0},
	} {
		t.Run(tc.in, func(t *testing.T) {
			o, err := parseOffsetSpec(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("parseOffsetSpec(%q) err = %v", tc.in, err)
			}
			if tc.ok && o.start(10, 50) != tc.wantStart {
				t.Errorf("start = %d, want %d", o.start(10, 50), tc.wantStart)
			}
		})
	}
}

// FuzzParseOffsetSpec: any input either parses to a spec whose start is the log start, the high
// watermark or a non-negative offset that prints back to the input's number, or is refused with a
// usage error; it never panics.
func FuzzParseOffsetSpec(f *testing.F) {
	for _, s := range []string{"earliest", "latest", "0", "17", "-1", "x", "", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseOffsetSpec(s)
		if err != nil {
			if _, ok := err.(usageError); !ok {
				t.Fatalf("error %v is not a usage error", err)
			}
			return
		}
		switch o.kind {
		case offsetEarliest:
			if o.start(3, 9) != 3 {
				t.Fatal("earliest does not start at the log start")
			}
		case offsetLatest:
			if o.start(3, 9) != 9 {
				t.Fatal("latest does not start at the high watermark")
			}
		case offsetExact:
			if o.offset < 0 || o.start(3, 9) != o.offset {
				t.Fatalf("offset %d", o.offset)
			}
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n != o.offset {
				t.Fatalf("%q parsed as %d", s, o.offset)
			}
		}
	})
}
