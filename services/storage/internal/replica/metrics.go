package replica

import (
	"context"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
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

// metrics are the storage instruments, created once.
type metrics struct {
	appendRecords metric.Int64Counter
	appendBytes   metric.Int64Counter
	appendLatency metric.Float64Histogram
	fetchBytes    metric.Int64Counter
	partitions    metric.Int64ObservableGauge
	waiting       metric.Int64ObservableGauge
	fetchWaits    atomic.Int64 // long-polling fetches now waiting
	appendWaits   atomic.Int64 // acks=all appends now waiting
	kindFetch     metric.MeasurementOption
	kindAppend    metric.MeasurementOption
	acks          [3]metric.MeasurementOption // by Acks
	roleLeader    metric.MeasurementOption
	roleFollower  metric.MeasurementOption
	meter         metric.Meter
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := &metrics{meter: mp.Meter("runnel/storage")}
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
		metric.WithExplicitBucketBoundaries(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.fetchBytes, err = m.meter.Int64Counter("runnel.storage.fetch.bytes",
		metric.WithDescription("Record batch bytes returned by fetches."),
		metric.WithUnit("By")); err != nil {
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
	return m, nil
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
