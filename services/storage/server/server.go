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
	"github.com/runnel/runnel/services/storage/internal/cluster"
	"github.com/runnel/runnel/services/storage/internal/metaclient"
	"github.com/runnel/runnel/services/storage/internal/replica"
	"github.com/runnel/runnel/services/storage/internal/replication"
	"google.golang.org/grpc"
)

// Server is a storage node.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	svc      *svc.Server
	replicas *replica.Manager
	meta     *metaclient.Client
	leader   *replication.Leader
	fetcher  *replication.Fetcher
	isr      *replication.ISR
	synced   atomic.Bool
	running  atomic.Bool
	closeMu  sync.Mutex
	closed   bool
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
		Addrs:       cfg.MetadataAddrs,
		Node:        &runnelv1.Node{Id: cfg.ID, GrpcAddr: advertise, HttpAddr: s.svc.HTTPAddr()},
		DialOptions: tel.DialOptions(),
		OnUpdate:    s.onUpdate,
		Logger:      s.logger,
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
	})
	return err
}

// GRPCAddr is the bound gRPC address.
func (s *Server) GRPCAddr() string { return s.svc.GRPCAddr() }

// HTTPAddr is the bound HTTP address.
func (s *Server) HTTPAddr() string { return s.svc.HTTPAddr() }

// Ready reports whether the node serves: the first metadata snapshot is applied and Run has not
// begun to shut down.
func (s *Server) Ready() bool { return s.svc.Ready() }

// onUpdate applies a metadata view; the first snapshot makes the node ready.
func (s *Server) onUpdate(v *cluster.View, reset bool) {
	s.replicas.Apply(v, reset)
	s.fetcher.Update(v)
	s.isr.Poke() // a newly led partition, or a new lag time, sets the next check
	if reset && !s.synced.Swap(true) {
		s.svc.SetReady(true)
		s.logger.Info("storage node ready", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr(),
			"partitions", len(s.replicas.Partitions()))
	}
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
