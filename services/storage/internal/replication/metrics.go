package replication

import (
	"context"
	"fmt"

	"github.com/runnel/runnel/services/storage/internal/replica"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// metrics are the replication instruments.
type metrics struct {
	meter           metric.Meter
	shrinks         metric.Int64Counter
	expands         metric.Int64Counter
	underReplicated metric.Int64ObservableGauge
	lag             metric.Int64ObservableGauge
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := &metrics{meter: mp.Meter("runnel/storage")}
	var err error
	if m.shrinks, err = m.meter.Int64Counter("runnel.storage.isr.shrinks",
		metric.WithDescription("Accepted ISR changes that removed followers, proposed by this node as leader."),
		metric.WithUnit("{change}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.expands, err = m.meter.Int64Counter("runnel.storage.isr.expands",
		metric.WithDescription("Accepted ISR changes that added followers, proposed by this node as leader."),
		metric.WithUnit("{change}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.underReplicated, err = m.meter.Int64ObservableGauge("runnel.storage.under_replicated_partitions",
		metric.WithDescription("Partitions this node leads whose ISR is smaller than their replica set."),
		metric.WithUnit("{partition}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if m.lag, err = m.meter.Int64ObservableGauge("runnel.storage.replication.lag",
		metric.WithDescription("The largest follower lag, in offsets, over the partitions this node leads."),
		metric.WithUnit("{offset}")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

func (m *metrics) topic(t string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("topic", t)))
}

// observe registers the gauges' callback over the hosted partitions.
func (m *metrics) observe(parts func() []*replica.Partition) (metric.Registration, error) {
	return m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var under, lag int64
		for _, p := range parts() {
			h := p.Health()
			if !h.Leading {
				continue
			}
			if h.UnderReplicated {
				under++
			}
			lag = max(lag, h.MaxLag)
		}
		o.ObserveInt64(m.underReplicated, under)
		o.ObserveInt64(m.lag, lag)
		return nil
	}, m.underReplicated, m.lag)
}
