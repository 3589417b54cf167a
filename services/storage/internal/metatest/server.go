package metatest

import (
	"maps"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/cluster"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Server is a fake metadata node.
type Server struct {
	runnelv1.UnimplementedMetadataServiceServer
	addr           string
	grpc           *grpc.Server
	sessionTimeout time.Duration

	mu         sync.Mutex
	revision   int64
	topics     map[string]*runnelv1.Topic
	partitions map[cluster.TopicPartition]*runnelv1.PartitionState
	watchers   map[chan *runnelv1.WatchResponse]struct{}
	nodes      map[int32]*runnelv1.Node // registered, live sessions
	sessions   map[int32]chan error     // ends a node's session stream with the error
	registers  map[int32]int            // registrations per node
	presented  map[int32]int64          // the session id each node presented when it last registered
	heartbeats map[int32]int            // heartbeats per node
	nextID     int64
	alters     []*runnelv1.AlterPartitionRequest // every AlterPartition received, in order
	alterHook  func(*runnelv1.AlterPartitionRequest) error
	refuse     error // NodeSession fails with it while set
	stopOnce   sync.Once
}

// Start listens on 127.0.0.1:0 and serves until the test ends (or Stop).
func Start(t testing.TB, sessionTimeout time.Duration) *Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("metatest: listen: %v", err)
	}
	s := &Server{
		addr: lis.Addr().String(), grpc: grpc.NewServer(), sessionTimeout: sessionTimeout,
		topics:     map[string]*runnelv1.Topic{},
		partitions: map[cluster.TopicPartition]*runnelv1.PartitionState{},
		watchers:   map[chan *runnelv1.WatchResponse]struct{}{},
		nodes:      map[int32]*runnelv1.Node{},
		sessions:   map[int32]chan error{},
		registers:  map[int32]int{},
		presented:  map[int32]int64{},
		heartbeats: map[int32]int{},
		nextID:     100,
	}
	runnelv1.RegisterMetadataServiceServer(s.grpc, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.grpc.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return s
}

// Addr is the server's gRPC address.
func (s *Server) Addr() string { return s.addr }

// Stop ends every stream and stops serving. Idempotent.
func (s *Server) Stop() { s.stopOnce.Do(s.grpc.Stop) }

// SetTopic creates or replaces a topic and its partition states in one change.
func (s *Server) SetTopic(t *runnelv1.Topic, parts ...*runnelv1.PartitionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.topics[t.GetName()]; ok && old.GetTopicId() != t.GetTopicId() {
		for tp := range s.partitions {
			if tp.Topic == t.GetName() {
				delete(s.partitions, tp)
			}
		}
	}
	s.topics[t.GetName()] = t
	for _, p := range parts {
		s.partitions[cluster.TopicPartition{Topic: p.GetTopic(), Partition: p.GetPartition()}] = p
	}
	s.publishLocked(&runnelv1.WatchResponse{Topics: []*runnelv1.Topic{t}, Partitions: parts})
}

// SetPartition replaces one partition state.
func (s *Server) SetPartition(p *runnelv1.PartitionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partitions[cluster.TopicPartition{Topic: p.GetTopic(), Partition: p.GetPartition()}] = p
	s.publishLocked(&runnelv1.WatchResponse{Partitions: []*runnelv1.PartitionState{p}})
}

// RemoveTopic deletes a topic and its partitions.
func (s *Server) RemoveTopic(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.topics, name)
	for tp := range s.partitions {
		if tp.Topic == name {
			delete(s.partitions, tp)
		}
	}
	s.publishLocked(&runnelv1.WatchResponse{DeletedTopics: []string{name}})
}

// RemoveTopicQuietly deletes a topic without telling watchers (as if the change happened while
// they were disconnected); the next snapshot shows it.
func (s *Server) RemoveTopicQuietly(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.topics, name)
	for tp := range s.partitions {
		if tp.Topic == name {
			delete(s.partitions, tp)
		}
	}
	s.revision++
}

func (s *Server) publishLocked(m *runnelv1.WatchResponse) {
	s.revision++
	m.Revision = s.revision
	for ch := range s.watchers {
		select {
		case ch <- m:
		default:
			delete(s.watchers, ch)
			close(ch)
		}
	}
}

