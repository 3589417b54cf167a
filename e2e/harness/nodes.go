package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nodeRef is one service process as the endpoints file lists it.
type nodeRef struct {
	key   string // "storage 1", "metadata m1": how messages and the restarted map name it
	logID string // its log is <data-dir>/logs/<logID>.log
	pid   int    // the pid runnel dev started it with
	argv  []string
	http  string // host:port of /readyz
}

func (c *Cluster) storageRef(t testing.TB, id int32) nodeRef {
	t.Helper()
	n, ok := c.Endpoints().StorageByID(id)
	if !ok {
		t.Fatalf("harness: no storage node %d", id)
	}
	return nodeRef{key: "storage " + strconv.Itoa(int(id)), logID: strconv.Itoa(int(id)), pid: n.PID, argv: n.Argv, http: n.HTTP}
}

func (c *Cluster) metadataRef(t testing.TB, id string) nodeRef {
	t.Helper()
	n, ok := c.Endpoints().MetadataByID(id)
	if !ok {
		t.Fatalf("harness: no metadata node %q", id)
	}
	if n.PID <= 0 || len(n.Argv) == 0 || n.HTTP == "" {
		t.Fatalf("harness: metadata node %s lacks pid, argv or http in the endpoints file", id)
	}
	return nodeRef{key: "metadata " + id, logID: id, pid: n.PID, argv: n.Argv, http: n.HTTP}
}

// runningPID is the pid of n's live process (the one this test restarted, else runnel dev's), or 0.
func (c *Cluster) runningPID(n nodeRef) int {
	c.mu.Lock()
	p := c.restarted[n.key]
	c.mu.Unlock()
	if p != nil {
		if p.exited() {
			return 0
		}
		return p.pid()
	}
	if runs(n.pid, n.argv[0]) {
		return n.pid
	}
	return 0
}

// KillStorage sends SIGKILL to storage node id (paused or not) and waits for it to be gone.
func (c *Cluster) KillStorage(t testing.TB, id int32) { t.Helper(); c.kill(t, c.storageRef(t, id)) }

// RestartStorage starts storage node id again with the argv of the endpoints file, from another
// working directory, and waits for its /readyz.
func (c *Cluster) RestartStorage(t testing.TB, id int32) {
	t.Helper()
	c.restart(t, c.storageRef(t, id))
}

// PauseStorage stops storage node id with SIGSTOP (its sockets stay open, it answers nothing);
// ResumeStorage continues it. A node left paused gets SIGCONT in Stop and in the cleanup.
func (c *Cluster) PauseStorage(t testing.TB, id int32) { t.Helper(); c.pause(t, c.storageRef(t, id)) }

// ResumeStorage sends SIGCONT to a storage node PauseStorage stopped.
func (c *Cluster) ResumeStorage(t testing.TB, id int32) { t.Helper(); c.resume(t, c.storageRef(t, id)) }

// KillMetadata sends SIGKILL to metadata node id ("m1") and waits for it to be gone.
func (c *Cluster) KillMetadata(t testing.TB, id string) { t.Helper(); c.kill(t, c.metadataRef(t, id)) }

// RestartMetadata starts metadata node id again with its argv (same data dir, so the same etcd
// member) and waits for its /readyz.
func (c *Cluster) RestartMetadata(t testing.TB, id string) {
	t.Helper()
	c.restart(t, c.metadataRef(t, id))
}

// PauseMetadata stops metadata node id with SIGSTOP; ResumeMetadata continues it.
func (c *Cluster) PauseMetadata(t testing.TB, id string) {
	t.Helper()
	c.pause(t, c.metadataRef(t, id))
}

// ResumeMetadata sends SIGCONT to a metadata node PauseMetadata stopped.
func (c *Cluster) ResumeMetadata(t testing.TB, id string) {
	t.Helper()
	c.resume(t, c.metadataRef(t, id))
}

// StorageRuns reports whether storage node id has a live process (paused counts as live).
func (c *Cluster) StorageRuns(t testing.TB, id int32) bool {
	t.Helper()
	return c.runningPID(c.storageRef(t, id)) != 0
}

// MetadataRuns reports whether metadata node id has a live process (paused counts as live).
func (c *Cluster) MetadataRuns(t testing.TB, id string) bool {
	t.Helper()
	return c.runningPID(c.metadataRef(t, id)) != 0
}

