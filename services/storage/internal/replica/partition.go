package replica

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/fileutil"
)

// Offsets are the bounds of a partition's log.
type Offsets struct {
	LogStart      int64
	HighWatermark int64
	LogEnd        int64
}

// Partition is one partition replica hosted by this node: its log and its replication state.
//
// Locking: mu guards the role state and the log pointer; Append, Fetch and the retention and
// checkpoint work hold it shared while they use the log, so a state change (which takes it
// exclusively) never interleaves with a write. hwMu guards the high watermark, the log end offsets
// that feed it and the change channel; it is taken after mu.
type Partition struct {
	topic   string
	index   int32
	topicID string
	dir     string
	node    int32
	logger  *slog.Logger
	metrics *metrics
	attrs   metric.MeasurementOption // the topic attribute, built once
	base    commitlog.Options        // node-wide log options (fsync, clock, logger)
	drain   <-chan struct{}          // closed when the node shuts down: waits end

	mu             sync.RWMutex
	log            *commitlog.Log // nil when (re)opening failed: logErr says why
	logErr         error
	cfg            TopicConfig
	leader         int32 // node id, or -1
	leaderEpoch    int32 // -1 until the first state is applied
	partitionEpoch int32
	replicas       []int32
	isr            []int32
	closed         bool
	leading        atomic.Bool // leader == node && !closed, for the partitions gauge

	hwMu sync.Mutex
	hw   int64
	// localLEO is the end of what the local log holds durably: Append returns only once the
	// fsync policy is met, so offsets below the largest returned end count toward the high
	// watermark. (log.LogEndOffset may be ahead while a group commit is still in flight.)
	localLEO int64
	// followers holds what this leader knows of each follower in the current leadership term:
	// the log end offset it reported (replication fills it, see leader.go) and when it was last
	// caught up. The high watermark waits for every ISR member to report.
	followers    map[int32]*follower
	termStart    int64         // the log end offset when this leadership term began
	termBegan    time.Time     // when it began
	changed      chan struct{} // closed and replaced on every change of hw or state
	checkpointed int64         // the high watermark last written to the checkpoint

	// fmu serialises the follower's writes (append, truncate, reset from the leader's answers).
	fmu sync.Mutex
}

// partitionArgs are what openPartition needs.
type partitionArgs struct {
	topic    string
	index    int32
	topicID  string
	dir      string
	node     int32
	cfg      TopicConfig
	base     commitlog.Options
	logger   *slog.Logger
	metrics  *metrics
	draining <-chan struct{}
}

// openPartition prepares the partition dir (a dir holding another incarnation of the topic is
// deleted first), opens the log and restores the checkpointed high watermark. The partition
// starts with no role; setState gives it one.
func openPartition(a partitionArgs) (*Partition, error) {
	logger := a.logger.With("topic", a.topic, "partition", a.index)
	if err := prepareDir(a, logger); err != nil {
		return nil, err
	}
	p := &Partition{
		topic: a.topic, index: a.index, topicID: a.topicID, dir: a.dir, node: a.node,
		logger: logger, metrics: a.metrics, attrs: topicAttrs(a.topic), base: a.base, drain: a.draining,
		cfg: a.cfg, leader: -1, leaderEpoch: -1, partitionEpoch: -1,
		followers: map[int32]*follower{}, changed: make(chan struct{}),
	}
	log, err := commitlog.Open(a.dir, p.logOptions(a.cfg))
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", a.dir, err)
	}
	p.log = log
	p.restoreHW()
	logger.Info("partition opened", "dir", a.dir, "log_start", log.LogStartOffset(),
		"log_end", log.LogEndOffset(), "hw", p.hw)
	return p, nil
}

