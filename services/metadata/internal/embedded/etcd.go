package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap/zapcore"

	"github.com/runnel/runnel/services/metadata/internal/zapslog"
)

// ErrStopped reports a member that stopped on its own (for example removed from the cluster).
var ErrStopped = errors.New("embedded etcd stopped")

// Config configures one etcd member.
type Config struct {
	Name            string // member name, unique in the cluster
	Dir             string // data directory (created if missing)
	ClientAddr      string // host:port clients connect to
	PeerAddr        string // host:port peers connect to (advertised)
	ListenPeerAddr  string // host:port the peer listener binds (an IP); default PeerAddr
	InitialCluster  string // "name=http://host:port,…"; must list this member
	TickMs          uint   // raft heartbeat interval
	ElectionMs      uint   // raft election timeout (at least 5 ticks)
	MaxTxnOps       uint   // most operations in one transaction
	MaxRequestBytes uint   // largest request
	Logger          *slog.Logger
}

// Etcd is a running member.
type Etcd struct {
	e         *embed.Etcd
	clientURL string
	existing  bool
	closing   *atomic.Bool // set by Close: the errors of closed listeners are expected, not logged
	closeOnce sync.Once
}

// Start starts a member from cfg.
func Start(cfg Config) (*Etcd, error) {
	curl, err := addrURL(cfg.ClientAddr)
	if err != nil {
		return nil, fmt.Errorf("etcd client address: %w", err)
	}
	purl, err := addrURL(cfg.PeerAddr)
	if err != nil {
		return nil, fmt.Errorf("etcd peer address: %w", err)
	}
	lpurl := purl
	if cfg.ListenPeerAddr != "" {
		if lpurl, err = addrURL(cfg.ListenPeerAddr); err != nil {
			return nil, fmt.Errorf("etcd listen peer address: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("etcd data directory: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	ec := embed.NewConfig()
	ec.Name = cfg.Name
	ec.Dir = cfg.Dir
	ec.ListenClientUrls = []url.URL{*curl}
	ec.AdvertiseClientUrls = []url.URL{*curl}
	ec.ListenPeerUrls = []url.URL{*lpurl}
	ec.AdvertisePeerUrls = []url.URL{*purl}
	ec.ListenMetricsUrls = nil
	ec.EnableGRPCGateway = false
	ec.InitialCluster = cfg.InitialCluster
	ec.InitialClusterToken = "runnel"
	ec.TickMs = cfg.TickMs
	ec.ElectionMs = cfg.ElectionMs
	ec.MaxTxnOps = max(cfg.MaxTxnOps, embed.DefaultMaxTxnOps)
	ec.MaxRequestBytes = max(cfg.MaxRequestBytes, uint(embed.DefaultMaxRequestBytes))
	// Keep an hour of history for watchers to resume from; older revisions are compacted.
	ec.AutoCompactionMode = embed.CompactorModePeriodic
	ec.AutoCompactionRetention = "1h"
	// No auth is used: the nop token provider (the default "simple" one warns at start).
	ec.AuthToken = ""
	closing := new(atomic.Bool)
	ec.Logger = "zap"
	ec.LogLevel = "warn"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zapslog.New(logger.With("component", "etcd"), zapcore.WarnLevel,
		func(e zapcore.Entry) bool { return closing.Load() || quiet[e.Message] }))

	existing := memberExists(cfg.Dir)
	if existing {
		ec.ClusterState = embed.ClusterStateFlagExisting
	} else {
		ec.ClusterState = embed.ClusterStateFlagNew
	}
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start etcd member %s: %w", cfg.Name, err)
	}
	return &Etcd{e: e, clientURL: curl.String(), existing: existing, closing: closing}, nil
}

// quiet lists etcd warnings that do not apply to an embedded member and are left out of the log.
var quiet = map[string]bool{
	// The client port carries gRPC only: the gRPC gateway is off and no HTTP client is served.
	"Running http and grpc server on single port. This is not recommended for production.": true,
}

func addrURL(addr string) (*url.URL, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "http", Host: addr}, nil
}

// memberExists reports whether dir already holds an etcd member (its write-ahead log).
func memberExists(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "member", "wal"))
	return err == nil && fi.IsDir()
}

// Existing reports whether the member restarted from an existing data directory.
func (e *Etcd) Existing() bool { return e.existing }

// ClientURL is the URL clients connect to.
func (e *Etcd) ClientURL() string { return e.clientURL }

// WaitReady blocks until the member serves clients, the member fails, or ctx ends.
func (e *Etcd) WaitReady(ctx context.Context) error {
	select {
	case <-e.e.Server.ReadyNotify():
		return nil
	case err := <-e.e.Err():
		return fmt.Errorf("etcd failed while starting: %w", err)
	case <-e.e.Server.StopNotify():
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("etcd did not become ready (is a quorum of the initial cluster running?): %w", ctx.Err())
	}
}

// Err is closed or receives an error when the member fails while running.
func (e *Etcd) Err() <-chan error { return e.e.Err() }

// Health is the member's view of its cluster: whether it knows a raft leader, whether it is the
// leader, and the size of its backend database in bytes.
type Health struct {
	HasLeader, IsLeader bool
	DBBytes             int64
}

// Health reports the member's health; cheap (no request to other members).
func (e *Etcd) Health() Health {
	srv := e.e.Server
	lead := srv.Leader()
	return Health{HasLeader: lead != 0, IsLeader: lead != 0 && lead == srv.MemberID(), DBBytes: srv.Backend().Size()}
}

// Stopped is closed when the member's server has stopped.
func (e *Etcd) Stopped() <-chan struct{} { return e.e.Server.StopNotify() }

// Close stops the member; safe to call more than once.
func (e *Etcd) Close() {
	e.closeOnce.Do(func() {
		e.closing.Store(true)
		e.e.Close()
	})
}
