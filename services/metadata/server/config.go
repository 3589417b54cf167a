package server

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/runnel/runnel/pkg/telemetry"
)

// Defaults of Config (a zero field takes its default).
const (
	DefaultID             = "m1"
	DefaultDataDir        = "./data/metadata"
	DefaultGRPCAddr       = "127.0.0.1:8100"
	DefaultHTTPAddr       = "127.0.0.1:8101"
	DefaultEtcdClientAddr = "127.0.0.1:8102"
	DefaultEtcdPeerAddr   = "127.0.0.1:8103"
	DefaultSessionTimeout = 6 * time.Second
	MinSessionTimeout     = 500 * time.Millisecond
	DefaultMaxPartitions  = 10000
	DefaultEtcdTickMs     = 100
	DefaultEtcdElectionMs = 1000
	DefaultStartTimeout   = time.Minute
	// DefaultControllerSessionTTL is the TTL of the controller's election lease: a crashed
	// controller is replaced about this long after its last renewal.
	DefaultControllerSessionTTL = 2 * time.Second
	MaxControllerSessionTTL     = time.Minute
	DefaultLeaderRebalanceDelay = time.Second
	// Consumer-group coordinator defaults.
	DefaultGroupMinSessionTimeout = time.Second
	DefaultGroupMaxSessionTimeout = 5 * time.Minute
	DefaultGroupHeartbeatInterval = time.Second
)

// Config configures a metadata node.
type Config struct {
	// ID names this node and its etcd member ([a-zA-Z0-9._-], up to 64 characters). Default "m1".
	ID string
	// DataDir holds the node's state; etcd keeps its data in DataDir/etcd. Default
	// "./data/metadata".
	DataDir string
	// GRPCAddr and HTTPAddr are the listen addresses of the API and of /metrics, /healthz and
	// /readyz. Defaults 127.0.0.1:8100 and 127.0.0.1:8101; port 0 picks a free port.
	GRPCAddr, HTTPAddr string
	// EtcdClientAddr and EtcdPeerAddr (host:port) are etcd's listen and advertised addresses.
	// Defaults 127.0.0.1:8102 and 127.0.0.1:8103. Port 0 is not allowed: peers must know them.
	EtcdClientAddr, EtcdPeerAddr string
	// EtcdListenPeerAddr is what etcd's peer listener binds when it differs from the advertised
	// EtcdPeerAddr (etcd binds IPs only: in Kubernetes advertise the pod's DNS name and bind
	// 0.0.0.0:port). Default: EtcdPeerAddr.
	EtcdListenPeerAddr string
	// InitialCluster lists the etcd members of a new cluster: "m1=http://127.0.0.1:8103,m2=…".
	// It must name this node with http://EtcdPeerAddr. Default: this node alone. Ignored by etcd
	// when DataDir already holds a member.
	InitialCluster string
	// SessionTimeout: a storage node is declared dead this long after its last heartbeat. etcd
	// leases count whole seconds, so it is rounded up to seconds (and to etcd's minimum lease TTL,
	// 1.5 election timeouts). Default 6s, at least 500ms.
	SessionTimeout time.Duration
	// MaxPartitions is the most partitions one topic may have. Default 10000.
	MaxPartitions int32
	// EtcdTickMs and EtcdElectionMs are etcd's heartbeat interval and election timeout; the
	// election timeout must be at least 5 ticks. Defaults 100 and 1000.
	EtcdTickMs, EtcdElectionMs int
	// ControllerSessionTTL is the TTL of the controller election lease (whole seconds, rounded up,
	// raised by etcd to its minimum lease TTL of 1.5 election timeouts): a controller that crashed
	// or lost the etcd quorum is replaced this long after its last renewal. Default 2s, from 1s to
	// 1m.
	ControllerSessionTTL time.Duration
	// DisableAutoLeaderRebalance turns off moving leadership back to a partition's preferred
	// replica (the first replica) once it is in sync again; on by default.
	DisableAutoLeaderRebalance bool
	// LeaderRebalanceDelay is how long a preferred replica must have been live, in the ISR and not
	// the leader before the controller moves leadership to it. Default 1s.
	LeaderRebalanceDelay time.Duration
	// GroupMinSessionTimeout and GroupMaxSessionTimeout bound the session timeout a consumer
	// group member may ask for (defaults 1s and 5m; whole milliseconds, the maximum at most
	// 2^31-1 ms). GroupHeartbeatInterval is the heartbeat interval the coordinator gives a
	// member whose assignment is settled (default 1s; 100ms while it changes, never above a third
	// of the member's session timeout).
	GroupMinSessionTimeout, GroupMaxSessionTimeout time.Duration
	GroupHeartbeatInterval                         time.Duration
	// StartTimeout bounds how long Run waits for etcd to become ready (a quorum of the initial
	// cluster must be running). Default 1 minute.
	StartTimeout time.Duration
	// DrainTimeout bounds the graceful part of shutdown (default 5s, see pkg/svc).
	DrainTimeout time.Duration
	// Telemetry gives the logger, tracer and meter. Default telemetry.NewNop() (silent).
	Telemetry *telemetry.Telemetry
}

