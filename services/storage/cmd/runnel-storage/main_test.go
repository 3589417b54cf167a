package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/pkg/commitlog"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, o options)
		wantErr string
	}{
		{name: "defaults", args: []string{"--id", "3"}, check: func(t *testing.T, o options) {
			c := o.cfg
			if c.ID != 3 || c.DataDir != "./data/storage" || c.GRPCAddr != "127.0.0.1:8200" || c.HTTPAddr != "127.0.0.1:8201" ||
				c.AdvertiseAddr != "" || len(c.MetadataAddrs) != 1 || c.MetadataAddrs[0] != "127.0.0.1:8100" ||
				c.Fsync.Mode != commitlog.FsyncAlways || c.SegmentBytes != 1<<30 || c.RetentionCheckInterval != 5*time.Minute ||
				o.logFormat != "json" || o.logLevel != "info" {
				t.Fatalf("defaults %+v", o)
			}
		}},
		{name: "every flag", args: []string{
			"--id=2", "--data-dir=/tmp/x", "--grpc-addr=127.0.0.1:9200", "--http-addr=127.0.0.1:9201",
			"--advertise-addr=node2:9200", "--metadata=127.0.0.1:1, 127.0.0.1:2", "--fsync=interval=200",
			"--segment-bytes=1048576", "--retention-check-interval=30s", "--log-format=text", "--log-level=debug",
		}, check: func(t *testing.T, o options) {
			c := o.cfg
			if c.ID != 2 || c.DataDir != "/tmp/x" || c.GRPCAddr != "127.0.0.1:9200" || c.HTTPAddr != "127.0.0.1:9201" ||
				c.AdvertiseAddr != "node2:9200" || strings.Join(c.MetadataAddrs, ",") != "127.0.0.1:1,127.0.0.1:2" ||
				c.Fsync != (commitlog.FsyncPolicy{Mode: commitlog.FsyncInterval, Interval: 200 * time.Millisecond}) ||
				c.SegmentBytes != 1<<20 || c.RetentionCheckInterval != 30*time.Second || o.logFormat != "text" || o.logLevel != "debug" {
				t.Fatalf("parsed %+v", o)
			}
		}},
		{name: "environment", args: nil, env: map[string]string{"RUNNEL_ID": "5", "RUNNEL_FSYNC": "never", "RUNNEL_DATA_DIR": "/d"},
			check: func(t *testing.T, o options) {
				if o.cfg.ID != 5 || o.cfg.Fsync.Mode != commitlog.FsyncNever || o.cfg.DataDir != "/d" {
					t.Fatalf("parsed %+v", o)
				}
			}},
		{name: "flag wins over environment", args: []string{"--id", "6"}, env: map[string]string{"RUNNEL_ID": "5"},
			check: func(t *testing.T, o options) {
				if o.cfg.ID != 6 {
					t.Fatalf("id %d", o.cfg.ID)
				}
			}},
		{name: "missing id", args: nil, wantErr: "--id"},
		{name: "bad fsync", args: []string{"--id=1", "--fsync=sometimes"}, wantErr: "fsync"},
		{name: "bad segment bytes", args: []string{"--id=1", "--segment-bytes=0"}, wantErr: "segment-bytes"},
		{name: "no metadata", args: []string{"--id=1", "--metadata=,"}, wantErr: "metadata"},
		{name: "stray argument", args: []string{"--id=1", "extra"}, wantErr: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"RUNNEL_ID", "RUNNEL_FSYNC", "RUNNEL_DATA_DIR"} {
				t.Setenv(k, tt.env[k]) // restored when the test ends
				if _, ok := tt.env[k]; !ok {
					os.Unsetenv(k)
				}
			}
			o, err := parseFlags(tt.args, &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--id=0"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "runnel-storage:") {
		t.Fatalf("bad flags: exit %d, stderr %q", code, stderr.String())
	}
	if code := run(context.Background(), []string{"--help"}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	// A started node stops cleanly when its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stderr.Reset()
	code := run(ctx, []string{"--id=1", "--data-dir=" + t.TempDir(), "--grpc-addr=127.0.0.1:0", "--http-addr=127.0.0.1:0",
		"--metadata=127.0.0.1:1", "--log-format=text"}, &stderr)
	if code != 0 || !strings.Contains(stderr.String(), "storage node stopped") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
