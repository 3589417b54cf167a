package svc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/pkg/telemetry"
)

// Config configures a Server.
type Config struct {
	GRPCAddr    string // listen address of the gRPC port, e.g. "127.0.0.1:0"
	HTTPAddr    string // listen address of the HTTP port
	Telemetry   *telemetry.Telemetry
	HTTPHandler http.Handler // optional, mounted at "/" on the HTTP port
	GRPCOptions []grpc.ServerOption
	// DrainTimeout bounds the graceful part of shutdown (default 5 s).
	DrainTimeout time.Duration
}

// Validate reports a missing or bad field.
func (c Config) Validate() error {
	if c.GRPCAddr == "" {
		return errors.New("grpc address is required")
	}
	if c.HTTPAddr == "" {
		return errors.New("http address is required")
	}
	if c.DrainTimeout < 0 {
		return errors.New("drain timeout must not be negative")
	}
	return nil
}

// Server is a gRPC server and an HTTP server with health, readiness and metrics.
type Server struct {
	cfg      Config
	grpc     *grpc.Server
	health   *health.Server
	http     *http.Server
	grpcLis  net.Listener
	httpLis  net.Listener
	ready    atomic.Bool
	runOnce  sync.Once
	closeErr error
}

// New listens on both ports and builds the servers. Register services on GRPC() before Run.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Telemetry == nil {
		cfg.Telemetry = telemetry.NewNop()
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on grpc address %s: %w", cfg.GRPCAddr, err)
	}
	httpLis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return nil, fmt.Errorf("listen on http address %s: %w", cfg.HTTPAddr, err)
	}
	s := &Server{cfg: cfg, grpcLis: grpcLis, httpLis: httpLis, health: health.NewServer()}

	opts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unaryErrors),
		grpc.ChainStreamInterceptor(streamErrors),
	}, cfg.Telemetry.ServerOptions()...)
	opts = append(opts, cfg.GRPCOptions...)
	s.grpc = grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", cfg.Telemetry.MetricsHandler)
	if cfg.HTTPHandler != nil {
		mux.Handle("/", cfg.HTTPHandler)
	}
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// GRPC returns the gRPC server to register services on.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// GRPCAddr is the bound gRPC address.
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr is the bound HTTP address.
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// SetReady switches /readyz and the gRPC health status.
func (s *Server) SetReady(ready bool) {
	s.ready.Store(ready)
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ready {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
}

// Ready reports whether the server was marked ready.
func (s *Server) Ready() bool { return s.ready.Load() }

// Run serves until ctx ends, then drains and stops. It returns a serve error, or nil after an
// orderly shutdown. A second call returns at once.
func (s *Server) Run(ctx context.Context) error {
	ran := false
	s.runOnce.Do(func() { ran = true })
	if !ran {
		return errors.New("svc: Run called twice")
	}
	errc := make(chan error, 2)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() {
		if err := s.http.Serve(s.httpLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.shutdown()
	return serveErr
}

func (s *Server) shutdown() {
	s.SetReady(false)
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	timer := time.NewTimer(s.cfg.DrainTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.grpc.Stop()
		<-done
	}
	hctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	if err := s.http.Shutdown(hctx); err != nil {
		s.http.Close()
	}
}

// Close stops a server that was never Run (releases its listeners). Safe after Run.
func (s *Server) Close() {
	s.runOnce.Do(func() {})
	s.grpc.Stop()
	s.http.Close()
	s.grpcLis.Close()
	s.httpLis.Close()
}

func unaryErrors(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err != nil {
		return nil, rpcerr.ToStatus(err)
	}
	return resp, nil
}

func streamErrors(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := h(srv, ss); err != nil {
		return rpcerr.ToStatus(err)
	}
	return nil
}
