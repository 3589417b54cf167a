package client

import (
	"fmt"
	"time"
)

// OffsetReset is where reading starts in a partition with no committed offset (or whose position
// fell outside the log).
type OffsetReset string

// The reset policies, as Kafka's auto.offset.reset.
const (
	ResetEarliest OffsetReset = "earliest" // the log start offset (default)
	ResetLatest   OffsetReset = "latest"   // the high watermark: only records written from now on
	ResetNone     OffsetReset = "none"     // no reset: Poll returns OFFSET_OUT_OF_RANGE instead
)

// ConsumerOption configures a Consumer; every ConsumerOption is also a GroupOption.
type ConsumerOption interface {
	GroupOption
	applyConsumer(*fetchConfig)
}

// consumerOption is a ConsumerOption (and GroupOption) acting on the fetch settings.
type consumerOption func(*fetchConfig)

func (o consumerOption) applyConsumer(c *fetchConfig) { o(c) }
func (o consumerOption) applyGroup(c *groupConfig)    { o(&c.fetch) }

// fetchConfig is what reading needs, for Consumer and GroupConsumer alike.
type fetchConfig struct {
	maxPollRecords int
	maxWait        time.Duration
	maxBytes       int32
	maxRecords     int32
	reset          OffsetReset
	backoffMin     time.Duration
	backoffMax     time.Duration
}

func defaultFetchConfig() fetchConfig {
	return fetchConfig{
		maxPollRecords: 500,
		maxWait:        500 * time.Millisecond,
		maxBytes:       1 << 20,
		maxRecords:     2000,
		reset:          ResetEarliest,
		backoffMin:     100 * time.Millisecond,
		backoffMax:     2 * time.Second,
	}
}

func (c *fetchConfig) validate() error {
	switch {
	case c.maxPollRecords < 1:
		return fmt.Errorf("%w: max poll records %d; use at least 1", ErrInvalidOption, c.maxPollRecords)
	case c.maxWait < time.Millisecond || c.maxWait > 30*time.Second:
		return fmt.Errorf("%w: fetch max wait %s; use 1ms..30s", ErrInvalidOption, c.maxWait)
	case c.maxBytes < 1:
		return fmt.Errorf("%w: fetch max bytes %d; use a positive size", ErrInvalidOption, c.maxBytes)
	case c.maxRecords < 1 || c.maxRecords > 10000:
		return fmt.Errorf("%w: fetch max records %d; use 1..10000", ErrInvalidOption, c.maxRecords)
	case c.reset != ResetEarliest && c.reset != ResetLatest && c.reset != ResetNone:
		return fmt.Errorf("%w: offset reset %q; use earliest, latest or none", ErrInvalidOption, c.reset)
	}
	return nil
}

// WithMaxPollRecords caps the records one Poll returns (default 500).
func WithMaxPollRecords(n int) ConsumerOption {
	return consumerOption(func(c *fetchConfig) { c.maxPollRecords = n })
}

// WithFetchMaxWait sets how long one read of a partition waits on the gateway for new records
// (long poll; default 500 ms, at most 30 s).
func WithFetchMaxWait(d time.Duration) ConsumerOption {
	return consumerOption(func(c *fetchConfig) { c.maxWait = d })
}

// WithFetchMaxBytes caps the record batch bytes of one read of a partition (default 1 MiB; at
// least one whole batch comes back).
func WithFetchMaxBytes(n int32) ConsumerOption {
	return consumerOption(func(c *fetchConfig) { c.maxBytes = n })
}

// WithFetchMaxRecords caps the records of one read of a partition (default 2000, at most 10000).
func WithFetchMaxRecords(n int32) ConsumerOption {
	return consumerOption(func(c *fetchConfig) { c.maxRecords = n })
}

// WithOffsetReset sets where reading starts without a position (default ResetEarliest). A
// GroupConsumer sends it to the group as the member's auto_offset_reset.
func WithOffsetReset(r OffsetReset) ConsumerOption {
	return consumerOption(func(c *fetchConfig) { c.reset = r })
}
