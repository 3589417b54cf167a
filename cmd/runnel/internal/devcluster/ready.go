package devcluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

const (
	readyPollInterval = 100 * time.Millisecond
	readyProbeTimeout = time.Second
)

// readyClient probes /readyz; no proxy, no keep-alive (each probe is one short request).
var readyClient = &http.Client{
	Timeout:   readyProbeTimeout,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

// waitReady waits until every proc answers 200 on GET /readyz, failing as soon as one exits, when
// Config.ReadyTimeout passes, or when ctx ends.
func (c *Cluster) waitReady(ctx context.Context, procs []*proc) error {
	timeout := time.NewTimer(c.cfg.ReadyTimeout)
	defer timeout.Stop()
	tick := time.NewTicker(readyPollInterval)
	defer tick.Stop()
	pending := append([]*proc(nil), procs...)
	for {
		rest := pending[:0]
		for _, p := range pending {
			select {
			case <-p.done:
				return fmt.Errorf("%s (pid %d) exited before it was ready (%s); see its log %s",
					p.child.Name(), p.pid, p.status, p.child.LogFile)
			default:
			}
			if !probeReady(ctx, p.child.HTTP) {
				rest = append(rest, p)
			}
		}
		pending = rest
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			p := pending[0]
			return fmt.Errorf("%s (pid %d) was not ready within %s (GET http://%s/readyz did not answer 200); see its log %s",
				p.child.Name(), p.pid, c.cfg.ReadyTimeout, p.child.HTTP, p.child.LogFile)
		case <-tick.C:
		}
	}
}

// probeReady reports whether GET http://addr/readyz answers 200.
func probeReady(ctx context.Context, addr string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := readyClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
