package commitlog

import (
	"errors"
	"testing"
	"time"
)

func TestParseFsyncPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    FsyncPolicy
		wantErr bool
	}{
		{in: "always", want: FsyncPolicy{Mode: FsyncAlways}},
		{in: " Never ", want: FsyncPolicy{Mode: FsyncNever}},
		{in: "interval=200", want: FsyncPolicy{Mode: FsyncInterval, Interval: 200 * time.Millisecond}},
		{in: "interval=200ms", want: FsyncPolicy{Mode: FsyncInterval, Interval: 200 * time.Millisecond}},
		{in: "interval=1s", want: FsyncPolicy{Mode: FsyncInterval, Interval: time.Second}},
		{in: "interval=0", wantErr: true},
		{in: "interval=-5", wantErr: true},
		{in: "interval=soon", wantErr: true},
		{in: "interval=", wantErr: true},
		{in: "sometimes", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseFsyncPolicy(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("got %v, %v; want ErrInvalidOptions", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			// String round-trips through Set.
			var back FsyncPolicy
			if err := back.Set(got.String()); err != nil || back != got {
				t.Fatalf("round trip of %q: %+v, %v", got.String(), back, err)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero is defaults", Options{}, true},
		{"small segments", Options{SegmentBytes: 100}, true},
		{"negative segment bytes", Options{SegmentBytes: -1}, false},
		{"segment bytes over 2 GiB", Options{SegmentBytes: MaxSegmentBytes + 1}, false},
		{"negative segment age", Options{SegmentAge: -time.Second}, false},
		{"negative index interval", Options{IndexIntervalBytes: -1}, false},
		{"negative retention is forever", Options{RetentionAge: -1, RetentionBytes: -1}, true},
		{"interval without period", Options{Fsync: FsyncPolicy{Mode: FsyncInterval}}, false},
		{"unknown mode", Options{Fsync: FsyncPolicy{Mode: 7}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				if _, err := Open(t.TempDir(), tc.opts); !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("Open accepted invalid options: %v", err)
				}
			}
		})
	}
}
