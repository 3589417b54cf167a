package cli

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/spf13/cobra"
)

type benchConsumeOptions struct {
	topic   string
	records int64 // 0: everything below the high watermarks at start
	batch   int32
	jsonOut bool
}

// benchConsumeResult is what bench consume reports (also as JSON with --json).
type benchConsumeResult struct {
	Topic       string  `json:"topic"`
	Partitions  int     `json:"partitions"`
	Records     int64   `json:"records"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
	RecordsPerS float64 `json:"records_per_s"`
	MBPerS      float64 `json:"mb_per_s"` // keys and values, 10^6 bytes
	Requests    int64   `json:"requests"`
}

func newBenchConsumeCmd(a *app) *cobra.Command {
	o := benchConsumeOptions{}
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Read a topic from its start and report throughput",
		Long: `bench consume reads every partition of TOPIC from its log start offset up to the high
watermark it had when the benchmark started (or until --records records), one reader per
partition, and reports records/s and MB/s (10^6 bytes of keys and values per second).`,
		Example: `  runnel bench consume bench`,
		Args:    exactArgs("TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.topic = args[0]
			if o.records < 0 {
				return usagef("--records %d is negative", o.records)
			}
			if o.batch < 1 || o.batch > 10000 {
				return usagef("--batch %d: use 1 to 10000", o.batch)
			}
			g, err := a.connect()
			if err != nil {
				return err
			}
			defer g.Close()
			res, err := benchConsume(cmd.Context(), g, o)
			if err != nil {
				return err
			}
			if o.jsonOut {
				return writeJSON(a.Out, res)
			}
			fmt.Fprintf(a.Out, "bench consume: %d records (%d bytes) from %d partitions of %s in %.3f s: %.0f records/s, %.2f MB/s (%d requests)\n",
				res.Records, res.Bytes, res.Partitions, res.Topic, res.Seconds, res.RecordsPerS, res.MBPerS, res.Requests)
			return nil
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.records, "records", 0, "stop after this many records (default: everything present at start)")
	f.Int32Var(&o.batch, "batch", 500, "max_records per Consume call")
	f.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	return cmd
}

// benchConsume reads each partition in its own goroutine up to its high watermark at start.
func benchConsume(ctx context.Context, g *gatewayConn, o benchConsumeOptions) (benchConsumeResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lctx, lcancel := context.WithTimeout(ctx, listOffsetsTimeout)
	offs, err := g.client.ListOffsets(lctx, &runnelv1.ListOffsetsRequest{Topic: o.topic})
	if err != nil {
		err = gatewayError(lctx, g.addr, err)
	}
	lcancel()
	if err != nil {
		return benchConsumeResult{}, err
	}
	var (
		records, bytes, requests atomic.Int64
		errOnce                  sync.Once
		firstErr                 error
		wg                       sync.WaitGroup
	)
	limitReached := func() bool { return o.records > 0 && records.Load() >= o.records }
	start := time.Now()
	for _, p := range offs.GetPartitions() {
		wg.Go(func() {
			next, end := p.GetLogStartOffset(), p.GetHighWatermark()
			for next < end && !limitReached() && ctx.Err() == nil {
				resp, err := g.client.Consume(ctx, &runnelv1.ConsumeRequest{
					Topic: o.topic, Partition: p.GetPartition(), Offset: &next, MaxRecords: o.batch,
				})
				if err != nil {
					errOnce.Do(func() { firstErr = gatewayError(ctx, g.addr, err); cancel() })
					return
				}
				requests.Add(1)
				var n int64
				for _, r := range resp.GetRecords() {
					if r.GetOffset() >= end {
						break
					}
					n++
					bytes.Add(int64(len(r.GetKey()) + len(r.GetKeyBase64()) + len(r.GetValue()) + len(r.GetValueBase64())))
				}
				records.Add(n)
				switch nx := resp.GetNextOffset(); {
				case nx > next:
					next = nx
				case len(resp.GetRecords()) > 0:
					next = resp.GetRecords()[len(resp.GetRecords())-1].GetOffset() + 1
				default:
					return // nothing more below the high watermark (e.g. retention moved the log start)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return benchConsumeResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return benchConsumeResult{}, err
	}
	n := records.Load()
	return benchConsumeResult{
		Topic: o.topic, Partitions: len(offs.GetPartitions()), Records: n, Bytes: bytes.Load(),
		Seconds:     round3(elapsed.Seconds()),
		RecordsPerS: round2(rate(float64(n), elapsed)),
		MBPerS:      round2(rate(float64(bytes.Load())/1e6, elapsed)),
		Requests:    requests.Load(),
	}, nil
}
