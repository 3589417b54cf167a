package coordinator

import (
	"context"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
)

// metrics: runnel.group.rebalances (counter of group generation bumps), runnel.group.members
// and runnel.group.groups (gauges; 0 on a node that does not coordinate).
type metrics struct {
	rebalances metric.Int64Counter
	members    atomic.Int64
	groups     atomic.Int64
}

func newMetrics(m metric.Meter) (*metrics, error) {
	var mt metrics
	var err error
	if mt.rebalances, err = m.Int64Counter("runnel.group.rebalances",
		metric.WithDescription("consumer group rebalances (group generation changes) on this coordinator")); err != nil {
		return nil, fmt.Errorf("metric runnel.group.rebalances: %w", err)
	}
	gauge := func(name, desc string, v *atomic.Int64) error {
		_, err := m.Int64ObservableGauge(name, metric.WithDescription(desc),
			metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
				o.Observe(v.Load())
				return nil
			}))
		if err != nil {
			return fmt.Errorf("metric %s: %w", name, err)
		}
		return nil
	}
	if err := gauge("runnel.group.members", "consumer group members on this coordinator (0 on other nodes)", &mt.members); err != nil {
		return nil, err
	}
	if err := gauge("runnel.group.groups", "consumer groups on this coordinator (0 on other nodes)", &mt.groups); err != nil {
		return nil, err
	}
	return &mt, nil
}
