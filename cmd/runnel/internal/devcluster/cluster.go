package devcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Exit reports a child that exited while the cluster ran (not one stopped by Stop).
type Exit struct {
	Child  Child
	PID    int
	Status string // "exit status 1", "signal: killed"
}

// String names the child, its pid, how it ended and its log file.
func (e Exit) String() string {
	return fmt.Sprintf("%s (pid %d) exited: %s; log: %s", e.Child.Name(), e.PID, e.Status, e.Child.LogFile)
}

// Cluster is a running dev cluster. Its methods are safe for concurrent use.
type Cluster struct {
	cfg     Config
	plan    Plan
	starter *starter
	procs   []*proc // in start order; fixed once Start returns
	exits   chan Exit

	stopping atomic.Bool
	stopOnce sync.Once
	stopErr  error
}

// proc is one started child.
type proc struct {
	child  Child
	cmd    *exec.Cmd
	pid    int
	done   chan struct{} // closed once the child has been reaped
	status string        // how it ended; written before done is closed
}

// Start validates cfg, checks the ports, creates the directories and starts every child stage by
// stage, waiting for each stage to be ready. On error every child started so far is stopped.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	plan, err := NewPlan(cfg)
	if err != nil {
		return nil, err
	}
	if err := CheckPorts(plan); err != nil {
		return nil, err
	}
	if err := prepareDirs(cfg, plan); err != nil {
		return nil, err
	}
	c := &Cluster{
		cfg:     cfg,
		plan:    plan,
		starter: newStarter(),
		exits:   make(chan Exit, len(plan.Children())),
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	for _, stage := range plan.Stages() {
		names := make([]string, len(stage))
		for i, ch := range stage {
			names[i] = ch.Name()
		}
		fmt.Fprintf(progress, "runnel dev: starting %s\n", strings.Join(names, ", "))
		procs := make([]*proc, 0, len(stage))
		for _, ch := range stage {
			p, err := c.spawn(ch)
			if err != nil {
				return nil, errors.Join(err, c.Stop())
			}
			procs = append(procs, p)
		}
		if err := c.waitReady(ctx, procs); err != nil {
			return nil, errors.Join(err, c.Stop())
		}
	}
	return c, nil
}

func prepareDirs(cfg Config, plan Plan) error {
	if err := checkLayoutRecord(cfg); err != nil {
		return err
	}
	dirs := []string{plan.LogDir}
	for _, ch := range plan.Children() {
		if ch.DataDir != "" {
			dirs = append(dirs, ch.DataDir)
		}
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return writeLayoutRecord(cfg)
}

// spawn starts one child with its output appended to its log file.
func (c *Cluster) spawn(ch Child) (*proc, error) {
	f, err := os.OpenFile(ch.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: opening its log: %w", ch.Name(), err)
	}
	defer f.Close() // the child holds its own descriptor
	fmt.Fprintf(f, "--- runnel dev %s: starting %s: %s\n",
		time.Now().Format(time.RFC3339), ch.Name(), strings.Join(ch.Argv, " "))
	cmd := exec.Command(ch.Argv[0], ch.Argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), c.cfg.Env...)
	if err := c.starter.start(cmd); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", ch.Name(), ch.Argv[0], err)
	}
	p := &proc{child: ch, cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	c.procs = append(c.procs, p)
	go c.reap(p)
	return p, nil
}

// reap waits for the child to end, records how, and reports it unless the cluster is stopping.
// It is the only caller of cmd.Wait; it ends when the child does.
func (c *Cluster) reap(p *proc) {
	err := p.cmd.Wait()
	switch {
	case p.cmd.ProcessState != nil:
		p.status = p.cmd.ProcessState.String()
	case err != nil:
		p.status = err.Error()
	}
	close(p.done)
	if !c.stopping.Load() {
		c.exits <- Exit{Child: p.child, PID: p.pid, Status: p.status} // buffered for every child
	}
}

// Exits delivers every child that ends on its own while the cluster runs. A child is never
// restarted.
func (c *Cluster) Exits() <-chan Exit { return c.exits }

// Plan is the cluster's layout.
func (c *Cluster) Plan() Plan { return c.plan }

// Config is the configuration the cluster runs with (defaults applied).
func (c *Cluster) Config() Config { return c.cfg }

// Endpoints describes the cluster with the pid of every child.
func (c *Cluster) Endpoints() Endpoints {
	pids := make(map[string]int, len(c.procs))
	for _, p := range c.procs {
		pids[p.child.Name()] = p.pid
	}
	return NewEndpoints(c.plan, pids)
}

// Stop sends SIGTERM to the gateway, then the storage nodes, then the metadata nodes, waiting for
// each group to exit; whatever still runs when Config.StopTimeout has passed gets SIGKILL. It
// returns once every child has been reaped, with an error naming the children it had to kill.
// Calling it again returns the first result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	c.stopping.Store(true)
	deadline := time.NewTimer(c.cfg.StopTimeout)
	defer deadline.Stop()
	expired := false
	for _, role := range []Role{RoleGateway, RoleStorage, RoleMetadata} {
		var group []*proc
		for _, p := range c.procs {
			if p.child.Role == role {
				group = append(group, p)
			}
		}
		for _, p := range group {
			// An error means the child is already gone, which is what we want.
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range group {
			if expired {
				break
			}
			select {
			case <-p.done:
			case <-deadline.C:
				expired = true
			}
		}
	}
	var errs []error
	for _, p := range c.procs {
		select {
		case <-p.done:
			continue
		default:
		}
		_ = p.cmd.Process.Kill()
		errs = append(errs, fmt.Errorf("%s (pid %d) did not stop within %s after SIGTERM and was killed; log: %s",
			p.child.Name(), p.pid, c.cfg.StopTimeout, p.child.LogFile))
	}
	for _, p := range c.procs {
		<-p.done // SIGKILL cannot be ignored
	}
	c.starter.close()
	return errors.Join(errs...)
}
