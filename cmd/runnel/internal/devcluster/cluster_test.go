package devcluster

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClusterLifecycle(t *testing.T) {
	cfg := testConfig(t, 2)
	c := startCluster(t, cfg)
	e := c.Endpoints()

	if len(e.Metadata) != 1 || len(e.Storage) != 2 || len(e.Gateway) != 1 {
		t.Fatalf("endpoints %+v", e)
	}
	pids := allPIDs(e)
	for _, pid := range pids {
		if pid <= 0 || !alive(pid) {
			t.Fatalf("pid %d is not a live process", pid)
		}
	}
	for _, addr := range []string{e.Metadata[0].HTTP, e.Storage[0].HTTP, e.Storage[1].HTTP, e.Gateway[0].HTTP} {
		if !readyz(addr) {
			t.Errorf("%s is not ready", addr)
		}
	}
	if e.Gateway[0].Argv[0] != cfg.Binaries.Gateway {
		t.Errorf("gateway argv[0] = %s", e.Gateway[0].Argv[0])
	}
	// Each child's output is appended to its log file.
	log, err := os.ReadFile(c.Plan().Storage[1].LogFile)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "storage 2's log", func() bool {
		log, _ = os.ReadFile(c.Plan().Storage[1].LogFile)
		return strings.Contains(string(log), "fake 2 started with --id=2")
	})
	if !strings.Contains(string(log), "--- runnel dev") {
		t.Errorf("log lacks the supervisor's header:\n%s", log)
	}

	// A child killed with SIGKILL is reported and stays down; the others keep running.
	victim := e.Storage[0].PID
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case ex := <-c.Exits():
		if ex.Child.Name() != "storage 1" || ex.PID != victim || ex.Status != "signal: killed" {
			t.Errorf("exit = %+v", ex)
		}
		if !strings.Contains(ex.String(), c.Plan().Storage[0].LogFile) {
			t.Errorf("exit report %q lacks the log file", ex)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the killed child was not reported")
	}
	if alive(victim) {
		t.Errorf("storage 1 (pid %d) is still alive", victim)
	}
	for _, addr := range []string{e.Metadata[0].HTTP, e.Storage[1].HTTP, e.Gateway[0].HTTP} {
		if !readyz(addr) {
			t.Errorf("%s stopped answering after another child died", addr)
		}
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d survived Stop", pid)
		}
	}
	select {
	case ex := <-c.Exits():
		t.Errorf("a stopped child was reported as an exit: %v", ex)
	default:
	}
	if err := c.Stop(); err != nil { // idempotent
		t.Errorf("second Stop: %v", err)
	}
	log, err = os.ReadFile(c.Plan().Gateway[0].LogFile)
	if err != nil || !strings.Contains(string(log), "fake g1 stopping") {
		t.Errorf("the gateway did not stop on SIGTERM (err %v):\n%s", err, log)
	}
}

func TestStartFailsNamingTheChild(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   string
		want  []string
		ready time.Duration
	}{
		{"never ready", envNeverReady + "=g1", []string{"gateway g1", "was not ready within 1s", "/logs/g1.log"}, time.Second},
		{"exits at start", envExitAtStart + "=2", []string{"storage 2", "exited before it was ready", "exit status 3", "/logs/2.log"}, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 2, tc.env)
			cfg.ReadyTimeout = tc.ready
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Start(ctx, cfg)
			if err == nil {
				_ = c.Stop()
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			// Every child started is stopped again: all planned ports are free.
			full, _ := cfg.WithDefaults()
			p, _ := NewPlan(full)
			if err := CheckPorts(p); err != nil {
				t.Errorf("a child survived the failed start: %v", err)
			}
		})
	}
}

func TestStopKillsAChildIgnoringSIGTERM(t *testing.T) {
	cfg := testConfig(t, 1, envIgnoreTerm+"=1")
	cfg.StopTimeout = 500 * time.Millisecond
	c := startCluster(t, cfg)
	pids := allPIDs(c.Endpoints())
	err := c.Stop()
	if err == nil || !strings.Contains(err.Error(), "storage 1") || !strings.Contains(err.Error(), "was killed") {
		t.Fatalf("Stop = %v, want an error naming storage 1 as killed", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d survived Stop", pid)
		}
	}
}

func TestStartStopsWhenContextEnds(t *testing.T) {
	cfg := testConfig(t, 1, envNeverReady+"=m1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		c, err := Start(ctx, cfg)
		if err == nil {
			_ = c.Stop()
		}
		done <- err
	}()
	full, _ := cfg.WithDefaults()
	p, _ := NewPlan(full)
	eventually(t, 10*time.Second, "metadata m1 to listen", func() bool {
		log, _ := os.ReadFile(p.Metadata[0].LogFile)
		return strings.Contains(string(log), "fake m1 started")
	})
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Start = %v, want context.Canceled", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
	if err := CheckPorts(p); err != nil {
		t.Errorf("a child survived: %v", err)
	}
}
