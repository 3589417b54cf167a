package metaclient

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/storage/internal/cluster"
)

// Defaults of Config.
const (
	DefaultMinBackoff     = 100 * time.Millisecond
	DefaultMaxBackoff     = 5 * time.Second
	DefaultSessionTimeout = 10 * time.Second // when the metadata service names none
)

// Config configures a Client.
type Config struct {
	// Addrs are the gRPC addresses of the metadata nodes (at least one).
	Addrs []string
	// Node is what the session registers (id, grpc_addr, http_addr).
	Node *runnelv1.Node
	// DialOptions are added to every connection (telemetry); transport is insecure.
	DialOptions []grpc.DialOption
	// OnUpdate is called by the watch loop after every message, with the view (owned by the
	// loop: read it during the call only) and whether the message was a snapshot.
	OnUpdate func(v *cluster.View, reset bool)
	// OnRegistered is called by the session loop each time the node session is registered (or
	// resumed) on a metadata node.
	OnRegistered func()
	Logger       *slog.Logger
	MinBackoff   time.Duration
	MaxBackoff   time.Duration
}

// Client keeps the node session and the watch stream.
type Client struct {
	cfg     Config
	logger  *slog.Logger
	conns   []*grpc.ClientConn
	clients []runnelv1.MetadataServiceClient

	sessionID atomic.Int64 // the current session id, 0 when unregistered
	alterIdx  atomic.Int32 // the metadata node that took the last AlterPartition
	runOnce   sync.Once
}

// New creates a client; connections are made lazily by Run.
func New(cfg Config) (*Client, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("metaclient: no metadata address")
	}
	if cfg.Node == nil || cfg.Node.GetId() <= 0 {
		return nil, errors.New("metaclient: node id must be positive")
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func(*cluster.View, bool) {}
	}
	if cfg.OnRegistered == nil {
		cfg.OnRegistered = func() {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	c := &Client{cfg: cfg, logger: cfg.Logger}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, cfg.DialOptions...)
	for _, addr := range cfg.Addrs {
		conn, err := grpc.NewClient(addr, opts...)
		if err != nil {
			c.closeConns()
			return nil, err
		}
		c.conns = append(c.conns, conn)
		c.clients = append(c.clients, runnelv1.NewMetadataServiceClient(conn))
	}
	return c, nil
}

// SessionID returns the id of the live node session, or 0.
func (c *Client) SessionID() int64 { return c.sessionID.Load() }

// Run keeps the session and the watch until ctx ends, then closes the connections. It returns
// nil; a second call returns at once.
func (c *Client) Run(ctx context.Context) error {
	first := false
	c.runOnce.Do(func() { first = true })
	if !first {
		return nil
	}
	defer c.closeConns()
	var wg sync.WaitGroup
	wg.Go(func() { c.runSession(ctx) })
	wg.Go(func() { c.runWatch(ctx) })
	wg.Wait()
	return nil
}

func (c *Client) closeConns() {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

// Close releases the connections of a Client that was never Run (Run closes them itself).
func (c *Client) Close() { c.runOnce.Do(c.closeConns) }