func (c Config) withDefaults() Config {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.ID, DefaultID)
	def(&c.DataDir, DefaultDataDir)
	def(&c.GRPCAddr, DefaultGRPCAddr)
	def(&c.HTTPAddr, DefaultHTTPAddr)
	def(&c.EtcdClientAddr, DefaultEtcdClientAddr)
	def(&c.EtcdPeerAddr, DefaultEtcdPeerAddr)
	def(&c.InitialCluster, c.ID+"=http://"+c.EtcdPeerAddr)
	c.InitialCluster = normalizeCluster(c.InitialCluster)
	if c.SessionTimeout == 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.MaxPartitions == 0 {
		c.MaxPartitions = DefaultMaxPartitions
	}
	if c.EtcdTickMs == 0 {
		c.EtcdTickMs = DefaultEtcdTickMs
	}
	if c.EtcdElectionMs == 0 {
		c.EtcdElectionMs = DefaultEtcdElectionMs
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.ControllerSessionTTL == 0 {
		c.ControllerSessionTTL = DefaultControllerSessionTTL
	}
	if c.LeaderRebalanceDelay == 0 {
		c.LeaderRebalanceDelay = DefaultLeaderRebalanceDelay
	}
	if c.GroupMinSessionTimeout == 0 {
		c.GroupMinSessionTimeout = DefaultGroupMinSessionTimeout
	}
	if c.GroupMaxSessionTimeout == 0 {
		c.GroupMaxSessionTimeout = DefaultGroupMaxSessionTimeout
	}
	if c.GroupHeartbeatInterval == 0 {
		c.GroupHeartbeatInterval = DefaultGroupHeartbeatInterval
	}
	if c.Telemetry == nil {
		c.Telemetry = telemetry.NewNop()
	}
	return c
}

// Validate reports the first bad field, after applying the defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := validID(c.ID); err != nil {
		return err
	}
	for _, a := range []struct{ name, addr string }{
		{"grpc address", c.GRPCAddr}, {"http address", c.HTTPAddr},
	} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return fmt.Errorf("%s %q: %v", a.name, a.addr, err)
		}
	}
	for _, a := range []struct{ name, addr string }{
		{"etcd client address", c.EtcdClientAddr}, {"etcd peer address", c.EtcdPeerAddr},
	} {
		host, port, err := net.SplitHostPort(a.addr)
		if err != nil || host == "" || port == "" || port == "0" {
			return fmt.Errorf("%s %q: want host:port with a fixed port", a.name, a.addr)
		}
	}
	if c.EtcdListenPeerAddr != "" {
		if _, port, err := net.SplitHostPort(c.EtcdListenPeerAddr); err != nil || port == "" || port == "0" {
			return fmt.Errorf("etcd listen peer address %q: want host:port with a fixed port", c.EtcdListenPeerAddr)
		}
	}
	if c.EtcdClientAddr == c.EtcdPeerAddr {
		return fmt.Errorf("etcd client and peer addresses are both %s", c.EtcdClientAddr)
	}
	if err := validCluster(c.InitialCluster, c.ID, c.EtcdPeerAddr); err != nil {
		return err
	}
	switch {
	case c.SessionTimeout < MinSessionTimeout:
		return fmt.Errorf("session timeout %s is below the minimum %s", c.SessionTimeout, MinSessionTimeout)
	case c.MaxPartitions < 1:
		return fmt.Errorf("max partitions %d must be at least 1", c.MaxPartitions)
	case c.EtcdTickMs < 1:
		return fmt.Errorf("etcd tick %dms must be at least 1ms", c.EtcdTickMs)
	case c.EtcdElectionMs < 5*c.EtcdTickMs:
		return fmt.Errorf("etcd election timeout %dms must be at least 5 ticks (%dms)", c.EtcdElectionMs, 5*c.EtcdTickMs)
	case c.EtcdElectionMs > 50000:
		return fmt.Errorf("etcd election timeout %dms is above etcd's limit of 50000ms", c.EtcdElectionMs)
	case c.ControllerSessionTTL < time.Second || c.ControllerSessionTTL > MaxControllerSessionTTL:
		return fmt.Errorf("controller session TTL %s: choose from 1s to %s", c.ControllerSessionTTL, MaxControllerSessionTTL)
	case c.LeaderRebalanceDelay < 0:
		return errors.New("leader rebalance delay must not be negative")
	case c.StartTimeout < 0 || c.DrainTimeout < 0:
		return errors.New("start and drain timeouts must not be negative")
	}
	return c.validateGroups()
}

