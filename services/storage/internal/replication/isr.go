package replication

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/replica"
	"go.opentelemetry.io/otel/metric"
)

// Bounds of the ISR check interval (half the smallest replica.lag.time.max.ms of the led
// partitions), the default timeout of a proposal, and how long a refused proposal is not sent
// again while the partition's state stays the same.
const (
	MinCheckInterval      = 10 * time.Millisecond
	MaxCheckInterval      = 5 * time.Second
	DefaultProposeTimeout = 10 * time.Second
	RefusedHold           = 2 * time.Second
)

// Proposer sends ISR proposals to the metadata service (metaclient.Client).
type Proposer interface {
	AlterPartition(ctx context.Context, req *runnelv1.AlterPartitionRequest) (*runnelv1.AlterPartitionResponse, error)
}

// ISRConfig configures an ISR proposer.
type ISRConfig struct {
	NodeID   int32
	Replicas *replica.Manager
	Proposer Proposer
	// SessionID returns this node's metadata session id (0 while unregistered: no proposal).
	SessionID func() int64
	// ProposeTimeout bounds one proposal, failovers included (default 10 s).
	ProposeTimeout time.Duration
	Meter          metric.MeterProvider // default no-op
	Logger         *slog.Logger
}

// ISR proposes ISR changes of the partitions this node leads (see the package doc).
type ISR struct {
	cfg     ISRConfig
	logger  *slog.Logger
	metrics *metrics
	poke    chan struct{}

	mu       sync.Mutex
	inflight map[partKey]bool
	refused  map[partKey]refusal // proposals refused at a state: wait for a newer one
	wg       sync.WaitGroup
}

// stateVersion names a partition state a proposal was based on.
type stateVersion struct{ leaderEpoch, partitionEpoch int32 }

// refusal is a proposal the metadata service refused at a state, held back until the state
// changes or until (a refusal that newer metadata does not lift, such as a follower without a
// live session yet, is tried again then).
type refusal struct {
	at    stateVersion
	until time.Time
}

// NewISR returns an ISR proposer; Run drives it.
func NewISR(cfg ISRConfig) (*ISR, error) {
	if cfg.NodeID <= 0 || cfg.Replicas == nil || cfg.Proposer == nil || cfg.SessionID == nil {
		return nil, errors.New("replication: the ISR proposer needs a node id, the replica manager, a proposer and the session id")
	}
	if cfg.ProposeTimeout <= 0 {
		cfg.ProposeTimeout = DefaultProposeTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	mt, err := newMetrics(cfg.Meter)
	if err != nil {
		return nil, err
	}
	i := &ISR{
		cfg: cfg, logger: cfg.Logger, metrics: mt, poke: make(chan struct{}, 1),
		inflight: map[partKey]bool{}, refused: map[partKey]refusal{},
	}
	return i, nil
}

// Poke asks for a check now (a follower may rejoin an ISR). It does not block.
func (i *ISR) Poke() {
	select {
	case i.poke <- struct{}{}:
	default:
	}
}

// Run checks the led partitions every half of their smallest replica.lag.time.max.ms (and when
// poked) and sends the proposals, until ctx ends; then it waits for the proposals in flight. The
// replication gauges are observed while it runs.
func (i *ISR) Run(ctx context.Context) {
	defer i.wg.Wait()
	if reg, err := i.metrics.observe(i.cfg.Replicas.Partitions); err != nil {
		i.logger.Warn("replication gauges unavailable", "err", err)
	} else {
		defer func() { _ = reg.Unregister() }()
	}
	timer := time.NewTimer(MaxCheckInterval)
	defer timer.Stop()
	for {
		timer.Reset(i.check(ctx))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-i.poke:
		}
	}
}