// prepareDir makes sure a.dir exists and belongs to topic id a.topicID.
func prepareDir(a partitionArgs, logger *slog.Logger) error {
	path := filepath.Join(a.dir, partitionFile)
	var m partitionMeta
	switch err := readJSON(path, &m); {
	case err == nil && m.TopicID == a.topicID:
		return nil
	case err == nil:
		logger.Info("deleting log of an earlier topic with the same name", "dir", a.dir,
			"old_topic_id", m.TopicID, "topic_id", a.topicID)
		if err := removeDir(a.dir); err != nil {
			return fmt.Errorf("delete old log %s: %w", a.dir, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		if entries, _ := os.ReadDir(a.dir); len(entries) > 0 {
			logger.Warn("partition dir without partition.json: adopting it", "dir", a.dir)
		}
	default:
		return err
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return err
	}
	if err := fileutil.SyncDir(filepath.Dir(a.dir)); err != nil {
		return err
	}
	return writeJSON(path, partitionMeta{Topic: a.topic, Partition: a.index, TopicID: a.topicID})
}

func (p *Partition) logOptions(cfg TopicConfig) commitlog.Options {
	o := cfg.logOptions()
	o.Fsync, o.Now, o.IndexIntervalBytes, o.OnSync = p.base.Fsync, p.base.Now, p.base.IndexIntervalBytes, p.base.OnSync
	o.Logger = p.logger
	return o
}

// restoreHW takes the checkpointed high watermark, clamped to the log. Called with the log open
// and no concurrent user.
func (p *Partition) restoreHW() {
	start, end := p.log.LogStartOffset(), p.log.LogEndOffset()
	hw := min(max(p.log.HighWatermarkCheckpoint(), start), end)
	p.hw, p.checkpointed, p.localLEO = hw, hw, end
}

// now reads the manager's clock.
func (p *Partition) now() time.Time {
	if p.base.Now != nil {
		return p.base.Now()
	}
	return time.Now()
}

// Topic returns the topic name.
func (p *Partition) Topic() string { return p.topic }

// Index returns the partition number.
func (p *Partition) Index() int32 { return p.index }

// TopicID returns the id of the topic incarnation the log belongs to.
func (p *Partition) TopicID() string { return p.topicID }

// Leading reports whether this node leads the partition.
func (p *Partition) Leading() bool { return p.leading.Load() }

// setState applies a partition state from the metadata service and the topic's config. States
// older than the one applied (lower leader epoch, or same leader epoch and lower partition epoch)
// are ignored; the config is applied either way.
func (p *Partition) setState(ps *runnelv1.PartitionState, cfg TopicConfig) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if cfg != p.cfg {
		p.setConfigLocked(cfg)
	}
	p.applyStateLocked(ps)
}

// applyStateLocked takes a partition state unless it is older than the one applied. Call with
// mu held exclusively.
func (p *Partition) applyStateLocked(ps *runnelv1.PartitionState) {
	epoch, pepoch := ps.GetLeaderEpoch(), ps.GetPartitionEpoch()
	if epoch < p.leaderEpoch || (epoch == p.leaderEpoch && pepoch < p.partitionEpoch) {
		p.logger.Debug("ignoring stale partition state", "epoch", epoch, "partition_epoch", pepoch,
			"current_epoch", p.leaderEpoch, "current_partition_epoch", p.partitionEpoch)
		return
	}
	wasLeader, oldLeader, oldEpoch, oldISR := p.leader == p.node, p.leader, p.leaderEpoch, p.isr
	p.leader, p.leaderEpoch, p.partitionEpoch = ps.GetLeader(), epoch, pepoch
	p.replicas = slices.Clone(ps.GetReplicas())
	p.isr = slices.Clone(ps.GetIsr())
	isLeader := p.leader == p.node

	p.hwMu.Lock()
	switch {
	case isLeader && (!wasLeader || oldEpoch != epoch):
		// A new leadership term: what the log holds is the leader's (no write is in flight: they
		// hold mu shared), and follower positions are learnt afresh from their fetches, so a
		// position reported under an older epoch never counts in this one.
		clear(p.followers)
		if p.log != nil {
			p.localLEO = p.log.LogEndOffset()
		}
		p.termStart, p.termBegan = p.localLEO, p.now()
		p.logger.Info("became leader", "epoch", epoch, "isr", p.isr, "offset", p.localLEO, "hw", p.hw)
	case !isLeader && (wasLeader || oldLeader != p.leader || oldEpoch != epoch):
		clear(p.followers)
		if p.log != nil {
			p.localLEO = p.log.LogEndOffset()
		}
		p.logger.Info("became follower", "leader", p.leader, "epoch", epoch, "offset", p.localLEO)
	case isLeader && !slices.Equal(oldISR, p.isr):
		p.logger.Info("isr changed", "epoch", epoch, "partition_epoch", pepoch, "isr", p.isr, "old_isr", oldISR, "hw", p.hw)
	}
	p.leading.Store(isLeader)
	p.updateHWLocked()
	p.notifyLocked()
	p.hwMu.Unlock()
}

// setConfigLocked applies a new topic config; a change of the log's options reopens the log.
func (p *Partition) setConfigLocked(cfg TopicConfig) {
	old := p.cfg
	p.cfg = cfg
	if cfg.sameLog(old) && p.log != nil {
		return
	}
	p.logger.Info("reopening log with new topic config", "segment_bytes", cfg.SegmentBytes,
		"segment_age", cfg.SegmentAge, "retention_age", cfg.RetentionAge, "retention_bytes", cfg.RetentionBytes)
	if p.log != nil {
		p.checkpointLocked()
		if err := p.log.Close(); err != nil {
			p.logger.Warn("close log", "err", err)
		}
		p.log = nil
	}
	log, err := commitlog.Open(p.dir, p.logOptions(cfg))
	if err != nil {
		p.logErr = err
		p.logger.Error("reopen log", "err", err)
		return
	}
	p.log, p.logErr = log, nil
	p.hwMu.Lock()
	p.restoreHW()
	p.hwMu.Unlock()
}

// updateHWLocked moves the leader's high watermark up to the smallest log end offset of the ISR
// members, when every one of them is known. Call with mu (shared or exclusive) and hwMu held.
func (p *Partition) updateHWLocked() {
	if p.closed || p.leader != p.node {
		return
	}
	hw := p.localLEO
	for _, r := range p.isr {
		if r == p.node {
			continue
		}
		f := p.followers[r]
		if f == nil || f.leo < 0 {
			return // not heard from since this term began
		}
		hw = min(hw, f.leo)
	}
	if hw > p.hw {
		p.hw = hw
		p.notifyLocked()
	}
}

// notifyLocked wakes everyone waiting for a change. Call with hwMu held.
func (p *Partition) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// highWatermark reads the high watermark. Call without hwMu held.
func (p *Partition) highWatermark() int64 {
	p.hwMu.Lock()
	defer p.hwMu.Unlock()
	return p.hw
}

// offsetsLocked returns the log bounds. Call with mu held and the log open.
func (p *Partition) offsetsLocked() Offsets {
	return Offsets{LogStart: p.log.LogStartOffset(), HighWatermark: p.highWatermark(), LogEnd: p.log.LogEndOffset()}
}

// applyRetention deletes old segments as the topic config says, never at or above the high
// watermark (followers may still need those records), and keeps the high watermark at or above
// the new log start.
func (p *Partition) applyRetention() (int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed || p.log == nil {
		return 0, nil
	}
	n, err := p.log.ApplyRetention(p.highWatermark())
	if n > 0 {
		start := p.log.LogStartOffset()
		p.hwMu.Lock()
		if p.hw < start {
			p.hw = start
			p.notifyLocked()
		}
		p.hwMu.Unlock()
		p.logger.Info("retention deleted segments", "segments", n, "log_start", start)
	}
	return n, err
}

// checkpointHW writes the high watermark to its checkpoint file if it moved.
func (p *Partition) checkpointHW() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed || p.log == nil {
		return nil
	}
	return p.checkpointLocked()
}

func (p *Partition) checkpointLocked() error {
	p.hwMu.Lock()
	hw, done := p.hw, p.checkpointed
	p.hwMu.Unlock()
	if hw == done {
		return nil
	}
	if err := p.log.CheckpointHighWatermark(hw); err != nil {
		return err
	}
	p.hwMu.Lock()
	p.checkpointed = max(p.checkpointed, hw)
	p.hwMu.Unlock()
	return nil
}

// close checkpoints the high watermark and closes the log; waiters are woken and see the
// partition gone. Idempotent.
func (p *Partition) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	var err error
	if p.log != nil {
		err = p.checkpointLocked()
		err = errors.Join(err, p.log.Close())
	}
	p.closed = true
	p.leading.Store(false)
	p.hwMu.Lock()
	p.notifyLocked()
	p.hwMu.Unlock()
	return err
}

// remove closes the partition and deletes its dir.
func (p *Partition) remove() error {
	err := p.close()
	if rerr := removeDir(p.dir); rerr != nil {
		return errors.Join(err, rerr)
	}
	p.logger.Info("partition deleted", "dir", p.dir)
	return nil
}
