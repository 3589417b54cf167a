package replica

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/cluster"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of Config.
const (
	DefaultRetentionCheckInterval = 5 * time.Minute
	DefaultCheckpointInterval     = 5 * time.Second // Kafka replica.high-watermark.checkpoint.interval.ms
)

// Config configures a Manager.
type Config struct {
	NodeID  int32  // this node (> 0)
	DataDir string // created if missing
	// Fsync is the log durability policy of every partition (default always).
	Fsync commitlog.FsyncPolicy
	// SegmentBytes is segment.bytes for topics that do not set it (default 1 GiB).
	SegmentBytes int64
	// RetentionCheckInterval is how often retention runs on every partition (default 5 min).
	RetentionCheckInterval time.Duration
	// CheckpointInterval is how often moved high watermarks are checkpointed (default 5 s).
	CheckpointInterval time.Duration
	Meter              metric.MeterProvider // default no-op
	// Tracer makes the log.append and isr.wait spans of appends whose call is traced; nil: none.
	Tracer trace.Tracer
	Logger *slog.Logger     // default discard
	Now    func() time.Time // the logs' clock (default time.Now)
}

// Manager holds the partition replicas of this node and keeps them in line with the metadata
// service's view.
type Manager struct {
	cfg     Config
	logger  *slog.Logger
	metrics *metrics
	gauge   metric.Registration
	lock    *os.File

	draining  chan struct{} // closed by Drain: waits end early
	drainOnce sync.Once

	mu     sync.RWMutex
	parts  map[cluster.TopicPartition]*Partition
	failed map[cluster.TopicPartition]error // partitions whose log failed to open
	closed bool
}

// NewManager takes the data dir (creating it, refusing one owned by another node id or in use by
// another process) and removes leftovers of interrupted deletions. Partitions are opened by Apply.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.NodeID <= 0 {
		return nil, fmt.Errorf("replica: node id %d must be positive", cfg.NodeID)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("replica: data dir is required")
	}
	if cfg.SegmentBytes == 0 {
		cfg.SegmentBytes = commitlog.DefaultSegmentBytes
	}
	if cfg.RetentionCheckInterval <= 0 {
		cfg.RetentionCheckInterval = DefaultRetentionCheckInterval
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = DefaultCheckpointInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDataDir, err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := checkNodeID(cfg.DataDir, cfg.NodeID); err != nil {
		_ = lock.Close()
		return nil, err
	}
	mt, err := newMetrics(cfg.Meter, cfg.Tracer, cfg.Fsync)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	m := &Manager{
		cfg: cfg, logger: cfg.Logger, metrics: mt, lock: lock, draining: make(chan struct{}),
		parts:  map[cluster.TopicPartition]*Partition{},
		failed: map[cluster.TopicPartition]error{},
	}
	if m.gauge, err = mt.observe(m.countRoles); err != nil {
		_ = lock.Close()
		return nil, err
	}
	m.removeLeftovers()
	return m, nil
}

// removeLeftovers deletes partition dirs whose deletion a crash interrupted.
func (m *Manager) removeLeftovers() {
	entries, err := os.ReadDir(m.cfg.DataDir)
	if err != nil {
		m.logger.Warn("list data dir", "dir", m.cfg.DataDir, "err", err)
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), deletingExt) {
			if err := os.RemoveAll(filepath.Join(m.cfg.DataDir, e.Name())); err != nil {
				m.logger.Warn("remove deleted partition dir", "dir", e.Name(), "err", err)
			}
		}
	}
}

