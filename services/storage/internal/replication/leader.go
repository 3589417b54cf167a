package replication

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/replica"
)

// Size bounds of the leader's answers.
const (
	// DefaultMaxBytes is how much of one partition an answer carries (at least one whole batch).
	DefaultMaxBytes = 1 << 20
	// DefaultMaxMessageBytes is how many record bytes one ReplicateResponse gathers over its
	// partitions before the rest waits for the next message.
	DefaultMaxMessageBytes = 8 << 20
	// MaxResponseBytes is the largest ReplicateResponse a follower accepts: the message budget
	// plus one batch of the largest size.
	MaxResponseBytes = DefaultMaxMessageBytes + 64<<20 + 1<<20
)

// ErrDraining ends the Replicate streams of a node that is shutting down.
var ErrDraining = rpcerr.New(rpcerr.NotLeaderOrFollower, "the node is shutting down; follow the next leader")

// LeaderConfig configures a Leader.
type LeaderConfig struct {
	Replicas *replica.Manager
	// MaxBytes bounds one partition's records in an answer (default DefaultMaxBytes).
	MaxBytes int
	// MaxMessageBytes bounds the records of one message (default DefaultMaxMessageBytes).
	MaxMessageBytes int
	// OnEligible is called (it must not block) when a follower outside a partition's ISR has
	// caught up enough to rejoin it: the ISR proposer checks at once.
	OnEligible func()
	Logger     *slog.Logger
}

// Leader serves the Replicate streams followers open to this node (see the package doc).
type Leader struct {
	cfg      LeaderConfig
	logger   *slog.Logger
	stop     chan struct{}
	stopOnce sync.Once
}

// NewLeader returns a Leader serving the partitions of cfg.Replicas.
func NewLeader(cfg LeaderConfig) (*Leader, error) {
	if cfg.Replicas == nil {
		return nil, errors.New("replication: leader needs the replica manager")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.OnEligible == nil {
		cfg.OnEligible = func() {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Leader{cfg: cfg, logger: cfg.Logger, stop: make(chan struct{})}, nil
}

// Drain ends every Replicate stream (with NOT_LEADER_OR_FOLLOWER) and refuses new ones, so a
// graceful stop of the gRPC server does not wait for them. Idempotent.
func (l *Leader) Drain() { l.stopOnce.Do(func() { close(l.stop) }) }

// Serve runs one Replicate stream until the follower ends it, it breaks, or the node drains.
// Every goroutine it starts has ended when it returns, except the one blocked in Recv, which
// ends with the stream.
func (l *Leader) Serve(stream runnelv1.StorageService_ReplicateServer) error {
	select {
	case <-l.stop:
		return ErrDraining
	default:
	}
	ctx, cancel := context.WithCancel(stream.Context())
	s := &leaderStream{
		l: l, stream: stream, ctx: ctx,
		parts:   map[partKey]*leaderPart{},
		pending: map[partKey]struct{}{},
		wake:    make(chan struct{}, 1),
	}
	defer s.waiters.Wait()
	defer cancel()

	in := newInbox()
	go func() {
		// Ends with the stream, which ends when Serve returns.
		for {
			m, err := stream.Recv()
			if err != nil {
				in.fail(err)
				return
			}
			in.put(m)
		}
	}()
	for {
		more, err := s.flush()
		if err != nil {
			return err
		}
		if more {
			// The message budget left partitions to answer: answer them before waiting.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-l.stop:
				return ErrDraining
			default:
				continue
			}
		}
		select {
		case <-in.signal:
			follower, positions, removed, err := in.take()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			s.take(follower, positions, removed)
		case <-s.wake:
			s.collectFired()
		case <-l.stop:
			return ErrDraining
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
