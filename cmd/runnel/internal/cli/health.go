package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// newHealthCmd is a probe for images without curl (the distroless image of deployments/): it
// exits 0 when the URL answers 2xx within the timeout and 1 otherwise.
func newHealthCmd(a *app) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health URL",
		Short: "Probe a service's /readyz or /healthz: exit 0 on a 2xx answer",
		Example: `  runnel health http://127.0.0.1:8101/readyz
  # in docker-compose: healthcheck: {test: ["CMD", "runnel", "health", "http://127.0.0.1:8101/readyz"]}`,
		Args: exactArgs("URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return probe(ctx, a.Out, args[0])
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

// errUnhealthy is a probe that got an answer other than 2xx.
type errUnhealthy struct {
	url    string
	status string
}

func (e errUnhealthy) Error() string { return fmt.Sprintf("%s answered %s", e.url, e.status) }

func probe(ctx context.Context, out io.Writer, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usagef("bad URL %q: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return errUnhealthy{url: url, status: resp.Status}
	}
	_, err = fmt.Fprintf(out, "%s %s\n", url, resp.Status)
	return err
}
