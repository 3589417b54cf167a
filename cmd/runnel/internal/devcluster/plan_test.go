package devcluster

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func validConfig(t *testing.T, base, meta, storage int) Config {
	t.Helper()
	cfg, err := Config{
		DataDir:       "/data/.runnel",
		PortBase:      base,
		MetadataNodes: meta,
		StorageNodes:  storage,
		Binaries: Binaries{
			Metadata: "/opt/runnel/bin/runnel-metadata",
			Storage:  "/opt/runnel/bin/runnel-storage",
			Gateway:  "/opt/runnel/bin/runnel-gateway",
		},
	}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPlanPorts(t *testing.T) {
	for _, tc := range []struct {
		name                string
		base, meta, storage int
	}{
		{"defaults", 8000, 1, 3},
		{"largest", 8000, 3, 64},
		{"highest base", 65536 - PortSpan, 3, 64},
		{"lowest base", 1, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(validConfig(t, tc.base, tc.meta, tc.storage))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(p.Metadata); got != tc.meta {
				t.Fatalf("metadata children = %d, want %d", got, tc.meta)
			}
			if got := len(p.Storage); got != tc.storage {
				t.Fatalf("storage children = %d, want %d", got, tc.storage)
			}
			seen := map[int]bool{}
			for _, c := range p.Children() {
				for _, port := range c.Ports {
					if port.Port < tc.base || port.Port >= tc.base+2000 {
						t.Errorf("%s: port %d outside [%d, %d)", port.What, port.Port, tc.base, tc.base+2000)
					}
					if seen[port.Port] {
						t.Errorf("port %d used twice", port.Port)
					}
					seen[port.Port] = true
				}
			}
			wantPorts := 4*tc.meta + 2*tc.storage + 2
			if len(seen) != wantPorts {
				t.Errorf("%d distinct ports, want %d", len(seen), wantPorts)
			}
			addr := func(off int) string { return fmt.Sprintf("127.0.0.1:%d", tc.base+off) }
			if p.REST != "http://"+addr(80) || p.GRPC != addr(1090) {
				t.Errorf("REST %s gRPC %s, want http://%s and %s", p.REST, p.GRPC, addr(80), addr(1090))
			}
			g := p.Gateway[0]
			if g.ID != "g1" || g.HTTP != addr(80) || g.GRPC != addr(1090) {
				t.Errorf("gateway %+v", g)
			}
			for i, m := range p.Metadata {
				if m.ID != fmt.Sprintf("m%d", i+1) || m.GRPC != addr(100+10*i) || m.HTTP != addr(101+10*i) {
					t.Errorf("metadata %d: id %s grpc %s http %s", i, m.ID, m.GRPC, m.HTTP)
				}
				for _, want := range []string{"--etcd-client-addr=" + addr(102+10*i), "--etcd-peer-addr=" + addr(103+10*i)} {
					if !hasArg(m.Argv, want) {
						t.Errorf("metadata %s argv lacks %s: %q", m.ID, want, m.Argv)
					}
				}
			}
			for i, s := range p.Storage {
				if s.NodeID != i+1 || s.GRPC != addr(200+10*i) || s.HTTP != addr(201+10*i) {
					t.Errorf("storage %d: node %d grpc %s http %s", i+1, s.NodeID, s.GRPC, s.HTTP)
				}
			}
		})
	}
}