func (c *Cluster) kill(t testing.TB, n nodeRef) {
	t.Helper()
	c.mu.Lock()
	p := c.restarted[n.key]
	delete(c.restarted, n.key)
	c.mu.Unlock()
	if p != nil {
		c.forgetPaused(p.pid())
		p.stop(syscall.SIGKILL, 10*time.Second)
		return
	}
	if !runs(n.pid, n.argv[0]) {
		t.Fatalf("harness: %s (pid %d) is not running", n.key, n.pid)
	}
	c.forgetPaused(n.pid)
	if err := killPID(n.pid, n.argv[0], 10*time.Second); err != nil {
		t.Fatalf("harness: kill %s: %v", n.key, err)
	}
}

func (c *Cluster) restart(t testing.TB, n nodeRef) {
	t.Helper()
	if c.runningPID(n) != 0 {
		t.Fatalf("harness: %s still runs", n.key)
	}
	cmd := exec.Command(n.argv[0], n.argv[1:]...)
	cmd.Dir = t.TempDir()
	logPath := filepath.Join(c.DataDir, "logs", n.logID+".log")
	logStart := fileSize(logPath)
	p, err := startProc(cmd, logPath, false)
	if err != nil {
		t.Fatalf("harness: restart %s: %v", n.key, err)
	}
	c.mu.Lock()
	c.restarted[n.key] = p
	c.mu.Unlock()
	err = poll(60*time.Second, 100*time.Millisecond, func() error {
		if p.exited() {
			return fmt.Errorf("%s %s", n.key, describeExit(p.err))
		}
		return ready(n.http)
	})
	if err != nil {
		t.Fatalf("harness: restarted %s not ready: %v; its log:\n%s", n.key, err, tailFrom(logPath, logStart, 4096))
	}
}

func (c *Cluster) pause(t testing.TB, n nodeRef) {
	t.Helper()
	pid := c.runningPID(n)
	if pid == 0 {
		t.Fatalf("harness: pause %s: it is not running", n.key)
	}
	c.mu.Lock()
	c.paused[pid] = n.argv[0]
	c.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("harness: SIGSTOP %s (pid %d): %v", n.key, pid, err)
	}
	err := poll(5*time.Second, 5*time.Millisecond, func() error {
		if s := procState(pid); s != 'T' {
			return fmt.Errorf("%s (pid %d) is in state %q, not stopped", n.key, pid, s)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("harness: pause: %v", err)
	}
}

func (c *Cluster) resume(t testing.TB, n nodeRef) {
	t.Helper()
	pid := c.runningPID(n)
	if pid == 0 {
		t.Fatalf("harness: resume %s: it is not running", n.key)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatalf("harness: SIGCONT %s (pid %d): %v", n.key, pid, err)
	}
	c.forgetPaused(pid)
	err := poll(5*time.Second, 5*time.Millisecond, func() error {
		if s := procState(pid); s == 'T' {
			return fmt.Errorf("%s (pid %d) is still stopped", n.key, pid)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("harness: resume: %v", err)
	}
}

func (c *Cluster) forgetPaused(pid int) {
	c.mu.Lock()
	delete(c.paused, pid)
	c.mu.Unlock()
}

// resumeAll sends SIGCONT to every process this test paused and that still runs its program.
func (c *Cluster) resumeAll() {
	c.mu.Lock()
	paused := c.paused
	c.paused = map[int]string{}
	c.mu.Unlock()
	for pid, prog := range paused {
		if runs(pid, prog) {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
}

// procState is the state letter of pid in /proc/<pid>/stat ('R', 'S', 'T' stopped, 'Z' …), or 0.
func procState(pid int) byte {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return 0
	}
	return s[i+2]
}

// StorageDataDir is storage node id's --data-dir, from its argv.
func (c *Cluster) StorageDataDir(t testing.TB, id int32) string {
	t.Helper()
	n := c.storageRef(t, id)
	for i, a := range n.argv {
		if v, ok := strings.CutPrefix(a, "--data-dir="); ok {
			return v
		}
		if a == "--data-dir" && i+1 < len(n.argv) {
			return n.argv[i+1]
		}
	}
	t.Fatalf("harness: storage node %d's argv has no --data-dir: %q", id, n.argv)
	return ""
}

// PartitionDir is where storage node id keeps its replica of topic-partition:
// <its data dir>/<topic>-<partition>.
func (c *Cluster) PartitionDir(t testing.TB, id int32, topic string, partition int32) string {
	t.Helper()
	return filepath.Join(c.StorageDataDir(t, id), topic+"-"+strconv.Itoa(int(partition)))
}
