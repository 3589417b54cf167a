package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

// The flag names are a contract: `runnel dev` passes them.
func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // part of the error
	}{
		{"every contract flag parses", []string{"--id=g2", "--grpc-addr=127.0.0.1:0", "--http-addr=127.0.0.1:0",
			"--metadata=", "--delivery-timeout=5s", "--linger=0", "--max-request-bytes=1024",
			"--max-batch-bytes=512", "--log-format=text", "--log-level=debug"}, "--metadata"},
		{"unknown flag", []string{"--bogus"}, "bogus"},
		{"bad duration", []string{"--linger=soon"}, "linger"},
		{"bad timeout", []string{"--delivery-timeout=0s"}, "--delivery-timeout"},
		{"bad log format", []string{"--log-format=xml"}, "log format"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseFlags(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%v) = %v, want an error about %q", tt.args, err, tt.want)
			}
		})
	}
	if _, _, err := parseFlags([]string{"--help"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help = %v, want flag.ErrHelp", err)
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &stderr); code != 0 {
		t.Fatalf("--help exits %d, want 0", code)
	}
	if code := run(context.Background(), []string{"--linger=soon"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "runnel-gateway:") {
		t.Fatalf("a bad flag exits %d with %q, want 2 and a named message", code, stderr.String())
	}
}
