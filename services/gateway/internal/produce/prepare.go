package produce

import (
	"slices"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/partitioner"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/pkg/telemetry"
)

// item is one validated record of a request.
type item struct {
	rec       record.Record
	partition int32
	explicit  bool
	share     int // bytes it adds to a batch, at most
}

// prepare validates every record of a request against topic t and converts it. It assigns no
// partition to records without an explicit one. now is the timestamp of records without one.
// A non-empty traceparent is added as the header "traceparent" of every record that has none.
func prepare(req *runnelv1.ProduceRequest, t *runnelv1.Topic, now time.Time, traceparent string) ([]item, error) {
	recs := req.GetRecords()
	if len(recs) == 0 {
		return nil, rpcerr.New(rpcerr.InvalidRequest, "the request has no records; send at least one")
	}
	limit := maxMessageBytes(t)
	items := make([]item, len(recs))
	var tp traceHeader
	if traceparent != "" {
		tp.value = []byte(traceparent)
		tp.alone = []record.Header{{Key: telemetry.TraceparentHeader, Value: tp.value}}
	}
	for i, pr := range recs {
		it := &items[i]
		if pr.Key != nil && pr.KeyBase64 != nil {
			return nil, rpcerr.New(rpcerr.InvalidRequest,
				"record %d has both key and key_base64; send one of them", i)
		}
		if pr.Value != nil && pr.ValueBase64 != nil {
			return nil, rpcerr.New(rpcerr.InvalidRequest,
				"record %d has both value and value_base64; send one of them", i)
		}
		if pr.Partition != nil {
			p := pr.GetPartition()
			if p < 0 || p >= t.GetPartitions() {
				return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition,
					"record %d asks for partition %d but topic %q has partitions 0..%d",
					i, p, t.GetName(), t.GetPartitions()-1)
			}
			it.partition, it.explicit = p, true
		}
		ts := now.UnixMilli()
		if pr.TimestampMs != nil {
			if pr.GetTimestampMs() < 0 {
				return nil, rpcerr.New(rpcerr.InvalidRequest,
					"record %d has a negative timestamp_ms; send unix milliseconds or leave it out", i)
			}
			ts = pr.GetTimestampMs()
		}
		it.rec = record.Record{Timestamp: ts, Key: keyOf(pr), Value: valueOf(pr), Headers: headersOf(pr.GetHeaders(), &tp)}
		if n := singleBatchSize(&it.rec); n > limit {
			return nil, rpcerr.New(rpcerr.MessageTooLarge,
				"record %d needs a %d-byte batch but topic %q takes at most %d (max.message.bytes); send smaller records or raise max.message.bytes",
				i, n, t.GetName(), limit)
		}
		it.share = batchShare(&it.rec)
	}
	return items, nil
}

func keyOf(pr *runnelv1.ProduceRecord) []byte {
	switch {
	case pr.Key != nil:
		return append([]byte{}, pr.GetKey()...)
	case pr.KeyBase64 != nil:
		return append([]byte{}, pr.GetKeyBase64()...)
	}
	return nil
}

func valueOf(pr *runnelv1.ProduceRecord) []byte {
	switch {
	case pr.Value != nil:
		return append([]byte{}, pr.GetValue()...)
	case pr.ValueBase64 != nil:
		return append([]byte{}, pr.GetValueBase64()...)
	}
	return nil
}

// traceHeader is a request's traceparent header, built once: its value, and the header list of a
// record with no other header. Records share them (nothing writes to a record's headers).
type traceHeader struct {
	value []byte
	alone []record.Header
}

// headersOf converts a header map, sorted by key so equal requests encode equal batches, plus
// the header traceparent when tp has one and the map has none.
func headersOf(m map[string]string, tp *traceHeader) []record.Header {
	_, has := m[telemetry.TraceparentHeader]
	addTrace := tp.value != nil && !has
	switch {
	case len(m) == 0 && !addTrace:
		return nil
	case len(m) == 0:
		return tp.alone
	}
	keys := make([]string, 0, len(m)+1)
	for k := range m {
		keys = append(keys, k)
	}
	if addTrace {
		keys = append(keys, telemetry.TraceparentHeader)
	}
	slices.Sort(keys)
	hs := make([]record.Header, len(keys))
	for i, k := range keys {
		if v, ok := m[k]; ok {
			hs[i] = record.Header{Key: k, Value: []byte(v)}
		} else {
			hs[i] = record.Header{Key: k, Value: tp.value}
		}
	}
	return hs
}

// chooser picks partitions: explicit, else by key, else round-robin per topic.
type chooser struct {
	mu sync.Mutex
	rr map[string]*partitioner.RoundRobin
}

func newChooser() *chooser { return &chooser{rr: map[string]*partitioner.RoundRobin{}} }

// assign sets the partition of every item without an explicit one.
func (c *chooser) assign(topic string, partitions int32, items []item) {
	var rr *partitioner.RoundRobin
	for i := range items {
		it := &items[i]
		switch {
		case it.explicit:
		case it.rec.Key != nil:
			it.partition = int32(partitioner.ForKey(it.rec.Key, int(partitions)))
		default:
			if rr == nil {
				rr = c.roundRobin(topic)
			}
			it.partition = int32(rr.Next(int(partitions)))
		}
	}
}

func (c *chooser) roundRobin(topic string) *partitioner.RoundRobin {
	c.mu.Lock()
	defer c.mu.Unlock()
	rr, ok := c.rr[topic]
	if !ok {
		rr = &partitioner.RoundRobin{}
		c.rr[topic] = rr
	}
	return rr
}
