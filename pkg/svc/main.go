package svc

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/runnel/runnel/pkg/telemetry"
)

// Runner is a built service: it serves until its context ends.
type Runner interface {
	Run(ctx context.Context) error
}

// telemetryFlush bounds how long a stopping binary waits for its telemetry to flush.
const telemetryFlush = 5 * time.Second

// Main is the life of a service binary once its flags are parsed: it sets up telemetry, builds the
// service with it, runs it until ctx ends (main cancels ctx on SIGINT and SIGTERM) and flushes the
// telemetry. It returns the process exit code: 0 after an orderly stop, 1 when the service could
// not start or failed, 2 when the telemetry settings (log flags, OTEL_* variables) are bad.
func Main(ctx context.Context, stderr io.Writer, tcfg telemetry.Config, build func(*telemetry.Telemetry) (Runner, error)) int {
	name := tcfg.ServiceName
	if tcfg.LogWriter == nil {
		tcfg.LogWriter = stderr
	}
	tel, err := telemetry.Setup(ctx, tcfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), telemetryFlush)
		defer cancel()
		_ = tel.Shutdown(fctx)
	}()
	srv, err := build(tel)
	if err != nil {
		tel.Logger.Error("service did not start", "err", err)
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	if err := srv.Run(ctx); err != nil {
		tel.Logger.Error("service stopped with an error", "err", err)
		return 1
	}
	tel.Logger.Info("service stopped")
	return 0
}

// FlagExit reports a flag or configuration error and returns the exit code for it: 0 for --help
// (the flag package has printed the usage), 2 otherwise.
func FlagExit(name string, err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 2
}