// Partition returns the replica of topic/partition hosted here, or an UNKNOWN_TOPIC_OR_PARTITION
// (or KAFKA_STORAGE_ERROR, when its log failed to open) error.
func (m *Manager) Partition(topic string, partition int32) (*Partition, error) {
	tp := cluster.TopicPartition{Topic: topic, Partition: partition}
	m.mu.RLock()
	p, ferr := m.parts[tp], m.failed[tp]
	m.mu.RUnlock()
	switch {
	case p != nil:
		return p, nil
	case ferr != nil:
		return nil, rpcerr.Wrap(rpcerr.KafkaStorageError, ferr,
			"the log of partition %d of topic %q could not be opened on node %d: %v", partition, topic, m.cfg.NodeID, ferr)
	}
	return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition,
		"node %d hosts no partition %d of topic %q; check the topic and partition, or refresh metadata", m.cfg.NodeID, partition, topic)
}

// Partitions returns the replicas hosted here, in no order.
func (m *Manager) Partitions() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Partition, 0, len(m.parts))
	for _, p := range m.parts {
		out = append(out, p)
	}
	return out
}

// Waiting returns the number of requests waiting on a high watermark: long-polling fetches and
// acks=all appends.
func (m *Manager) Waiting() (fetches, appends int64) {
	return m.metrics.fetchWaits.Load(), m.metrics.appendWaits.Load()
}

func (m *Manager) countRoles() (led, followed int64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, p := range m.parts {
		if p.Leading() {
			led++
		} else {
			followed++
		}
	}
	return led, followed
}

// Run checkpoints high watermarks every CheckpointInterval and applies retention every
// RetentionCheckInterval until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	retention := time.NewTicker(m.cfg.RetentionCheckInterval)
	defer retention.Stop()
	checkpoint := time.NewTicker(m.cfg.CheckpointInterval)
	defer checkpoint.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-retention.C:
			m.ApplyRetention()
		case <-checkpoint.C:
			m.CheckpointHighWatermarks()
		}
	}
}

// ApplyRetention runs retention on every partition once.
func (m *Manager) ApplyRetention() {
	for _, p := range m.Partitions() {
		if _, err := p.applyRetention(); err != nil {
			p.logger.Warn("retention failed", "err", err)
		}
	}
}

// CheckpointHighWatermarks writes every moved high watermark to its checkpoint.
func (m *Manager) CheckpointHighWatermarks() {
	for _, p := range m.Partitions() {
		if err := p.checkpointHW(); err != nil {
			p.logger.Warn("checkpoint high watermark failed", "err", err)
		}
	}
}

// Drain ends waits early, for a quick shutdown: long-polling fetches return what they have (no
// records) and acks=all appends still waiting answer NOT_LEADER_OR_FOLLOWER. Later requests do not
// wait either. Idempotent.
func (m *Manager) Drain() { m.drainOnce.Do(func() { close(m.draining) }) }

// Close closes every partition (checkpointing its high watermark) and releases the data dir.
// Idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	parts := m.parts
	m.parts = map[cluster.TopicPartition]*Partition{}
	m.mu.Unlock()
	var errs []error
	for _, p := range parts {
		if err := p.close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s-%d: %w", p.topic, p.index, err))
		}
	}
	if m.gauge != nil {
		errs = append(errs, m.gauge.Unregister())
	}
	errs = append(errs, m.lock.Close())
	return errors.Join(errs...)
}

// partitionDir is where the log of topic/partition lives.
func (m *Manager) partitionDir(topic string, partition int32) string {
	return filepath.Join(m.cfg.DataDir, partitionDirName(topic, partition))
}

// topicConfig parses a topic's configs, logging values it cannot use.
func (m *Manager) topicConfig(t *runnelv1.Topic) TopicConfig {
	cfg, err := ParseTopicConfig(t.GetConfigs(), m.cfg.SegmentBytes)
	if err != nil {
		m.logger.Warn("ignoring invalid topic configs", "topic", t.GetName(), "err", err)
	}
	return cfg
}

var errNotHosted = errors.New("not hosted")

// statPartitionDir reads partition.json of an existing partition dir.
func statPartitionDir(dir string) (partitionMeta, error) {
	var pm partitionMeta
	err := readJSON(filepath.Join(dir, partitionFile), &pm)
	if errors.Is(err, fs.ErrNotExist) {
		return pm, errNotHosted
	}
	return pm, err
}
