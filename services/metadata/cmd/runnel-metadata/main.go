package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/runnel/runnel/pkg/svc"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/metadata/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// options is what the command line gives.
type options struct {
	cfg       server.Config
	logFormat string
	logLevel  string
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("runnel-metadata", flag.ContinueOnError)
	fs.SetOutput(out)
	c := &o.cfg
	fs.StringVar(&c.ID, "id", server.DefaultID, "node id, also its etcd member name")
	fs.StringVar(&c.DataDir, "data-dir", server.DefaultDataDir, "data directory (etcd data in <dir>/etcd)")
	fs.StringVar(&c.GRPCAddr, "grpc-addr", server.DefaultGRPCAddr, "gRPC listen address")
	fs.StringVar(&c.HTTPAddr, "http-addr", server.DefaultHTTPAddr, "HTTP listen address (/metrics, /healthz, /readyz)")
	fs.StringVar(&c.EtcdClientAddr, "etcd-client-addr", server.DefaultEtcdClientAddr, "embedded etcd client address (host:port)")
	fs.StringVar(&c.EtcdPeerAddr, "etcd-peer-addr", server.DefaultEtcdPeerAddr, "embedded etcd peer address (host:port)")
	fs.StringVar(&c.EtcdListenPeerAddr, "etcd-listen-peer-addr", "", "address etcd's peer listener binds, an IP:port (default: --etcd-peer-addr; set when that is a DNS name)")
	fs.StringVar(&c.InitialCluster, "initial-cluster", "", "etcd members of a new cluster, id=http://peer-addr,... (default: this node alone)")
	fs.DurationVar(&c.SessionTimeout, "session-timeout", server.DefaultSessionTimeout, "a storage node is dead this long after its last heartbeat (whole seconds in effect)")
	maxPartitions := fs.Int("max-partitions", server.DefaultMaxPartitions, "most partitions of one topic")
	fs.DurationVar(&c.ControllerSessionTTL, "controller-session-ttl", server.DefaultControllerSessionTTL,
		"TTL of the controller election lease: a crashed controller is replaced about this long after it stopped (whole seconds, 1s to 1m)")
	autoRebalance := fs.Bool("auto-leader-rebalance", true,
		"move leadership back to a partition's preferred replica once it is in sync again")
	fs.DurationVar(&c.GroupMinSessionTimeout, "group-min-session-timeout", server.DefaultGroupMinSessionTimeout,
		"shortest session timeout a consumer group member may ask for")
	fs.DurationVar(&c.GroupMaxSessionTimeout, "group-max-session-timeout", server.DefaultGroupMaxSessionTimeout,
		"longest session timeout a consumer group member may ask for")
	fs.DurationVar(&c.GroupHeartbeatInterval, "group-heartbeat-interval", server.DefaultGroupHeartbeatInterval,
		"heartbeat interval given to consumer group members whose assignment is settled")
	fs.IntVar(&c.EtcdTickMs, "etcd-tick-ms", server.DefaultEtcdTickMs, "etcd heartbeat interval in milliseconds")
	fs.IntVar(&c.EtcdElectionMs, "etcd-election-ms", server.DefaultEtcdElectionMs, "etcd election timeout in milliseconds")
	fs.StringVar(&o.logFormat, "log-format", "json", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	if err := svc.ParseFlags(fs, args); err != nil {
		return o, err
	}
	if *maxPartitions < 1 || *maxPartitions > 1<<31-1 {
		return o, fmt.Errorf("--max-partitions %d: must be from 1 to 2147483647", *maxPartitions)
	}
	c.MaxPartitions = int32(*maxPartitions)
	c.DisableAutoLeaderRebalance = !*autoRebalance
	if _, err := telemetry.NewLogger(io.Discard, o.logFormat, o.logLevel); err != nil {
		return o, err
	}
	return o, c.Validate()
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return svc.FlagExit("runnel-metadata", err, stderr)
	}
	tcfg := telemetry.Config{ServiceName: "runnel-metadata", NodeID: o.cfg.ID, LogFormat: o.logFormat, LogLevel: o.logLevel}
	return svc.Main(ctx, stderr, tcfg, func(tel *telemetry.Telemetry) (svc.Runner, error) {
		o.cfg.Telemetry = tel
		srv, err := server.New(o.cfg)
		if err != nil {
			return nil, err
		}
		tel.Logger.Info("metadata node starting", "grpc_addr", srv.GRPCAddr(), "http_addr", srv.HTTPAddr(),
			"etcd_client_addr", o.cfg.EtcdClientAddr, "etcd_peer_addr", o.cfg.EtcdPeerAddr, "data_dir", o.cfg.DataDir)
		return srv, nil
	})
}
