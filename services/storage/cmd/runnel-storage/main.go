// Command runnel-storage runs a Runnel storage node: it hosts partition replicas as segmented logs
// under --data-dir, registers with the metadata service and serves Append, Fetch and
// ListPartitionOffsets on --grpc-addr, and /healthz, /readyz and /metrics on --http-addr. Every
// flag also reads the environment variable RUNNEL_<FLAG> (e.g. RUNNEL_DATA_DIR) when it is not
// given on the command line. The flag names are a contract: `runnel dev` and the e2e harness use
// them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/svc"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/storage/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// options are the parsed flags.
type options struct {
	cfg       server.Config
	metadata  string
	logFormat string
	logLevel  string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("runnel-storage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.Int("id", 0, "node id, a positive integer unique in the cluster and stable across restarts (required)")
	fs.StringVar(&o.cfg.DataDir, "data-dir", "./data/storage", "directory of the partition logs")
	fs.StringVar(&o.cfg.GRPCAddr, "grpc-addr", server.DefaultGRPCAddr, "gRPC listen address")
	fs.StringVar(&o.cfg.HTTPAddr, "http-addr", server.DefaultHTTPAddr, "HTTP listen address (/healthz, /readyz, /metrics)")
	fs.StringVar(&o.cfg.AdvertiseAddr, "advertise-addr", "", "gRPC address other nodes and gateways dial (default: the bound --grpc-addr)")
	fs.StringVar(&o.metadata, "metadata", server.DefaultMetadataAddr, "comma-separated gRPC addresses of the metadata nodes")
	o.cfg.Fsync = commitlog.FsyncPolicy{Mode: commitlog.FsyncAlways}
	fs.Var(&o.cfg.Fsync, "fsync", "when appends are fsynced: always, interval=<ms> or never")
	fs.Int64Var(&o.cfg.SegmentBytes, "segment-bytes", server.DefaultSegmentBytes, "segment size of topics that do not set segment.bytes")
	fs.DurationVar(&o.cfg.RetentionCheckInterval, "retention-check-interval", server.DefaultRetentionCheckInterval, "how often retention deletes old segments")
	fs.StringVar(&o.logFormat, "log-format", "json", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	if err := svc.ParseFlags(fs, args); err != nil {
		return o, err
	}
	if *id <= 0 || *id > 1<<31-1 {
		return o, fmt.Errorf("--id %d: give a positive node id (or RUNNEL_ID)", *id)
	}
	o.cfg.ID = int32(*id)
	o.cfg.MetadataAddrs = svc.SplitAddrs(o.metadata)
	if len(o.cfg.MetadataAddrs) == 0 {
		return o, errors.New("--metadata: give at least one metadata address")
	}
	if o.cfg.SegmentBytes <= 0 {
		return o, fmt.Errorf("--segment-bytes %d: must be positive", o.cfg.SegmentBytes)
	}
	if o.cfg.RetentionCheckInterval <= 0 {
		return o, fmt.Errorf("--retention-check-interval %v: must be positive", o.cfg.RetentionCheckInterval)
	}
	return o, o.cfg.Validate()
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return svc.FlagExit("runnel-storage", err, stderr)
	}
	tcfg := telemetry.Config{ServiceName: "runnel-storage", NodeID: strconv.Itoa(int(o.cfg.ID)),
		LogFormat: o.logFormat, LogLevel: o.logLevel}
	return svc.Main(ctx, stderr, tcfg, func(tel *telemetry.Telemetry) (svc.Runner, error) {
		o.cfg.Telemetry = tel
		return server.New(o.cfg)
	})
}
