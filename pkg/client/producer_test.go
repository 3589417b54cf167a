package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

func newProducer(t *testing.T, cl *Client, opts ...ProducerOption) *Producer {
	t.Helper()
	p, err := cl.NewProducer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestProducerPartitioning(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 12)
	p := newProducer(t, cl, WithLinger(0))
	ctx := testCtx(t)
	tests := []struct {
		name string
		rec  Record
		want int32 // -1: round-robin
	}{
		{"keyed", Record{Key: []byte("foobar")}, 6},
		{"keyed again", Record{Key: []byte("foobar")}, 6},
		{"empty key is a key", Record{Key: []byte{}}, partitionForKey(nil, 12)},
		{"explicit wins over key", Record{Key: []byte("foobar"), Partition: 3, ExplicitPartition: true}, 3},
		{"explicit zero", Record{Partition: 0, ExplicitPartition: true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rec
			r.Topic, r.Value = "t", []byte(tt.name)
			d, err := p.Send(ctx, &r)
			if err != nil {
				t.Fatal(err)
			}
			if d.Partition != tt.want || d.Topic != "t" {
				t.Fatalf("delivered to %s/%d, want partition %d", d.Topic, d.Partition, tt.want)
			}
			log := f.records(TopicPartition{"t", d.Partition})
			if got := log[d.Offset]; string(got.GetValueBase64()) != tt.name {
				t.Fatalf("offset %d holds %q", d.Offset, got.GetValueBase64())
			}
		})
	}
	t.Run("unkeyed round-robin", func(t *testing.T) {
		seen := map[int32]int{}
		for i := range 24 {
			d, err := p.Send(ctx, &Record{Topic: "t", Value: []byte(strconv.Itoa(i))})
			if err != nil {
				t.Fatal(err)
			}
			seen[d.Partition]++
		}
		for part := range int32(12) {
			if seen[part] != 2 {
				t.Fatalf("partition %d got %d of 24 unkeyed records, want 2 each: %v", part, seen[part], seen)
			}
		}
	})
	t.Run("bad input", func(t *testing.T) {
		cases := []struct {
			rec  Record
			code string
		}{
			{Record{Topic: "t", Partition: 12, ExplicitPartition: true}, CodeUnknownTopicOrPartition},
			{Record{Topic: "missing"}, CodeUnknownTopicOrPartition},
			{Record{}, CodeInvalidRecord},
			{Record{Topic: "t", Headers: map[string]string{"h": "\xff"}}, CodeInvalidRecord},
		}
		for _, c := range cases {
			if _, err := p.Send(ctx, &c.rec); CodeOf(err) != c.code {
				t.Fatalf("%+v: got %v, want %s", c.rec, err, c.code)
			}
		}
	})
}

func TestProducerBatching(t *testing.T) {
	tests := []struct {
		name    string
		opts    []ProducerOption
		records int
		size    int
		maxRecs int // most records a request may hold
		minReqs int
		maxReqs int
	}{
		{"batch records", []ProducerOption{WithLinger(time.Hour), WithBatchRecords(10)}, 100, 10, 10, 10, 10},
		{"batch bytes", []ProducerOption{WithLinger(time.Hour), WithBatchBytes(1000)}, 50, 100, 8, 7, 50},
		{"linger gathers records", []ProducerOption{WithLinger(100 * time.Millisecond)}, 20, 10, 20, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, cl := startFake(t)
			f.addTopic("t", 1)
			p := newProducer(t, cl, tt.opts...)
			ctx := testCtx(t)
			var wg sync.WaitGroup
			var failed atomic.Int32
			for i := range tt.records {
				wg.Add(1)
				err := p.SendAsync(ctx, &Record{Topic: "t", Value: make([]byte, tt.size)}, func(_ Delivery, err error) {
					if err != nil {
						failed.Add(1)
					}
					wg.Done()
				})
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
			}
			if tt.name != "linger gathers records" {
				if err := p.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			wg.Wait()
			if failed.Load() != 0 {
				t.Fatalf("%d records failed", failed.Load())
			}
			reqs := f.produceRequests()
			total := 0
			for _, r := range reqs {
				if len(r.GetRecords()) > tt.maxRecs {
					t.Fatalf("a request holds %d records, want at most %d", len(r.GetRecords()), tt.maxRecs)
				}
				total += len(r.GetRecords())
			}
			if total != tt.records || len(reqs) < tt.minReqs || len(reqs) > tt.maxReqs {
				t.Fatalf("%d requests with %d records, want %d..%d requests with %d", len(reqs), total, tt.minReqs, tt.maxReqs, tt.records)
			}
		})
	}
}

