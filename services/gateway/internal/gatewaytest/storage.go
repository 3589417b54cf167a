package gatewaytest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Storage is a fake StorageService: one in-memory log per partition, no replication (the high
// watermark is the log end).
type Storage struct {
	runnelv1.UnimplementedStorageServiceServer
	ID   int32
	Addr string
	// Appends counts Append calls that reached the log.
	Appends atomic.Int64

	mu      sync.Mutex
	logs    map[tp]*plog
	reject  func(*runnelv1.AppendRequest) error
	discard bool
	srv     *grpc.Server
}

type tp struct {
	topic     string
	partition int32
}

type plog struct {
	batches [][]byte
	start   int64 // log start offset (SetLogStart)
	next    int64
	grew    chan struct{} // closed and replaced on every append
}

// StartStorage starts a fake storage node.
func StartStorage(t testing.TB, id int32) *Storage {
	t.Helper()
	s := &Storage{ID: id, logs: map[tp]*plog{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = lis.Addr().String()
	s.srv = grpc.NewServer(grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		return resp, rpcerr.ToStatus(err)
	}))
	runnelv1.RegisterStorageServiceServer(s.srv, s)
	go func() { _ = s.srv.Serve(lis) }()
	t.Cleanup(s.srv.Stop)
	return s
}

// Node is the node as the metadata service announces it.
func (s *Storage) Node() *runnelv1.Node {
	return &runnelv1.Node{Id: s.ID, GrpcAddr: s.Addr}
}

// Discard makes Append count offsets without keeping the batches (for benchmarks).
func (s *Storage) Discard(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discard = on
}

// Reject makes Append fail with fn's error when fn returns one (nil fn: accept everything).
func (s *Storage) Reject(fn func(*runnelv1.AppendRequest) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = fn
}

func (s *Storage) log(topic string, partition int32) *plog {
	k := tp{topic, partition}
	l, ok := s.logs[k]
	if !ok {
		l = &plog{grew: make(chan struct{})}
		s.logs[k] = l
	}
	return l
}

// Records decodes every record of a partition's log.
func (s *Storage) Records(t testing.TB, topic string, partition int32) []record.Record {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []record.Record
	for _, b := range s.log(topic, partition).batches {
		_, recs, err := record.Decode(b)
		if err != nil {
			t.Fatalf("stored batch does not decode: %v", err)
		}
		out = append(out, recs...)
	}
	return out
}

// Append validates the batch, gives it the next offsets and keeps it.
func (s *Storage) Append(_ context.Context, req *runnelv1.AppendRequest) (*runnelv1.AppendResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reject != nil {
		if err := s.reject(req); err != nil {
			return nil, err
		}
	}
	h, err := record.Validate(req.GetBatch())
	if err != nil {
		return nil, rpcerr.Wrap(rpcerr.CorruptMessage, err, "%v", err)
	}
	s.Appends.Add(1)
	l := s.log(req.GetTopic(), req.GetPartition())
	if !s.discard {
		b := append([]byte(nil), req.GetBatch()...)
		record.SetBaseOffset(b, l.next)
		l.batches = append(l.batches, b)
	}
	base := l.next
	l.next += int64(h.LastOffsetDelta) + 1
	close(l.grew)
	l.grew = make(chan struct{})
	return &runnelv1.AppendResponse{BaseOffset: base, LastOffset: l.next - 1,
		HighWatermark: l.next, LogEndOffset: l.next}, nil
}

// Fetch returns whole batches from the one holding offset, waiting up to max_wait_ms for one.
func (s *Storage) Fetch(ctx context.Context, req *runnelv1.FetchRequest) (*runnelv1.FetchResponse, error) {
	deadline := time.NewTimer(time.Duration(req.GetMaxWaitMs()) * time.Millisecond)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		l := s.log(req.GetTopic(), req.GetPartition())
		if req.GetOffset() > l.next || req.GetOffset() < l.start {
			s.mu.Unlock()
			return nil, rpcerr.New(rpcerr.OffsetOutOfRange, "offset %d is outside [%d, %d]", req.GetOffset(), l.start, l.next)
		}
		resp := &runnelv1.FetchResponse{HighWatermark: l.next, LogEndOffset: l.next}
		for _, b := range l.batches {
			h, _ := record.ParseHeader(b)
			if h.LastOffset() < req.GetOffset() {
				continue
			}
			if len(resp.Records) > 0 && len(resp.Records)+len(b) > int(req.GetMaxBytes()) {
				break
			}
			resp.Records = append(resp.Records, b...)
		}
		grew := l.grew
		s.mu.Unlock()
		if len(resp.Records) > 0 || req.GetMaxWaitMs() <= 0 {
			return resp, nil
		}
		select {
		case <-grew:
		case <-deadline.C:
			req.MaxWaitMs = 0
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// SetLogStart moves a partition's log start offset (as retention would): reads below it are
// OFFSET_OUT_OF_RANGE.
func (s *Storage) SetLogStart(topic string, partition int32, start int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log(topic, partition).start = start
}

// ListPartitionOffsets reports every asked partition, with timestamp_offset (a linear scan) when
// timestamp_ms is set.
func (s *Storage) ListPartitionOffsets(_ context.Context, req *runnelv1.ListPartitionOffsetsRequest) (*runnelv1.ListPartitionOffsetsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &runnelv1.ListPartitionOffsetsResponse{}
	for _, p := range req.GetPartitions() {
		l := s.log(p.GetTopic(), p.GetPartition())
		po := &runnelv1.PartitionOffsets{Topic: p.GetTopic(), Partition: p.GetPartition(),
			LogStartOffset: l.start, HighWatermark: l.next, LogEndOffset: l.next, TimestampOffset: -1}
		if req.TimestampMs != nil {
			po.TimestampOffset = l.offsetFor(req.GetTimestampMs())
		}
		out.Partitions = append(out.Partitions, po)
	}
	return out, nil
}

// offsetFor is the first offset at or after the log start whose record timestamp is >= ts, else
// the log end.
func (l *plog) offsetFor(ts int64) int64 {
	for _, b := range l.batches {
		_, recs, err := record.Decode(b)
		if err != nil {
			continue
		}
		for _, r := range recs {
			if r.Offset >= l.start && r.Timestamp >= ts {
				return r.Offset
			}
		}
	}
	return l.next
}
