package produce

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/gateway/internal/router"
)

// Defaults of Config.
const (
	DefaultDeliveryTimeout = 30 * time.Second
	DefaultMaxBatchBytes   = 1 << 20
)

// waitGrace is how long a request waits past its deadline for its batches to report, before it
// reports REQUEST_TIMED_OUT itself.
const waitGrace = time.Second

// Config tunes a Producer.
type Config struct {
	// Linger is how long a batch waits for more records after its first; 0 sends at once.
	Linger time.Duration
	// MaxBatchBytes caps a batch (default 1 MiB); the topic's max.message.bytes caps it too.
	MaxBatchBytes int
	// DeliveryTimeout bounds delivery, retries included, when a request sets no timeout_ms
	// (default 30 s).
	DeliveryTimeout time.Duration
	Logger          *slog.Logger
	Meter           metric.Meter
	// Tracer makes the produce.send spans; nil turns tracing off here (no spans, no traceparent
	// record headers).
	Tracer trace.Tracer
}

// ErrClosed is returned by Produce after Close.
var ErrClosed = errors.New("produce: producer closed")

// Producer is the write path. It is safe for concurrent use.
type Producer struct {
	cfg     Config
	router  *router.Router
	chooser *chooser
	ctx     context.Context // ends when Close gives up waiting: aborts sends
	cancel  context.CancelFunc
	wg      sync.WaitGroup // senders and linger timers

	closeMu sync.RWMutex // held shared while records are queued, exclusively to close
	closed  bool

	mu     sync.Mutex
	queues map[queueKey]*queue

	records metric.Int64Counter
	bytes   metric.Int64Counter
	latency metric.Float64Histogram
}

