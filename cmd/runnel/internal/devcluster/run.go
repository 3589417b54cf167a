package devcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrAllExited is returned by Run when every child has exited on its own.
var ErrAllExited = errors.New("every service of the dev cluster has exited")

// Run is `runnel dev`: it starts the cluster, prints the endpoints on out (and writes
// cfg.EndpointsFile), reports on log each child that exits, and when ctx ends (Ctrl-C, SIGTERM)
// stops every child and returns nil. It returns an error when the cluster cannot start, and
// ErrAllExited when every child has exited by itself.
func Run(ctx context.Context, cfg Config, out, log io.Writer) error {
	if cfg.Progress == nil {
		cfg.Progress = log
	}
	c, err := Start(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(log, "runnel dev: interrupted while starting; every service is stopped")
			return nil
		}
		return err
	}
	cfg = c.Config()
	e := c.Endpoints()
	fmt.Fprintf(out, "runnel dev: cluster ready (data dir %s)\n\n", cfg.DataDir)
	if err := e.Print(out, c.Plan().LogDir); err != nil {
		return errors.Join(err, c.Stop())
	}
	if cfg.EndpointsFile != "" {
		if err := e.WriteFile(cfg.EndpointsFile); err != nil {
			return errors.Join(err, c.Stop())
		}
		fmt.Fprintf(out, "endpoints  %s\n", cfg.EndpointsFile)
	}
	fmt.Fprintln(out, "\npress Ctrl-C to stop")

	running := len(c.Plan().Children())
	for running > 0 {
		select {
		case <-ctx.Done():
			return stopAndReport(c, log)
		case ex := <-c.Exits():
			running--
			if ctx.Err() != nil { // a child that saw the same Ctrl-C
				continue
			}
			fmt.Fprintf(log, "runnel dev: %s; it stays down, the others keep running\n", ex)
		}
	}
	fmt.Fprintf(log, "runnel dev: every service has exited; see the logs in %s\n", c.Plan().LogDir)
	if err := c.Stop(); err != nil {
		fmt.Fprintf(log, "runnel dev: %v\n", err)
	}
	return ErrAllExited
}

func stopAndReport(c *Cluster, log io.Writer) error {
	fmt.Fprintln(log, "runnel dev: stopping")
	if err := c.Stop(); err != nil {
		fmt.Fprintf(log, "runnel dev: %v\n", err)
	}
	fmt.Fprintln(log, "runnel dev: stopped")
	return nil
}
