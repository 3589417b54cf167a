package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/storage/internal/replica"
)

// Defaults of Config (zero fields take them).
const (
	DefaultDataDir                = "data/storage"
	DefaultGRPCAddr               = "127.0.0.1:8200"
	DefaultHTTPAddr               = "127.0.0.1:8201"
	DefaultMetadataAddr           = "127.0.0.1:8100"
	DefaultSegmentBytes           = commitlog.DefaultSegmentBytes // 1 GiB
	DefaultRetentionCheckInterval = replica.DefaultRetentionCheckInterval
	DefaultCheckpointInterval     = replica.DefaultCheckpointInterval
	// MaxRequestBytes is the largest gRPC request accepted: a batch of record.MaxBatchBytes plus
	// room for the other fields.
	MaxRequestBytes = 64<<20 + 1<<20
)

// Config configures a storage node. Zero fields take the defaults above.
type Config struct {
	// ID is the node id (> 0), the same across restarts on the same data dir.
	ID int32
	// DataDir holds the partition logs (default data/storage).
	DataDir string
	// GRPCAddr and HTTPAddr are the listen addresses (defaults 127.0.0.1:8200, :8201); port 0
	// picks a free port.
	GRPCAddr string
	HTTPAddr string
	// AdvertiseAddr is the gRPC address registered with the metadata service, which gateways and
	// other storage nodes dial (default: the bound gRPC address).
	AdvertiseAddr string
	// MetadataAddrs are the metadata nodes' gRPC addresses (default 127.0.0.1:8100); the node
	// fails over between them.
	MetadataAddrs []string
	// Fsync is the log durability policy (zero value: always).
	Fsync commitlog.FsyncPolicy
	// SegmentBytes is segment.bytes for topics that do not set it (default 1 GiB).
	SegmentBytes int64
	// RetentionCheckInterval is how often retention runs (default 5 min).
	RetentionCheckInterval time.Duration
	// CheckpointInterval is how often high watermarks are checkpointed (default 5 s).
	CheckpointInterval time.Duration
	// DrainTimeout bounds the graceful part of shutdown (default 5 s, as pkg/svc).
	DrainTimeout time.Duration
	// Telemetry gives the logger, tracer and meter (default: no-op).
	Telemetry *telemetry.Telemetry
}

// Validate reports the first invalid field. Zero values are valid (they mean the defaults).
func (c Config) Validate() error {
	switch {
	case c.ID <= 0:
		return fmt.Errorf("node id %d: must be a positive integer", c.ID)
	case c.SegmentBytes < 0 || c.SegmentBytes > commitlog.MaxSegmentBytes:
		return fmt.Errorf("segment bytes %d: must be between 1 and %d", c.SegmentBytes, commitlog.MaxSegmentBytes)
	case c.RetentionCheckInterval < 0:
		return errors.New("retention check interval must not be negative")
	case c.CheckpointInterval < 0:
		return errors.New("checkpoint interval must not be negative")
	case c.DrainTimeout < 0:
		return errors.New("drain timeout must not be negative")
	}
	for _, a := range c.MetadataAddrs {
		if a == "" {
			return errors.New("metadata addresses must not be empty")
		}
	}
	if err := (commitlog.Options{Fsync: c.Fsync}).Validate(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = DefaultGRPCAddr
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	if len(c.MetadataAddrs) == 0 {
		c.MetadataAddrs = []string{DefaultMetadataAddr}
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = DefaultSegmentBytes
	}
	if c.RetentionCheckInterval == 0 {
		c.RetentionCheckInterval = DefaultRetentionCheckInterval
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.Telemetry == nil {
		c.Telemetry = telemetry.NewNop()
	}
	return c
}
