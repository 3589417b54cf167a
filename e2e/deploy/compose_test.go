package deploy

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type composeFile struct {
	Services map[string]composeService `json:"services"`
	Volumes  map[string]any            `json:"volumes"`
}

type composeService struct {
	Image string `json:"image"`
	Build *struct {
		Context    string `json:"context"`
		Dockerfile string `json:"dockerfile"`
	} `json:"build"`
	Command     []string          `json:"command"`
	Environment map[string]string `json:"environment"`
	Volumes     []string          `json:"volumes"`
	Ports       []string          `json:"ports"`
	DependsOn   dependsOn         `json:"depends_on"`
	Restart     string            `json:"restart"`
	Healthcheck *struct {
		Test []string `json:"test"`
	} `json:"healthcheck"`
}

// dependsOn is compose's depends_on in either form: a list of names, or a map of name to
// {condition: ...}. A name from the list form has the condition "service_started".
type dependsOn map[string]string

func (d *dependsOn) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err == nil {
		*d = dependsOn{}
		for _, n := range names {
			(*d)[n] = "service_started"
		}
		return nil
	}
	var m map[string]struct {
		Condition string `json:"condition"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*d = dependsOn{}
	for n, c := range m {
		(*d)[n] = c.Condition
	}
	return nil
}

// runnelService is a compose service that runs one of the Runnel binaries.
type runnelService struct {
	name, kind string
	svc        composeService
	flags      map[string]string
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	decodeYAML(t, "docker-compose.yml", readFile(t, "docker-compose.yml"), &c)
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	return c
}

// runnelServices returns the services whose command starts with a Runnel service binary.
func runnelServices(t *testing.T, c composeFile) []runnelService {
	t.Helper()
	var out []runnelService
	for name, s := range c.Services {
		if len(s.Command) == 0 {
			continue
		}
		for kind, bin := range serviceBinaries {
			if s.Command[0] != bin {
				continue
			}
			flags, err := cmdFlags(s.Command[1:])
			if err != nil {
				t.Fatalf("service %s: %v", name, err)
			}
			out = append(out, runnelService{name: name, kind: kind, svc: s, flags: flags})
		}
	}
	slices.SortFunc(out, func(a, b runnelService) int { return strings.Compare(a.name, b.name) })
	return out
}

func byKind(rs []runnelService, kind string) []runnelService {
	var out []runnelService
	for _, r := range rs {
		if r.kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// port returns the port of a host:port address.
func port(t *testing.T, where, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil || p == "" {
		t.Fatalf("%s: address %q is not host:port", where, addr)
	}
	return p
}

// publishedPorts maps a service's published host ports to container ports ("8080:8080",
// "127.0.0.1:8080:8080/tcp").
func publishedPorts(t *testing.T, name string, s composeService) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range s.Ports {
		p, _, _ = strings.Cut(p, "/")
		parts := strings.Split(p, ":")
		if len(parts) < 2 {
			t.Fatalf("service %s: port %q does not publish a fixed host port", name, p)
		}
		out[parts[len(parts)-2]] = parts[len(parts)-1]
	}
	return out
}

// namedVolumeAt returns the named volume mounted at target, or "".
func namedVolumeAt(s composeService, target string) string {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == target && !strings.HasPrefix(parts[0], ".") && !strings.HasPrefix(parts[0], "/") {
			return parts[0]
		}
	}
	return ""
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	want := []string{"metadata-1", "metadata-2", "metadata-3", "storage-1", "storage-2", "storage-3", "gateway",
		"otel-collector", "jaeger", "prometheus", "grafana"}
	for _, name := range want {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	rs := runnelServices(t, c)
	counts := map[string]int{}
	for _, r := range rs {
		counts[r.kind]++
	}
	if counts["metadata"] != 3 || counts["storage"] != 3 || counts["gateway"] != 1 {
		t.Errorf("runnel services by kind = %v, want 3 metadata, 3 storage, 1 gateway", counts)
	}
	dockerfiles := map[string]bool{}
	for _, r := range rs {
		t.Run(r.name, func(t *testing.T) {
			b := r.svc.Build
			if b == nil || r.svc.Image == "" {
				t.Fatalf("build and image must both be set (one image for every binary)")
			}
			df := filepath.Join(deployDir(t), b.Context, b.Dockerfile)
			if _, err := os.Stat(df); err != nil {
				t.Errorf("build context %q + dockerfile %q: %v", b.Context, b.Dockerfile, err)
			}
			dockerfiles[r.svc.Image+" "+filepath.Clean(df)] = true
			if r.svc.Restart == "" {
				t.Errorf("no restart policy: a node that exits (e.g. metadata before its quorum) stays down")
			}
		})
	}
	if len(dockerfiles) != 1 {
		t.Errorf("the runnel services use %d image/Dockerfile pairs, want one: %v", len(dockerfiles), dockerfiles)
	}
}

func TestComposeFlagsAccepted(t *testing.T) {
	c := loadCompose(t)
	for _, r := range runnelServices(t, c) {
		t.Run(r.name, func(t *testing.T) {
			var env []string
			for k := range r.svc.Environment {
				env = append(env, k)
			}
			checkFlags(t, "docker-compose.yml service "+r.name, serviceBinaries[r.kind], r.flags, env)
			for _, f := range []string{"grpc-addr", "http-addr"} {
				if r.flags[f] == "" {
					t.Errorf("--%s not set (the default binds 127.0.0.1, unreachable from other containers)", f)
				} else if !strings.HasPrefix(r.flags[f], "0.0.0.0:") {
					t.Errorf("--%s=%s: bind 0.0.0.0 so other containers reach it", f, r.flags[f])
				}
			}
		})
	}
}

func TestComposeMetadataCluster(t *testing.T) {
	c := loadCompose(t)
	meta := byKind(runnelServices(t, c), "metadata")
	if len(meta) != 3 {
		t.Fatalf("%d metadata services, want 3", len(meta))
	}
	cluster := meta[0].flags["initial-cluster"]
	members := map[string]string{} // id -> peer host:port
	for _, entry := range strings.Split(cluster, ",") {
		id, u, ok := strings.Cut(entry, "=")
		host, found := strings.CutPrefix(u, "http://")
		if !ok || !found {
			t.Fatalf("initial cluster entry %q: want id=http://host:port", entry)
		}
		members[id] = host
	}
	if len(members) != 3 {
		t.Fatalf("initial cluster %q has %d members, want 3", cluster, len(members))
	}
	seenIDs := map[string]bool{}
	seenVolumes := map[string]bool{}
	for _, m := range meta {
		t.Run(m.name, func(t *testing.T) {
			if got := m.flags["initial-cluster"]; got != cluster {
				t.Errorf("--initial-cluster=%s differs from %s's %s", got, meta[0].name, cluster)
			}
			id := m.flags["id"]
			if id == "" || seenIDs[id] {
				t.Errorf("--id=%q is empty or not unique", id)
			}
			seenIDs[id] = true
			peer := m.flags["etcd-peer-addr"]
			if members[id] != peer {
				t.Errorf("initial cluster lists %s at %q, its --etcd-peer-addr is %q", id, members[id], peer)
			}
			// Peers dial the service's name; etcd binds only IPs, so the member binds 0.0.0.0 on
			// the same port.
			host, port, _ := net.SplitHostPort(peer)
			if host != m.name {
				t.Errorf("--etcd-peer-addr=%s: advertise the service name %s, which the other containers resolve", peer, m.name)
			}
			if l := m.flags["etcd-listen-peer-addr"]; l != "0.0.0.0:"+port {
				t.Errorf("--etcd-listen-peer-addr=%q: want 0.0.0.0:%s (etcd cannot bind the name %s)", l, port, host)
			}
			if cl := m.flags["etcd-client-addr"]; !strings.HasPrefix(cl, "127.0.0.1:") {
				t.Errorf("--etcd-client-addr=%s: only the node itself uses its etcd client port; keep it on 127.0.0.1", cl)
			}
			v := namedVolumeAt(m.svc, m.flags["data-dir"])
			if v == "" {
				t.Errorf("--data-dir=%s is not a named volume's mount point", m.flags["data-dir"])
			}
			if seenVolumes[v] {
				t.Errorf("volume %s shared with another metadata node", v)
			}
			seenVolumes[v] = true
		})
	}
}

// metadataGRPCAddrs are the addresses storage nodes and gateways must list in --metadata.
func metadataGRPCAddrs(t *testing.T, meta []runnelService) []string {
	t.Helper()
	var out []string
	for _, m := range meta {
		out = append(out, m.name+":"+port(t, m.name+" --grpc-addr", m.flags["grpc-addr"]))
	}
	slices.Sort(out)
	return out
}

func sortedSplit(s string) []string {
	out := strings.Split(s, ",")
	slices.Sort(out)
	return out
}

func TestComposeStorageAndGateway(t *testing.T) {
	c := loadCompose(t)
	rs := runnelServices(t, c)
	metaAddrs := metadataGRPCAddrs(t, byKind(rs, "metadata"))
	ids := map[int]bool{}
	volumes := map[string]bool{}
	for _, s := range byKind(rs, "storage") {
		t.Run(s.name, func(t *testing.T) {
			id, err := strconv.Atoi(s.flags["id"])
			if err != nil || id < 1 || ids[id] {
				t.Errorf("--id=%q: want a unique positive integer", s.flags["id"])
			}
			ids[id] = true
			adv := s.flags["advertise-addr"]
			host, p, err := net.SplitHostPort(adv)
			if err != nil || host != s.name || p != port(t, "--grpc-addr", s.flags["grpc-addr"]) {
				t.Errorf("--advertise-addr=%s: want %s:<port of --grpc-addr>", adv, s.name)
			}
			if got := sortedSplit(s.flags["metadata"]); !slices.Equal(got, metaAddrs) {
				t.Errorf("--metadata lists %v, want every metadata node %v", got, metaAddrs)
			}
			v := namedVolumeAt(s.svc, s.flags["data-dir"])
			if v == "" || volumes[v] {
				t.Errorf("--data-dir=%s: want a named volume of its own, got %q", s.flags["data-dir"], v)
			}
			volumes[v] = true
		})
	}
	for _, g := range byKind(rs, "gateway") {
		t.Run(g.name, func(t *testing.T) {
			if got := sortedSplit(g.flags["metadata"]); !slices.Equal(got, metaAddrs) {
				t.Errorf("--metadata lists %v, want every metadata node %v", got, metaAddrs)
			}
			pub := publishedPorts(t, g.name, g.svc)
			for host, flag := range map[string]string{"8080": "http-addr", "9090": "grpc-addr"} {
				if want := port(t, "--"+flag, g.flags[flag]); pub[host] != want {
					t.Errorf("host port %s maps to %q, want the --%s port %s", host, pub[host], flag, want)
				}
			}
		})
	}
}

func TestComposeTelemetryEnv(t *testing.T) {
	c := loadCompose(t)
	collector := otlpGRPCPort(t)
	for _, r := range runnelServices(t, c) {
		t.Run(r.name, func(t *testing.T) {
			env := r.svc.Environment
			if got, want := env["OTEL_SERVICE_NAME"], serviceBinaries[r.kind]; got != want {
				t.Errorf("OTEL_SERVICE_NAME=%q, want %q", got, want)
			}
			if got, want := env["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://otel-collector:"+collector; got != want {
				t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT=%q, want %q (the collector's OTLP gRPC receiver)", got, want)
			}
			if env["OTEL_TRACES_SAMPLER"] == "" {
				t.Errorf("OTEL_TRACES_SAMPLER not set")
			}
		})
	}
}

func TestComposeVolumesAndMounts(t *testing.T) {
	c := loadCompose(t)
	used := map[string]bool{}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, ok := strings.Cut(v, ":")
			if !ok {
				t.Errorf("service %s: volume %q has no target", name, v)
				continue
			}
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(deployDir(t), src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
				continue
			}
			if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s uses volume %s, not declared under volumes:", name, src)
			}
			used[src] = true
		}
	}
	for v := range c.Volumes {
		if !used[v] {
			t.Errorf("volume %s declared but not used", v)
		}
	}
	hostPorts := map[string]string{}
	for name, s := range c.Services {
		for host := range publishedPorts(t, name, s) {
			if other, dup := hostPorts[host]; dup {
				t.Errorf("host port %s published by %s and %s", host, name, other)
			}
			hostPorts[host] = name
		}
	}
	for host, svc := range map[string]string{"16686": "jaeger", "3000": "grafana", "8080": "gateway", "9090": "gateway"} {
		if hostPorts[host] != svc {
			t.Errorf("host port %s published by %q, want %s", host, hostPorts[host], svc)
		}
	}
}

// Every Runnel container probes its own /readyz with `runnel health` (the image has no curl), and
// storage nodes and the gateway start only once the metadata nodes are healthy.
func TestComposeHealthchecks(t *testing.T) {
	c := loadCompose(t)
	for _, rs := range runnelServices(t, c) {
		t.Run(rs.name, func(t *testing.T) {
			hc := rs.svc.Healthcheck
			if hc == nil {
				t.Fatal("no healthcheck")
			}
			want := []string{"CMD", "runnel", "health",
				"http://127.0.0.1:" + port(t, rs.name, rs.flags["http-addr"]) + "/readyz"}
			if !slices.Equal(hc.Test, want) {
				t.Fatalf("healthcheck %q, want %q", hc.Test, want)
			}
			if rs.kind == "metadata" {
				return
			}
			for _, m := range byKind(runnelServices(t, c), "metadata") {
				if rs.svc.DependsOn[m.name] != "service_healthy" {
					t.Errorf("does not wait for %s to be healthy (depends_on %v)", m.name, rs.svc.DependsOn)
				}
			}
		})
	}
}
