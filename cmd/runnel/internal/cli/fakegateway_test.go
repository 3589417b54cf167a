package cli

import (
	"context"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeGateway is an in-memory GatewayService on a real gRPC server on 127.0.0.1, standing in for
// the gateway so the CLI's own logic (batching, following, output, error printing) can be tested
// without a cluster. A record whose value is "fail" is refused with NOT_ENOUGH_REPLICAS.
type fakeGateway struct {
	runnelv1.UnimplementedGatewayServiceServer
	addr string

	mu       sync.Mutex
	topics   map[string]*fakeTopic
	changed  chan struct{} // closed and replaced on every append
	requests []int         // records per Produce call

	// consumer groups (fakegroups_test.go)
	groups     map[string]*fakeGroup
	nextMember int
	events     []fakeEvent
	resets     []*runnelv1.ResetGroupOffsetsRequest
	// revokeOnCommit: see revokeWithNextCommit
	revokeOnCommit map[int32]bool
}

type fakeTopic struct {
	desc *runnelv1.TopicDescription
	logs [][]*runnelv1.ConsumedRecord // per partition
	rr   int
}

func startFakeGateway(t *testing.T) *fakeGateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeGateway{addr: ln.Addr().String(), topics: map[string]*fakeTopic{}, changed: make(chan struct{}),
		groups: map[string]*fakeGroup{}}
	srv := grpc.NewServer()
	runnelv1.RegisterGatewayServiceServer(srv, f)
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-served })
	return f
}

func (f *fakeGateway) topic(name string) (*fakeTopic, error) {
	t, ok := f.topics[name]
	if !ok {
		return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q does not exist", name)
	}
	return t, nil
}

func (f *fakeGateway) describe(t *fakeTopic) *runnelv1.TopicDescription {
	d := proto.Clone(t.desc).(*runnelv1.TopicDescription)
	for i, p := range d.Partitions {
		p.HighWatermark = int64(len(t.logs[i]))
	}
	return d
}

func (f *fakeGateway) CreateTopic(_ context.Context, r *runnelv1.CreateTopicRequest) (*runnelv1.CreateTopicResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.GetPartitions() < 1 {
		return nil, rpcerr.New(rpcerr.InvalidPartitions, "partitions must be at least 1, got %d", r.GetPartitions())
	}
	if _, ok := f.topics[r.GetName()]; ok {
		return nil, rpcerr.New(rpcerr.TopicAlreadyExists, "topic %q already exists", r.GetName())
	}
	t := &fakeTopic{
		desc: &runnelv1.TopicDescription{Name: r.GetName(), ReplicationFactor: r.GetReplicationFactor(), Configs: r.GetConfigs()},
		logs: make([][]*runnelv1.ConsumedRecord, r.GetPartitions()),
	}
	for p := range r.GetPartitions() {
		t.desc.Partitions = append(t.desc.Partitions, &runnelv1.PartitionDescription{
			Partition: p, Leader: 1, Replicas: []int32{1}, Isr: []int32{1},
		})
	}
	f.topics[r.GetName()] = t
	return &runnelv1.CreateTopicResponse{Topic: f.describe(t)}, nil
}

func (f *fakeGateway) ListTopics(context.Context, *runnelv1.ListTopicsRequest) (*runnelv1.ListTopicsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &runnelv1.ListTopicsResponse{}
	for name, t := range f.topics {
		resp.Topics = append(resp.Topics, &runnelv1.TopicSummary{Name: name, Partitions: int32(len(t.logs)), ReplicationFactor: t.desc.ReplicationFactor})
	}
	sort.Slice(resp.Topics, func(i, j int) bool { return resp.Topics[i].Name > resp.Topics[j].Name }) // the CLI sorts
	return resp, nil
}

func (f *fakeGateway) GetTopic(_ context.Context, r *runnelv1.GetTopicRequest) (*runnelv1.GetTopicResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.topic(r.GetTopic())
	if err != nil {
		return nil, err
	}
	return &runnelv1.GetTopicResponse{Topic: f.describe(t)}, nil
}

