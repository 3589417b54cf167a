package produce

import (
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/runnel/runnel/pkg/telemetry"
)

func spanCtx(id byte, sampled bool) trace.SpanContext {
	cfg := trace.SpanContextConfig{TraceID: trace.TraceID{id}, SpanID: trace.SpanID{id}}
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	return trace.NewSpanContext(cfg)
}

// A batch's send span is a child of its first sampled request and links to the other sampled
// ones, each once, at most telemetry.MaxLinks.
func TestBatchTrace(t *testing.T) {
	a, b, c := spanCtx(1, true), spanCtx(2, true), spanCtx(3, false)
	many := func() []trace.SpanContext {
		var out []trace.SpanContext
		for i := range telemetry.MaxLinks + 6 {
			out = append(out, spanCtx(byte(10+i), true))
		}
		return out
	}()
	tests := []struct {
		name    string
		seq     []trace.SpanContext
		parent  trace.SpanContext
		links   []trace.SpanContext
		dropped int
	}{
		{"tracing off", []trace.SpanContext{{}, {}}, trace.SpanContext{}, nil, 0},
		{"first sampled is the parent", []trace.SpanContext{a, a, b, b, c, b, a}, a, []trace.SpanContext{b}, 0},
		{"an unsampled first yields to a sampled one", []trace.SpanContext{c, a, b}, a, []trace.SpanContext{b}, 0},
		{"only unsampled", []trace.SpanContext{c, c}, c, nil, 0},
		{"bounded", many, many[0], many[1 : 1+telemetry.MaxLinks], 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bt := newBatch(1 << 20)
			for _, sc := range tc.seq {
				bt.trace(sc)
			}
			checkBatchTrace(t, bt, tc.parent, tc.links, tc.dropped)
		})
	}
}

func TestMergedBatchTrace(t *testing.T) {
	a, b, c, d := spanCtx(1, true), spanCtx(2, true), spanCtx(3, false), spanCtx(4, true)
	tests := []struct {
		name   string
		first  []trace.SpanContext
		second []trace.SpanContext
		parent trace.SpanContext
		links  []trace.SpanContext
	}{
		{"links gather, each once", []trace.SpanContext{a, b}, []trace.SpanContext{d, b}, a, []trace.SpanContext{b, d}},
		{"a sampled second replaces an unsampled parent", []trace.SpanContext{c}, []trace.SpanContext{a, b}, a, []trace.SpanContext{b}},
		{"untraced first", []trace.SpanContext{{}}, []trace.SpanContext{a}, a, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b1, b2 := newBatch(1<<20), newBatch(1<<20)
			for _, sc := range tc.first {
				b1.trace(sc)
			}
			for _, sc := range tc.second {
				b2.trace(sc)
			}
			b1.merge(b2)
			checkBatchTrace(t, b1, tc.parent, tc.links, 0)
		})
	}
}

func checkBatchTrace(t *testing.T, bt *batch, parent trace.SpanContext, links []trace.SpanContext, dropped int) {
	t.Helper()
	if !bt.parent.Equal(parent) {
		t.Errorf("parent %v, want %v", bt.parent.SpanID(), parent.SpanID())
	}
	if len(bt.links) != len(links) || bt.droppedLinks != dropped {
		t.Fatalf("%d links (%d dropped), want %d (%d)", len(bt.links), bt.droppedLinks, len(links), dropped)
	}
	for i, l := range bt.links {
		if !l.SpanContext.Equal(links[i]) {
			t.Errorf("link %d = %v, want %v", i, l.SpanContext.SpanID(), links[i].SpanID())
		}
	}
}
