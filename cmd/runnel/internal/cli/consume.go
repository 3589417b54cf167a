package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/spf13/cobra"
)

// Tuning of consume.
const (
	consumeBatch       = 500                    // max_records per call
	idleRoundWait      = time.Second            // long-poll budget of one idle round over all partitions
	minIdleWait        = 50 * time.Millisecond  // the shortest long-poll of one call
	retryBackoff       = 200 * time.Millisecond // after a retriable error
	retryGiveUp        = 30 * time.Second       // of retriable errors in a row
	listOffsetsTimeout = 30 * time.Second
)

type consumeOptions struct {
	topic     string
	partition int32 // -1: all
	offset    offsetSpec
	max       int64 // 0: follow forever
	format    string
}

func newConsumeCmd(a *app) *cobra.Command {
	var (
		partition      int32
		offset, format string
		max            int64
		grp            groupFlags
	)
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print records of a topic, following new ones",
		Long: `consume reads TOPIC from --offset (earliest, latest or an offset) and prints its records:
--format text prints each value on its own line, --format json one object per record
(topic, partition, offset, timestamp, key, value, headers). Without --partition it reads
every partition. It follows new records until interrupted, or stops after --max records.

With --group G it is a member of consumer group G instead: it joins the group, reads only
the partitions the group assigns it (starting at the group's committed offsets, or per
--offset-reset where there is none), commits after printing each batch, heartbeats in
the background and leaves the group when it stops (--max reached, Ctrl-C or SIGTERM).
Run it several times with the same --group to share the topic's partitions.`,
		Example: `  runnel consume orders --max 10
  runnel consume orders --partition 2 --offset 100 --format json
  runnel consume orders --offset latest
  runnel consume orders --group billing
  runnel consume orders --group billing --session-timeout 30s --offset-reset latest`,
		Args: exactArgs("TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if max < 0 {
				return usagef("--max %d: use a positive count (or leave it out to follow)", max)
			}
			if err := grp.validate(cmd.Flags()); err != nil {
				return err
			}
			if grp.group != "" {
				return a.runGroupConsume(cmd.Context(), grp.options(args[0], max), format)
			}
			opts := consumeOptions{topic: args[0], partition: -1, max: max, format: format}
			var err error
			if opts.offset, err = parseOffsetSpec(offset); err != nil {
				return err
			}
			if cmd.Flags().Changed("partition") {
				if partition < 0 {
					return usagef("--partition %d: partitions are numbered from 0", partition)
				}
				opts.partition = partition
			}
			out, err := newRecordWriter(format, a.Out)
			if err != nil {
				return err
			}
			g, err := a.connect()
			if err != nil {
				return err
			}
			defer g.Close()
			err = consume(cmd.Context(), g, opts, out)
			if errors.Is(err, context.Canceled) && cmd.Context().Err() != nil {
				return nil // Ctrl-C ends following
			}
			return err
		},
	}
	cmd.Flags().Int32Var(&partition, "partition", 0, "read only this partition (default: all)")
	cmd.Flags().StringVar(&offset, "offset", "earliest", "where to start: earliest, latest (the high watermark at start) or an offset")
	cmd.Flags().Int64Var(&max, "max", 0, "stop after this many records (default: follow until interrupted)")
	cmd.Flags().StringVar(&format, "format", "text", "text (the value per line) or json (one object per record)")
	grp.register(cmd.Flags())
	return cmd
}

// position is where consume is in one partition.
type position struct {
	partition int32
	next      int64
}

// consume reads the partitions round-robin and writes their records to out until opts.max
// records are written or ctx ends.
func consume(ctx context.Context, g *gatewayConn, opts consumeOptions, out recordWriter) error {
	positions, err := startPositions(ctx, g, opts)
	if err != nil {
		return err
	}
	var written int64
	idle := false // the last full round found nothing
	var failingSince time.Time
	for {
		found := false
		for i := range positions {
			p := &positions[i]
			req := &runnelv1.ConsumeRequest{Topic: opts.topic, Partition: p.partition, Offset: &p.next, MaxRecords: consumeBatch}
			if opts.max > 0 {
				req.MaxRecords = int32(min(int64(consumeBatch), opts.max-written))
			}
			if idle {
				req.MaxWaitMs = int32(max(minIdleWait, idleRoundWait/time.Duration(len(positions))).Milliseconds())
			}
			resp, err := g.client.Consume(ctx, req)
			if err != nil {
				err = gatewayError(ctx, g.addr, err)
				if !rpcerr.IsRetriable(err) || errors.Is(err, ErrGatewayUnreachable) || ctx.Err() != nil {
					return err
				}
				if failingSince.IsZero() {
					failingSince = time.Now()
				} else if time.Since(failingSince) > retryGiveUp {
					return err
				}
				if err := sleepCtx(ctx, retryBackoff); err != nil {
					return err
				}
				continue
			}
			failingSince = time.Time{}
			for _, r := range resp.GetRecords() {
				if err := out.write(opts.topic, p.partition, r); err != nil {
					return fmt.Errorf("writing output: %w", err)
				}
				written++
				if opts.max > 0 && written >= opts.max {
					return out.flush()
				}
			}
			if len(resp.GetRecords()) > 0 {
				found = true
				if err := out.flush(); err != nil {
					return fmt.Errorf("writing output: %w", err)
				}
			}
			if next := resp.GetNextOffset(); next > p.next {
				p.next = next
			} else if n := len(resp.GetRecords()); n > 0 {
				p.next = resp.GetRecords()[n-1].GetOffset() + 1
			}
		}
		idle = !found
	}
}

// startPositions lists the partitions to read and where each starts.
func startPositions(ctx context.Context, g *gatewayConn, opts consumeOptions) ([]position, error) {
	lctx, cancel := context.WithTimeout(ctx, listOffsetsTimeout)
	defer cancel()
	resp, err := g.client.ListOffsets(lctx, &runnelv1.ListOffsetsRequest{Topic: opts.topic})
	if err != nil {
		return nil, gatewayError(lctx, g.addr, err)
	}
	var out []position
	for _, pr := range resp.GetPartitions() {
		if opts.partition >= 0 && pr.GetPartition() != opts.partition {
			continue
		}
		out = append(out, position{partition: pr.GetPartition(), next: opts.offset.start(pr.GetLogStartOffset(), pr.GetHighWatermark())})
	}
	if len(out) == 0 {
		if opts.partition >= 0 {
			return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q has no partition %d (it has %d)",
				opts.topic, opts.partition, len(resp.GetPartitions()))
		}
		return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q has no partitions", opts.topic)
	}
	return out, nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
