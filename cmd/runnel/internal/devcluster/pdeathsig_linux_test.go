package devcluster

import (
	"testing"
	"time"
)

// TestChildrenDieWithKilledSupervisor: a supervisor killed with SIGKILL cannot stop its children;
// Pdeathsig makes the kernel kill them.
func TestChildrenDieWithKilledSupervisor(t *testing.T) {
	s := startSupervisor(t, testConfig(t, 1))
	pids := allPIDs(s.readEndpoints(t))
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(t); err == nil {
		t.Fatal("the supervisor exited cleanly after SIGKILL")
	}
	for _, pid := range pids {
		eventually(t, 10*time.Second, "the orphaned child to die", func() bool { return !alive(pid) })
	}
}
