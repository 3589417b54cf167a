// Command runnel-gateway runs a Runnel gateway: the public gRPC API and the REST/JSON API over a
// cluster's metadata and storage services. Every flag also reads RUNNEL_<FLAG> (e.g.
// RUNNEL_METADATA); see --help.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/runnel/runnel/pkg/svc"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/gateway/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, tcfg, err := parseFlags(args, stderr)
	if err != nil {
		return svc.FlagExit("runnel-gateway", err, stderr)
	}
	return svc.Main(ctx, stderr, tcfg, func(tel *telemetry.Telemetry) (svc.Runner, error) {
		cfg.Telemetry = tel
		return server.New(cfg)
	})
}

// parseFlags builds the gateway's config and its telemetry settings from the command line.
func parseFlags(args []string, out io.Writer) (server.Config, telemetry.Config, error) {
	d := server.DefaultConfig()
	fs := flag.NewFlagSet("runnel-gateway", flag.ContinueOnError)
	fs.SetOutput(out)
	id := fs.String("id", d.ID, "gateway id, reported in logs and telemetry")
	grpcAddr := fs.String("grpc-addr", d.GRPCAddr, "listen address of the gRPC API")
	httpAddr := fs.String("http-addr", d.HTTPAddr, "listen address of the REST API, /healthz, /readyz, /metrics and /openapi.json")
	metadata := fs.String("metadata", strings.Join(d.MetadataAddrs, ","), "comma-separated gRPC addresses of the metadata nodes")
	deliveryTimeout := fs.Duration("delivery-timeout", d.DeliveryTimeout, "how long a produce may take, retries included, when the request sets no timeout_ms")
	linger := fs.Duration("linger", d.Linger, "how long a partition batch waits for more records (0: send at once)")
	maxBatchBytes := fs.Int("max-batch-bytes", d.MaxBatchBytes, "largest batch sent to one partition, in bytes")
	maxRequestBytes := fs.Int64("max-request-bytes", d.MaxRequestBytes, "largest REST body or gRPC message accepted, in bytes")
	lagInterval := fs.Duration("group-lag-interval", d.LagInterval, "least time between two computations of the consumer-group lag gauge runnel_group_lag")
	logFormat := fs.String("log-format", "json", "log format: json or text")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := svc.ParseFlags(fs, args); err != nil {
		return server.Config{}, telemetry.Config{}, err
	}
	cfg := server.Config{
		ID:              *id,
		GRPCAddr:        *grpcAddr,
		HTTPAddr:        *httpAddr,
		MetadataAddrs:   svc.SplitAddrs(*metadata),
		DeliveryTimeout: *deliveryTimeout,
		Linger:          *linger,
		MaxBatchBytes:   *maxBatchBytes,
		MaxRequestBytes: *maxRequestBytes,
		LagInterval:     *lagInterval,
	}
	tcfg := telemetry.Config{ServiceName: "runnel-gateway", NodeID: *id, LogFormat: *logFormat, LogLevel: *logLevel}
	switch {
	case len(cfg.MetadataAddrs) == 0:
		return cfg, tcfg, errors.New("--metadata: give at least one metadata address")
	case cfg.DeliveryTimeout <= 0:
		return cfg, tcfg, errors.New("--delivery-timeout: must be positive")
	case cfg.MaxBatchBytes <= 0 || cfg.MaxRequestBytes <= 0:
		return cfg, tcfg, errors.New("--max-batch-bytes and --max-request-bytes: must be positive")
	case cfg.LagInterval <= 0:
		return cfg, tcfg, errors.New("--group-lag-interval: must be positive")
	}
	if _, err := telemetry.NewLogger(io.Discard, *logFormat, *logLevel); err != nil {
		return cfg, tcfg, err
	}
	return cfg, tcfg, nil
}
