package client

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Consumer reads partitions it is given (Assign) from positions it controls (Seek), outside any
// group. It is safe for concurrent use, though one goroutine calling Poll is the usual shape.
//
// Each assigned partition is read ahead with the Consume RPC (long poll, WithFetchMaxWait) so
// Poll usually returns at once. A partition without a position starts per WithOffsetReset; a
// position outside the log (OFFSET_OUT_OF_RANGE, e.g. after retention) moves per the same policy,
// or with ResetNone Poll returns the error and the partition waits for a Seek. Retriable read
// errors are retried in the background; any other error is returned by Poll once and the
// partition stops until the next Seek.
type Consumer struct {
	c   *Client
	cfg fetchConfig
	fs  *fetchSet

	mu     sync.Mutex // serializes Assign and Close
	closed bool
}

// NewConsumer returns a Consumer with nothing assigned; the options are validated here.
func (c *Client) NewConsumer(opts ...ConsumerOption) (*Consumer, error) {
	cfg := defaultFetchConfig()
	for _, o := range opts {
		o.applyConsumer(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Consumer{c: c, cfg: cfg, fs: newFetchSet(c, cfg)}, nil
}

// Assign replaces the assignment with tps. Partitions no longer assigned stop at once (their
// unreturned records are dropped); partitions already assigned keep their positions; new ones
// start per the reset policy (asked from the gateway now: ListOffsets) — with ResetNone they wait
// for a Seek.
func (c *Consumer) Assign(ctx context.Context, tps []TopicPartition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	current := c.fs.assigned()
	var gone, added []TopicPartition
	for _, tp := range current {
		if !slices.Contains(tps, tp) {
			gone = append(gone, tp)
		}
	}
	for _, tp := range tps {
		if !slices.Contains(current, tp) && !slices.Contains(added, tp) {
			added = append(added, tp)
		}
	}
	starts, err := c.startOffsets(ctx, c.cfg.reset, added)
	if err != nil {
		return err
	}
	c.fs.remove(gone)
	for _, tp := range added {
		c.fs.set(tp, starts[tp])
	}
	return nil
}

// startOffsets resolves policy for tps, one ListOffsets per topic.
func (c *Consumer) startOffsets(ctx context.Context, policy OffsetReset, tps []TopicPartition) (map[TopicPartition]int64, error) {
	out := make(map[TopicPartition]int64, len(tps))
	if policy == ResetNone {
		for _, tp := range tps {
			out[tp] = -1
		}
		return out, nil
	}
	byTopic := map[string][]int32{}
	for _, tp := range tps {
		byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
	}
	for topic, parts := range byTopic {
		ranges, err := listOffsets(ctx, c.c.api, topic)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			r, ok := ranges[p]
			if !ok {
				return nil, newError(CodeUnknownTopicOrPartition, fmt.Sprintf("partition %d of topic %q does not exist", p, topic), nil)
			}
			off := r.GetLogStartOffset()
			if policy == ResetLatest {
				off = r.GetHighWatermark()
			}
			out[TopicPartition{Topic: topic, Partition: p}] = off
		}
	}
	return out, nil
}

// Assignment returns the assigned partitions.
func (c *Consumer) Assignment() []TopicPartition { return c.fs.assigned() }

// Seek sets the next offset Poll returns for an assigned partition; records read ahead from the old
// position are dropped. An offset outside the log is handled by the reset policy when read.
func (c *Consumer) Seek(tp TopicPartition, offset int64) error {
	if offset < 0 {
		return newError(CodeOffsetOutOfRange, fmt.Sprintf("offset %d is negative", offset), nil)
	}
	if _, ok := c.fs.position(tp); !ok {
		return fmt.Errorf("%w: %s", ErrNotAssigned, tp)
	}
	c.fs.set(tp, offset)
	return nil
}

// SeekToBeginning moves assigned partitions (all when tps is empty) to their log start offsets.
func (c *Consumer) SeekToBeginning(ctx context.Context, tps ...TopicPartition) error {
	return c.seekTo(ctx, ResetEarliest, tps)
}

// SeekToEnd moves assigned partitions (all when tps is empty) to their high watermarks: Poll then
// returns only records written later.
func (c *Consumer) SeekToEnd(ctx context.Context, tps ...TopicPartition) error {
	return c.seekTo(ctx, ResetLatest, tps)
}

func (c *Consumer) seekTo(ctx context.Context, policy OffsetReset, tps []TopicPartition) error {
	if len(tps) == 0 {
		tps = c.fs.assigned()
	}
	for _, tp := range tps {
		if _, ok := c.fs.position(tp); !ok {
			return fmt.Errorf("%w: %s", ErrNotAssigned, tp)
		}
	}
	starts, err := c.startOffsets(ctx, policy, tps)
	if err != nil {
		return err
	}
	for _, tp := range tps {
		c.fs.set(tp, starts[tp])
	}
	return nil
}

// Position returns the offset of the next record Poll returns for tp (-1 while unknown, with
// ResetNone before a Seek), and whether tp is assigned.
func (c *Consumer) Position(tp TopicPartition) (int64, bool) { return c.fs.position(tp) }

// Poll returns the next records of the assigned partitions (at most WithMaxPollRecords, partitions
// in turn), waiting until there is at least one or ctx ends (then it returns ctx's error). A read
// error of a partition is returned once, with no records. After Close it returns ErrClosed.
func (c *Consumer) Poll(ctx context.Context) ([]*Record, error) {
	ctx, span := c.c.startPollSpan(ctx, "")
	recs, err := c.fs.poll(ctx, c.cfg.maxPollRecords)
	c.c.endPollSpan(span, recs, err)
	return recs, err
}

// Commit stores the positions of every assigned partition (the next offset each will return) as
// group's committed offsets, from outside the group (generation -1): the group must have no
// members.
func (c *Consumer) Commit(ctx context.Context, group string) error {
	return commitOffsets(ctx, c.c.api, group, "", -1, c.fs.offsets(false))
}

// CommitOffsets stores the given offsets as group's committed offsets, from outside the group.
func (c *Consumer) CommitOffsets(ctx context.Context, group string, offsets []Offset) error {
	return commitOffsets(ctx, c.c.api, group, "", -1, offsets)
}

// Close stops reading; Poll then returns ErrClosed. It is safe to call more than once.
func (c *Consumer) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.fs.close()
	}
	return nil
}