func TestProducerRetries(t *testing.T) {
	retriable := statusErr(codes.FailedPrecondition, CodeNotLeaderOrFollower, "leader moved")
	tests := []struct {
		name     string
		hook     func(n int, req *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error)
		code     string // "" = delivered
		calls    int    // produce calls expected (0: not checked)
		timeout  time.Duration
		maxTaken time.Duration
	}{
		{
			name: "retriable call errors are retried",
			hook: func(n int, _ *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
				if n <= 2 {
					return nil, retriable
				}
				return nil, nil
			},
			calls: 3,
		},
		{
			name: "retriable record results are retried",
			hook: func(n int, req *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
				if n > 1 {
					return nil, nil
				}
				resp := &runnelv1.ProduceResponse{}
				for range req.GetRecords() {
					resp.Results = append(resp.Results, &runnelv1.ProduceResult{Error: ptr(CodeNotEnoughReplicas), Message: ptr("1 of 2")})
				}
				return resp, nil
			},
			calls: 2,
		},
		{
			name: "final errors are not retried",
			hook: func(int, *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
				return nil, statusErr(codes.InvalidArgument, CodeMessageTooLarge, "too big")
			},
			code:  CodeMessageTooLarge,
			calls: 1,
		},
		{
			name: "delivery timeout ends retries",
			hook: func(int, *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
				return nil, retriable
			},
			code:     CodeRequestTimedOut,
			timeout:  300 * time.Millisecond,
			maxTaken: 3 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, cl := startFake(t)
			f.addTopic("t", 1)
			f.produceHook = tt.hook
			opts := []ProducerOption{WithLinger(0), WithRetryBackoff(5*time.Millisecond, 20*time.Millisecond)}
			if tt.timeout > 0 {
				opts = append(opts, WithDeliveryTimeout(tt.timeout))
			}
			p := newProducer(t, cl, opts...)
			start := time.Now()
			_, err := p.Send(testCtx(t), &Record{Topic: "t", Value: []byte("v")})
			if CodeOf(err) != tt.code {
				t.Fatalf("got %v, want code %q", err, tt.code)
			}
			if tt.calls > 0 && len(f.produceRequests()) != tt.calls {
				t.Fatalf("%d produce calls, want %d", len(f.produceRequests()), tt.calls)
			}
			if tt.code == CodeRequestTimedOut {
				if !errors.Is(err, &Error{Code: CodeNotLeaderOrFollower}) {
					t.Fatalf("timeout %v does not wrap the last error", err)
				}
				if took := time.Since(start); took > tt.maxTaken {
					t.Fatalf("took %s", took)
				}
			}
			if tt.code == "" && len(f.records(TopicPartition{"t", 0})) != 1 {
				t.Fatalf("the record was written %d times", len(f.records(TopicPartition{"t", 0})))
			}
		})
	}
}

