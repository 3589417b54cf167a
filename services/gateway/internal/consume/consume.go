package consume

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/protobuf/types/known/timestamppb"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/router"
)

// Limits of a Consume request.
const (
	DefaultMaxRecords = 500
	MaxRecords        = 10000
	MaxWait           = 30 * time.Second
	DefaultMaxBytes   = 1 << 20
	MaxBytes          = 16 << 20
	// DefaultRetryTimeout bounds the retries of one read (beside its max_wait_ms).
	DefaultRetryTimeout = 10 * time.Second
)

// Reader serves Consume.
type Reader struct {
	router  *router.Router
	timeout time.Duration
	records metric.Int64Counter
	bytes   metric.Int64Counter
}

// New returns a Reader; timeout bounds the retries of one read beside its max_wait_ms
// (DefaultRetryTimeout when 0).
func New(r *router.Router, timeout time.Duration, meter metric.Meter) (*Reader, error) {
	if timeout <= 0 {
		timeout = DefaultRetryTimeout
	}
	if meter == nil {
		meter = noop.NewMeterProvider().Meter("")
	}
	c, err := meter.Int64Counter("runnel.gateway.consume.records",
		metric.WithDescription("Records read through the gateway (Consume and FetchGroupRecords)."), metric.WithUnit("{record}"))
	if err != nil {
		return nil, err
	}
	b, err := meter.Int64Counter("runnel.gateway.consume.bytes",
		metric.WithDescription("Record batch bytes the gateway fetched from storage to answer reads."), metric.WithUnit("By"))
	if err != nil {
		return nil, err
	}
	return &Reader{router: r, timeout: timeout, records: c, bytes: b}, nil
}

// Retriable reports whether a failed Fetch or ListPartitionOffsets may be sent again.
func Retriable(err error) bool {
	switch rpcerr.CodeOf(err) {
	case rpcerr.NotLeaderOrFollower, rpcerr.LeaderNotAvailable, rpcerr.BrokerNotAvailable,
		rpcerr.FencedLeaderEpoch, rpcerr.UnknownLeaderEpoch, rpcerr.KafkaStorageError,
		rpcerr.UnknownTopicOrPartition:
		return true
	}
	return false
}

