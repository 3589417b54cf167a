package client

import (
	"context"
	"fmt"
	"time"
)

// GroupOption configures a GroupConsumer. Every ConsumerOption is one too.
type GroupOption interface {
	applyGroup(*groupConfig)
}

type groupOption func(*groupConfig)

func (o groupOption) applyGroup(c *groupConfig) { o(c) }

// RebalanceFunc is called with partitions that move: the ctx it gets must be passed to
// CommitSync/CommitOffsets called from inside it (the commit then runs in the rebalance's turn
// instead of waiting for it). It runs on the group consumer's background goroutine, between
// heartbeats: keep it shorter than the session timeout.
type RebalanceFunc func(ctx context.Context, partitions []TopicPartition)

type groupConfig struct {
	fetch              fetchConfig
	sessionTimeout     time.Duration
	instanceID         string
	assignor           string
	autoCommit         bool
	autoCommitInterval time.Duration
	onAssigned         RebalanceFunc
	onRevoked          RebalanceFunc
	onLost             RebalanceFunc
}

func defaultGroupConfig() groupConfig {
	return groupConfig{
		fetch:              defaultFetchConfig(),
		sessionTimeout:     10 * time.Second,
		autoCommit:         true,
		autoCommitInterval: 5 * time.Second,
	}
}

func (c *groupConfig) validate() error {
	if err := c.fetch.validate(); err != nil {
		return err
	}
	switch {
	case c.sessionTimeout < time.Second || c.sessionTimeout > 5*time.Minute:
		return fmt.Errorf("%w: session timeout %s; use 1s..5m (the cluster may allow less)", ErrInvalidOption, c.sessionTimeout)
	case c.assignor != "" && c.assignor != "sticky" && c.assignor != "range" && c.assignor != "roundrobin":
		return fmt.Errorf("%w: assignor %q; use sticky, range or roundrobin", ErrInvalidOption, c.assignor)
	case c.autoCommit && c.autoCommitInterval <= 0:
		return fmt.Errorf("%w: auto-commit interval %s; use a positive duration", ErrInvalidOption, c.autoCommitInterval)
	}
	return nil
}

// WithSessionTimeout sets how long the group keeps the member without a heartbeat (default 10 s;
// the cluster allows 1 s..5 min by default).
func WithSessionTimeout(d time.Duration) GroupOption {
	return groupOption(func(c *groupConfig) { c.sessionTimeout = d })
}

// WithInstanceID makes the member static (KIP-345): a consumer that joins again with the same
// instance id within the session timeout takes over the previous one's partitions without a
// rebalance, and Close does not leave the group (the session timeout ends the membership).
func WithInstanceID(id string) GroupOption {
	return groupOption(func(c *groupConfig) { c.instanceID = id })
}

// WithAssignor names the group's assignor: "sticky" (the server's default), "range" or
// "roundrobin". The group's first member fixes it.
func WithAssignor(name string) GroupOption {
	return groupOption(func(c *groupConfig) { c.assignor = name })
}

// WithAutoCommit turns automatic commits on or off (default on). When on, the positions of records
// processed — returned by a Poll before the latest one — are committed every auto-commit interval,
// for revoked partitions before they are given up, and on Close (every returned record then).
func WithAutoCommit(on bool) GroupOption {
	return groupOption(func(c *groupConfig) { c.autoCommit = on })
}

// WithAutoCommitInterval sets the auto-commit period (default 5 s).
func WithAutoCommitInterval(d time.Duration) GroupOption {
	return groupOption(func(c *groupConfig) { c.autoCommitInterval = d })
}

// WithOnAssigned is called with partitions newly assigned, once their start positions are known
// and before their records are returned.
func WithOnAssigned(f RebalanceFunc) GroupOption {
	return groupOption(func(c *groupConfig) { c.onAssigned = f })
}

// WithOnRevoked is called with partitions taken away (and all of them on Close), after they stopped
// being read and before the group is told they are given up: commit their positions here when
// auto-commit is off.
func WithOnRevoked(f RebalanceFunc) GroupOption {
	return groupOption(func(c *groupConfig) { c.onRevoked = f })
}

// WithOnLost is called with partitions lost without a chance to commit: the member was removed
// (session expired, fenced) or could not heartbeat for a whole session timeout. Another member may
// own them already. Without it OnRevoked is called instead.
func WithOnLost(f RebalanceFunc) GroupOption {
	return groupOption(func(c *groupConfig) { c.onLost = f })
}
