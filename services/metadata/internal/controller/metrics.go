package controller

import (
	"context"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// metrics are the controller's instruments. The gauges read atomics the running term keeps up to
// date; they are 0 on a node that is not the controller.
type metrics struct {
	changes   metric.Int64Counter
	elections metric.Int64Counter
	terms     metric.Int64Counter // times this node became the controller

	active          atomic.Int64 // 1 while this node is the controller
	offline         atomic.Int64
	underReplicated atomic.Int64
}

func newMetrics(m metric.Meter) (*metrics, error) {
	var mt metrics
	var err error
	if mt.changes, err = m.Int64Counter("runnel.controller.changes",
		metric.WithDescription("partition state changes written by the controller, by reason")); err != nil {
		return nil, fmt.Errorf("metric runnel.controller.changes: %w", err)
	}
	if mt.elections, err = m.Int64Counter("runnel.controller.leader_elections",
		metric.WithDescription("partition leader changes made by the controller, by reason")); err != nil {
		return nil, fmt.Errorf("metric runnel.controller.leader_elections: %w", err)
	}
	if mt.terms, err = m.Int64Counter("runnel.metadata.controller.elections",
		metric.WithDescription("times this metadata node became the controller (summed over nodes: controller changes)")); err != nil {
		return nil, fmt.Errorf("metric runnel.metadata.controller.elections: %w", err)
	}
	_, err = m.Int64ObservableGauge("runnel.metadata.controller",
		metric.WithDescription("1 on the metadata node that is the controller, 0 elsewhere"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(mt.active.Load())
			return nil
		}))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.metadata.controller: %w", err)
	}
	_, err = m.Int64ObservableGauge("runnel.controller.offline_partitions",
		metric.WithDescription("partitions without a leader (reported by the controller)"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(mt.offline.Load())
			return nil
		}))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.controller.offline_partitions: %w", err)
	}
	_, err = m.Int64ObservableGauge("runnel.controller.under_replicated_partitions",
		metric.WithDescription("partitions whose ISR is smaller than their replicas (reported by the controller)"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(mt.underReplicated.Load())
			return nil
		}))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.controller.under_replicated_partitions: %w", err)
	}
	return &mt, nil
}

func (m *metrics) record(ctx context.Context, d Decision) {
	attrs := metric.WithAttributes(attribute.String("reason", string(d.Reason)))
	m.changes.Add(ctx, 1, attrs)
	if d.LeaderChanged {
		m.elections.Add(ctx, 1, attrs)
	}
}
