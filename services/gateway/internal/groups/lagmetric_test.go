package groups

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// lagSeries collects the gauge once and returns its points as "group topic/partition=lag".
func lagSeries(t *testing.T, r *sdkmetric.ManualReader) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[int64])
			if m.Name != "runnel.group.lag" || !ok {
				continue
			}
			for _, dp := range g.DataPoints {
				get := func(k string) attribute.Value { v, _ := dp.Attributes.Value(attribute.Key(k)); return v }
				out = append(out, fmt.Sprintf("%s %s/%d=%d", get("group").AsString(), get("topic").AsString(), get("partition").AsInt64(), dp.Value))
			}
		}
	}
	sort.Strings(out)
	return out
}

// The lag gauge is computed when a scrape finds it stale, then reported; groups past the series
// bound are left out whole.
func TestLagGauge(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 2})
	e.produceN(t, "t", 0, 5)
	e.produceN(t, "t", 1, 3)
	for _, g := range []string{"a", "b"} {
		m := e.join(t, &runnelv1.JoinGroupRequest{Group: g, Topics: []string{"t"}})
		if err := e.svc.Commit(ctx(t), &runnelv1.CommitOffsetsRequest{Group: g, MemberId: m.GetMemberId(), Generation: 1,
			Offsets: []*runnelv1.OffsetCommit{{Topic: "t", Partition: 0, Offset: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		maxSeries int
		want      []string
	}{
		{"every group", 0, []string{"a t/0=4", "a t/1=3", "b t/0=4", "b t/1=3"}},
		{"bounded", 3, []string{"a t/0=4", "a t/1=3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
			g, err := e.svc.NewLagGauge(mp.Meter("test"), time.Hour, tc.maxSeries)
			if err != nil {
				t.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); g.Run(runCtx) }()
			t.Cleanup(func() { cancel(); <-done })

			if got := lagSeries(t, reader); len(got) != 0 {
				t.Fatalf("first scrape reported %v before any computation", got)
			}
			var got []string
			deadline := time.After(10 * time.Second)
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
		poll:
			for {
				if got = lagSeries(t, reader); len(got) > 0 {
					break
				}
				select {
				case <-deadline:
					break poll
				case <-tick.C:
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("lag series %v, want %v", got, tc.want)
			}
		})
	}
}
