package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/structpb"
)

type benchProduceOptions struct {
	topic          string
	records        int64
	recordSize     int
	batch          int
	concurrency    int
	acks           *structpb.Value
	acksText       string
	partitions, rf int32
	jsonOut        bool
	rest           string // base URL of the gateway's REST API; empty: gRPC
}

// benchProduceResult is what bench produce reports (also as JSON with --json).
type benchProduceResult struct {
	Topic       string  `json:"topic"`
	Records     int64   `json:"records"`
	Failed      int64   `json:"failed"`
	RecordSize  int     `json:"record_size"`
	Batch       int     `json:"batch"`
	Concurrency int     `json:"concurrency"`
	Acks        string  `json:"acks"`
	API         string  `json:"api"` // "grpc" or "rest"
	Seconds     float64 `json:"seconds"`
	RecordsPerS float64 `json:"records_per_s"`
	MBPerS      float64 `json:"mb_per_s"` // values only, 10^6 bytes
	Requests    int     `json:"requests"`
	P50Ms       float64 `json:"latency_p50_ms"`
	P99Ms       float64 `json:"latency_p99_ms"`
	P999Ms      float64 `json:"latency_p999_ms"`
	MaxMs       float64 `json:"latency_max_ms"`
}

func newBenchProduceCmd(a *app) *cobra.Command {
	o := benchProduceOptions{}
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce N records of a fixed size and report throughput and request latency",
		Long: `bench produce sends --records records of --record-size random bytes (no key, so the
gateway spreads them round-robin) in Produce calls of --batch records, with --concurrency
calls in flight. It creates TOPIC with -p partitions and -r replicas if it does not exist.
It reports records/s, MB/s (10^6 bytes of values per second) and the p50, p99 and p99.9
latency of the Produce calls. With --rest URL the records go as JSON to the gateway's REST API
(POST URL/v1/topics/TOPIC/records, values as printable text) instead of gRPC.`,
		Example: `  runnel bench produce bench --records 200000 --concurrency 4 -p 6 -r 3
  runnel bench produce bench --rest http://127.0.0.1:8080 --acks 1`,
		Args: exactArgs("TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.topic = args[0]
			var err error
			if o.acks, err = parseAcks(o.acksText); err != nil {
				return err
			}
			switch {
			case o.records < 1:
				return usagef("--records %d: use 1 or more", o.records)
			case o.recordSize < 0:
				return usagef("--record-size %d is negative", o.recordSize)
			case o.batch < 1 || o.batch > 10000:
				return usagef("--batch %d: use 1 to 10000", o.batch)
			case o.concurrency < 1 || o.concurrency > 1024:
				return usagef("--concurrency %d: use 1 to 1024", o.concurrency)
			}
			g, err := a.connect()
			if err != nil {
				return err
			}
			defer g.Close()
			if err := ensureTopic(cmd.Context(), g, o.topic, o.partitions, o.rf, a.Err); err != nil {
				return err
			}
			res, err := benchProduce(cmd.Context(), g, o)
			if err != nil {
				return err
			}
			if o.jsonOut {
				return writeJSON(a.Out, res)
			}
			fmt.Fprintf(a.Out, "bench produce (%s): %d records of %d bytes to %s, %d per request, %d in flight, acks=%s\n",
				res.API, res.Records, res.RecordSize, res.Topic, res.Batch, res.Concurrency, res.Acks)
			fmt.Fprintf(a.Out, "  %d records in %.3f s: %.0f records/s, %.2f MB/s", res.Records, res.Seconds, res.RecordsPerS, res.MBPerS)
			if res.Failed > 0 {
				fmt.Fprintf(a.Out, ", %d records failed", res.Failed)
			}
			fmt.Fprintf(a.Out, "\n  request latency: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms (%d requests)\n",
				res.P50Ms, res.P99Ms, res.P999Ms, res.MaxMs, res.Requests)
			if res.Failed > 0 {
				return fmt.Errorf("%w: %d of %d records failed", ErrRecordsFailed, res.Failed, res.Records)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.records, "records", 100000, "records to produce")
	f.IntVar(&o.recordSize, "record-size", 1024, "bytes of each record's value")
	f.IntVar(&o.batch, "batch", 500, "records per Produce call")
	f.IntVar(&o.concurrency, "concurrency", 1, "Produce calls in flight")
	f.StringVar(&o.acksText, "acks", "all", "acknowledgement: all (or -1), 1 or 0")
	f.Int32VarP(&o.partitions, "partitions", "p", 6, "partitions, if the topic is created")
	f.Int32VarP(&o.rf, "replication-factor", "r", 1, "replication factor, if the topic is created")
	f.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	f.StringVar(&o.rest, "rest", "", "send over the REST API at this base URL (e.g. http://127.0.0.1:8080) instead of gRPC")
	return cmd
}

// benchProduce runs the produce benchmark: workers claim batches until every record is sent. The
// first failed call stops it.
func benchProduce(ctx context.Context, g *gatewayConn, o benchProduceOptions) (benchProduceResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	payload := make([]byte, o.recordSize)
	rng := rand.New(rand.NewChaCha8([32]byte{'r', 'u', 'n', 'n', 'e', 'l'}))
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	batches := (o.records + int64(o.batch) - 1) / int64(o.batch)
	var (
		next     atomic.Int64
		failed   atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	lat := make([][]time.Duration, o.concurrency)
	start := time.Now()
	for w := range o.concurrency {
		send := grpcSender(g, o, payload)
		if o.rest != "" {
			send = restSender(o, payload)
		}
		wg.Go(func() {
			for {
				k := next.Add(1) - 1
				if k >= batches || ctx.Err() != nil {
					return
				}
				n := min(int64(o.batch), o.records-k*int64(o.batch))
				t0 := time.Now()
				nf, err := send(ctx, int(n))
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
				failed.Add(int64(nf))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return benchProduceResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return benchProduceResult{}, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	s := summarize(all)
	return benchProduceResult{
		Topic: o.topic, Records: o.records, Failed: failed.Load(), RecordSize: o.recordSize,
		Batch: o.batch, Concurrency: o.concurrency, Acks: o.acksText, API: apiName(o),
		Seconds:     round3(elapsed.Seconds()),
		RecordsPerS: round2(rate(float64(o.records), elapsed)),
		MBPerS:      round2(rate(float64(o.records)*float64(o.recordSize)/1e6, elapsed)),
		Requests:    len(all),
		P50Ms:       ms(s.P50), P99Ms: ms(s.P99), P999Ms: ms(s.P999), MaxMs: ms(s.Max),
	}, nil
}

// sender sends one request of n records and returns how many of them failed.
type sender func(ctx context.Context, n int) (failed int, err error)

func apiName(o benchProduceOptions) string {
	if o.rest != "" {
		return "rest"
	}
	return "grpc"
}

// grpcSender produces through the gateway's gRPC API; each worker reuses its request.
func grpcSender(g *gatewayConn, o benchProduceOptions, payload []byte) sender {
	records := make([]*runnelv1.ProduceRecord, o.batch)
	for i := range records {
		records[i] = &runnelv1.ProduceRecord{ValueBase64: payload}
	}
	req := &runnelv1.ProduceRequest{Topic: o.topic, Acks: o.acks}
	return func(ctx context.Context, n int) (int, error) {
		req.Records = records[:n]
		resp, err := g.client.Produce(ctx, req)
		if err != nil {
			return 0, gatewayError(ctx, g.addr, err)
		}
		failed := 0
		for _, r := range resp.GetResults() {
			if r.Error != nil {
				failed++
			}
		}
		return failed, nil
	}
}
