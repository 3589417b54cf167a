package checker

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// Config shapes a workload. Zero fields take the defaults named.
type Config struct {
	Topic             string
	Producers         int           // producer goroutines (default 3)
	RecordsPerRequest int           // records per produce request (default 4)
	Keys              int           // distinct keys per producer (default 16)
	Acks              string        // "all" (default), "1" or "0"
	TimeoutMs         int32         // delivery timeout of each request (default 10000)
	Interval          time.Duration // pacing: at least this long between a producer's requests (default 20 ms)
	MaxRequests       int           // per producer (default 100000)
	Partitions        int32         // one consumer per partition [0, Partitions); 0: no consumers
	ConsumeWait       time.Duration // consumer long-poll (default 500 ms)
	MaxPolls          int           // per consumer (default 1000000)
}

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Producers, 3)
	def(&c.RecordsPerRequest, 4)
	def(&c.Keys, 16)
	def(&c.MaxRequests, 100000)
	def(&c.MaxPolls, 1000000)
	if c.Acks == "" {
		c.Acks = "all"
	}
	if c.TimeoutMs == 0 {
		c.TimeoutMs = 10000
	}
	if c.Interval == 0 {
		c.Interval = 20 * time.Millisecond
	}
	if c.ConsumeWait == 0 {
		c.ConsumeWait = 500 * time.Millisecond
	}
}

// Workload is a set of running producers and consumers.
type Workload struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stop   sync.Once
}

// Start starts the producers and consumers of cfg against rest, recording into h. They run until
// Stop (registered with t.Cleanup too) or until their bounds are reached.
func Start(t testing.TB, rest *harness.Client, h *History, cfg Config) *Workload {
	cfg.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	w := &Workload{cancel: cancel}
	for range cfg.Producers {
		id := h.newProducer()
		w.wg.Go(func() { produce(ctx, rest, h, cfg, id) })
	}
	for p := range cfg.Partitions {
		w.wg.Go(func() { consume(ctx, rest, h, cfg, p) })
	}
	t.Cleanup(w.Stop)
	return w
}

// Stop ends every goroutine of the workload and waits for them. Requests in flight are abandoned:
// their records count neither as acknowledged nor as failed.
func (w *Workload) Stop() {
	w.stop.Do(func() {
		w.cancel()
		w.wg.Wait()
	})
}

// pace waits until the next tick or the end of ctx; it reports whether to go on.
func pace(ctx context.Context, tick *time.Ticker) bool {
	select {
	case <-ctx.Done():
		return false
	case <-tick.C:
		return true
	}
}

// produce is one producer: sequential requests of keyed records, each answer recorded.
func produce(ctx context.Context, rest *harness.Client, h *History, cfg Config, id int) {
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	var seq int64
	for range cfg.MaxRequests {
		if !pace(ctx, tick) {
			return
		}
		recs := make([]harness.ProduceRecord, cfg.RecordsPerRequest)
		seqs := make([]int64, cfg.RecordsPerRequest)
		for i := range recs {
			recs[i] = harness.Text(Key(id, seq, cfg.Keys), Value(id, seq))
			seqs[i] = seq
			seq++
		}
		h.reserve(id, seq)
		res, err := rest.ProduceRequest(ctx, cfg.Topic, harness.ProduceRequest{Acks: cfg.Acks, Records: recs, TimeoutMs: cfg.TimeoutMs})
		at := time.Now()
		if ctx.Err() != nil {
			return // abandoned: neither acknowledged nor failed
		}
		if err != nil {
			h.fail(errName(err), err.Error(), len(recs))
			continue
		}
		if len(res.Results) != len(recs) {
			h.violation("producer %d: %d results for %d records", id, len(res.Results), len(recs))
			continue
		}
		for i, r := range res.Results {
			switch {
			case r.Offset != nil && cfg.Acks != "0":
				h.ack(Ack{Partition: r.Partition, Offset: int64(*r.Offset), Producer: id, Seq: seqs[i], Value: *recs[i].Value, At: at})
			case r.Error != "":
				h.fail(r.Error, r.Message, 1)
			}
		}
	}
}

// errName is the catalogue name of a failed request, or a short description.
func errName(err error) string {
	var e *harness.APIError
	if errors.As(err, &e) {
		if n := e.Name(); n != "" {
			return n
		}
		return "HTTP " + strconv.Itoa(e.Status)
	}
	return "transport"
}