// Consume reads one partition.
func (r *Reader) Consume(ctx context.Context, req *runnelv1.ConsumeRequest) (*runnelv1.ConsumeResponse, error) {
	lim, err := ParseLimits(req.GetMaxRecords(), req.GetMaxWaitMs(), req.GetMaxBytes())
	if err != nil {
		return nil, err
	}
	maxRecords, maxWait, maxBytes := lim.Records, lim.Wait, lim.Bytes
	topic, partition := req.GetTopic(), req.GetPartition()
	if _, err := r.router.Leader(topic, partition); router.NotInCache(err) {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout+maxWait)
	defer cancel()

	var offset int64
	if req.Offset != nil {
		offset = req.GetOffset()
		if offset < 0 {
			return nil, rpcerr.New(rpcerr.OffsetOutOfRange,
				"offset %d is negative; read from an offset between the log start offset and the high watermark (runnel topic describe)", offset)
		}
	} else {
		start, err := r.logStart(ctx, topic, partition)
		if err != nil {
			return nil, err
		}
		offset = start
	}

	var resp *runnelv1.FetchResponse
	err = r.router.Do(ctx, topic, partition, Retriable, func(ctx context.Context, l router.Leader) error {
		var err error
		resp, err = l.Client.Fetch(ctx, &runnelv1.FetchRequest{
			Topic:       topic,
			Partition:   partition,
			Offset:      offset,
			MaxBytes:    maxBytes,
			MaxWaitMs:   int32(maxWait.Milliseconds()),
			LeaderEpoch: l.Epoch,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &runnelv1.ConsumeResponse{
		HighWatermark:  resp.GetHighWatermark(),
		LogStartOffset: resp.GetLogStartOffset(),
		NextOffset:     offset,
	}
	out.Records, err = decode(resp.GetRecords(), topic, partition, offset, resp.GetHighWatermark(), maxRecords)
	if n := len(out.Records); n > 0 {
		out.NextOffset = out.Records[n-1].GetOffset() + 1
		attrs := metric.WithAttributes(attribute.String("topic", topic))
		r.records.Add(ctx, int64(n), attrs)
		r.bytes.Add(ctx, int64(len(resp.GetRecords())), attrs)
	} else if err != nil {
		return nil, err
	}
	return out, nil
}

// Limits are a read's bounds with the defaults and caps applied.
type Limits struct {
	Records int           // max_records: default DefaultMaxRecords, at most MaxRecords
	Wait    time.Duration // max_wait_ms: default 0, at most MaxWait
	Bytes   int32         // max_bytes: default DefaultMaxBytes, at most MaxBytes
}

// ParseLimits validates a read request's max_records, max_wait_ms and max_bytes (0 means the
// default; a negative one is INVALID_REQUEST) and applies the defaults and caps.
func ParseLimits(maxRecords, maxWaitMs, maxBytes int32) (Limits, error) {
	var l Limits
	switch {
	case maxRecords < 0:
		return Limits{}, rpcerr.New(rpcerr.InvalidRequest, "max_records is %d; send 1..%d or leave it out", maxRecords, MaxRecords)
	case maxRecords == 0:
		l.Records = DefaultMaxRecords
	default:
		l.Records = min(int(maxRecords), MaxRecords)
	}
	if maxWaitMs < 0 {
		return Limits{}, rpcerr.New(rpcerr.InvalidRequest, "max_wait_ms is %d; send 0..%d or leave it out", maxWaitMs, MaxWait.Milliseconds())
	}
	l.Wait = min(time.Duration(maxWaitMs)*time.Millisecond, MaxWait)
	switch {
	case maxBytes < 0:
		return Limits{}, rpcerr.New(rpcerr.InvalidRequest, "max_bytes is %d; send a positive number or leave it out", maxBytes)
	case maxBytes == 0:
		l.Bytes = DefaultMaxBytes
	default:
		l.Bytes = min(maxBytes, MaxBytes)
	}
	return l, nil
}

// logStart asks the leader for the partition's log start offset.
func (r *Reader) logStart(ctx context.Context, topic string, partition int32) (int64, error) {
	var start int64
	err := r.router.Do(ctx, topic, partition, Retriable, func(ctx context.Context, l router.Leader) error {
		resp, err := l.Client.ListPartitionOffsets(ctx, &runnelv1.ListPartitionOffsetsRequest{
			Partitions: []*runnelv1.TopicPartition{{Topic: topic, Partition: partition}},
		})
		if err != nil {
			return err
		}
		for _, po := range resp.GetPartitions() {
			if po.GetTopic() == topic && po.GetPartition() == partition {
				if po.GetError() != "" {
					return PartitionError(po)
				}
				start = po.GetLogStartOffset()
				return nil
			}
		}
		return rpcerr.New(rpcerr.NotLeaderOrFollower, "storage node %d did not report partition %d of topic %q", l.Node, partition, topic)
	})
	return start, err
}

// PartitionError turns the per-partition error of a ListPartitionOffsets answer into a catalogue
// error.
func PartitionError(po *runnelv1.PartitionOffsets) error {
	code, ok := rpcerr.Lookup(po.GetError())
	if !ok {
		code = rpcerr.Unknown
	}
	return rpcerr.New(code, "%s", po.GetMessage())
}

// decode turns fetched batches into records in [offset, hw), at most limit of them.
func decode(buf []byte, topic string, partition int32, offset, hw int64, limit int) ([]*runnelv1.ConsumedRecord, error) {
	var out []*runnelv1.ConsumedRecord
	for len(out) < limit {
		b, rest, err := record.Next(buf)
		if errors.Is(err, io.EOF) || errors.Is(err, record.ErrShortBatch) {
			return out, nil
		}
		if err != nil {
			return out, rpcerr.Wrap(rpcerr.CorruptMessage, err, "partition %d of topic %q holds a batch that cannot be read at offset %d: %v", partition, topic, offset, err)
		}
		buf = rest
		h, recs, err := record.Decode(b)
		if err != nil {
			return out, rpcerr.Wrap(rpcerr.CorruptMessage, err, "partition %d of topic %q holds a batch that cannot be read at offset %d: %v", partition, topic, h.BaseOffset, err)
		}
		if h.Control() {
			continue
		}
		for i := range recs {
			rec := &recs[i]
			if rec.Offset < offset {
				continue
			}
			if rec.Offset >= hw || len(out) >= limit {
				return out, nil
			}
			out = append(out, convert(rec, topic, partition))
		}
	}
	return out, nil
}

func convert(rec *record.Record, topic string, partition int32) *runnelv1.ConsumedRecord {
	cr := &runnelv1.ConsumedRecord{
		Offset:    rec.Offset,
		Timestamp: timestamppb.New(time.UnixMilli(rec.Timestamp)),
		Topic:     topic,
		Partition: partition,
	}
	switch {
	case rec.Key == nil:
	case utf8.Valid(rec.Key):
		s := string(rec.Key)
		cr.Key = &s
	default:
		cr.KeyBase64 = rec.Key
	}
	switch {
	case rec.Value == nil:
	case utf8.Valid(rec.Value):
		s := string(rec.Value)
		cr.Value = &s
	default:
		cr.ValueBase64 = rec.Value
	}
	if len(rec.Headers) > 0 {
		cr.Headers = make(map[string]string, len(rec.Headers))
		for _, h := range rec.Headers {
			cr.Headers[strings.ToValidUTF8(h.Key, "\uFFFD")] = strings.ToValidUTF8(string(h.Value), "\uFFFD")
		}
	}
	return cr
}