func (s *Server) snapshotLocked() *runnelv1.WatchResponse {
	m := &runnelv1.WatchResponse{Revision: s.revision, Reset_: true}
	for _, name := range slices.Sorted(maps.Keys(s.topics)) {
		m.Topics = append(m.Topics, s.topics[name])
	}
	for _, p := range s.partitions {
		m.Partitions = append(m.Partitions, p)
	}
	for _, n := range s.nodes {
		m.Nodes = append(m.Nodes, n)
	}
	return m
}

// Watch implements MetadataService.Watch.
func (s *Server) Watch(_ *runnelv1.WatchRequest, stream grpc.ServerStreamingServer[runnelv1.WatchResponse]) error {
	ch := make(chan *runnelv1.WatchResponse, 1024)
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.watchers[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if _, ok := s.watchers[ch]; ok {
			delete(s.watchers, ch)
		}
		s.mu.Unlock()
	}()
	if err := stream.Send(snap); err != nil {
		return err
	}
	for {
		select {
		case <-stream.Context().Done():
			return stream.Context().Err()
		case m, ok := <-ch:
			if !ok {
				return rpcerr.New(rpcerr.RequestTimedOut, "watcher too slow")
			}
			if err := stream.Send(m); err != nil {
				return err
			}
		}
	}
}

// NodeSession implements MetadataService.NodeSession.
func (s *Server) NodeSession(stream grpc.BidiStreamingServer[runnelv1.NodeSessionRequest, runnelv1.NodeSessionResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	node := first.GetNode()
	if node.GetId() <= 0 {
		return rpcerr.New(rpcerr.InvalidRequest, "the first message must carry the node")
	}
	s.mu.Lock()
	refuse := s.refuse
	s.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	end := make(chan error, 1)
	s.mu.Lock()
	s.nextID++
	n := proto.Clone(node).(*runnelv1.Node)
	n.SessionId = s.nextID
	s.nodes[n.GetId()] = n
	s.sessions[n.GetId()] = end
	s.registers[n.GetId()]++
	s.presented[n.GetId()] = node.GetSessionId()
	s.publishLocked(&runnelv1.WatchResponse{Nodes: []*runnelv1.Node{n}})
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.sessions[n.GetId()] == end {
			delete(s.sessions, n.GetId())
			delete(s.nodes, n.GetId())
			s.publishLocked(&runnelv1.WatchResponse{DeletedNodes: []int32{n.GetId()}})
		}
		s.mu.Unlock()
	}()
	if err := stream.Send(&runnelv1.NodeSessionResponse{
		SessionId: n.GetSessionId(), SessionTimeoutMs: s.sessionTimeout.Milliseconds(),
	}); err != nil {
		return err
	}
	recv := make(chan error, 1)
	go func() {
		for {
			if _, err := stream.Recv(); err != nil {
				recv <- err
				return
			}
			s.mu.Lock()
			s.heartbeats[n.GetId()]++
			s.mu.Unlock()
		}
	}()
	select {
	case err := <-end:
		return err
	case err := <-recv:
		return err // io.EOF when the node half-closes: the session ends cleanly
	}
}

// EndSessions ends every live session stream with err.
func (s *Server) EndSessions(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.sessions {
		select {
		case ch <- err:
		default:
		}
	}
}

// RefuseSessions makes NodeSession fail with err before registering anything (nil: accept again).
func (s *Server) RefuseSessions(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = err
}

// Node returns the registered node with id, if its session is live.
func (s *Server) Node(id int32) (*runnelv1.Node, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[id]
	return n, ok
}

// SetNode registers a node without a session stream (a stand-in for a node the test plays
// itself), telling watchers.
func (s *Server) SetNode(n *runnelv1.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n = proto.Clone(n).(*runnelv1.Node)
	s.nodes[n.GetId()] = n
	s.publishLocked(&runnelv1.WatchResponse{Nodes: []*runnelv1.Node{n}})
}

// PresentedSession is the session id node id presented when it last registered (0: a new one).
func (s *Server) PresentedSession(id int32) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.presented[id]
}

// Registrations returns how many times node id registered.
func (s *Server) Registrations(id int32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registers[id]
}

// Heartbeats returns how many heartbeats node id sent.
func (s *Server) Heartbeats(id int32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heartbeats[id]
}

// Watchers returns the number of open watch streams.
func (s *Server) Watchers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.watchers)
}
