package replica

import (
	"fmt"
	"os"
	"path/filepath"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/services/storage/internal/cluster"
)

// Apply brings the hosted partitions in line with the metadata view v:
//   - every partition whose replicas include this node (and whose topic is in v) is opened if
//     needed, then given its state (leader or follower, epoch, ISR) and its topic's config;
//   - a hosted partition whose topic is gone from v, or was recreated (another topic id), or
//     whose replicas no longer include this node, is closed and its dir deleted;
//   - when reset is true (v was just rebuilt from a snapshot), partition dirs on disk that are
//     not open and do not belong to a hosted partition of v are deleted too (topics deleted
//     while this node was down).
//
// A hosted partition whose topic is in v but whose state is absent is left alone. Apply is meant
// to be called by one goroutine (the watch loop); handlers may run concurrently.
func (m *Manager) Apply(v *cluster.View, reset bool) {
	m.mu.RLock()
	closed := m.closed
	m.mu.RUnlock()
	if closed {
		return
	}
	desired := map[cluster.TopicPartition]bool{}
	for tp, ps := range v.Partitions {
		t := v.Topics[tp.Topic]
		if t == nil || !cluster.Hosts(ps, m.cfg.NodeID) || (ps.GetTopicId() != "" && ps.GetTopicId() != t.GetTopicId()) {
			continue
		}
		desired[tp] = true
		m.ensure(tp, t, ps)
	}
	for _, p := range m.Partitions() {
		tp := cluster.TopicPartition{Topic: p.topic, Partition: p.index}
		if desired[tp] {
			continue
		}
		t, ps := v.Topics[tp.Topic], v.Partitions[tp]
		var reason string
		switch {
		case t == nil:
			reason = "topic deleted"
		case t.GetTopicId() != p.topicID:
			reason = "topic recreated"
		case ps != nil && !cluster.Hosts(ps, m.cfg.NodeID):
			reason = "replica moved to other nodes"
		default:
			continue
		}
		m.drop(p, reason)
	}
	m.mu.Lock()
	for tp := range m.failed {
		if !desired[tp] {
			delete(m.failed, tp)
		}
	}
	m.mu.Unlock()
	if reset {
		m.sweep(v)
	}
}

// ensure opens tp if it is not hosted yet (or hosts another incarnation of the topic) and
// applies its state.
func (m *Manager) ensure(tp cluster.TopicPartition, t *runnelv1.Topic, ps *runnelv1.PartitionState) {
	if !validTopicName(tp.Topic) {
		m.mu.Lock()
		m.failed[tp] = fmt.Errorf("topic name %q is not a valid directory name", tp.Topic)
		m.mu.Unlock()
		return
	}
	cfg := m.topicConfig(t)
	m.mu.RLock()
	p := m.parts[tp]
	m.mu.RUnlock()
	if p != nil && p.topicID != t.GetTopicId() {
		m.drop(p, "topic recreated")
		p = nil
	}
	if p != nil {
		p.setState(ps, cfg)
		return
	}
	p, err := openPartition(partitionArgs{
		topic: tp.Topic, index: tp.Partition, topicID: t.GetTopicId(),
		dir: m.partitionDir(tp.Topic, tp.Partition), node: m.cfg.NodeID, cfg: cfg,
		base:   m.baseOptions(),
		logger: m.logger, metrics: m.metrics, draining: m.draining,
	})
	if err != nil {
		m.logger.Error("open partition failed", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		m.mu.Lock()
		m.failed[tp] = err
		m.mu.Unlock()
		return
	}
	p.setState(ps, cfg)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		_ = p.close()
		return
	}
	m.parts[tp] = p
	delete(m.failed, tp)
	m.mu.Unlock()
}

// drop stops hosting p and deletes its dir.
func (m *Manager) drop(p *Partition, reason string) {
	tp := cluster.TopicPartition{Topic: p.topic, Partition: p.index}
	m.mu.Lock()
	if m.parts[tp] == p {
		delete(m.parts, tp)
	}
	m.mu.Unlock()
	p.logger.Info("dropping partition", "reason", reason)
	if err := p.remove(); err != nil {
		p.logger.Error("delete partition failed", "err", err)
	}
}

// sweep deletes partition dirs that are not hosted and belong to no partition of v this node
// should host. Dirs without a readable partition.json are left alone.
func (m *Manager) sweep(v *cluster.View) {
	entries, err := os.ReadDir(m.cfg.DataDir)
	if err != nil {
		m.logger.Warn("list data dir", "dir", m.cfg.DataDir, "err", err)
		return
	}
	for _, e := range entries {
		topic, index, ok := parsePartitionDirName(e.Name())
		if !e.IsDir() || !ok {
			continue
		}
		tp := cluster.TopicPartition{Topic: topic, Partition: index}
		m.mu.RLock()
		_, hosted := m.parts[tp]
		_, failed := m.failed[tp]
		m.mu.RUnlock()
		if hosted || failed {
			continue
		}
		dir := filepath.Join(m.cfg.DataDir, e.Name())
		pm, err := statPartitionDir(dir)
		if err != nil || pm.Topic != topic || pm.Partition != index {
			continue
		}
		t, ps := v.Topics[topic], v.Partitions[tp]
		if t != nil && t.GetTopicId() == pm.TopicID && (ps == nil || cluster.Hosts(ps, m.cfg.NodeID)) {
			continue
		}
		m.logger.Info("deleting stray partition dir", "topic", topic, "partition", index, "dir", dir)
		if err := removeDir(dir); err != nil {
			m.logger.Error("delete stray partition dir failed", "dir", dir, "err", err)
		}
	}
}

func (m *Manager) baseOptions() commitlog.Options {
	return commitlog.Options{Fsync: m.cfg.Fsync, Now: m.cfg.Now, OnSync: m.metrics.synced}
}
