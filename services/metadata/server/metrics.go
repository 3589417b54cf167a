package server

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// registerMetrics adds the node's gauges: runnel.metadata.topics and runnel.metadata.live_nodes,
// read from etcd when scraped (once ready), and the embedded etcd member's health:
// runnel.metadata.etcd.has_leader and runnel.metadata.etcd.is_leader (0 or 1) and
// runnel.metadata.etcd.db_size (bytes). It returns the function that removes them.
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
	hasLeader, err := m.Int64ObservableGauge("runnel.metadata.etcd.has_leader",
		metric.WithDescription("1 while the embedded etcd member knows a raft leader (its cluster has quorum), else 0"))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.metadata.etcd.has_leader: %w", err)
	}
	isLeader, err := m.Int64ObservableGauge("runnel.metadata.etcd.is_leader",
		metric.WithDescription("1 while the embedded etcd member is the raft leader, else 0"))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.metadata.etcd.is_leader: %w", err)
	}
	dbSize, err := m.Int64ObservableGauge("runnel.metadata.etcd.db_size", metric.WithUnit("By"),
		metric.WithDescription("size of the embedded etcd member's database"))
	if err != nil {
		return nil, fmt.Errorf("metric runnel.metadata.etcd.db_size: %w", err)
	}
	reg, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		h := s.etcd.Health()
		o.ObserveInt64(hasLeader, boolGauge(h.HasLeader))
		o.ObserveInt64(isLeader, boolGauge(h.IsLeader))
		o.ObserveInt64(dbSize, h.DBBytes)
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
	}, topics, nodes, hasLeader, isLeader, dbSize)
	if err != nil {
		return nil, fmt.Errorf("metric callback: %w", err)
	}
	return func() { _ = reg.Unregister() }, nil
}

func boolGauge(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
