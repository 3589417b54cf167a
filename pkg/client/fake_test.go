package client

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// fakeGateway is an in-process GatewayService for unit tests: topics in memory, Produce/Consume
// with long polls, and a small group coordinator following GROUPS.md's heartbeat rules with a
// round-robin target. Tests inject failures through hooks.
type fakeGateway struct {
	runnelv1.UnimplementedGatewayServiceServer

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every append
	topics   map[string]*fakeTopic
	produces []*runnelv1.ProduceRequest
	getTopic int
	groups   map[string]*fakeGroup
	events   []string // group calls in order: "heartbeat m1 2", "commit m1 2 t/0=5", "leave m1"
	nextID   int

	produceHook   func(n int, req *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) // non-nil answer or error replaces the normal one
	heartbeatHook func(req *runnelv1.HeartbeatRequest) error
}

type fakeTopic struct {
	parts    [][]*runnelv1.ConsumedRecord
	logStart []int64
}

type fakeGroup struct {
	members map[string]*fakeMember
	order   []string // join order
	topics  []string
	offsets map[TopicPartition]int64
	fenced  map[string]bool
}

type fakeMember struct {
	id, instance string
	topics       []string
	gen          int32
	assigned     map[TopicPartition]bool
	revoking     map[TopicPartition]bool
	r            int32
}

// startFake serves a fakeGateway on 127.0.0.1 and returns it with a Client connected to it.
func startFake(t *testing.T, opts ...Option) (*fakeGateway, *Client) {
	t.Helper()
	f := &fakeGateway{changed: make(chan struct{}), topics: map[string]*fakeTopic{}, groups: map[string]*fakeGroup{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runnelv1.RegisterGatewayServiceServer(srv, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	cl, err := New(lis.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cl.Close()
		srv.Stop()
		<-done
	})
	return f, cl
}

// statusErr is an error as Runnel's servers send it: "NAME: msg" with ErrorInfo{Reason: NAME,
// Domain: "runnel"}.
func statusErr(c codes.Code, name, msg string) error {
	var info []byte
	info = protowire.AppendTag(info, 1, protowire.BytesType)
	info = protowire.AppendString(info, name)
	info = protowire.AppendTag(info, 2, protowire.BytesType)
	info = protowire.AppendString(info, errorDomain)
	p := status.New(c, name+": "+msg).Proto()
	p.Details = append(p.Details, &anypb.Any{TypeUrl: errorInfoType, Value: info})
	return status.FromProto(p).Err()
}

func (f *fakeGateway) addTopic(name string, partitions int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topics[name] = &fakeTopic{parts: make([][]*runnelv1.ConsumedRecord, partitions), logStart: make([]int64, partitions)}
}

// records returns a copy of a partition's log.
func (f *fakeGateway) records(tp TopicPartition) []*runnelv1.ConsumedRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*runnelv1.ConsumedRecord(nil), f.topics[tp.Topic].parts[tp.Partition]...)
}

func (f *fakeGateway) produceRequests() []*runnelv1.ProduceRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*runnelv1.ProduceRequest(nil), f.produces...)
}

func (f *fakeGateway) eventLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

// appendLocked writes records to a partition and wakes long polls.
func (f *fakeGateway) appendLocked(topic string, p int32, prs ...*runnelv1.ProduceRecord) []int64 {
	t := f.topics[topic]
	offs := make([]int64, len(prs))
	for i, pr := range prs {
		off := t.logStart[p] + int64(len(t.parts[p]))
		cr := &runnelv1.ConsumedRecord{Offset: off, Topic: topic, Partition: p, Headers: pr.GetHeaders(),
			Timestamp: timestamppb.New(time.UnixMilli(pr.GetTimestampMs()))}
		if pr.KeyBase64 != nil {
			cr.KeyBase64 = pr.KeyBase64
		}
		if pr.ValueBase64 != nil {
			cr.ValueBase64 = pr.ValueBase64
		}
		t.parts[p] = append(t.parts[p], cr)
		offs[i] = off
	}
	close(f.changed)
	f.changed = make(chan struct{})
	return offs
}

