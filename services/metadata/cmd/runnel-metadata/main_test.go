package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(options) string
		wantErr string
	}{
		{name: "defaults", check: func(o options) string {
			c := o.cfg
			if c.ID != "m1" || c.DataDir != "./data/metadata" || c.GRPCAddr != "127.0.0.1:8100" ||
				c.HTTPAddr != "127.0.0.1:8101" || c.EtcdClientAddr != "127.0.0.1:8102" ||
				c.EtcdPeerAddr != "127.0.0.1:8103" || c.SessionTimeout != 6*time.Second ||
				c.MaxPartitions != 10000 || c.EtcdTickMs != 100 || c.EtcdElectionMs != 1000 || o.logFormat != "json" ||
				c.ControllerSessionTTL != 2*time.Second || c.DisableAutoLeaderRebalance {
				return "unexpected defaults"
			}
			return ""
		}},
		{name: "every flag", args: []string{
			"--id", "m2", "--data-dir", "/tmp/x", "--grpc-addr", "127.0.0.1:9100", "--http-addr", "127.0.0.1:9101",
			"--etcd-client-addr", "127.0.0.1:9102", "--etcd-peer-addr", "127.0.0.1:9103",
			"--initial-cluster", "m1=http://127.0.0.1:8103,m2=http://127.0.0.1:9103",
			"--session-timeout", "2s", "--max-partitions", "50", "--etcd-tick-ms", "10", "--etcd-election-ms", "50",
			"--log-format", "text", "--log-level", "debug",
			"--controller-session-ttl", "3s", "--auto-leader-rebalance=false",
		}, check: func(o options) string {
			c := o.cfg
			if c.ID != "m2" || c.DataDir != "/tmp/x" || c.GRPCAddr != "127.0.0.1:9100" || c.HTTPAddr != "127.0.0.1:9101" ||
				c.EtcdClientAddr != "127.0.0.1:9102" || c.EtcdPeerAddr != "127.0.0.1:9103" ||
				!strings.HasPrefix(c.InitialCluster, "m1=") || c.SessionTimeout != 2*time.Second ||
				c.MaxPartitions != 50 || c.EtcdTickMs != 10 || c.EtcdElectionMs != 50 ||
				o.logFormat != "text" || o.logLevel != "debug" ||
				c.ControllerSessionTTL != 3*time.Second || !c.DisableAutoLeaderRebalance {
				return "flags not applied"
			}
			return ""
		}},
		{name: "env", env: map[string]string{"RUNNEL_DATA_DIR": "/var/lib/m", "RUNNEL_SESSION_TIMEOUT": "3s"},
			check: func(o options) string {
				if o.cfg.DataDir != "/var/lib/m" || o.cfg.SessionTimeout != 3*time.Second {
					return "env not applied"
				}
				return ""
			}},
		{name: "flag beats env", args: []string{"--id", "m3", "--etcd-peer-addr", "127.0.0.1:9999"}, env: map[string]string{"RUNNEL_ID": "m9"},
			check: func(o options) string {
				if o.cfg.ID != "m3" {
					return "env overrode the flag"
				}
				return ""
			}},
		{name: "short session", args: []string{"--session-timeout", "100ms"}, wantErr: "session timeout"},
		{name: "bad election", args: []string{"--etcd-tick-ms", "100", "--etcd-election-ms", "200"}, wantErr: "5 ticks"},
		{name: "cluster without self", args: []string{"--initial-cluster", "m2=http://127.0.0.1:9103"}, wantErr: "does not list"},
		{name: "env rebalance off", env: map[string]string{"RUNNEL_AUTO_LEADER_REBALANCE": "false"},
			check: func(o options) string {
				if !o.cfg.DisableAutoLeaderRebalance {
					return "RUNNEL_AUTO_LEADER_REBALANCE=false not applied"
				}
				return ""
			}},
		{name: "short controller ttl", args: []string{"--controller-session-ttl", "500ms"}, wantErr: "controller session TTL"},
		{name: "group flags", args: []string{"--group-min-session-timeout", "2s", "--group-max-session-timeout", "1m",
			"--group-heartbeat-interval", "500ms"}, check: func(o options) string {
			c := o.cfg
			if c.GroupMinSessionTimeout != 2*time.Second || c.GroupMaxSessionTimeout != time.Minute || c.GroupHeartbeatInterval != 500*time.Millisecond {
				return "group flags not applied"
			}
			return ""
		}},
		{name: "group defaults and env", env: map[string]string{"RUNNEL_GROUP_HEARTBEAT_INTERVAL": "250ms"},
			check: func(o options) string {
				c := o.cfg
				if c.GroupMinSessionTimeout != time.Second || c.GroupMaxSessionTimeout != 5*time.Minute || c.GroupHeartbeatInterval != 250*time.Millisecond {
					return "group defaults or env not applied"
				}
				return ""
			}},
		{name: "group max below min", args: []string{"--group-min-session-timeout", "10s", "--group-max-session-timeout", "5s"}, wantErr: "below the minimum"},
		{name: "group negative interval", args: []string{"--group-heartbeat-interval", "-1s"}, wantErr: "heartbeat interval"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "log format"},
		{name: "zero partitions", args: []string{"--max-partitions", "0"}, wantErr: "max-partitions"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "not defined"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			o, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags(%v) = %v, want error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags(%v): %v", tt.args, err)
			}
			if msg := tt.check(o); msg != "" {
				t.Fatalf("%s: %+v", msg, o.cfg)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var out strings.Builder
	_, err := parseFlags([]string{"--help"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help gave %v", err)
	}
	for _, name := range []string{"id", "data-dir", "grpc-addr", "http-addr", "etcd-client-addr", "etcd-peer-addr",
		"initial-cluster", "session-timeout", "max-partitions", "etcd-tick-ms", "etcd-election-ms", "log-format", "log-level",
		"controller-session-ttl", "auto-leader-rebalance"} {
		if !strings.Contains(out.String(), "-"+name) || !strings.Contains(out.String(), "RUNNEL_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))) {
			t.Errorf("--help does not list --%s with its env variable", name)
		}
	}
	if run(context.Background(), []string{"--help"}, io.Discard) != 0 {
		t.Error("--help does not exit 0")
	}
	if run(context.Background(), []string{"--session-timeout", "1ms"}, io.Discard) != 2 {
		t.Error("a bad flag does not exit 2")
	}
}
