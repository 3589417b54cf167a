package server

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"defaults", func(*Config) {}, ""},
		{"three members", func(c *Config) {
			c.ID, c.EtcdPeerAddr = "m2", "127.0.0.1:9203"
			c.InitialCluster = "m1=http://127.0.0.1:9103, m2=http://127.0.0.1:9203,m3=http://127.0.0.1:9303"
		}, ""},
		{"bad id", func(c *Config) { c.ID = "m 1" }, "id"},
		{"long id", func(c *Config) { c.ID = strings.Repeat("m", 65) }, "64"},
		{"grpc addr", func(c *Config) { c.GRPCAddr = "nowhere" }, "grpc address"},
		{"etcd port 0", func(c *Config) { c.EtcdPeerAddr = "127.0.0.1:0" }, "fixed port"},
		{"etcd no host", func(c *Config) { c.EtcdClientAddr = ":8102" }, "etcd client address"},
		{"same etcd addrs", func(c *Config) { c.EtcdClientAddr, c.EtcdPeerAddr = "127.0.0.1:9000", "127.0.0.1:9000" }, "both"},
		{"cluster without self", func(c *Config) { c.InitialCluster = "m2=http://127.0.0.1:8103" }, "does not list"},
		{"cluster wrong peer", func(c *Config) { c.InitialCluster = "m1=http://127.0.0.1:9999" }, "peer address is"},
		{"cluster twice", func(c *Config) {
			c.InitialCluster = "m1=http://127.0.0.1:8103,m1=http://127.0.0.1:8203"
		}, "twice"},
		{"cluster https", func(c *Config) { c.InitialCluster = "m1=https://127.0.0.1:8103" }, "want name=http"},
		{"cluster garbage", func(c *Config) { c.InitialCluster = "m1" }, "want name=http"},
		{"session short", func(c *Config) { c.SessionTimeout = 499 * time.Millisecond }, "session timeout"},
		{"session minimum", func(c *Config) { c.SessionTimeout = 500 * time.Millisecond }, ""},
		{"partitions", func(c *Config) { c.MaxPartitions = -1 }, "max partitions"},
		{"election", func(c *Config) { c.EtcdTickMs, c.EtcdElectionMs = 20, 99 }, "5 ticks"},
		{"election limit", func(c *Config) { c.EtcdElectionMs = 60000 }, "50000"},
		{"negative drain", func(c *Config) { c.DrainTimeout = -time.Second }, "negative"},
		{"controller ttl short", func(c *Config) { c.ControllerSessionTTL = 999 * time.Millisecond }, "controller session TTL"},
		{"controller ttl long", func(c *Config) { c.ControllerSessionTTL = 61 * time.Second }, "controller session TTL"},
		{"controller ttl minimum", func(c *Config) { c.ControllerSessionTTL = time.Second }, ""},
		{"negative rebalance delay", func(c *Config) { c.LeaderRebalanceDelay = -time.Second }, "rebalance delay"},
		{"group min negative", func(c *Config) { c.GroupMinSessionTimeout = -time.Second }, "group min session timeout"},
		{"group max below min", func(c *Config) { c.GroupMinSessionTimeout, c.GroupMaxSessionTimeout = time.Minute, time.Second }, "below the minimum"},
		{"group max too long", func(c *Config) { c.GroupMaxSessionTimeout = 1000 * time.Hour }, "above"},
		{"group interval negative", func(c *Config) { c.GroupHeartbeatInterval = -time.Second }, "heartbeat interval"},
		{"group interval above max", func(c *Config) { c.GroupHeartbeatInterval = 10 * time.Minute }, "heartbeat interval"},
		{"group bounds", func(c *Config) {
			c.GroupMinSessionTimeout, c.GroupMaxSessionTimeout, c.GroupHeartbeatInterval = time.Millisecond, time.Second, 100*time.Millisecond
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			tt.mod(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.ID != "m1" || c.InitialCluster != "m1=http://127.0.0.1:8103" || c.SessionTimeout != 6*time.Second ||
		c.MaxPartitions != 10000 || c.EtcdTickMs != 100 || c.EtcdElectionMs != 1000 || c.Telemetry == nil ||
		c.etcdDir() != "data/metadata/etcd" || c.ControllerSessionTTL != 2*time.Second ||
		c.LeaderRebalanceDelay != time.Second || c.DisableAutoLeaderRebalance ||
		c.GroupMinSessionTimeout != time.Second || c.GroupMaxSessionTimeout != 5*time.Minute || c.GroupHeartbeatInterval != time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	if c := (Config{InitialCluster: " m1=http://a:1 , m2=http://b:2 "}).withDefaults(); c.InitialCluster != "m1=http://a:1,m2=http://b:2" {
		t.Fatalf("initial cluster not normalised: %q", c.InitialCluster)
	}
	if c.maxTxnOps() != 10001 || c.maxRequestBytes() < 10000*700 {
		t.Fatalf("etcd limits too small for a topic of MaxPartitions: %d ops, %d bytes", c.maxTxnOps(), c.maxRequestBytes())
	}
}
