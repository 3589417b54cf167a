package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure Start. Zero values take `runnel dev`'s defaults.
type Options struct {
	StorageNodes  int           // --storage-nodes (dev default 3)
	MetadataNodes int           // --metadata-nodes (dev default 1)
	StartTimeout  time.Duration // how long to wait for the endpoints file (default 90 s)
	Args          []string      // extra `runnel dev` flags
	Env           []string      // extra environment of `runnel dev` (and so of its children)
}

// Cluster is a running `runnel dev`.
type Cluster struct {
	DataDir  string // --data-dir; logs are in DataDir/logs
	PortBase int

	bin           string
	dir           string // the test's temp dir
	opts          Options
	endpointsFile string
	devLog        string

	mu        sync.Mutex
	endpoints *Endpoints
	client    *Client
	dev       *proc
	restarted map[string]*proc // nodes this test started again itself, by nodeKey
	paused    map[int]string   // pids this test stopped with SIGSTOP → their program
	children  map[int]string   // every child pid ever listed in an endpoints file → its program
}

// errPortTaken marks a `runnel dev` that exited because a port of its range was taken.
var errPortTaken = errors.New("port taken")

// Start starts `runnel dev` on a fresh data dir and a free port base and waits until it has written
// its endpoints file. Everything it starts is stopped by t.Cleanup.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 90 * time.Second
	}
	dir := t.TempDir()
	c := &Cluster{
		DataDir:       filepath.Join(dir, "data"),
		bin:           BinDir(t),
		dir:           dir,
		opts:          opts,
		endpointsFile: filepath.Join(dir, "endpoints.json"),
		devLog:        filepath.Join(dir, "runnel-dev.log"),
		restarted:     map[string]*proc{},
		paused:        map[int]string{},
		children:      map[int]string{},
	}
	t.Cleanup(func() { c.cleanup(t) })
	exclude := map[int]bool{}
	for attempt := 1; ; attempt++ {
		base, err := acquireBase(orDefault(opts.MetadataNodes, 1), orDefault(opts.StorageNodes, 3), exclude)
		if err != nil {
			t.Fatalf("harness: %v", err)
		}
		c.PortBase = base
		err = c.startDev()
		if err == nil {
			return c
		}
		releaseBase(base)
		c.PortBase = 0
		if errors.Is(err, errPortTaken) && attempt < 3 {
			t.Logf("harness: port base %d was taken, trying another: %v", base, err)
			exclude[base] = true
			continue
		}
		t.Fatalf("harness: runnel dev did not start: %v", err) // the cleanup dumps the logs
	}
}

// Endpoints returns the endpoints of the current `runnel dev` run.
func (c *Cluster) Endpoints() *Endpoints {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endpoints
}

// Client returns a REST client for the gateway of the current run.
func (c *Cluster) Client() *Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

