package client

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/codes"
	"google.golang.org/protobuf/types/known/structpb"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// Producer sends records to Runnel in batches per partition. It is safe for concurrent use.
//
// Partitioning is the gateway's: a record with ExplicitPartition goes to its Partition; a record
// with a key (even an empty one) to toPositive(murmur2(key)) % partitions, Kafka's default; a
// record without a key to the topic's next partition in turn (round-robin per topic, as the
// gateway does). The producer always sends the partition it chose, so its choice is the one
// applied. Partition counts come from GetTopic, cached (WithMetadataMaxAge) and asked again after
// an UNKNOWN_TOPIC_OR_PARTITION answer.
//
// Batching: records wait per partition until the batch is full (WithBatchRecords,
// WithBatchBytes) or its linger passed (WithLinger); one request per partition is in flight at a
// time, so records of a partition are written in the order they were sent (a retry after a
// partial failure of a batch is the exception: the failed records are written after the ones that
// succeeded).
//
// Retries: a retriable failure (Error.Retriable) is sent again after a backoff until the
// record's delivery timeout (WithDeliveryTimeout) passes; other failures are final. Delivery is
// at least once: a retry after a timeout can write a record twice.
type Producer struct {
	c      *Client
	cfg    producerConfig
	acks   *structpb.Value
	topics *topicCache
	ctx    context.Context // ends when Close gives up waiting: aborts every request
	cancel context.CancelFunc

	mu       sync.Mutex
	queues   map[TopicPartition]*partQueue
	buffered int           // bytes of records not completed yet
	records  int           // records not completed yet
	space    chan struct{} // closed (and replaced) when buffer space frees
	idle     chan struct{} // closed while records == 0
	flushing int           // Flush calls in progress: every batch is sendable at once
	closing  bool
	stopped  bool // no sender goroutine may start any more
	closed   chan struct{}
	wg       sync.WaitGroup
}

// NewProducer returns a Producer; the options are validated here.
func (c *Client) NewProducer(opts ...ProducerOption) (*Producer, error) {
	cfg := defaultProducerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &Producer{
		c:      c,
		cfg:    cfg,
		acks:   cfg.acks.value(),
		topics: newTopicCache(c.api, cfg.metadataMaxAge),
		ctx:    ctx,
		cancel: cancel,
		queues: map[TopicPartition]*partQueue{},
		space:  make(chan struct{}),
		idle:   idle,
		closed: make(chan struct{}),
	}, nil
}

// Send sends one record and waits for the outcome: where it was written, or why not. If ctx ends
// first Send returns ctx's error, and the record may still be written.
func (p *Producer) Send(ctx context.Context, r *Record) (Delivery, error) {
	type outcome struct {
		d   Delivery
		err error
	}
	ch := make(chan outcome, 1)
	if err := p.SendAsync(ctx, r, func(d Delivery, err error) { ch <- outcome{d, err} }); err != nil {
		return Delivery{}, err
	}
	select {
	case o := <-ch:
		return o.d, o.err
	case <-ctx.Done():
		return Delivery{}, ctx.Err()
	}
}

// SendAsync queues one record and returns. If it returns an error the record was not accepted and
// done is never called: the producer is closed (ErrClosed), the topic or partition is unknown,
// the record is invalid (INVALID_RECORD), or ctx ended while the buffer was full or the topic's
// partition count was being asked. Otherwise done is called exactly once, from a producer
// goroutine, with where the record was written or why it failed; keep it quick (it delays the
// partition's next batch). ctx also carries the trace context of the record's span.
func (p *Producer) SendAsync(ctx context.Context, r *Record, done func(Delivery, error)) error {
	if err := validateRecord(r); err != nil {
		return err
	}
	if p.isClosing() {
		return ErrClosed
	}
	t, err := p.topics.get(ctx, r.Topic)
	if err != nil {
		return err
	}
	part := r.Partition
	if r.ExplicitPartition {
		if part < 0 || part >= t.partitions {
			return newError(CodeUnknownTopicOrPartition,
				fmt.Sprintf("partition %d of topic %q does not exist (partitions 0..%d)", part, r.Topic, t.partitions-1), nil)
		}
	} else {
		part = t.partition(r.Key)
	}
	ts := r.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	span, headers := p.c.startSendSpan(ctx, r.Topic, r.Headers)
	pr := &runnelv1.ProduceRecord{
		KeyBase64:   r.Key,
		ValueBase64: r.Value,
		Headers:     headers,
		Partition:   &part,
		TimestampMs: ptr(ts.UnixMilli()),
	}
	rec := &pendingRecord{
		pr:       pr,
		size:     recordSize(r.Key, r.Value, headers),
		deadline: time.Now().Add(p.cfg.deliveryTimeout),
		span:     span,
		done:     done,
	}
	if err := p.enqueue(ctx, TopicPartition{Topic: r.Topic, Partition: part}, rec); err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.End()
		return err
	}
	return nil
}

// Flush makes every queued batch sendable at once and waits until no record is pending (records
// sent meanwhile included) or ctx ends.
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	p.flushing++
	p.kickAllLocked()
	idle := p.idle
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.flushing--
		p.mu.Unlock()
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting records, sends every pending one and waits for their outcomes until ctx
// ends; then every record still pending fails with ErrClosed and its request is cancelled. Close
// returns when every callback has run; it never waits longer than ctx allows plus the time to
// cancel the requests in flight (each record's delivery timeout bounds it even with a ctx that
// never ends). It returns ctx's error if pending records had to be failed. Calling it again waits
// for the first call.
func (p *Producer) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		select {
		case <-p.closed:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.closing = true
	p.kickAllLocked()
	p.signalSpaceLocked() // wake SendAsync calls waiting for space: they fail with ErrClosed
	idle := p.idle
	p.mu.Unlock()

	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.cancel()
	p.mu.Lock()
	p.stopped = true
	var orphans []*batch
	for _, q := range p.queues {
		orphans = append(orphans, q.takeAll()...)
	}
	p.mu.Unlock()
	for _, b := range orphans {
		p.finish(b.topic, b.recs, nil, ErrClosed)
	}
	p.wg.Wait()
	close(p.closed)
	return err
}

func (p *Producer) isClosing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closing
}

// validateRecord checks what the gateway's API cannot carry.
func validateRecord(r *Record) error {
	if r == nil || r.Topic == "" {
		return newError(CodeInvalidRecord, "the record has no topic", nil)
	}
	for k, v := range r.Headers {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return newError(CodeInvalidRecord, fmt.Sprintf("header %q is not valid UTF-8; headers are text", k), nil)
		}
	}
	return nil
}

// recordSize is what a record counts against batch and buffer limits.
func recordSize(key, value []byte, headers map[string]string) int {
	n := len(key) + len(value) + 24
	for k, v := range headers {
		n += len(k) + len(v) + 4
	}
	return n
}

func ptr[T any](v T) *T { return &v }
