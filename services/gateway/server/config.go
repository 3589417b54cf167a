package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/runnel/runnel/pkg/telemetry"
)

// Defaults.
const (
	DefaultID              = "g1"
	DefaultGRPCAddr        = "127.0.0.1:9090"
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultMetadataAddr    = "127.0.0.1:8100"
	DefaultDeliveryTimeout = 30 * time.Second
	DefaultLinger          = time.Millisecond
	DefaultMaxBatchBytes   = 1 << 20
	DefaultMaxRequestBytes = 64 << 20
	DefaultLagInterval     = 10 * time.Second
	DefaultMaxLagSeries    = 5000
)

// Config configures a gateway. See the package doc for defaults.
type Config struct {
	ID              string
	GRPCAddr        string
	HTTPAddr        string
	MetadataAddrs   []string
	DeliveryTimeout time.Duration
	Linger          time.Duration
	MaxBatchBytes   int
	MaxRequestBytes int64
	// DrainTimeout bounds the graceful part of shutdown (default 5 s).
	DrainTimeout time.Duration
	// LagInterval is the least time between two computations of the runnel.group.lag gauge
	// (default 10 s); MaxLagSeries bounds its series (default 5000).
	LagInterval  time.Duration
	MaxLagSeries int
	// Telemetry; a no-op one when nil.
	Telemetry *telemetry.Telemetry
}

// DefaultConfig returns a Config with every default set.
func DefaultConfig() Config {
	return Config{
		ID:              DefaultID,
		GRPCAddr:        DefaultGRPCAddr,
		HTTPAddr:        DefaultHTTPAddr,
		MetadataAddrs:   []string{DefaultMetadataAddr},
		DeliveryTimeout: DefaultDeliveryTimeout,
		Linger:          DefaultLinger,
		MaxBatchBytes:   DefaultMaxBatchBytes,
		MaxRequestBytes: DefaultMaxRequestBytes,
		LagInterval:     DefaultLagInterval,
		MaxLagSeries:    DefaultMaxLagSeries,
	}
}

// withDefaults fills zero fields (Linger stays as given).
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ID == "" {
		c.ID = d.ID
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = d.GRPCAddr
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = d.HTTPAddr
	}
	if len(c.MetadataAddrs) == 0 {
		c.MetadataAddrs = d.MetadataAddrs
	}
	if c.DeliveryTimeout == 0 {
		c.DeliveryTimeout = d.DeliveryTimeout
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = d.MaxBatchBytes
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = d.MaxRequestBytes
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 5 * time.Second
	}
	if c.LagInterval == 0 {
		c.LagInterval = d.LagInterval
	}
	if c.MaxLagSeries == 0 {
		c.MaxLagSeries = d.MaxLagSeries
	}
	return c
}

// Validate reports a bad field (zero fields take their defaults and are valid).
func (c Config) Validate() error {
	var errs []error
	for _, a := range c.MetadataAddrs {
		if a == "" {
			errs = append(errs, errors.New("metadata addresses: an address is empty"))
		}
	}
	if c.DeliveryTimeout < 0 {
		errs = append(errs, fmt.Errorf("delivery timeout %v: must be positive", c.DeliveryTimeout))
	}
	if c.Linger < 0 {
		errs = append(errs, fmt.Errorf("linger %v: must not be negative", c.Linger))
	}
	if c.MaxBatchBytes < 0 {
		errs = append(errs, fmt.Errorf("max batch bytes %d: must be positive", c.MaxBatchBytes))
	}
	if c.MaxRequestBytes < 0 || c.MaxRequestBytes > 1<<31-1 {
		errs = append(errs, fmt.Errorf("max request bytes %d: must be between 1 and 2147483647", c.MaxRequestBytes))
	}
	if c.DrainTimeout < 0 {
		errs = append(errs, fmt.Errorf("drain timeout %v: must not be negative", c.DrainTimeout))
	}
	if c.LagInterval < 0 {
		errs = append(errs, fmt.Errorf("lag interval %v: must not be negative", c.LagInterval))
	}
	if c.MaxLagSeries < 0 {
		errs = append(errs, fmt.Errorf("max lag series %d: must not be negative", c.MaxLagSeries))
	}
	return errors.Join(errs...)
}
