package harness

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// sleeperCluster is a Cluster whose endpoints list one storage node and one metadata node, each a
// `sleep 60` this test started, so that node control runs without `runnel dev`.
func sleeperCluster(t *testing.T) (*Cluster, map[string]*proc) {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("no sleep program: %v", err)
	}
	dir := t.TempDir()
	procs := map[string]*proc{}
	for _, name := range []string{"storage", "metadata"} {
		p, err := startProc(exec.Command(sleep, "60"), filepath.Join(dir, name+".log"), false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = syscall.Kill(p.pid(), syscall.SIGCONT)
			p.stop(syscall.SIGKILL, 5*time.Second)
		})
		procs[name] = p
	}
	c := &Cluster{
		DataDir:   dir,
		restarted: map[string]*proc{},
		paused:    map[int]string{},
		children:  map[int]string{},
		endpoints: &Endpoints{
			Storage:  []StorageNode{{ID: 1, PID: procs["storage"].pid(), Argv: []string{sleep, "60", "--data-dir=/data/storage/1"}, HTTP: "127.0.0.1:1"}},
			Metadata: []NamedNode{{ID: "m1", PID: procs["metadata"].pid(), Argv: []string{sleep, "60"}, HTTP: "127.0.0.1:1"}},
		},
	}
	// The argv above differs from the real command line (sleep 60); runs() compares argv[0] only.
	return c, procs
}

func TestPauseResumeKill(t *testing.T) {
	c, procs := sleeperCluster(t)
	cases := []struct {
		name  string
		pid   int
		pause func()
		resum func()
		kill  func()
		runs  func() bool
	}{
		{"storage", procs["storage"].pid(), func() { c.PauseStorage(t, 1) }, func() { c.ResumeStorage(t, 1) }, func() { c.KillStorage(t, 1) }, func() bool { return c.StorageRuns(t, 1) }},
		{"metadata", procs["metadata"].pid(), func() { c.PauseMetadata(t, "m1") }, func() { c.ResumeMetadata(t, "m1") }, func() { c.KillMetadata(t, "m1") }, func() bool { return c.MetadataRuns(t, "m1") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.pause()
			if s := procState(tc.pid); s != 'T' {
				t.Fatalf("after pause: state %q, want T", s)
			}
			if !c.isPaused(tc.pid) {
				t.Fatal("a paused pid is not recorded")
			}
			tc.resum()
			if s := procState(tc.pid); s == 'T' || s == 0 {
				t.Fatalf("after resume: state %q", s)
			}
			if c.isPaused(tc.pid) {
				t.Fatal("a resumed pid is still recorded as paused")
			}
			tc.pause()
			tc.kill() // a paused process is killed too, and forgotten
			if alive(tc.pid) || tc.runs() || c.isPaused(tc.pid) {
				t.Fatalf("after kill: alive %v, runs %v, paused %v", alive(tc.pid), tc.runs(), c.isPaused(tc.pid))
			}
		})
	}
}

func TestResumeAllContinuesPausedProcesses(t *testing.T) {
	c, procs := sleeperCluster(t)
	c.PauseStorage(t, 1)
	c.PauseMetadata(t, "m1")
	c.resumeAll()
	for name, p := range procs {
		if s := procState(p.pid()); s == 'T' || s == 0 {
			t.Errorf("%s: state %q after resumeAll", name, s)
		}
	}
	if len(c.paused) != 0 {
		t.Errorf("paused set %v after resumeAll", c.paused)
	}
}

func TestStorageDataDir(t *testing.T) {
	c, _ := sleeperCluster(t)
	if got := c.PartitionDir(t, 1, "orders", 7); got != "/data/storage/1/orders-7" {
		t.Fatalf("PartitionDir = %q", got)
	}
}

func TestPartitionHelpers(t *testing.T) {
	cases := []struct {
		name      string
		p         Partition
		full      bool
		preferred int32
	}{
		{"full", Partition{Replicas: []int32{2, 3, 1}, ISR: []int32{1, 2, 3}}, true, 2},
		{"shrunk", Partition{Replicas: []int32{2, 3, 1}, ISR: []int32{1, 2}}, false, 2},
		{"foreign member", Partition{Replicas: []int32{2, 3}, ISR: []int32{2, 4}}, false, 2},
		{"no replicas", Partition{}, true, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.p.FullISR() != tc.full || tc.p.Preferred() != tc.preferred {
				t.Fatalf("FullISR %v Preferred %d, want %v %d", tc.p.FullISR(), tc.p.Preferred(), tc.full, tc.preferred)
			}
		})
	}
	top := &Topic{Partitions: []Partition{{Partition: 0}, {Partition: 1, Leader: 3}}}
	if p, ok := top.Partition(1); !ok || p.Leader != 3 {
		t.Fatalf("Partition(1) = %+v %v", p, ok)
	}
	if _, ok := top.Partition(2); ok {
		t.Fatal("Partition(2) found in a topic of two partitions")
	}
}
