package groups

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// Defaults of the group lag gauge.
const (
	// DefaultLagInterval is the least time between two computations of the lag.
	DefaultLagInterval = 10 * time.Second
	// DefaultMaxLagSeries bounds the (group, topic, partition) series exported.
	DefaultMaxLagSeries = 5000
)

// LagGauge exports the gauge runnel.group.lag {group, topic, partition}: how many records each
// group has still to read in each partition of its topics (as GetGroupOffsets computes it). The
// lag is computed on demand: a scrape that finds the last computation older than the interval
// starts a new one in the background (Run's goroutine) and reports the last one, so a computation
// happens at most once per interval and never without scrapes, and a value is at most one
// interval plus one scrape interval old. A computation lists the groups (ListGroups), describes
// each (DescribeGroup, sequentially, in name order), asks the partition leaders for their offsets
// once for all groups, and keeps at most maxSeries series: the groups after the bound are left out
// (logged). Partitions whose leader did not answer are left out too.
type LagGauge struct {
	svc       *Service
	interval  time.Duration
	maxSeries int
	log       *slog.Logger
	gauge     metric.Int64ObservableGauge
	reg       metric.Registration
	kick      chan struct{}

	mu        sync.Mutex
	points    []lagPoint
	computed  time.Time // when the last computation started
	computing bool
}

type lagPoint struct {
	attrs metric.MeasurementOption
	lag   int64
}

// NewLagGauge registers the gauge on meter; interval and maxSeries take their defaults when 0.
// Run must run for the gauge to be computed.
func (s *Service) NewLagGauge(meter metric.Meter, interval time.Duration, maxSeries int) (*LagGauge, error) {
	if interval <= 0 {
		interval = DefaultLagInterval
	}
	if maxSeries <= 0 {
		maxSeries = DefaultMaxLagSeries
	}
	g := &LagGauge{svc: s, interval: interval, maxSeries: maxSeries, log: s.log, kick: make(chan struct{}, 1)}
	var err error
	if g.gauge, err = meter.Int64ObservableGauge("runnel.group.lag",
		metric.WithDescription("Records a consumer group has still to read in a partition (high watermark − committed offset), computed by the gateway at most every lag interval."),
		metric.WithUnit("{record}")); err != nil {
		return nil, err
	}
	if g.reg, err = meter.RegisterCallback(g.observe, g.gauge); err != nil {
		return nil, err
	}
	return g, nil
}

// observe reports the last computation and asks for a new one when it is stale.
func (g *LagGauge) observe(_ context.Context, o metric.Observer) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.points {
		o.ObserveInt64(g.gauge, p.lag, p.attrs)
	}
	if !g.computing && time.Since(g.computed) >= g.interval {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Run computes the lag when a scrape asks for it, until ctx ends; then it unregisters the gauge.
func (g *LagGauge) Run(ctx context.Context) {
	defer func() { _ = g.reg.Unregister() }()
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.kick:
		}
		g.mu.Lock()
		fresh := time.Since(g.computed) < g.interval
		if !fresh {
			g.computing, g.computed = true, time.Now()
		}
		g.mu.Unlock()
		if fresh {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, g.interval)
		points, err := g.compute(cctx)
		cancel()
		g.mu.Lock()
		if err == nil {
			g.points = points
		}
		g.computing = false
		g.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			g.log.WarnContext(ctx, "group lag not computed", "err", err)
		}
	}
}

// compute lists, describes and measures the groups.
func (g *LagGauge) compute(ctx context.Context) ([]lagPoint, error) {
	list, err := g.svc.List(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.GetGroups()))
	for _, gs := range list.GetGroups() {
		names = append(names, gs.GetGroup())
	}
	slices.Sort(names)
	type groupEntries struct {
		name    string
		entries map[logoffsets.Partition]*runnelv1.GroupOffset
	}
	var groups []groupEntries
	need := map[logoffsets.Partition]bool{}
	series, left := 0, 0
	for i, name := range names {
		d, err := g.svc.describe(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			continue // deleted meanwhile, or the coordinator moved: next time
		}
		entries, known := g.svc.groupEntries(d)
		if series+len(entries) > g.maxSeries {
			left = len(names) - i
			break
		}
		series += len(entries)
		groups = append(groups, groupEntries{name, entries})
		for _, p := range known {
			need[p] = true
		}
	}
	if left > 0 {
		g.log.WarnContext(ctx, "group lag gauge is bounded: some groups are left out", "groups_left_out", left,
			"max_series", g.maxSeries)
	}
	parts := make([]logoffsets.Partition, 0, len(need))
	for p := range need {
		parts = append(parts, p)
	}
	got, _ := logoffsets.List(ctx, g.svc.router, parts, logoffsets.Options{Timeout: describeOffsetsTimeout})
	var points []lagPoint
	for _, ge := range groups {
		for _, o := range fillLag(ge.entries, got) {
			if o.GetLag() < 0 {
				continue
			}
			points = append(points, lagPoint{lag: o.GetLag(), attrs: metric.WithAttributeSet(attribute.NewSet(
				attribute.String("group", ge.name), attribute.String("topic", o.GetTopic()),
				attribute.Int("partition", int(o.GetPartition()))))})
		}
	}
	return points, nil
}