func TestPlanCommandLines(t *testing.T) {
	cfg := validConfig(t, 8000, 3, 2)
	cfg.SessionTimeout = 6e9
	cfg.LogLevel = "debug"
	p, err := NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	peers := "--initial-cluster=m1=http://127.0.0.1:8103,m2=http://127.0.0.1:8113,m3=http://127.0.0.1:8123"
	metaList := "--metadata=127.0.0.1:8100,127.0.0.1:8110,127.0.0.1:8120"
	for _, tc := range []struct {
		child Child
		want  []string
	}{
		{p.Metadata[1], []string{"--id=m2", "--data-dir=/data/.runnel/metadata/m2", peers,
			"--session-timeout=6s", "--log-format=text", "--log-level=debug"}},
		{p.Storage[1], []string{"--id=2", "--data-dir=/data/.runnel/storage/2", "--advertise-addr=127.0.0.1:8210",
			metaList, "--fsync=always", "--log-format=text"}},
		{p.Gateway[0], []string{"--id=g1", "--grpc-addr=127.0.0.1:9090", "--http-addr=127.0.0.1:8080", metaList}},
	} {
		t.Run(tc.child.Name(), func(t *testing.T) {
			argv := tc.child.Argv
			if !filepath.IsAbs(argv[0]) {
				t.Errorf("program %q is not absolute", argv[0])
			}
			for _, w := range tc.want {
				if !hasArg(argv, w) {
					t.Errorf("argv lacks %q: %q", w, argv)
				}
			}
			for _, a := range argv[1:] {
				if _, v, ok := strings.Cut(a, "="); ok && strings.Contains(a, "dir") && !filepath.IsAbs(v) {
					t.Errorf("path argument %q is not absolute", a)
				}
			}
			if want := filepath.Join("/data/.runnel/logs", tc.child.ID+".log"); tc.child.LogFile != want {
				t.Errorf("log file %s, want %s", tc.child.LogFile, want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"three metadata nodes", func(c *Config) { c.MetadataNodes = 3 }, ""},
		{"two metadata nodes", func(c *Config) { c.MetadataNodes = 2 }, "--metadata-nodes 2"},
		{"64 storage nodes", func(c *Config) { c.StorageNodes = 64 }, ""},
		{"65 storage nodes", func(c *Config) { c.StorageNodes = 65 }, "--storage-nodes 65: use 1 to 64"},
		{"negative storage nodes", func(c *Config) { c.StorageNodes = -1 }, "--storage-nodes -1"},
		{"port base too high", func(c *Config) { c.PortBase = 64000 }, "--port-base 64000"},
		{"negative port base", func(c *Config) { c.PortBase = -5 }, "--port-base -5"},
		{"fsync interval", func(c *Config) { c.Fsync = "interval=50" }, ""},
		{"fsync never", func(c *Config) { c.Fsync = "never" }, ""},
		{"fsync bad interval", func(c *Config) { c.Fsync = "interval=0" }, "--fsync"},
		{"fsync unknown", func(c *Config) { c.Fsync = "sometimes" }, "--fsync \"sometimes\""},
		{"json logs", func(c *Config) { c.LogFormat = "json" }, ""},
		{"xml logs", func(c *Config) { c.LogFormat = "xml" }, "--log-format"},
		{"negative session timeout", func(c *Config) { c.SessionTimeout = -1 }, "--session-timeout"},
		{"relative binary", func(c *Config) { c.Binaries.Storage = "bin/runnel-storage" }, "runnel-storage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig(t, 8000, 1, 3)
			tc.change(&cfg)
			err := cfg.Validate()
			if err == nil {
				_, err = NewPlan(cfg)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, err := Config{EndpointsFile: "ep.json"}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	wd, err := filepath.EvalSymlinks(".")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join(wd, ".runnel") && !strings.HasSuffix(cfg.DataDir, "/.runnel") {
		t.Errorf("data dir %s", cfg.DataDir)
	}
	if !filepath.IsAbs(cfg.DataDir) || !filepath.IsAbs(cfg.EndpointsFile) {
		t.Errorf("paths not absolute: %s %s", cfg.DataDir, cfg.EndpointsFile)
	}
	if cfg.PortBase != 8000 || cfg.MetadataNodes != 1 || cfg.StorageNodes != 3 || cfg.Fsync != "always" ||
		cfg.LogFormat != "text" || cfg.ReadyTimeout != DefaultReadyTimeout || cfg.StopTimeout != DefaultStopTimeout {
		t.Errorf("defaults: %+v", cfg)
	}
}

func hasArg(argv []string, want string) bool {
	for _, a := range argv {
		if a == want {
			return true
		}
	}
	return false
}
