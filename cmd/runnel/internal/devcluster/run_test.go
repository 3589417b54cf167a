package devcluster

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// supervisor is `runnel dev` (Run) in its own process: the test binary in supervisor mode.
type supervisor struct {
	cmd       *exec.Cmd
	out, log  *syncBuffer
	endpoints string
	waited    chan error
}

func startSupervisor(t *testing.T, cfg Config) *supervisor {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg.EndpointsFile = filepath.Join(t.TempDir(), "endpoints.json")
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &supervisor{out: &syncBuffer{}, log: &syncBuffer{}, endpoints: cfg.EndpointsFile, waited: make(chan error, 1)}
	s.cmd = exec.Command(exe, "-test.run=^$")
	s.cmd.Env = append(os.Environ(), envRole+"=supervisor", envConfig+"="+string(b))
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.log
	s.cmd.WaitDelay = 5 * time.Second
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.waited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-s.waited:
		default:
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.waited:
			case <-time.After(15 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.waited
			}
		}
	})
	return s
}

// readEndpoints waits for the endpoints file and decodes it.
func (s *supervisor) readEndpoints(t *testing.T) Endpoints {
	t.Helper()
	var e Endpoints
	eventually(t, 30*time.Second, "the endpoints file", func() bool {
		b, err := os.ReadFile(s.endpoints)
		return err == nil && json.Unmarshal(b, &e) == nil
	})
	return e
}

func (s *supervisor) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.waited:
		s.waited <- err
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("the supervisor did not exit; output:\n%s\n%s", s.out, s.log)
		return nil
	}
}

func TestRunReportsDeathAndStopsOnSIGTERM(t *testing.T) {
	cfg := testConfig(t, 2)
	s := startSupervisor(t, cfg)
	e := s.readEndpoints(t)

	if e.REST != "http://127.0.0.1:"+strconv.Itoa(cfg.PortBase+80) || e.GRPC != "127.0.0.1:"+strconv.Itoa(cfg.PortBase+1090) {
		t.Errorf("rest %s grpc %s", e.REST, e.GRPC)
	}
	pids := allPIDs(e)
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("pid %d from the endpoints file is not alive", pid)
		}
	}
	if out := s.out.String(); !strings.Contains(out, "cluster ready") || !strings.Contains(out, e.GRPC) {
		t.Errorf("stdout lacks the endpoints:\n%s", out)
	}

	victim := e.Storage[1]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	want := "storage 2 (pid " + strconv.Itoa(victim.PID) + ") exited: signal: killed"
	eventually(t, 10*time.Second, "the death report", func() bool { return strings.Contains(s.log.String(), want) })
	if !readyz(e.Gateway[0].HTTP) || !readyz(e.Storage[0].HTTP) || !readyz(e.Metadata[0].HTTP) {
		t.Error("the other children stopped answering")
	}

	// The argv in the endpoints file restarts the killed child from any working directory.
	restart := exec.Command(victim.Argv[0], victim.Argv[1:]...)
	restart.Dir = t.TempDir()
	restart.Env = append(os.Environ(), envRole+"=child")
	if err := restart.Start(); err != nil {
		t.Fatal(err)
	}
	restarted := make(chan error, 1)
	go func() { restarted <- restart.Wait() }()
	t.Cleanup(func() { _ = restart.Process.Kill(); <-restarted })
	eventually(t, 10*time.Second, "the restarted child to be ready", func() bool { return readyz(victim.HTTP) })
	_ = restart.Process.Signal(syscall.SIGTERM)
	if err := <-restarted; err != nil {
		t.Errorf("restarted child: %v", err)
	}
	restarted <- nil

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(t); err != nil {
		t.Fatalf("supervisor exit: %v; output:\n%s", err, s.log)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d survived the supervisor's SIGTERM", pid)
		}
	}
	if log := s.log.String(); !strings.Contains(log, "runnel dev: stopped") {
		t.Errorf("log lacks the stop report:\n%s", log)
	}
}
