package gatewaytest

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Metadata is a fake MetadataService.
type Metadata struct {
	runnelv1.UnimplementedMetadataServiceServer
	Addr string

	mu         sync.Mutex
	revision   int64
	topics     map[string]*runnelv1.Topic
	partitions map[string]map[int32]*runnelv1.PartitionState
	nodes      map[int32]*runnelv1.Node
	subs       map[chan *runnelv1.WatchResponse]struct{}
	srv        *grpc.Server
}

// StartMetadata starts a fake metadata service knowing nodes.
func StartMetadata(t testing.TB, nodes ...*runnelv1.Node) *Metadata {
	t.Helper()
	m := &Metadata{
		topics:     map[string]*runnelv1.Topic{},
		partitions: map[string]map[int32]*runnelv1.PartitionState{},
		nodes:      map[int32]*runnelv1.Node{},
		subs:       map[chan *runnelv1.WatchResponse]struct{}{},
	}
	for _, n := range nodes {
		m.nodes[n.GetId()] = n
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.Addr = lis.Addr().String()
	m.srv = grpc.NewServer(grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		return resp, rpcerr.ToStatus(err)
	}))
	runnelv1.RegisterMetadataServiceServer(m.srv, m)
	go func() { _ = m.srv.Serve(lis) }()
	t.Cleanup(m.Stop)
	return m
}

// Stop stops the server (and every watch stream). Safe to call twice.
func (m *Metadata) Stop() { m.srv.Stop() }

// Watch sends a snapshot, then every change.
func (m *Metadata) Watch(_ *runnelv1.WatchRequest, stream grpc.ServerStreamingServer[runnelv1.WatchResponse]) error {
	ch := make(chan *runnelv1.WatchResponse, 1024)
	m.mu.Lock()
	snap := m.snapshotLocked()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.subs, ch)
		m.mu.Unlock()
	}()
	if err := stream.Send(snap); err != nil {
		return err
	}
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case msg := <-ch:
			if err := stream.Send(msg); err != nil {
				return err
			}
		}
	}
}

func (m *Metadata) snapshotLocked() *runnelv1.WatchResponse {
	snap := &runnelv1.WatchResponse{Revision: m.revision, Reset_: true}
	names := make([]string, 0, len(m.topics))
	for n := range m.topics {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		snap.Topics = append(snap.Topics, m.topics[n])
		for p := int32(0); p < m.topics[n].GetPartitions(); p++ {
			snap.Partitions = append(snap.Partitions, m.partitions[n][p])
		}
	}
	for _, n := range m.nodes {
		snap.Nodes = append(snap.Nodes, n)
	}
	return snap
}

// Push applies a change to the state and sends it to every watcher.
func (m *Metadata) Push(change *runnelv1.WatchResponse) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pushLocked(change)
}

func (m *Metadata) pushLocked(change *runnelv1.WatchResponse) {
	m.revision++
	change.Revision = m.revision
	for _, name := range change.GetDeletedTopics() {
		delete(m.topics, name)
		delete(m.partitions, name)
	}
	for _, id := range change.GetDeletedNodes() {
		delete(m.nodes, id)
	}
	for _, t := range change.GetTopics() {
		m.topics[t.GetName()] = t
	}
	for _, p := range change.GetPartitions() {
		if m.partitions[p.GetTopic()] == nil {
			m.partitions[p.GetTopic()] = map[int32]*runnelv1.PartitionState{}
		}
		m.partitions[p.GetTopic()][p.GetPartition()] = p
	}
	for _, n := range change.GetNodes() {
		m.nodes[n.GetId()] = n
	}
	for ch := range m.subs {
		ch <- proto.Clone(change).(*runnelv1.WatchResponse)
	}
}

// MoveLeader makes node the leader of a partition and bumps its leader epoch.
func (m *Metadata) MoveLeader(topic string, partition, node int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ps := proto.Clone(m.partitions[topic][partition]).(*runnelv1.PartitionState)
	ps.Leader = node
	ps.LeaderEpoch++
	ps.PartitionEpoch++
	m.pushLocked(&runnelv1.WatchResponse{Partitions: []*runnelv1.PartitionState{ps}})
}

// Partition returns the current state of a partition.
func (m *Metadata) Partition(topic string, partition int32) *runnelv1.PartitionState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.partitions[topic][partition]
}

// CreateTopic creates a topic; partition p's replicas start at node index p (round-robin over
// the nodes by id), and its first replica leads.
func (m *Metadata) CreateTopic(_ context.Context, req *runnelv1.MetadataServiceCreateTopicRequest) (*runnelv1.MetadataServiceCreateTopicResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.topics[req.GetName()]; ok {
		return nil, rpcerr.New(rpcerr.TopicAlreadyExists, "topic %q already exists", req.GetName())
	}
	if req.GetPartitions() < 1 {
		return nil, rpcerr.New(rpcerr.InvalidPartitions, "partitions must be at least 1")
	}
	ids := make([]int32, 0, len(m.nodes))
	for id := range m.nodes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	rf := req.GetReplicationFactor()
	if rf < 1 || int(rf) > len(ids) {
		return nil, rpcerr.New(rpcerr.InvalidReplicationFactor, "replication factor %d with %d nodes", rf, len(ids))
	}
	t := &runnelv1.Topic{Name: req.GetName(), TopicId: fmt.Sprintf("id-%s-%d", req.GetName(), m.revision),
		Partitions: req.GetPartitions(), ReplicationFactor: rf, Configs: req.GetConfigs()}
	change := &runnelv1.WatchResponse{Topics: []*runnelv1.Topic{t}}
	for p := int32(0); p < t.GetPartitions(); p++ {
		var replicas []int32
		for r := int32(0); r < rf; r++ {
			replicas = append(replicas, ids[(int(p)+int(r))%len(ids)])
		}
		change.Partitions = append(change.Partitions, &runnelv1.PartitionState{Topic: t.GetName(), Partition: p,
			Replicas: replicas, Leader: replicas[0], Isr: replicas, TopicId: t.GetTopicId()})
	}
	m.pushLocked(change)
	return &runnelv1.MetadataServiceCreateTopicResponse{Topic: t, Partitions: change.GetPartitions()}, nil
}

// DeleteTopic deletes a topic.
func (m *Metadata) DeleteTopic(_ context.Context, req *runnelv1.MetadataServiceDeleteTopicRequest) (*runnelv1.MetadataServiceDeleteTopicResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.topics[req.GetName()]; !ok {
		return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q does not exist", req.GetName())
	}
	m.pushLocked(&runnelv1.WatchResponse{DeletedTopics: []string{req.GetName()}})
	return &runnelv1.MetadataServiceDeleteTopicResponse{}, nil
}
