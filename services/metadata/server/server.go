package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap/zapcore"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/svc"
	"github.com/runnel/runnel/services/metadata/internal/api"
	"github.com/runnel/runnel/services/metadata/internal/controller"
	"github.com/runnel/runnel/services/metadata/internal/coordinator"
	"github.com/runnel/runnel/services/metadata/internal/embedded"
	"github.com/runnel/runnel/services/metadata/internal/group"
	"github.com/runnel/runnel/services/metadata/internal/store"
	"github.com/runnel/runnel/services/metadata/internal/zapslog"
)

// Server is one metadata node.
type Server struct {
	cfg    Config
	log    *slog.Logger
	etcd   *embedded.Etcd
	client *clientv3.Client
	store  *store.Store
	api    *api.Service
	ctrl   *controller.Controller
	coord  *coordinator.Service
	svc    *svc.Server

	ready     chan struct{}
	readyOnce sync.Once
	runOnce   sync.Once
	closeOnce sync.Once
}

// New validates cfg, starts the etcd member and binds the service's ports.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("metadata config: %w", err)
	}
	cfg = cfg.withDefaults()
	tel := cfg.Telemetry
	log := tel.Logger

	e, err := embedded.Start(embedded.Config{
		Name: cfg.ID, Dir: cfg.etcdDir(),
		ClientAddr: cfg.EtcdClientAddr, PeerAddr: cfg.EtcdPeerAddr, ListenPeerAddr: cfg.EtcdListenPeerAddr, InitialCluster: cfg.InitialCluster,
		TickMs: uint(cfg.EtcdTickMs), ElectionMs: uint(cfg.EtcdElectionMs),
		MaxTxnOps: cfg.maxTxnOps(), MaxRequestBytes: cfg.maxRequestBytes(),
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints:          []string{e.ClientURL()},
		DialTimeout:        5 * time.Second,
		MaxCallSendMsgSize: int(cfg.maxRequestBytes()) + 64<<10,
		Logger:             zapslog.New(log.With("component", "etcd-client"), zapcore.WarnLevel, nil),
		DialOptions:        tel.DialOptions(),
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	sv, err := svc.New(svc.Config{
		GRPCAddr: cfg.GRPCAddr, HTTPAddr: cfg.HTTPAddr, Telemetry: tel, DrainTimeout: cfg.DrainTimeout,
	})
	if err != nil {
		client.Close()
		e.Close()
		return nil, err
	}
	st := store.New(client)
	meter := tel.Meter.Meter("runnel/metadata")
	ctrl, err := controller.New(client, st, controller.Config{
		ID: cfg.ID, SessionTTL: cfg.ControllerSessionTTL,
		DisableRebalance: cfg.DisableAutoLeaderRebalance, RebalanceDelay: cfg.LeaderRebalanceDelay,
		Logger: log, Meter: meter,
	})
	if err != nil {
		sv.Close()
		client.Close()
		e.Close()
		return nil, err
	}
	coord, err := coordinator.New(client, st, ctrl, coordinator.Config{
		Group: group.Config{
			MinSessionTimeout: cfg.GroupMinSessionTimeout, MaxSessionTimeout: cfg.GroupMaxSessionTimeout,
			HeartbeatInterval: cfg.GroupHeartbeatInterval,
			// One commit is one transaction: its offsets and the group's meta record.
			MaxCommitOffsets: int(cfg.maxTxnOps()) - 1, MaxCommitBytes: int(cfg.maxRequestBytes()) - 64<<10,
		},
		Logger: log, Meter: meter,
	})
	if err != nil {
		sv.Close()
		client.Close()
		e.Close()
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: log, etcd: e, client: client, store: st, svc: sv, ctrl: ctrl, coord: coord,
		api: api.New(st, api.Config{
			MaxPartitions: cfg.MaxPartitions, SessionTimeout: cfg.SessionTimeout, Logger: log, Meter: meter,
		}),
		ready: make(chan struct{}),
	}
	runnelv1.RegisterMetadataServiceServer(sv.GRPC(), s.api)
	runnelv1.RegisterGroupCoordinatorServiceServer(sv.GRPC(), s.coord)
	return s, nil
}

// GRPCAddr is the bound gRPC address.
func (s *Server) GRPCAddr() string { return s.svc.GRPCAddr() }

// HTTPAddr is the bound HTTP address (/metrics, /healthz, /readyz).
func (s *Server) HTTPAddr() string { return s.svc.HTTPAddr() }

// EtcdClientURL is the URL of the embedded etcd member's client port.
func (s *Server) EtcdClientURL() string { return s.etcd.ClientURL() }

// IsController reports whether this node is the controller now.
func (s *Server) IsController() bool { return s.ctrl.Active() }

// IsCoordinator reports whether this node coordinates consumer groups now (it is the controller
// and has loaded the groups).
func (s *Server) IsCoordinator() bool { return s.coord.Active() }

// Ready is closed once the node serves: etcd is ready and answers reads.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves until ctx ends or a part fails; see the package doc for the order of shutdown.
func (s *Server) Run(ctx context.Context) error {
	first := false
	s.runOnce.Do(func() { first = true })
	if !first {
		return errors.New("metadata server: Run called twice")
	}
	defer s.Close()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopStreams := context.AfterFunc(runCtx, s.api.Close)
	defer stopStreams()

	unregister, err := s.registerMetrics()
	if err != nil {
		return err
	}
	defer unregister()

	svcErr := make(chan error, 1)
	go func() { svcErr <- s.svc.Run(runCtx) }()
	readyErr := make(chan error, 1)
	go func() { readyErr <- s.becomeReady(runCtx) }()
	// The controller campaigns once the node is ready and gives the role up when runCtx ends;
	// the group coordinator follows the role.
	ctrlDone := make(chan struct{})
	go func() {
		defer close(ctrlDone)
		select {
		case <-s.ready:
			_ = s.ctrl.Run(runCtx)
		case <-runCtx.Done():
		}
	}()
	coordDone := make(chan struct{})
	go func() {
		defer close(coordDone)
		_ = s.coord.Run(runCtx)
	}()

	var failure error
	svcDone, readyDone := false, false
	readyWait := readyErr // set to nil (never selected) once the node is ready
loop:
	for {
		select {
		case err := <-readyWait:
			readyDone, readyWait = true, nil
			if err != nil {
				if ctx.Err() == nil { // not merely stopped while starting
					failure = err
				}
				break loop
			}
		case failure = <-svcErr:
			svcDone = true
			break loop
		case err := <-s.etcd.Err():
			failure = fmt.Errorf("etcd failed: %w", err)
			break loop
		case <-s.etcd.Stopped():
			failure = embedded.ErrStopped
			break loop
		case <-runCtx.Done():
			break loop
		}
	}
	if failure != nil {
		s.log.Error("metadata node failed; stopping", "err", failure)
	}
	cancel()
	if !svcDone {
		if err := <-svcErr; failure == nil {
			failure = err
		}
	}
	if !readyDone {
		<-readyErr
	}
	s.waitController(ctrlDone)
	<-coordDone // ends with runCtx; its last writes are bounded by their own timeout
	return failure
}

// waitController waits for the controller to give its role up. If etcd is gone it may not get an
// answer: after a bound, closing the etcd client ends its calls.
func (s *Server) waitController(done <-chan struct{}) {
	t := time.NewTimer(controllerStopTimeout)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	s.log.Warn("controller did not stop in time; closing the etcd client under it")
	s.Close()
	<-done
}

// controllerStopTimeout bounds the controller's own shutdown (resign and revoke its lease).
const controllerStopTimeout = 5 * time.Second

// becomeReady waits for etcd and one successful read, then marks the node ready.
func (s *Server) becomeReady(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	if err := s.etcd.WaitReady(wctx); err != nil {
		return err
	}
	if _, err := s.client.Get(wctx, store.Prefix, clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil {
		return fmt.Errorf("etcd client cannot read: %w", err)
	}
	s.svc.SetReady(true)
	s.readyOnce.Do(func() { close(s.ready) })
	s.log.Info("metadata node ready", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr(),
		"etcd_client_url", s.etcd.ClientURL(), "existing_member", s.etcd.Existing())
	return nil
}

// Close releases everything a Server holds, in shutdown order. Safe to call more than once, with
// or without Run (Run calls it when it returns).
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.api.Close()
		s.svc.Close()
		if err := s.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("close etcd client", "err", err)
		}
		s.etcd.Close()
	})
}
