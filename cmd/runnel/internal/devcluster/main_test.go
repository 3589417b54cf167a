package devcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the fake service programs and as a supervisor process: TestMain
// looks at envRole before running any test.
const (
	envRole        = "DEVCLUSTER_TEST_ROLE" // "child" or "supervisor"
	envNeverReady  = "DEVCLUSTER_TEST_NEVER_READY"
	envExitAtStart = "DEVCLUSTER_TEST_EXIT_AT_START"
	envIgnoreTerm  = "DEVCLUSTER_TEST_IGNORE_TERM"
	envConfig      = "DEVCLUSTER_TEST_CONFIG" // the supervisor's Config as JSON
)

func TestMain(m *testing.M) {
	switch os.Getenv(envRole) {
	case "child":
		os.Exit(fakeChild(os.Args[1:]))
	case "supervisor":
		os.Exit(fakeSupervisor())
	}
	os.Exit(m.Run())
}

// fakeChild stands in for a service: it serves /readyz on --http-addr (200, or 503 for the id in
// envNeverReady) until SIGTERM or SIGINT. The id in envExitAtStart exits at once with status 3;
// the id in envIgnoreTerm ignores SIGTERM.
func fakeChild(args []string) int {
	flags := map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "="); ok {
			flags[k] = v
		}
	}
	id := flags["id"]
	fmt.Printf("fake %s started with %s\n", id, strings.Join(args, " "))
	if id == os.Getenv(envExitAtStart) {
		fmt.Println("fake child exiting at start")
		return 3
	}
	sigs := []os.Signal{syscall.SIGTERM, syscall.SIGINT}
	if id == os.Getenv(envIgnoreTerm) {
		signal.Ignore(syscall.SIGTERM)
		sigs = []os.Signal{syscall.SIGINT}
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	defer stop()
	ln, err := net.Listen("tcp", flags["http-addr"])
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	ready := id != os.Getenv(envNeverReady)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" && !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})}
	go func() { _ = srv.Serve(ln) }()
	<-ctx.Done()
	fmt.Printf("fake %s stopping\n", id)
	_ = srv.Close()
	return 0
}

// fakeSupervisor runs Run with the Config in envConfig until SIGTERM or SIGINT.
func fakeSupervisor() int {
	var cfg Config
	if err := json.Unmarshal([]byte(os.Getenv(envConfig)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bad config:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runnel dev:", err)
		return 1
	}
	return 0
}

// testConfig is a small cluster of fake children on free ports in a temp dir.
func testConfig(t *testing.T, storage int, env ...string) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		DataDir:       t.TempDir(),
		MetadataNodes: 1,
		StorageNodes:  storage,
		ReadyTimeout:  20 * time.Second,
		StopTimeout:   10 * time.Second,
		Binaries:      Binaries{Metadata: exe, Storage: exe, Gateway: exe},
		Env:           append([]string{envRole + "=child"}, env...),
	}
	cfg.PortBase = freePortBase(t, cfg)
	return cfg
}

// freePortBase finds a port base whose planned ports are free, below the ephemeral port range
// (32768+) and away from the bases e2e tests use (8000, 20000+).
func freePortBase(t *testing.T, cfg Config) int {
	t.Helper()
	for range 50 {
		cfg.PortBase = 10000 + 100*rand.IntN(90) // 10000..18900: below the ephemeral range, away from e2e bases
		c, err := cfg.WithDefaults()
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(c)
		if err != nil {
			t.Fatal(err)
		}
		if CheckPorts(p) == nil {
			return cfg.PortBase
		}
	}
	t.Fatal("no free port base found")
	return 0
}

// startCluster starts cfg and stops it at cleanup.
func startCluster(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	return c
}

// eventually waits for cond, failing the test after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		<-tick.C
	}
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false
		}
		return syscall.Kill(pid, 0) == nil
	}
	// pid (comm) state ...; comm may hold spaces, so look after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func readyz(addr string) bool { return probeReady(context.Background(), addr) }

// syncBuffer is a bytes buffer safe for a writer goroutine and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

func allPIDs(e Endpoints) []int {
	var pids []int
	for _, s := range e.Metadata {
		pids = append(pids, s.PID)
	}
	for _, s := range e.Storage {
		pids = append(pids, s.PID)
	}
	for _, s := range e.Gateway {
		pids = append(pids, s.PID)
	}
	return pids
}
