package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// proc is a child process this test process started, with a waiter that reaps it.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // Wait's result, valid after done
	log  *os.File      // where its stdout and stderr go; closed after exit
}

// startProc starts cmd with output appended to logPath. The child gets SIGKILL when this test
// process dies (Pdeathsig), so nothing outlives a crashed test binary; with group it also leads a
// new process group.
func startProc(cmd *exec.Cmd, logPath string, group bool) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), log: f}
	go func() { // owned by p: ends when the process exits, which every cleanup path causes
		p.err = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to exit.
func (p *proc) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// stop sends sig, waits up to grace, then SIGKILLs (the whole group when it leads one) and waits
// again. It reports whether the process exited within grace on sig alone.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) bool {
	if p.exited() {
		return true
	}
	_ = p.cmd.Process.Signal(sig)
	if p.wait(grace) {
		return true
	}
	if p.cmd.SysProcAttr != nil && p.cmd.SysProcAttr.Setpgid {
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	}
	_ = p.cmd.Process.Kill()
	p.wait(30 * time.Second)
	return false
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	s := procState(pid)
	return s != 0 && s != 'Z' && s != 'X'
}

// runs reports whether pid is alive and runs program (guards against pid reuse).
func runs(pid int, program string) bool {
	if !alive(pid) {
		return false
	}
	// Right after exec the kernel may show an empty command line for a moment (the close-on-exec
	// pipe that tells the parent exec succeeded closes before the new arguments are in place).
	var b []byte
	if err := poll(time.Second, 5*time.Millisecond, func() error {
		var err error
		if b, err = os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err != nil || len(b) > 0 {
			return nil
		}
		return errStillAlive
	}); err != nil || len(b) == 0 {
		return false
	}
	argv0, _, _ := bytes.Cut(b, []byte{0})
	return string(argv0) == program
}

var errStillAlive = errors.New("process still alive")

// killPID sends SIGKILL to pid if it still runs program, and waits up to d for it to be gone.
func killPID(pid int, program string, d time.Duration) error {
	if !runs(pid, program) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return waitGone(pid, d)
}

// waitGone waits up to d for pid to stop being a live process.
func waitGone(pid int, d time.Duration) error {
	err := poll(d, 20*time.Millisecond, func() error {
		if alive(pid) {
			return errStillAlive
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pid %d: %w", pid, err)
	}
	return nil
}