// check proposes the ISR changes due now and returns the time to the next check.
func (i *ISR) check(ctx context.Context) time.Duration {
	interval := MaxCheckInterval
	led := map[partKey]bool{}
	defer func() {
		i.mu.Lock()
		for k := range i.refused {
			if !led[k] {
				delete(i.refused, k)
			}
		}
		i.mu.Unlock()
	}()
	for _, p := range i.cfg.Replicas.Partitions() {
		if !p.Leading() {
			continue
		}
		led[partKey{p.Topic(), p.Index()}] = true
		interval = min(interval, p.LagTime()/2)
		ch, ok := p.CheckISR()
		if !ok {
			continue
		}
		k := partKey{ch.Topic, ch.Partition}
		v := stateVersion{ch.LeaderEpoch, ch.PartitionEpoch}
		i.mu.Lock()
		if i.inflight[k] {
			i.mu.Unlock()
			continue
		}
		if r, ok := i.refused[k]; ok {
			if r.at == v && time.Now().Before(r.until) {
				i.mu.Unlock()
				continue
			}
			delete(i.refused, k)
		}
		i.inflight[k] = true
		i.mu.Unlock()
		i.wg.Go(func() { i.propose(ctx, p, ch) })
	}
	return max(interval, MinCheckInterval)
}

// propose sends one change and applies the accepted result.
func (i *ISR) propose(ctx context.Context, p *replica.Partition, ch replica.ISRChange) {
	k := partKey{ch.Topic, ch.Partition}
	defer func() {
		i.mu.Lock()
		delete(i.inflight, k)
		i.mu.Unlock()
	}()
	session := i.cfg.SessionID()
	if session == 0 {
		return // not registered: the next check tries again
	}
	removed, added := ch.Removed(), ch.Added()
	log := i.logger.With("topic", ch.Topic, "partition", ch.Partition, "epoch", ch.LeaderEpoch,
		"partition_epoch", ch.PartitionEpoch, "isr", ch.ISR, "new_isr", ch.NewISR)
	log.Info("proposing isr change", "removed", removed, "added", added)
	pctx, cancel := context.WithTimeout(ctx, i.cfg.ProposeTimeout)
	defer cancel()
	resp, err := i.cfg.Proposer.AlterPartition(pctx, &runnelv1.AlterPartitionRequest{
		NodeId: i.cfg.NodeID, SessionId: session, Topic: ch.Topic, Partition: ch.Partition,
		LeaderEpoch: ch.LeaderEpoch, PartitionEpoch: ch.PartitionEpoch, NewIsr: ch.NewISR,
	})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if retryProposal(err) {
			log.Warn("isr change not delivered; retrying at the next check", "err", err)
			return
		}
		log.Info("isr change refused; waiting for newer metadata", "err", err)
		i.mu.Lock()
		i.refused[k] = refusal{at: stateVersion{ch.LeaderEpoch, ch.PartitionEpoch}, until: time.Now().Add(RefusedHold)}
		i.mu.Unlock()
		return
	}
	ps := resp.GetPartition()
	log.Info("isr change accepted", "accepted_isr", ps.GetIsr(), "new_partition_epoch", ps.GetPartitionEpoch())
	if ps != nil {
		p.ApplyState(ps)
	}
	if len(removed) > 0 {
		i.metrics.shrinks.Add(ctx, 1, i.metrics.topic(ch.Topic))
	}
	if len(added) > 0 {
		i.metrics.expands.Add(ctx, 1, i.metrics.topic(ch.Topic))
	}
}

// retryProposal reports whether a refused proposal may be sent again as is: the metadata
// service could not be reached or could not decide. A stale proposal (INVALID_UPDATE_VERSION,
// FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, an unknown partition) or an invalid one is not
// retried until the partition's state changes.
func retryProposal(err error) bool {
	switch rpcerr.CodeOf(err) {
	case rpcerr.BrokerNotAvailable, rpcerr.RequestTimedOut, rpcerr.NotController,
		rpcerr.LeaderNotAvailable, rpcerr.StaleBrokerEpoch, rpcerr.KafkaStorageError:
		return true
	}
	return false
}