func (f *fakeGateway) GetTopic(_ context.Context, req *runnelv1.GetTopicRequest) (*runnelv1.GetTopicResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getTopic++
	t, ok := f.topics[req.GetTopic()]
	if !ok {
		return nil, statusErr(codes.NotFound, CodeUnknownTopicOrPartition, "no such topic")
	}
	d := &runnelv1.TopicDescription{Name: req.GetTopic()}
	for i := range t.parts {
		d.Partitions = append(d.Partitions, &runnelv1.PartitionDescription{Partition: int32(i)})
	}
	return &runnelv1.GetTopicResponse{Topic: d}, nil
}

func (f *fakeGateway) Produce(_ context.Context, req *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
	f.mu.Lock()
	f.produces = append(f.produces, req)
	n, hook := len(f.produces), f.produceHook
	f.mu.Unlock()
	if hook != nil {
		if resp, err := hook(n, req); resp != nil || err != nil {
			return resp, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.topics[req.GetTopic()]
	if !ok {
		return nil, statusErr(codes.NotFound, CodeUnknownTopicOrPartition, "no such topic")
	}
	resp := &runnelv1.ProduceResponse{}
	for _, pr := range req.GetRecords() {
		p := pr.GetPartition()
		if pr.Partition == nil || p < 0 || int(p) >= len(t.parts) {
			return nil, statusErr(codes.NotFound, CodeUnknownTopicOrPartition, "bad partition")
		}
		off := f.appendLocked(req.GetTopic(), p, pr)[0]
		res := &runnelv1.ProduceResult{Partition: p}
		if req.GetAcks().GetStringValue() != "0" {
			res.Offset = &off
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

func (f *fakeGateway) Consume(ctx context.Context, req *runnelv1.ConsumeRequest) (*runnelv1.ConsumeResponse, error) {
	deadline := time.Now().Add(time.Duration(req.GetMaxWaitMs()) * time.Millisecond)
	for {
		f.mu.Lock()
		t, ok := f.topics[req.GetTopic()]
		if !ok || int(req.GetPartition()) >= len(t.parts) {
			f.mu.Unlock()
			return nil, statusErr(codes.NotFound, CodeUnknownTopicOrPartition, "no such partition")
		}
		p := req.GetPartition()
		start, log := t.logStart[p], t.parts[p]
		hw := start + int64(len(log))
		off := req.GetOffset()
		if off < start || off > hw {
			f.mu.Unlock()
			return nil, statusErr(codes.OutOfRange, CodeOffsetOutOfRange, "out of range")
		}
		if off < hw {
			recs := log[off-start : min(hw-start, off-start+int64(max(req.GetMaxRecords(), 1)))]
			f.mu.Unlock()
			return &runnelv1.ConsumeResponse{Records: recs, HighWatermark: hw, LogStartOffset: start, NextOffset: recs[len(recs)-1].GetOffset() + 1}, nil
		}
		changed := f.changed
		f.mu.Unlock()
		wait := time.Until(deadline)
		if wait <= 0 {
			return &runnelv1.ConsumeResponse{HighWatermark: hw, LogStartOffset: start, NextOffset: off}, nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-changed:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		timer.Stop()
	}
}

func (f *fakeGateway) ListOffsets(_ context.Context, req *runnelv1.ListOffsetsRequest) (*runnelv1.ListOffsetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.topics[req.GetTopic()]
	if !ok {
		return nil, statusErr(codes.NotFound, CodeUnknownTopicOrPartition, "no such topic")
	}
	resp := &runnelv1.ListOffsetsResponse{}
	for i := range t.parts {
		resp.Partitions = append(resp.Partitions, &runnelv1.PartitionOffsetRange{
			Partition: int32(i), LogStartOffset: t.logStart[i], HighWatermark: t.logStart[i] + int64(len(t.parts[i]))})
	}
	return resp, nil
}

// truncate moves a partition's log start (records below it are gone), as retention does.
func (f *fakeGateway) truncate(tp TopicPartition, start int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[tp.Topic]
	drop := start - t.logStart[tp.Partition]
	t.parts[tp.Partition] = t.parts[tp.Partition][drop:]
	t.logStart[tp.Partition] = start
}
