package replication

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/runnel/runnel/services/storage/internal/cluster"
	"github.com/runnel/runnel/services/storage/internal/replica"
)

// Defaults of the follower's backoff.
const (
	DefaultMinBackoff = 50 * time.Millisecond
	DefaultMaxBackoff = time.Second
)

// FetcherConfig configures a Fetcher.
type FetcherConfig struct {
	NodeID   int32
	Replicas *replica.Manager
	// DialOptions are added to every connection to a leader (telemetry); transport is insecure.
	DialOptions []grpc.DialOption
	// MinBackoff and MaxBackoff bound the waits before asking again after an error and before
	// reconnecting (defaults 50 ms and 1 s).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	Logger     *slog.Logger
	// Tracer makes the replicate.apply spans (see startApply); nil: none.
	Tracer trace.Tracer
}

// Fetcher is the follower side: one stream per leader node this node follows partitions on.
// Update keeps the streams in line with the partitions' roles; Close stops them.
type Fetcher struct {
	cfg    FetcherConfig
	logger *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	streams map[int32]*fetchStream // by leader node id
	closed  bool
}

// follow is a partition a stream should follow, at the epoch the metadata gave.
type follow struct {
	p     *replica.Partition
	epoch int32
}

// NewFetcher returns a Fetcher; it starts streams at the first Update.
func NewFetcher(cfg FetcherConfig) (*Fetcher, error) {
	if cfg.NodeID <= 0 || cfg.Replicas == nil {
		return nil, errors.New("replication: fetcher needs a node id and the replica manager")
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Fetcher{cfg: cfg, logger: cfg.Logger, ctx: ctx, cancel: cancel, streams: map[int32]*fetchStream{}}, nil
}

// Update brings the streams in line with the hosted partitions (call it after the replica
// manager applied v): every partition led by another node is followed on a stream to that node,
// at the address v gives it; a stream whose leader address changed is restarted; a stream to a
// node that leads none of our partitions any more is closed. A leader whose address is unknown
// (its session ended) keeps its stream, if any, until the metadata moves the partitions.
func (f *Fetcher) Update(v *cluster.View) {
	desired := map[int32]map[partKey]follow{}
	for _, p := range f.cfg.Replicas.Partitions() {
		leader, epoch, open := p.Role()
		if !open || leader < 0 || leader == f.cfg.NodeID {
			continue
		}
		if desired[leader] == nil {
			desired[leader] = map[partKey]follow{}
		}
		desired[leader][partKey{p.Topic(), p.Index()}] = follow{p: p, epoch: epoch}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	for leader, s := range f.streams {
		addr := v.Nodes[leader].GetGrpcAddr()
		if len(desired[leader]) == 0 || (addr != "" && addr != s.addr) {
			s.stop()
			delete(f.streams, leader)
		}
	}
	for leader, parts := range desired {
		s := f.streams[leader]
		if s == nil {
			addr := v.Nodes[leader].GetGrpcAddr()
			if addr == "" {
				continue
			}
			var err error
			if s, err = f.startStream(leader, addr); err != nil {
				f.logger.Error("cannot dial leader", "leader", leader, "addr", addr, "err", err)
				continue
			}
			f.streams[leader] = s
		}
		s.setParts(parts)
	}
}

// Leaders returns the node ids this node has replication streams to.
func (f *Fetcher) Leaders() []int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int32, 0, len(f.streams))
	for id := range f.streams {
		out = append(out, id)
	}
	return out
}

// Close stops every stream and waits for them. Idempotent; Update does nothing afterwards.
func (f *Fetcher) Close() {
	f.mu.Lock()
	f.closed = true
	streams := f.streams
	f.streams = map[int32]*fetchStream{}
	f.mu.Unlock()
	f.cancel()
	for _, s := range streams {
		s.stop()
	}
}
