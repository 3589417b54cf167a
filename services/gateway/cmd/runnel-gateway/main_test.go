package main

import (
	"errors"
	"flag"
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
			err := run(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%v) = %v, want an error about %q", tt.args, err, tt.want)
			}
		})
	}
	if err := run([]string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help = %v, want flag.ErrHelp", err)
	}
}
