package devcluster

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Role is the kind of service a child runs.
type Role string

// The roles, in start order.
const (
	RoleMetadata Role = "metadata"
	RoleStorage  Role = "storage"
	RoleGateway  Role = "gateway"
)

// Port offsets from Config.PortBase; see the package doc.
const (
	gatewayHTTPOffset  = 80
	gatewayGRPCOffset  = 1090
	metadataOffset     = 100 // + 10*i: grpc, +1 http, +2 etcd client, +3 etcd peer
	storageOffset      = 200 // + 10*(id-1): grpc, +1 http
	nodeStride         = 10
	loopback           = "127.0.0.1"
	gatewayID          = "g1"
	metadataIDPrefix   = "m"
	logsDir            = "logs"
	metadataDataSubdir = "metadata"
	storageDataSubdir  = "storage"
)

// Port is one port a child opens, with what it is for (used in error messages).
type Port struct {
	Port int
	What string // e.g. "metadata m1 etcd peer"
}

// Child is one process of the cluster as planned: its ports, files and exact command line.
type Child struct {
	Role    Role
	ID      string // "m1", "1", "g1"
	NodeID  int    // the storage node id; 0 for other roles
	GRPC    string // host:port
	HTTP    string // host:port: /readyz, /healthz, /metrics (and REST on the gateway)
	Ports   []Port
	DataDir string // "" for the gateway
	LogFile string
	Argv    []string // absolute program path, then flags; only absolute paths
}

// Name is how messages name the child: "metadata m1", "storage 2", "gateway g1".
func (c Child) Name() string { return string(c.Role) + " " + c.ID }

// Plan is every child of a cluster, in start order per role.
type Plan struct {
	Metadata []Child
	Storage  []Child
	Gateway  []Child
	REST     string // http://127.0.0.1:<gateway http>
	GRPC     string // the gateway's gRPC address
	LogDir   string
}

// Children returns every child in start order: metadata, storage, gateway.
func (p Plan) Children() []Child {
	out := make([]Child, 0, len(p.Metadata)+len(p.Storage)+len(p.Gateway))
	out = append(out, p.Metadata...)
	out = append(out, p.Storage...)
	return append(out, p.Gateway...)
}

// Stages returns the children grouped in start order.
func (p Plan) Stages() [][]Child { return [][]Child{p.Metadata, p.Storage, p.Gateway} }

// NewPlan lays out ports, directories and command lines for cfg (which must be valid).
func NewPlan(cfg Config) (Plan, error) {
	if err := cfg.Validate(); err != nil {
		return Plan{}, err
	}
	if err := cfg.validateBinaries(); err != nil {
		return Plan{}, err
	}
	addr := func(off int) string { return loopback + ":" + strconv.Itoa(cfg.PortBase+off) }
	p := Plan{LogDir: filepath.Join(cfg.DataDir, logsDir)}
	logFile := func(id string) string { return filepath.Join(p.LogDir, id+".log") }
	common := func(argv []string) []string {
		argv = append(argv, "--log-format="+cfg.LogFormat)
		if cfg.LogLevel != "" {
			argv = append(argv, "--log-level="+cfg.LogLevel)
		}
		return argv
	}

	var peers, metaGRPC []string
	for i := range cfg.MetadataNodes {
		id := metadataIDPrefix + strconv.Itoa(i+1)
		base := metadataOffset + nodeStride*i
		peers = append(peers, id+"=http://"+addr(base+3))
		metaGRPC = append(metaGRPC, addr(base))
	}
	for i := range cfg.MetadataNodes {
		id := metadataIDPrefix + strconv.Itoa(i+1)
		base := metadataOffset + nodeStride*i
		c := Child{
			Role: RoleMetadata, ID: id,
			GRPC: addr(base), HTTP: addr(base + 1),
			DataDir: filepath.Join(cfg.DataDir, metadataDataSubdir, id),
			LogFile: logFile(id),
		}
		c.Ports = []Port{
			{cfg.PortBase + base, c.Name() + " gRPC"},
			{cfg.PortBase + base + 1, c.Name() + " HTTP"},
			{cfg.PortBase + base + 2, c.Name() + " etcd client"},
			{cfg.PortBase + base + 3, c.Name() + " etcd peer"},
		}
		argv := []string{cfg.Binaries.Metadata,
			"--id=" + id,
			"--data-dir=" + c.DataDir,
			"--grpc-addr=" + c.GRPC,
			"--http-addr=" + c.HTTP,
			"--etcd-client-addr=" + addr(base+2),
			"--etcd-peer-addr=" + addr(base+3),
			"--initial-cluster=" + strings.Join(peers, ","),
		}
		if cfg.SessionTimeout > 0 {
			argv = append(argv, "--session-timeout="+cfg.SessionTimeout.String())
		}
		c.Argv = common(argv)
		p.Metadata = append(p.Metadata, c)
	}

	metadataList := strings.Join(metaGRPC, ",")
	for n := 1; n <= cfg.StorageNodes; n++ {
		id := strconv.Itoa(n)
		base := storageOffset + nodeStride*(n-1)
		c := Child{
			Role: RoleStorage, ID: id, NodeID: n,
			GRPC: addr(base), HTTP: addr(base + 1),
			DataDir: filepath.Join(cfg.DataDir, storageDataSubdir, id),
			LogFile: logFile(id),
		}
		c.Ports = []Port{
			{cfg.PortBase + base, c.Name() + " gRPC"},
			{cfg.PortBase + base + 1, c.Name() + " HTTP"},
		}
		c.Argv = common([]string{cfg.Binaries.Storage,
			"--id=" + id,
			"--data-dir=" + c.DataDir,
			"--grpc-addr=" + c.GRPC,
			"--http-addr=" + c.HTTP,
			"--advertise-addr=" + c.GRPC,
			"--metadata=" + metadataList,
			"--fsync=" + cfg.Fsync,
		})
		p.Storage = append(p.Storage, c)
	}

	g := Child{
		Role: RoleGateway, ID: gatewayID,
		GRPC: addr(gatewayGRPCOffset), HTTP: addr(gatewayHTTPOffset),
		LogFile: logFile(gatewayID),
	}
	g.Ports = []Port{
		{cfg.PortBase + gatewayGRPCOffset, g.Name() + " gRPC"},
		{cfg.PortBase + gatewayHTTPOffset, g.Name() + " HTTP (REST)"},
	}
	g.Argv = common([]string{cfg.Binaries.Gateway,
		"--id=" + gatewayID,
		"--grpc-addr=" + g.GRPC,
		"--http-addr=" + g.HTTP,
		"--metadata=" + metadataList,
	})
	p.Gateway = []Child{g}
	p.REST = "http://" + g.HTTP
	p.GRPC = g.GRPC

	if err := checkLayout(cfg, p); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// checkLayout guards the layout's invariants: no port twice, every port in range.
func checkLayout(cfg Config, p Plan) error {
	seen := map[int]string{}
	for _, c := range p.Children() {
		for _, port := range c.Ports {
			if port.Port < cfg.PortBase || port.Port >= cfg.PortBase+PortSpan {
				return fmt.Errorf("devcluster: %s port %d is outside [%d, %d)", port.What, port.Port,
					cfg.PortBase, cfg.PortBase+PortSpan)
			}
			if other, dup := seen[port.Port]; dup {
				return fmt.Errorf("devcluster: port %d is planned twice: %s and %s", port.Port, other, port.What)
			}
			seen[port.Port] = port.What
		}
	}
	return nil
}
