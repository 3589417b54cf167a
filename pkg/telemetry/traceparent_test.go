package telemetry

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

const validTP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

func TestTraceparentRoundTrip(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	tests := []struct {
		name  string
		flags trace.TraceFlags
		want  string
	}{
		{"sampled", trace.FlagsSampled, validTP},
		{"not sampled", 0, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: tc.flags})
			got := Traceparent(sc)
			if got != tc.want {
				t.Fatalf("Traceparent = %q, want %q", got, tc.want)
			}
			back, ok := ParseTraceparent(got)
			if !ok || back.TraceID() != tid || back.SpanID() != sid || back.IsSampled() != tc.flags.IsSampled() || !back.IsRemote() {
				t.Fatalf("ParseTraceparent(%q) = %v, %v", got, back, ok)
			}
		})
	}
	if got := Traceparent(trace.SpanContext{}); got != "" {
		t.Fatalf("Traceparent of an invalid context = %q, want empty", got)
	}
}

func TestParseTraceparentRefuses(t *testing.T) {
	tests := []struct {
		name, v string
		ok      bool
	}{
		{"valid", validTP, true},
		{"later version with more fields", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", true},
		{"later version, same length", "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true},
		{"empty", "", false},
		{"short", validTP[:54], false},
		{"version 00 too long", validTP + "-x", false},
		{"version ff", "ff" + validTP[2:], false},
		{"later version, no dash after flags", "01" + validTP[2:] + "x", false},
		{"uppercase", strings.ToUpper(validTP), false},
		{"zero trace id", "00-00000000000000000000000000000000-b7ad6b7169203331-01", false},
		{"zero span id", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false},
		{"bad separator", "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false},
		{"not hex", "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := ParseTraceparent(tc.v); ok != tc.ok {
				t.Fatalf("ParseTraceparent(%q) ok = %v, want %v", tc.v, ok, tc.ok)
			}
		})
	}
}

func FuzzParseTraceparent(f *testing.F) {
	for _, s := range []string{validTP, "", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x", "ff-00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sc, ok := ParseTraceparent(v)
		if !ok {
			return
		}
		if !sc.IsValid() {
			t.Fatalf("ParseTraceparent(%q) ok with an invalid context", v)
		}
		back, ok := ParseTraceparent(Traceparent(sc))
		if !ok || !back.Equal(sc) {
			t.Fatalf("round trip of %q: %v, %v", v, back, ok)
		}
	})
}

func TestLinks(t *testing.T) {
	tp := func(i int) string {
		s := []byte(validTP)
		s[34] = "0123456789abcdef"[i%16]
		s[33] = "0123456789abcdef"[i/16%16]
		return string(s)
	}
	tests := []struct {
		name        string
		max         int
		values      []string
		want, drops int
	}{
		{"dedup of runs and repeats", 0, []string{validTP, validTP, "", "garbage", tp(1), validTP}, 2, 0},
		{"bound", 3, []string{tp(1), tp(2), tp(3), tp(4), tp(5), tp(1)}, 3, 2},
		{"default bound", 0, func() []string {
			var v []string
			for i := range MaxLinks + 10 {
				v = append(v, tp(i))
			}
			return v
		}(), MaxLinks, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := Links{Max: tc.max}
			for _, v := range tc.values {
				l.Add(v)
			}
			if l.Len() != tc.want || l.Dropped != tc.drops {
				t.Fatalf("links %d dropped %d, want %d and %d", l.Len(), l.Dropped, tc.want, tc.drops)
			}
		})
	}
}

func TestInstrumented(t *testing.T) {
	for m, want := range map[string]bool{
		"/runnel.v1.StorageService/Append":          true,
		"/runnel.v1.GatewayService/Produce":         true,
		"/runnel.v1.MetadataService/AlterPartition": true,
		"/runnel.v1.StorageService/Replicate":       false,
		"/runnel.v1.MetadataService/Watch":          false,
		"/runnel.v1.MetadataService/NodeSession":    false,
		"/grpc.health.v1.Health/Check":              false,
	} {
		if got := Instrumented(m); got != want {
			t.Errorf("Instrumented(%s) = %v, want %v", m, got, want)
		}
	}
}
