package svc

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/runnel/runnel/pkg/telemetry"
)

type runnerFunc func(ctx context.Context) error

func (f runnerFunc) Run(ctx context.Context) error { return f(ctx) }

func TestMainExitCodes(t *testing.T) {
	ok := func(*telemetry.Telemetry) (Runner, error) {
		return runnerFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }), nil
	}
	tests := []struct {
		name   string
		tcfg   telemetry.Config
		build  func(*telemetry.Telemetry) (Runner, error)
		code   int
		stderr string
	}{
		{"orderly stop", telemetry.Config{ServiceName: "runnel-x"}, ok, 0, "service stopped"},
		{"bad log format", telemetry.Config{ServiceName: "runnel-x", LogFormat: "xml"}, ok, 2, "runnel-x: log format"},
		{"cannot start", telemetry.Config{ServiceName: "runnel-x"},
			func(*telemetry.Telemetry) (Runner, error) { return nil, errors.New("port in use") }, 1, "runnel-x: port in use"},
		{"run fails", telemetry.Config{ServiceName: "runnel-x"},
			func(*telemetry.Telemetry) (Runner, error) {
				return runnerFunc(func(context.Context) error { return errors.New("disk gone") }), nil
			}, 1, "disk gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a service that waits for ctx stops at once
			var stderr bytes.Buffer
			if code := Main(ctx, &stderr, tt.tcfg, tt.build); code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.stderr)
			}
		})
	}
}

func TestFlagExit(t *testing.T) {
	var stderr bytes.Buffer
	if code := FlagExit("runnel-x", flag.ErrHelp, &stderr); code != 0 || stderr.Len() != 0 {
		t.Fatalf("--help: exit %d, stderr %q", code, stderr.String())
	}
	if code := FlagExit("runnel-x", errors.New("--id: bad"), &stderr); code != 2 || stderr.String() != "runnel-x: --id: bad\n" {
		t.Fatalf("bad flag: exit %d, stderr %q", code, stderr.String())
	}
}
