package devcluster

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultDataDir       = ".runnel"
	DefaultPortBase      = 8000
	DefaultMetadataNodes = 1
	DefaultStorageNodes  = 3
	DefaultFsync         = "always"
	DefaultLogFormat     = "text"
	DefaultReadyTimeout  = 60 * time.Second
	DefaultStopTimeout   = 10 * time.Second

	// PortSpan is the width of the port range a cluster uses: [PortBase, PortBase+PortSpan).
	PortSpan = 2000
	// MaxStorageNodes is the largest storage node count Start accepts.
	MaxStorageNodes = 64
)

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("invalid dev cluster config")

// Binaries are the absolute paths of the three service programs.
type Binaries struct {
	Metadata, Storage, Gateway string
}

// Config describes a dev cluster. The zero values of the optional fields take the defaults above;
// call WithDefaults, then Validate.
type Config struct {
	DataDir       string // root of every node's data and of logs/; made absolute
	PortBase      int    // every port lies in [PortBase, PortBase+PortSpan)
	MetadataNodes int    // 1 or 3
	StorageNodes  int    // 1..MaxStorageNodes

	Fsync          string        // storage --fsync: always | interval=<ms> | never
	SessionTimeout time.Duration // metadata --session-timeout; 0 leaves the service default
	LogFormat      string        // every service's --log-format: text | json
	LogLevel       string        // every service's --log-level; "" leaves the service default

	EndpointsFile string        // Run writes the endpoints JSON here when set
	ReadyTimeout  time.Duration // per stage, for every child's /readyz
	StopTimeout   time.Duration // SIGTERM → SIGKILL grace, for all children together

	Binaries Binaries
	Env      []string  // extra environment of every child, after the supervisor's own
	Progress io.Writer // optional: a line as each stage starts and becomes ready
}

// WithDefaults returns cfg with every unset optional field at its default and DataDir absolute.
func (cfg Config) WithDefaults() (Config, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return cfg, fmt.Errorf("data dir %q: %w", cfg.DataDir, err)
	}
	cfg.DataDir = abs
	if cfg.EndpointsFile != "" {
		if cfg.EndpointsFile, err = filepath.Abs(cfg.EndpointsFile); err != nil {
			return cfg, fmt.Errorf("endpoints file: %w", err)
		}
	}
	if cfg.PortBase == 0 {
		cfg.PortBase = DefaultPortBase
	}
	if cfg.MetadataNodes == 0 {
		cfg.MetadataNodes = DefaultMetadataNodes
	}
	if cfg.StorageNodes == 0 {
		cfg.StorageNodes = DefaultStorageNodes
	}
	if cfg.Fsync == "" {
		cfg.Fsync = DefaultFsync
	}
	if cfg.LogFormat == "" {
		cfg.LogFormat = DefaultLogFormat
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	return cfg, nil
}

// Validate reports the first problem of cfg's settings, wrapping ErrInvalidConfig. It expects
// WithDefaults to have run. Binaries are checked by NewPlan.
func (cfg Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case !filepath.IsAbs(cfg.DataDir):
		return bad("data dir %q is not an absolute path", cfg.DataDir)
	case cfg.PortBase < 1 || cfg.PortBase+PortSpan > 65536:
		return bad("--port-base %d: the cluster needs ports [N, N+%d), so N must be between 1 and %d",
			cfg.PortBase, PortSpan, 65536-PortSpan)
	case cfg.MetadataNodes != 1 && cfg.MetadataNodes != 3:
		return bad("--metadata-nodes %d: use 1 (development) or 3 (an etcd cluster of three)", cfg.MetadataNodes)
	case cfg.StorageNodes < 1 || cfg.StorageNodes > MaxStorageNodes:
		return bad("--storage-nodes %d: use 1 to %d", cfg.StorageNodes, MaxStorageNodes)
	case cfg.SessionTimeout < 0:
		return bad("--session-timeout %s is negative", cfg.SessionTimeout)
	case cfg.LogFormat != "text" && cfg.LogFormat != "json":
		return bad("--log-format %q: use text or json", cfg.LogFormat)
	case cfg.ReadyTimeout <= 0 || cfg.StopTimeout <= 0:
		return bad("ready and stop timeouts must be positive")
	}
	if err := validateFsync(cfg.Fsync); err != nil {
		return bad("%v", err)
	}
	return nil
}

// validateBinaries requires an absolute path for every service program.
func (cfg Config) validateBinaries() error {
	for _, b := range []struct{ name, path string }{
		{"runnel-metadata", cfg.Binaries.Metadata},
		{"runnel-storage", cfg.Binaries.Storage},
		{"runnel-gateway", cfg.Binaries.Gateway},
	} {
		if !filepath.IsAbs(b.path) {
			return fmt.Errorf("%w: the path of %s %q is not absolute", ErrInvalidConfig, b.name, b.path)
		}
	}
	return nil
}

// validateFsync accepts always, never and interval=<ms> with a positive <ms>.
func validateFsync(s string) error {
	switch s {
	case "always", "never":
		return nil
	}
	if v, ok := strings.CutPrefix(s, "interval="); ok {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
			return nil
		}
	}
	return fmt.Errorf("--fsync %q: use always, never or interval=<ms> (e.g. interval=100)", s)
}
