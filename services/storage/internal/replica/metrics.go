package replica

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Acks is how an append is acknowledged, as metrics and Append name it.
type Acks int

// The acks levels. AcksNone is treated as AcksLeader by storage (the gateway does not wait).
const (
	AcksAll Acks = iota
	AcksLeader
	AcksNone
)

// String is Kafka's spelling: "all", "1", "0".
func (a Acks) String() string {
	switch a {
	case AcksLeader:
		return "1"
	case AcksNone:
		return "0"
	}
	return "all"
}

// LatencyBuckets are the bucket bounds (ms) of the storage latency histograms.
var LatencyBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}

// metrics are the storage instruments, created once, and the tracer of the append spans.
type metrics struct {
	appendRecords metric.Int64Counter
	appendBytes   metric.Int64Counter
	appendLatency metric.Float64Histogram
	logLatency    metric.Float64Histogram
	fsyncLatency  metric.Float64Histogram
	fetchBytes    metric.Int64Counter
	fetchRecords  metric.Int64Counter
	partitions    metric.Int64ObservableGauge
	waiting       metric.Int64ObservableGauge
	fetchWaits    atomic.Int64 // long-polling fetches now waiting
	appendWaits   atomic.Int64 // acks=all appends now waiting
	kindFetch     metric.MeasurementOption
	kindAppend    metric.MeasurementOption
	acks          [3]metric.MeasurementOption // by Acks
	roleLeader    metric.MeasurementOption
	roleFollower  metric.MeasurementOption
	fsync         metric.MeasurementOption // the node's fsync mode
	syncOK        metric.RecordOption
	syncFailed    metric.RecordOption
	fsyncMode     string
	meter         metric.Meter
	tracer        trace.Tracer // nil: no spans
}

func newMetrics(mp metric.MeterProvider, tracer trace.Tracer, fsync commitlog.FsyncPolicy) (*metrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := &metrics{meter: mp.Meter("runnel/storage"), tracer: tracer, fsyncMode: fsyncMode(fsync)}
	var err error
	if m.appendRecords, err = m.meter.Int64Counter("runnel.storage.append.records",
		metric.WithDescription("Records appended to partitions this node leads."),
		metric.WithUnit("{record}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.appendBytes, err = m.meter.Int64Counter("runnel.storage.append.bytes",
		metric.WithDescription("Record batch bytes appended to partitions this node leads."),
		metric.WithUnit("By")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.appendLatency, err = m.meter.Float64Histogram("runnel.storage.append.latency",
		metric.WithDescription("Time from receiving an append to answering it, acks wait included."),
		metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(LatencyBuckets...)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.logLatency, err = m.meter.Float64Histogram("runnel.storage.log.append.latency",
		metric.WithDescription("Time to write a leader's batch to its log, by the node's fsync mode; under fsync=always it is the wait for the fsync that covers the batch (group commit)."),
		metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(LatencyBuckets...)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.fsyncLatency, err = m.meter.Float64Histogram("runnel.storage.fsync.latency",
		metric.WithDescription("Time of one fdatasync of a segment file (group commit: one covers many appends), by outcome."),
		metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(LatencyBuckets...)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.fetchBytes, err = m.meter.Int64Counter("runnel.storage.fetch.bytes",
		metric.WithDescription("Record batch bytes returned by fetches."),
		metric.WithUnit("By")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.fetchRecords, err = m.meter.Int64Counter("runnel.storage.fetch.records",
		metric.WithDescription("Records in the batches returned by fetches (whole batches: the first may start before the requested offset)."),
		metric.WithUnit("{record}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.partitions, err = m.meter.Int64ObservableGauge("runnel.storage.partitions",
		metric.WithDescription("Partition replicas hosted by this node, by role (leader, follower)."),
		metric.WithUnit("{partition}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.waiting, err = m.meter.Int64ObservableGauge("runnel.storage.requests.waiting",
		metric.WithDescription("Requests waiting on a high watermark (Kafka's purgatory): long-polling fetches and acks=all appends."),
		metric.WithUnit("{request}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	m.kindFetch = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "fetch")))
	m.kindAppend = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "append")))
	for _, a := range []Acks{AcksAll, AcksLeader, AcksNone} {
		m.acks[a] = metric.WithAttributeSet(attribute.NewSet(attribute.String("acks", a.String())))
	}
	m.roleLeader = metric.WithAttributeSet(attribute.NewSet(attribute.String("role", "leader")))
	m.roleFollower = metric.WithAttributeSet(attribute.NewSet(attribute.String("role", "follower")))
	m.fsync = metric.WithAttributeSet(attribute.NewSet(attribute.String("fsync", m.fsyncMode)))
	m.syncOK = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "ok")))
	m.syncFailed = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "error")))
	return m, nil
}

// synced records one segment fsync (commitlog.Options.OnSync).
func (m *metrics) synced(took time.Duration, err error) {
	outcome := m.syncOK
	if err != nil {
		outcome = m.syncFailed
	}
	m.fsyncLatency.Record(context.Background(), float64(took)/float64(time.Millisecond), outcome)
}

// fsyncMode names an fsync policy's mode: "always", "interval" or "never".
func fsyncMode(p commitlog.FsyncPolicy) string {
	switch p.Mode {
	case commitlog.FsyncInterval:
		return "interval"
	case commitlog.FsyncNever:
		return "never"
	}
	return "always"
}

// startSpan starts a child span of ctx's span when that one is recorded (tracing on and the trace
// sampled); nil otherwise, at no cost.
func (m *metrics) startSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) trace.Span {
	if m.tracer == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return nil
	}
	_, span := m.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
	return span
}

// endSpan ends a span of startSpan (nil: nothing) with err's catalogue name as its status.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, rpcerr.CodeOf(err).Name)
	}
	span.End()
}

// topicAttrs is the attribute set of a partition's measurements, built once per partition.
func topicAttrs(topic string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("topic", topic)))
}

// observe registers the callback of the gauges; count reports the partitions (led, followed).
func (m *metrics) observe(count func() (led, followed int64)) (metric.Registration, error) {
	return m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		led, followed := count()
		o.ObserveInt64(m.partitions, led, m.roleLeader)
		o.ObserveInt64(m.partitions, followed, m.roleFollower)
		o.ObserveInt64(m.waiting, m.fetchWaits.Load(), m.kindFetch)
		o.ObserveInt64(m.waiting, m.appendWaits.Load(), m.kindAppend)
		return nil
	}, m.partitions, m.waiting)
}
