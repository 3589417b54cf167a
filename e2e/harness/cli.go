package harness

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// CLITimeout bounds one CLI run.
const CLITimeout = 2 * time.Minute

// CLIResult is the outcome of one `runnel` run.
type CLIResult struct {
	Stdout, Stderr string
	ExitCode       int
}

// RunCLI runs bin/runnel args... with --gateway set to the cluster's gRPC address and stdin as its
// input. It fails the test only when the command cannot run or takes longer than CLITimeout.
func (c *Cluster) RunCLI(t testing.TB, stdin string, args ...string) CLIResult {
	t.Helper()
	gw := c.Endpoints().GRPC
	full := slices.Clone(args)
	flag := "--gateway=" + gw
	if i := slices.Index(full, "--"); i >= 0 {
		full = slices.Insert(full, i, flag)
	} else {
		full = append(full, flag)
	}
	ctx, cancel := context.WithTimeout(context.Background(), CLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath(c.bin, CLIBinary), full...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "RUNNEL_GATEWAY="+gw)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	res := CLIResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("runnel %s: no exit within %s; stderr:\n%s", strings.Join(args, " "), CLITimeout, res.Stderr)
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("runnel %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// MustRunCLI is RunCLI that fails the test unless the command exits 0; it returns stdout.
func (c *Cluster) MustRunCLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	r := c.RunCLI(t, stdin, args...)
	if r.ExitCode != 0 {
		t.Fatalf("runnel %s: exit %d; stderr:\n%s\nstdout:\n%s", strings.Join(args, " "), r.ExitCode, r.Stderr, r.Stdout)
	}
	return r.Stdout
}
