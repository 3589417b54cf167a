package server

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// registerMetrics adds the node's gauges: runnel.metadata.topics and runnel.metadata.live_nodes,
// read from etcd when scraped (once ready). It returns the function that removes them.
func (s *Server) registerMetrics() (func(), error) {
	m := s.cfg.Telemetry.Meter.Meter("runnel/metadata")
	topics, err := m.Int64ObservableGauge("runnel.metadata.topics", metric.WithDescription("topics in the cluster"))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.metadata.topics: %w", err)
	}
	nodes, err := m.Int64ObservableGauge("runnel.metadata.live_nodes", metric.WithDescription("storage nodes with a live session"))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.metadata.live_nodes: %w", err)
	}
	reg, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		select {
		case <-s.ready:
		default:
			return nil // nothing to report before etcd serves
		}
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		t, n, err := s.store.Counts(ctx)
		if err != nil {
			return nil // a scrape while etcd has no quorum just lacks the gauges
		}
		o.ObserveInt64(topics, t)
		o.ObserveInt64(nodes, n)
		return nil
	}, topics, nodes)
	if err != nil {
		return nil, fmt.Errorf("metric callback: %w", err)
	}
	return func() { _ = reg.Unregister() }, nil
}
