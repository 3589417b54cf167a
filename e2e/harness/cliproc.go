package harness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// CLIProcess is a long-running `runnel` process (e.g. `runnel consume --group`) whose stdout the
// test reads line by line while it runs. Every CLIProcess is stopped by t.Cleanup (SIGKILL when it
// still runs), also when the test fails; then its stderr is logged.
type CLIProcess struct {
	Name string // for messages

	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited and its output is read
	state *os.ProcessState
	err   error

	mu      sync.Mutex
	lines   []string
	partial []byte
	stderr  bytes.Buffer
}

// StartCLI starts bin/runnel args... against the cluster's gateway (RUNNEL_GATEWAY) without
// waiting for it; name labels it in messages.
func (c *Cluster) StartCLI(t testing.TB, name string, args ...string) *CLIProcess {
	t.Helper()
	cmd := exec.Command(binPath(c.bin, CLIBinary), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "RUNNEL_GATEWAY="+c.Endpoints().GRPC)
	p := &CLIProcess{Name: name, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = lineWriter{p}
	cmd.Stderr = stderrWriter{p}
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("harness: start runnel %s: %v", strings.Join(args, " "), err)
	}
	go func() { // owned by p: ends when the process exits, which the cleanup guarantees
		p.err = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			_ = p.cmd.Process.Kill()
			p.wait(30 * time.Second)
		}
		if t.Failed() {
			t.Logf("harness: %s (runnel %s) stderr:\n%s", p.Name, strings.Join(args, " "), tail(p.Stderr(), 4096))
		}
	})
	return p
}

type lineWriter struct{ p *CLIProcess }

func (w lineWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.partial = append(w.p.partial, b...)
	for {
		i := bytes.IndexByte(w.p.partial, '\n')
		if i < 0 {
			break
		}
		w.p.lines = append(w.p.lines, string(w.p.partial[:i]))
		w.p.partial = w.p.partial[i+1:]
	}
	return len(b), nil
}

type stderrWriter struct{ p *CLIProcess }

func (w stderrWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

// PID is the process id.
func (p *CLIProcess) PID() int { return p.cmd.Process.Pid }

// Lines returns the complete stdout lines written so far.
func (p *CLIProcess) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lines)
}

// LineCount is len(Lines()) without the copy.
func (p *CLIProcess) LineCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// Stderr returns what the process wrote to stderr so far.
func (p *CLIProcess) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Records parses the stdout lines written so far as `runnel consume --format json` records.
func (p *CLIProcess) Records() ([]ConsumedRecord, error) {
	recs, err := parseRecordLines(p.Lines())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	return recs, nil
}

// ParseRecords parses the output of `runnel consume --format json`: one record per line.
func ParseRecords(out string) ([]ConsumedRecord, error) {
	return parseRecordLines(strings.Split(strings.TrimSuffix(out, "\n"), "\n"))
}

func parseRecordLines(lines []string) ([]ConsumedRecord, error) {
	out := make([]ConsumedRecord, 0, len(lines))
	for i, l := range lines {
		if l == "" && len(lines) == 1 {
			break // no output at all
		}
		var r ConsumedRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return nil, fmt.Errorf("stdout line %d %q: %w", i+1, l, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Exited reports whether the process has exited.
func (p *CLIProcess) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *CLIProcess) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// ExitCode is the exit code once the process has exited (-1 when a signal ended it).
func (p *CLIProcess) ExitCode() int {
	<-p.done
	if p.state == nil {
		return -1
	}
	return p.state.ExitCode()
}

// Wait waits up to d for the process to exit by itself and returns its exit code; it fails the
// test (after killing it) when it does not.
func (p *CLIProcess) Wait(t testing.TB, d time.Duration) int {
	t.Helper()
	if !p.wait(d) {
		_ = p.cmd.Process.Kill()
		p.wait(30 * time.Second)
		t.Fatalf("harness: %s did not exit within %s; stderr:\n%s", p.Name, d, tail(p.Stderr(), 4096))
	}
	return p.ExitCode()
}

// Stop sends SIGTERM (as Ctrl-C would end it) and waits up to 20 s for the exit; it returns the
// exit code, failing the test when the process needed SIGKILL.
func (p *CLIProcess) Stop(t testing.TB) int {
	t.Helper()
	if !p.Exited() {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatalf("harness: SIGTERM %s: %v", p.Name, err)
		}
	}
	return p.Wait(t, 20*time.Second)
}

// Kill sends SIGKILL (a crash: no leave, no last commit) and waits until the process is gone.
func (p *CLIProcess) Kill(t testing.TB) {
	t.Helper()
	if p.Exited() {
		t.Fatalf("harness: kill %s: it already exited (code %d); stderr:\n%s", p.Name, p.ExitCode(), tail(p.Stderr(), 4096))
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("harness: SIGKILL %s: %v", p.Name, err)
	}
	if !p.wait(30 * time.Second) {
		t.Fatalf("harness: %s still runs 30s after SIGKILL", p.Name)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// EventuallyEvery is Eventually with a chosen polling interval.
func EventuallyEvery(t testing.TB, timeout, interval time.Duration, cond func() error) {
	t.Helper()
	if err := poll(timeout, interval, cond); err != nil {
		t.Fatalf("condition not met: %v", err)
	}
}
