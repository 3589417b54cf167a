package api

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

// Config holds the limits the service enforces.
type Config struct {
	MaxPartitions  int32         // most partitions of one topic
	SessionTimeout time.Duration // a node is dead this long after its last heartbeat
	Logger         *slog.Logger
	Meter          metric.Meter // instruments (default: none)
}

// Service implements runnelv1.MetadataServiceServer.
type Service struct {
	runnelv1.UnimplementedMetadataServiceServer
	st        *store.Store
	cfg       Config
	log       *slog.Logger
	stopCtx   context.Context
	stop      context.CancelFunc
	closeOnce sync.Once

	isrChanges metric.Int64Counter // nil without a meter
}

// New returns a Service on st.
func New(st *store.Store, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{st: st, cfg: cfg, log: cfg.Logger, stopCtx: ctx, stop: cancel}
	if cfg.Meter != nil {
		// An instrument error only means a name clash or a broken provider: run without it.
		s.isrChanges, _ = cfg.Meter.Int64Counter("runnel.metadata.isr_changes",
			metric.WithDescription("ISR changes proposed by partition leaders (AlterPartition) and applied by this node"))
	}
	return s
}

// Close ends the open Watch and NodeSession streams (and refuses new ones); safe to call twice.
func (s *Service) Close() { s.closeOnce.Do(s.stop) }

// streamContext returns a context that ends with the stream or when the service is closed.
func (s *Service) streamContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(s.stopCtx, cancel)
	return ctx, func() { stop(); cancel() }
}

// streamEnd is the error a stream handler returns once its context ended.
func (s *Service) streamEnd(client context.Context) error {
	if s.stopCtx.Err() != nil {
		return rpcerr.New(rpcerr.BrokerNotAvailable, "the metadata node is shutting down; reconnect to it or another metadata node")
	}
	return client.Err()
}

// storeErr turns a store error into a catalogue error.
func storeErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, store.ErrCorrupt):
		return rpcerr.Wrap(rpcerr.Unknown, err, "cannot %s: %v", what, err)
	}
	return rpcerr.Wrap(rpcerr.BrokerNotAvailable, err, "the metadata store cannot %s right now (%v); retry shortly", what, err)
}