func (f *fakeGateway) DeleteTopic(_ context.Context, r *runnelv1.DeleteTopicRequest) (*runnelv1.DeleteTopicResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.topic(r.GetTopic()); err != nil {
		return nil, err
	}
	delete(f.topics, r.GetTopic())
	return &runnelv1.DeleteTopicResponse{}, nil
}

func (f *fakeGateway) Produce(_ context.Context, r *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.topic(r.GetTopic())
	if err != nil {
		return nil, err
	}
	switch r.GetAcks().GetStringValue() {
	case "all", "-1", "1", "0":
	default:
		return nil, rpcerr.New(rpcerr.InvalidRequiredAcks, "acks %v", r.GetAcks())
	}
	f.requests = append(f.requests, len(r.GetRecords()))
	resp := &runnelv1.ProduceResponse{}
	for _, rec := range r.GetRecords() {
		p := int32(t.rr % len(t.logs))
		if rec.Partition != nil {
			p = rec.GetPartition()
		} else {
			t.rr++
		}
		if rec.GetValue() == "fail" {
			resp.Results = append(resp.Results, &runnelv1.ProduceResult{Partition: p,
				Error: proto.String("NOT_ENOUGH_REPLICAS"), Message: proto.String("only 1 in-sync replica")})
			continue
		}
		off := int64(len(t.logs[p]))
		t.logs[p] = append(t.logs[p], &runnelv1.ConsumedRecord{
			Offset: off, Timestamp: timestamppb.New(time.UnixMilli(1700000000123)),
			Key: rec.Key, KeyBase64: rec.KeyBase64, Value: rec.Value, ValueBase64: rec.ValueBase64,
			Headers: rec.GetHeaders(), Topic: r.GetTopic(), Partition: p,
		})
		resp.Results = append(resp.Results, &runnelv1.ProduceResult{Partition: p, Offset: &off})
	}
	close(f.changed)
	f.changed = make(chan struct{})
	return resp, nil
}

func (f *fakeGateway) Consume(ctx context.Context, r *runnelv1.ConsumeRequest) (*runnelv1.ConsumeResponse, error) {
	deadline := time.NewTimer(time.Duration(r.GetMaxWaitMs()) * time.Millisecond)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		t, err := f.topic(r.GetTopic())
		if err != nil {
			f.mu.Unlock()
			return nil, err
		}
		if int(r.GetPartition()) >= len(t.logs) {
			f.mu.Unlock()
			return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "no partition %d", r.GetPartition())
		}
		log := t.logs[r.GetPartition()]
		off := r.GetOffset()
		if off > int64(len(log)) {
			f.mu.Unlock()
			return nil, rpcerr.New(rpcerr.OffsetOutOfRange, "offset %d is above the high watermark %d", off, len(log))
		}
		recs := log[off:min(int64(len(log)), off+int64(max(r.GetMaxRecords(), 1)))]
		changed := f.changed
		f.mu.Unlock()
		if len(recs) > 0 || r.GetMaxWaitMs() == 0 {
			return &runnelv1.ConsumeResponse{Records: recs, HighWatermark: int64(len(log)), NextOffset: off + int64(len(recs))}, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			r.MaxWaitMs = 0
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *fakeGateway) ListOffsets(_ context.Context, r *runnelv1.ListOffsetsRequest) (*runnelv1.ListOffsetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.topic(r.GetTopic())
	if err != nil {
		return nil, err
	}
	resp := &runnelv1.ListOffsetsResponse{}
	for p, log := range t.logs {
		resp.Partitions = append(resp.Partitions, &runnelv1.PartitionOffsetRange{Partition: int32(p), HighWatermark: int64(len(log))})
	}
	return resp, nil
}

// records returns a copy of one partition's log.
func (f *fakeGateway) records(topic string, p int) []*runnelv1.ConsumedRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*runnelv1.ConsumedRecord(nil), f.topics[topic].logs[p]...)
}

func (f *fakeGateway) produceCalls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.requests...)
}
