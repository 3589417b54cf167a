package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/svc"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/gateway/internal/api"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/groups"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
	"github.com/runnel/runnel/services/gateway/internal/produce"
	"github.com/runnel/runnel/services/gateway/internal/rest"
	"github.com/runnel/runnel/services/gateway/internal/router"
	"github.com/runnel/runnel/services/gateway/internal/storageconn"
	"github.com/runnel/runnel/services/gateway/internal/topics"
)

// Server is one gateway.
type Server struct {
	cfg      Config
	tel      *telemetry.Telemetry
	shell    *svc.Server
	cache    *metacache.Cache
	meta     *metacache.Conns
	pool     *storageconn.Pool
	producer *produce.Producer
	lag      *groups.LagGauge
	ready    chan struct{}
	once     sync.Once
}

// New validates cfg, listens on both ports and builds the gateway; Run starts it.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gateway config: %w", err)
	}
	cfg = cfg.withDefaults()
	tel := cfg.Telemetry
	if tel == nil {
		tel = telemetry.NewNop()
	}
	meter := tel.Meter.Meter("runnel/gateway")
	var tracer trace.Tracer // nil when tracing is off: no spans of our own, no traceparent headers
	if tel.Tracing() {
		tracer = tel.Tracer.Tracer("runnel/gateway")
	}
	s := &Server{cfg: cfg, tel: tel, cache: metacache.New(), ready: make(chan struct{})}

	var err error
	if s.meta, err = metacache.Dial(cfg.MetadataAddrs, tel.DialOptions()...); err != nil {
		return nil, err
	}
	s.pool = storageconn.New(tel.DialOptions()...)
	fail := func(err error) (*Server, error) {
		_ = s.meta.Close()
		_ = s.pool.Close()
		return nil, err
	}
	r := router.New(s.cache, s.pool)
	if s.producer, err = produce.New(r, produce.Config{
		Linger:          cfg.Linger,
		MaxBatchBytes:   cfg.MaxBatchBytes,
		DeliveryTimeout: cfg.DeliveryTimeout,
		Logger:          tel.Logger,
		Meter:           meter,
		Tracer:          tracer,
	}); err != nil {
		return fail(err)
	}
	reader, err := consume.New(r, consume.DefaultRetryTimeout, meter)
	if err != nil {
		return fail(err)
	}
	groupReader, err := consume.New(r, groups.ReadRetryTimeout, meter)
	if err != nil {
		return fail(err)
	}
	groupService, err := groups.New(groups.Config{
		Coordinators: s.meta.Coordinators(),
		Router:       r,
		Reader:       groupReader,
		Logger:       tel.Logger,
	})
	if err != nil {
		return fail(err)
	}
	if s.lag, err = groupService.NewLagGauge(meter, cfg.LagInterval, cfg.MaxLagSeries); err != nil {
		return fail(err)
	}
	service, err := api.New(topics.New(s.cache, metacache.NewAdmin(s.meta), r), s.producer, reader, groupService, meter, tracer)
	if err != nil {
		return fail(err)
	}
	restHandler, err := rest.NewHandler(context.Background(), service, rest.Options{MaxRequestBytes: cfg.MaxRequestBytes})
	if err != nil {
		return fail(err)
	}
	s.shell, err = svc.New(svc.Config{
		GRPCAddr:     cfg.GRPCAddr,
		HTTPAddr:     cfg.HTTPAddr,
		Telemetry:    tel,
		HTTPHandler:  tel.WrapHTTP(restHandler, "rest"),
		GRPCOptions:  []grpc.ServerOption{grpc.MaxRecvMsgSize(int(cfg.MaxRequestBytes))},
		DrainTimeout: cfg.DrainTimeout,
	})
	if err != nil {
		return fail(err)
	}
	runnelv1.RegisterGatewayServiceServer(s.shell.GRPC(), service)
	return s, nil
}

// GRPCAddr is the bound gRPC address.
func (s *Server) GRPCAddr() string { return s.shell.GRPCAddr() }

// HTTPAddr is the bound HTTP (REST) address.
func (s *Server) HTTPAddr() string { return s.shell.HTTPAddr() }

// Ready is closed once the gateway has its first metadata snapshot and serves.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves until ctx ends, then drains: in-flight calls finish (DrainTimeout), queued records
// are sent (DrainTimeout again), and connections close. It returns a serve error, or nil.
func (s *Server) Run(ctx context.Context) error {
	ran := false
	s.once.Do(func() { ran = true })
	if !ran {
		return errors.New("gateway: Run called twice or after Close")
	}
	log := s.tel.Logger
	wctx, stopWatch := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		metacache.Watch(wctx, s.meta, s.cache, log)
	}()
	go func() {
		defer wg.Done()
		s.lag.Run(wctx)
	}()
	go func() {
		defer wg.Done()
		select {
		case <-s.cache.Ready():
			if ctx.Err() == nil {
				s.shell.SetReady(true)
				close(s.ready)
				log.Info("gateway ready", "grpc", s.GRPCAddr(), "http", s.HTTPAddr(), "revision", s.cache.Revision())
			}
		case <-ctx.Done():
		}
	}()
	log.Info("gateway starting", "id", s.cfg.ID, "grpc", s.GRPCAddr(), "http", s.HTTPAddr(), "metadata", s.cfg.MetadataAddrs)
	err := s.shell.Run(ctx)

	pctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	if perr := s.producer.Close(pctx); perr != nil {
		log.Warn("produce queues not drained in time", "err", perr)
	}
	cancel()
	stopWatch()
	wg.Wait()
	_ = s.pool.Close()
	_ = s.meta.Close()
	log.Info("gateway stopped")
	return err
}

// Close releases a server that was never Run. Safe after Run.
func (s *Server) Close() {
	ran := false
	s.once.Do(func() { ran = true })
	if !ran {
		return
	}
	s.shell.Close()
	_ = s.producer.Close(context.Background())
	_ = s.pool.Close()
	_ = s.meta.Close()
}