// maxGroupSessionTimeout is the largest session timeout the protocol can carry (int32 ms).
const maxGroupSessionTimeout = (1<<31 - 1) * time.Millisecond

func (c Config) validateGroups() error {
	switch {
	case c.GroupMinSessionTimeout < time.Millisecond:
		return fmt.Errorf("group min session timeout %s must be at least 1ms", c.GroupMinSessionTimeout)
	case c.GroupMaxSessionTimeout < c.GroupMinSessionTimeout:
		return fmt.Errorf("group max session timeout %s is below the minimum %s", c.GroupMaxSessionTimeout, c.GroupMinSessionTimeout)
	case c.GroupMaxSessionTimeout > maxGroupSessionTimeout:
		return fmt.Errorf("group max session timeout %s is above %s", c.GroupMaxSessionTimeout, maxGroupSessionTimeout)
	case c.GroupHeartbeatInterval < time.Millisecond:
		return fmt.Errorf("group heartbeat interval %s must be at least 1ms", c.GroupHeartbeatInterval)
	case c.GroupHeartbeatInterval > c.GroupMaxSessionTimeout:
		return fmt.Errorf("group heartbeat interval %s is above the max session timeout %s", c.GroupHeartbeatInterval, c.GroupMaxSessionTimeout)
	}
	return nil
}

func validID(id string) error {
	if len(id) > 64 {
		return fmt.Errorf("id %q is longer than 64 characters", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("id %q: use only [a-zA-Z0-9._-]", id)
		}
	}
	return nil
}

// normalizeCluster drops blanks around the entries of an initial cluster string (etcd does not).
func normalizeCluster(s string) string {
	entries := strings.Split(s, ",")
	for i, e := range entries {
		entries[i] = strings.TrimSpace(e)
	}
	return strings.Join(entries, ",")
}

// validCluster checks "name=http://host:port,…": well formed, names unique and valid, and this
// node listed with its peer address.
func validCluster(cluster, id, peerAddr string) error {
	seen := map[string]bool{}
	self := false
	for _, entry := range strings.Split(cluster, ",") {
		name, raw, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok {
			return fmt.Errorf("initial cluster entry %q: want name=http://host:port", entry)
		}
		if err := validID(name); err != nil || name == "" {
			return fmt.Errorf("initial cluster entry %q: bad member name", entry)
		}
		if seen[name] {
			return fmt.Errorf("initial cluster names member %q twice", name)
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || u.Port() == "" || u.Path != "" && u.Path != "/" {
			return fmt.Errorf("initial cluster entry %q: want name=http://host:port", entry)
		}
		if name == id {
			if u.Host != peerAddr {
				return fmt.Errorf("initial cluster lists %s at %s, but its etcd peer address is %s", id, u.Host, peerAddr)
			}
			self = true
		}
		seen[name] = true
	}
	if !self {
		return fmt.Errorf("initial cluster %q does not list this node %q", cluster, id)
	}
	return nil
}

// etcdDir is where the etcd member keeps its data.
func (c Config) etcdDir() string { return filepath.Join(c.DataDir, "etcd") }

// Request size limits: creating a topic is one transaction with one operation per partition of
// up to ~700 bytes (a 249-character name in key and value, replicas, ISR and topic id).
func (c Config) maxTxnOps() uint { return uint(c.MaxPartitions) + 1 }

func (c Config) maxRequestBytes() uint { return 1<<20 + uint(c.MaxPartitions)*768 }