// startDev runs `runnel dev` and waits for its endpoints file.
func (c *Cluster) startDev() error {
	if err := os.Remove(c.endpointsFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	args := []string{"dev",
		"--data-dir", c.DataDir,
		"--port-base", strconv.Itoa(c.PortBase),
		"--endpoints-file", c.endpointsFile,
	}
	if c.opts.StorageNodes > 0 {
		args = append(args, "--storage-nodes", strconv.Itoa(c.opts.StorageNodes))
	}
	if c.opts.MetadataNodes > 0 {
		args = append(args, "--metadata-nodes", strconv.Itoa(c.opts.MetadataNodes))
	}
	args = append(args, c.opts.Args...)
	cmd := exec.Command(binPath(c.bin, CLIBinary), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.opts.Env...)
	logStart := fileSize(c.devLog)
	p, err := startProc(cmd, c.devLog, true)
	if err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	c.mu.Lock()
	c.dev = p
	c.mu.Unlock()

	var ep *Endpoints
	err = poll(c.opts.StartTimeout, 100*time.Millisecond, func() error {
		if p.exited() {
			return errExited
		}
		e, err := readEndpoints(c.endpointsFile)
		if err != nil {
			return err
		}
		ep = e
		return nil
	})
	if err != nil {
		out := tailFrom(c.devLog, logStart, 4096)
		if p.exited() {
			err = fmt.Errorf("runnel dev %s before writing its endpoints file; its output:\n%s", describeExit(p.err), out)
			if strings.Contains(out, "in use") || strings.Contains(out, "taken") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		}
		p.stop(syscall.SIGTERM, 15*time.Second)
		return fmt.Errorf("no endpoints file from runnel dev: %w; its output:\n%s", err, out)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endpoints = ep
	c.client = NewClient(ep.REST)
	for _, n := range ep.Metadata {
		c.children[n.PID] = n.Argv[0]
	}
	for _, n := range ep.Storage {
		c.children[n.PID] = n.Argv[0]
	}
	for _, n := range ep.Gateway {
		c.children[n.PID] = n.Argv[0]
	}
	return nil
}

var errExited = errors.New("runnel dev exited")

// Stop stops the cluster as a user does (SIGTERM to `runnel dev`) and checks that every process is
// gone; paused nodes get SIGCONT first, and nodes the test restarted itself get SIGTERM too.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	c.resumeAll()
	c.mu.Lock()
	dev, restarted := c.dev, c.restarted
	c.dev, c.restarted = nil, map[string]*proc{}
	c.mu.Unlock()
	if dev == nil {
		t.Fatalf("harness: Stop: the cluster is not running")
	}
	for key, p := range restarted {
		if !p.stop(syscall.SIGTERM, 20*time.Second) {
			t.Errorf("harness: restarted %s did not exit within 20s of SIGTERM", key)
		}
	}
	if !dev.stop(syscall.SIGTERM, 30*time.Second) {
		t.Errorf("harness: runnel dev did not exit within 30s of SIGTERM")
	}
	for pid, prog := range c.childrenSnapshot() {
		if err := waitGone(pid, 10*time.Second); err != nil {
			t.Errorf("harness: %s (pid %d) still runs after runnel dev stopped", prog, pid)
			_ = killPID(pid, prog, 10*time.Second)
		}
	}
}

// StartAgain starts `runnel dev` again on the same data dir and port base after Stop.
func (c *Cluster) StartAgain(t testing.TB) {
	t.Helper()
	if err := c.startDev(); err != nil {
		t.Fatalf("harness: runnel dev did not start again: %v", err)
	}
}

// ready checks GET http://addr/readyz answers 200.
func ready(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/readyz: %s", addr, resp.Status)
	}
	return nil
}

func (c *Cluster) childrenSnapshot() map[int]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]string, len(c.children))
	for k, v := range c.children {
		out[k] = v
	}
	return out
}

// cleanup stops everything this cluster started; on failure it first dumps the logs.
func (c *Cluster) cleanup(t testing.TB) {
	c.resumeAll() // no process is left stopped, whatever happens next
	if t.Failed() {
		c.dumpLogs(t)
	}
	c.mu.Lock()
	dev, restarted := c.dev, c.restarted
	c.dev, c.restarted = nil, map[string]*proc{}
	c.mu.Unlock()
	if dev != nil && !dev.stop(syscall.SIGTERM, 30*time.Second) {
		t.Logf("harness: runnel dev needed SIGKILL")
	}
	for key, p := range restarted {
		if !p.stop(syscall.SIGKILL, 10*time.Second) {
			t.Logf("harness: restarted %s did not exit on SIGKILL", key)
		}
	}
	for pid, prog := range c.childrenSnapshot() {
		if err := killPID(pid, prog, 10*time.Second); err != nil {
			t.Errorf("harness: %s: %v", prog, err)
		}
	}
	if c.PortBase != 0 {
		releaseBase(c.PortBase)
	}
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
