package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/svc"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/storage/internal/cluster"
	"github.com/runnel/runnel/services/storage/internal/metaclient"
	"github.com/runnel/runnel/services/storage/internal/replica"
	"github.com/runnel/runnel/services/storage/internal/replication"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// Server is a storage node.
type Server struct {
	cfg        Config
	logger     *slog.Logger
	svc        *svc.Server
	replicas   *replica.Manager
	meta       *metaclient.Client
	leader     *replication.Leader
	fetcher    *replication.Fetcher
	isr        *replication.ISR
	synced     atomic.Bool // the first metadata snapshot is applied
	registered atomic.Bool // the node session was registered once
	readyOnce  sync.Once
	running    atomic.Bool
	closeMu    sync.Mutex
	closed     bool
}

// New validates cfg, listens on both ports and takes the data dir. Call Run to serve; a Server
// that is never Run must be Closed.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tel := cfg.Telemetry
	s := &Server{cfg: cfg, logger: tel.Logger}
	var err error
	s.svc, err = svc.New(svc.Config{
		GRPCAddr:     cfg.GRPCAddr,
		HTTPAddr:     cfg.HTTPAddr,
		Telemetry:    tel,
		GRPCOptions:  []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxRequestBytes)},
		DrainTimeout: cfg.DrainTimeout,
	})
	if err != nil {
		return nil, err
	}
	s.replicas, err = replica.NewManager(replica.Config{
		NodeID:                 cfg.ID,
		DataDir:                cfg.DataDir,
		Fsync:                  cfg.Fsync,
		SegmentBytes:           cfg.SegmentBytes,
		RetentionCheckInterval: cfg.RetentionCheckInterval,
		CheckpointInterval:     cfg.CheckpointInterval,
		Meter:                  tel.Meter,
		Tracer:                 tracer(tel),
		Logger:                 s.logger,
	})
	if err != nil {
		s.svc.Close()
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	advertise := cfg.AdvertiseAddr
	if advertise == "" {
		advertise = s.svc.GRPCAddr()
	}
	s.meta, err = metaclient.New(metaclient.Config{
		Addrs:        cfg.MetadataAddrs,
		Node:         &runnelv1.Node{Id: cfg.ID, GrpcAddr: advertise, HttpAddr: s.svc.HTTPAddr()},
		DialOptions:  tel.DialOptions(),
		OnUpdate:     s.onUpdate,
		OnRegistered: s.onRegistered,
		Logger:       s.logger,
	})
	if err != nil {
		s.svc.Close()
		_ = s.replicas.Close()
		return nil, err
	}
	if err := s.newReplication(); err != nil {
		s.svc.Close()
		s.meta.Close()
		_ = s.replicas.Close()
		return nil, err
	}
	runnelv1.RegisterStorageServiceServer(s.svc.GRPC(), &storageService{replicas: s.replicas, leader: s.leader})
	return s, nil
}

// newReplication builds the leader side, the follower side and the ISR proposer.
func (s *Server) newReplication() error {
	tel := s.cfg.Telemetry
	var err error
	s.isr, err = replication.NewISR(replication.ISRConfig{
		NodeID: s.cfg.ID, Replicas: s.replicas, Proposer: s.meta, SessionID: s.meta.SessionID,
		Meter: tel.Meter, Logger: s.logger,
	})
	if err != nil {
		return err
	}
	s.leader, err = replication.NewLeader(replication.LeaderConfig{
		Replicas: s.replicas, OnEligible: s.isr.Poke, Logger: s.logger,
	})
	if err != nil {
		return err
	}
	s.fetcher, err = replication.NewFetcher(replication.FetcherConfig{
		NodeID: s.cfg.ID, Replicas: s.replicas, DialOptions: tel.DialOptions(), Logger: s.logger,
		Tracer: tracer(tel),
	})
	return err
}

// tracer is the storage tracer when tracing is on, else nil (no spans of our own).
func tracer(tel *telemetry.Telemetry) trace.Tracer {
	if !tel.Tracing() {
		return nil
	}
	return tel.Tracer.Tracer("runnel/storage")
}

// GRPCAddr is the bound gRPC address.
func (s *Server) GRPCAddr() string { return s.svc.GRPCAddr() }

// HTTPAddr is the bound HTTP address.
func (s *Server) HTTPAddr() string { return s.svc.HTTPAddr() }

// Ready reports whether the node serves: it registered its session with the metadata service,
// applied the first metadata snapshot, and Run has not begun to shut down.
func (s *Server) Ready() bool { return s.svc.Ready() }

// onUpdate applies a metadata view; the first snapshot is one condition of readiness.
func (s *Server) onUpdate(v *cluster.View, reset bool) {
	s.replicas.Apply(v, reset)
	s.fetcher.Update(v)
	s.isr.Poke() // a newly led partition, or a new lag time, sets the next check
	if reset && !s.synced.Swap(true) {
		s.maybeReady()
	}
}

// onRegistered notes the node session; the first registration is the other condition.
func (s *Server) onRegistered() {
	if !s.registered.Swap(true) {
		s.maybeReady()
	}
}

// maybeReady marks the node ready once it is registered and synced: before, it is unknown to
// the cluster (no leadership, no ISR membership) or does not know its partitions.
func (s *Server) maybeReady() {
	if !s.synced.Load() || !s.registered.Load() {
		return
	}
	s.readyOnce.Do(func() {
		s.svc.SetReady(true)
		s.logger.Info("storage node ready", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr(),
			"partitions", len(s.replicas.Partitions()))
	})
}

// Run serves until ctx ends, then shuts down in order (see the package doc) and returns. It
// returns a serve or close error, or nil. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	if s.running.Swap(true) {
		return errors.New("storage server: Run called twice")
	}
	s.logger.Info("storage node starting", "node", s.cfg.ID, "grpc_addr", s.GRPCAddr(),
		"http_addr", s.HTTPAddr(), "data_dir", s.cfg.DataDir, "fsync", s.cfg.Fsync.String(),
		"metadata", s.cfg.MetadataAddrs)
	bg, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.replicas.Run(bg) })
	wg.Go(func() { _ = s.meta.Run(bg) })
	wg.Go(func() { s.isr.Run(bg) })
	wg.Go(func() {
		// Waiting requests and replication streams end at once when shutdown begins, so the
		// drain is quick.
		select {
		case <-ctx.Done():
			s.replicas.Drain()
			s.leader.Drain()
		case <-bg.Done():
		}
	})
	err := s.svc.Run(ctx)
	stop()
	wg.Wait()
	s.fetcher.Close()
	err = errors.Join(err, s.closeParts())
	s.logger.Info("storage node stopped", "node", s.cfg.ID)
	return err
}

// Close releases a Server that was never Run (ports, data dir). Safe after Run.
func (s *Server) Close() error {
	s.svc.Close()
	s.meta.Close()
	s.leader.Drain()
	s.fetcher.Close()
	return s.closeParts()
}

func (s *Server) closeParts() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.replicas.Close()
}