// TestProducerOrderAcrossRetries: records of a partition are written in send order although
// whole calls fail now and then.
func TestProducerOrderAcrossRetries(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 3)
	f.produceHook = func(n int, _ *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
		if n%3 == 0 {
			return nil, statusErr(codes.Unavailable, CodeLeaderNotAvailable, "election")
		}
		return nil, nil
	}
	p := newProducer(t, cl, WithLinger(time.Millisecond), WithBatchRecords(7), WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	ctx := testCtx(t)
	const n = 600
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		key := []byte(strconv.Itoa(i % 5))
		err := p.SendAsync(ctx, &Record{Topic: "t", Key: key, Value: []byte(strconv.Itoa(i))}, func(_ Delivery, err error) {
			if err != nil {
				t.Errorf("record %d: %v", i, err)
			}
			wg.Done()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	total := 0
	for part := range int32(3) {
		last := map[string]int{}
		for _, r := range f.records(TopicPartition{"t", part}) {
			total++
			v, _ := strconv.Atoi(string(r.GetValueBase64()))
			k := string(r.GetKeyBase64())
			if prev, ok := last[k]; ok && v <= prev {
				t.Fatalf("partition %d: key %s record %d written after %d", part, k, v, prev)
			}
			last[k] = v
		}
	}
	if total != n {
		t.Fatalf("%d records written, want %d", total, n)
	}
}

func TestProducerRefreshesPartitionCount(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 2)
	f.produceHook = func(n int, _ *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
		if n == 1 {
			return nil, statusErr(codes.NotFound, CodeUnknownTopicOrPartition, "not yet known")
		}
		return nil, nil
	}
	p := newProducer(t, cl, WithLinger(0), WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	ctx := testCtx(t)
	if _, err := p.Send(ctx, &Record{Topic: "t", Value: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	f.addTopic("t", 4) // the topic grew
	if _, err := p.Send(ctx, &Record{Topic: "t", Key: []byte("a-little-bit-long-string"), Value: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	calls := f.getTopic
	f.mu.Unlock()
	if calls != 2 {
		t.Fatalf("GetTopic called %d times, want 2 (once, then after UNKNOWN_TOPIC_OR_PARTITION)", calls)
	}
	if len(f.records(TopicPartition{"t", partitionForKey([]byte("a-little-bit-long-string"), 4)})) != 1 {
		t.Fatal("the keyed record did not land where 4 partitions put it")
	}
}

func TestProducerAcksNone(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	p := newProducer(t, cl, WithAcks(AcksNone), WithLinger(0))
	d, err := p.Send(testCtx(t), &Record{Topic: "t", Value: []byte("v")})
	if err != nil || d.Offset != -1 {
		t.Fatalf("got %+v %v, want offset -1", d, err)
	}
	if got := f.produceRequests()[0].GetAcks().GetStringValue(); got != "0" {
		t.Fatalf("acks sent as %q", got)
	}
}

// TestProducerCloseNeverHangs: with a gateway that never answers, Close returns when its context
// ends, every callback runs with ErrClosed, and the producer refuses new records.
func TestProducerCloseNeverHangs(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 4)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.produceHook = func(int, *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
		<-release
		return nil, errors.New("released")
	}
	p, err := cl.NewProducer(WithLinger(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	var calls, closed atomic.Int32
	for i := range 40 {
		err := p.SendAsync(ctx, &Record{Topic: "t", Value: []byte(strconv.Itoa(i))}, func(_ Delivery, err error) {
			calls.Add(1)
			if errors.Is(err, ErrClosed) {
				closed.Add(1)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.Close(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the context's error", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Close took %s", took)
	}
	if calls.Load() != 40 || closed.Load() != 40 {
		t.Fatalf("%d callbacks, %d with ErrClosed; want 40 and 40", calls.Load(), closed.Load())
	}
	if err := p.SendAsync(ctx, &Record{Topic: "t"}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("SendAsync after Close = %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestProducerFlushAndClose(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 2)
	p, err := cl.NewProducer(WithLinger(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	var done atomic.Int32
	send := func(n int) {
		for i := range n {
			if err := p.SendAsync(ctx, &Record{Topic: "t", Value: []byte(strconv.Itoa(i))}, func(_ Delivery, err error) {
				if err == nil {
					done.Add(1)
				}
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(5)
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if done.Load() != 5 {
		t.Fatalf("%d of 5 delivered after Flush", done.Load())
	}
	send(7)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if done.Load() != 12 {
		t.Fatalf("%d of 12 delivered after Close", done.Load())
	}
}

func TestProducerBufferFullBlocks(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	release := make(chan struct{})
	f.produceHook = func(int, *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
		<-release
		return nil, nil
	}
	p := newProducer(t, cl, WithLinger(0), WithBatchBytes(1000), WithBufferBytes(1000))
	t.Cleanup(func() { close(release) }) // runs before the producer's Close
	ctx := testCtx(t)
	if err := p.SendAsync(ctx, &Record{Topic: "t", Value: make([]byte, 900)}, nil); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := p.SendAsync(short, &Record{Topic: "t", Value: make([]byte, 900)}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SendAsync with a full buffer = %v, want the context's error", err)
	}
}

func TestProducerTraceContext(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	p := newProducer(t, cl, WithLinger(0))
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(testCtx(t), parent)
	headers := map[string]string{"app": "x"}
	if _, err := p.Send(ctx, &Record{Topic: "t", Value: []byte("v"), Headers: headers}); err != nil {
		t.Fatal(err)
	}
	got := f.records(TopicPartition{"t", 0})[0].GetHeaders()
	want := fmt.Sprintf("00-%s-%s-01", tid, sid) // the no-op tracer keeps the parent's span
	if got["traceparent"] != want || got["app"] != "x" {
		t.Fatalf("headers %v, want traceparent %s and app=x", got, want)
	}
	if len(headers) != 1 {
		t.Fatalf("the caller's header map was modified: %v", headers)
	}
	back := trace.SpanContextFromContext(cl.ExtractContext(context.Background(), &Record{Headers: got}))
	if back.TraceID() != tid {
		t.Fatalf("ExtractContext gave trace %s", back.TraceID())
	}
}

func TestProducerOptionsValidated(t *testing.T) {
	_, cl := startFake(t)
	for _, o := range []ProducerOption{WithLinger(-1), WithBatchRecords(0), WithBatchBytes(0), WithAcks(2),
		WithDeliveryTimeout(0), WithRetryBackoff(0, 1), WithBufferBytes(1), WithMetadataMaxAge(0)} {
		if _, err := cl.NewProducer(o); !errors.Is(err, ErrInvalidOption) {
			t.Fatalf("got %v, want ErrInvalidOption", err)
		}
	}
}