// New returns a Producer sending through r.
func New(r *router.Router, cfg Config) (*Producer, error) {
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if cfg.DeliveryTimeout <= 0 {
		cfg.DeliveryTimeout = DefaultDeliveryTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Meter == nil {
		cfg.Meter = noop.NewMeterProvider().Meter("")
	}
	p := &Producer{cfg: cfg, router: r, chooser: newChooser(), queues: map[queueKey]*queue{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	var err error
	if p.records, err = cfg.Meter.Int64Counter("runnel.gateway.produce.records",
		metric.WithDescription("Records written through the gateway."), metric.WithUnit("{record}")); err != nil {
		return nil, err
	}
	if p.bytes, err = cfg.Meter.Int64Counter("runnel.gateway.produce.bytes",
		metric.WithDescription("Record batch bytes written through the gateway."), metric.WithUnit("By")); err != nil {
		return nil, err
	}
	if p.latency, err = cfg.Meter.Float64Histogram("runnel.gateway.produce.latency",
		metric.WithDescription("Time from a produce request to its answer."), metric.WithUnit("ms")); err != nil {
		return nil, err
	}
	return p, nil
}

// Produce validates the whole request, queues its records and, unless acks=0, waits for their
// outcome.
func (p *Producer) Produce(ctx context.Context, req *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
	start := time.Now()
	acks, err := ParseAcks(req.GetAcks())
	if err != nil {
		return nil, err
	}
	defer func() {
		p.latency.Record(ctx, float64(time.Since(start))/float64(time.Millisecond),
			metric.WithAttributes(attribute.String("acks", AcksName(acks))))
	}()
	t, ok := p.router.Cache().Topic(req.GetTopic())
	if !ok {
		return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition,
			"topic %q does not exist; create it first (runnel topic create) or check the name", req.GetTopic())
	}
	timeout := p.cfg.DeliveryTimeout
	switch ms := req.GetTimeoutMs(); {
	case ms < 0:
		return nil, rpcerr.New(rpcerr.InvalidRequest, "timeout_ms is %d; send a positive number of milliseconds or leave it out", ms)
	case ms > 0:
		timeout = time.Duration(ms) * time.Millisecond
	}
	sc, traceparent := p.traceOf(ctx)
	items, err := prepare(req, t, start, traceparent)
	if err != nil {
		return nil, err
	}
	p.chooser.assign(t.GetName(), t.GetPartitions(), items)
	deadline := start.Add(timeout)

	var c *call
	if acks != runnelv1.Acks_ACKS_NONE {
		c = newCall(len(items))
	}
	if err := p.enqueue(t, acks, items, c, deadline, sc); err != nil {
		return nil, err
	}
	if c == nil {
		results := make([]*runnelv1.ProduceResult, len(items))
		for i := range items {
			results[i] = &runnelv1.ProduceResult{Partition: items[i].partition}
		}
		return &runnelv1.ProduceResponse{Results: results}, nil
	}
	for i := range items {
		c.results[i].Partition = items[i].partition
	}

	wait := time.NewTimer(time.Until(deadline) + waitGrace)
	defer wait.Stop()
	var results []*runnelv1.ProduceResult
	select {
	case <-c.done:
		results = c.results
	case <-ctx.Done():
		results = c.abandon(rpcerr.Wrap(rpcerr.RequestTimedOut, ctx.Err(),
			"the request ended before the records were acknowledged; they may still be written"))
	case <-wait.C:
		results = c.abandon(rpcerr.New(rpcerr.RequestTimedOut,
			"the records were not acknowledged within %v; they may still be written; retry, or raise timeout_ms", timeout))
	}
	if err := commonError(results); err != nil {
		return nil, err
	}
	return &runnelv1.ProduceResponse{Results: results}, nil
}

// traceOf returns the span context of the request (invalid when tracing is off) and, when the
// request's span is recorded (sampled), its traceparent value for the records' headers.
func (p *Producer) traceOf(ctx context.Context) (trace.SpanContext, string) {
	if p.cfg.Tracer == nil {
		return trace.SpanContext{}, ""
	}
	span := trace.SpanFromContext(ctx)
	sc := span.SpanContext()
	if !span.IsRecording() || !sc.IsSampled() {
		return sc, ""
	}
	return sc, telemetry.Traceparent(sc)
}

// enqueue hands the items, grouped by partition in order, to their queues; sc is the request's
// span context (see batch.trace).
func (p *Producer) enqueue(t *runnelv1.Topic, acks runnelv1.Acks, items []item, c *call, deadline time.Time, sc trace.SpanContext) error {
	byPartition := map[int32][]int32{}
	var order []int32
	for i := range items {
		pt := items[i].partition
		if _, ok := byPartition[pt]; !ok {
			order = append(order, pt)
		}
		byPartition[pt] = append(byPartition[pt], int32(i))
	}
	limit := maxMessageBytes(t)
	p.closeMu.RLock()
	defer p.closeMu.RUnlock()
	if p.closed {
		return rpcerr.Wrap(rpcerr.BrokerNotAvailable, ErrClosed, "the gateway is shutting down; retry on another gateway")
	}
	queues := make([]*queue, len(order))
	p.mu.Lock()
	for i, pt := range order {
		queues[i] = p.queueLocked(queueKey{topic: t.GetName(), partition: pt, acks: acks})
	}
	p.mu.Unlock()
	for i, pt := range order {
		idx := byPartition[pt]
		its := make([]*item, len(idx))
		for j, k := range idx {
			its[j] = &items[k]
		}
		queues[i].add(its, c, idx, deadline, limit, sc)
	}
	return nil
}

func (p *Producer) queueLocked(k queueKey) *queue {
	q, ok := p.queues[k]
	if !ok {
		q = &queue{p: p, key: k}
		p.queues[k] = q
	}
	return q
}

// runSender starts the goroutine that sends q's batches until none is ready.
func (p *Producer) runSender(q *queue) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for b := q.next(); b != nil; b = q.next() {
			p.send(q.key, b)
		}
	}()
}

// Close stops taking requests, sends what is queued and waits for every send until ctx ends; then
// it aborts the sends still running and waits for them to return.
func (p *Producer) Close(ctx context.Context) error {
	p.closeMu.Lock()
	p.closed = true
	p.closeMu.Unlock()
	p.mu.Lock()
	queues := make([]*queue, 0, len(p.queues))
	for _, q := range p.queues {
		queues = append(queues, q)
	}
	p.mu.Unlock()
	for _, q := range queues {
		q.flush()
	}
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		p.cancel()
		<-done
	}
	p.cancel()
	return err
}
