package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// Sentinels.
var (
	ErrTopicExists   = errors.New("store: topic already exists")
	ErrTopicNotFound = errors.New("store: topic does not exist")
	ErrCorrupt       = errors.New("store: value does not decode")
)

// Store reads and writes the metadata state in etcd.
type Store struct {
	c *clientv3.Client
}

// New returns a Store on an etcd client (owned by the caller).
func New(c *clientv3.Client) *Store { return &Store{c: c} }

// State is the whole metadata state at one etcd revision. Topics are sorted by name, partitions
// by topic then partition, nodes by id. ControllerID is the metadata node that is the controller
// ("" when none is elected).
type State struct {
	Revision     int64
	Topics       []*runnelv1.Topic
	Partitions   []*runnelv1.PartitionState
	Nodes        []*runnelv1.Node
	ControllerID string
}

var marshal = proto.MarshalOptions{Deterministic: true}

func encode(key string, m proto.Message) (string, error) {
	b, err := marshal.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("store: encode %s: %w", key, err)
	}
	return string(b), nil
}

func decode[T any, P interface {
	*T
	proto.Message
}](key string, b []byte) (P, error) {
	m := P(new(T))
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, key, err)
	}
	return m, nil
}

// State reads topics, partitions, nodes and the controller at one revision.
func (s *Store) State(ctx context.Context) (*State, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	st := &State{
		Revision: snap.Revision, Topics: snap.Topics, Nodes: snap.Nodes, ControllerID: snap.ControllerID,
		Partitions: make([]*runnelv1.PartitionState, len(snap.Partitions)),
	}
	for i, p := range snap.Partitions {
		st.Partitions[i] = p.State
	}
	return st, nil
}

// Snapshot is State with the etcd mod revision of every partition state, as the controller and
// compare-and-swap writers need it.
type Snapshot struct {
	Revision     int64
	Topics       []*runnelv1.Topic
	Partitions   []Versioned
	Nodes        []*runnelv1.Node
	ControllerID string
}

// Versioned is a partition state with the etcd revision of its last change (its key's
// ModRevision), which a guarded write compares.
type Versioned struct {
	State       *runnelv1.PartitionState
	ModRevision int64
}

// Snapshot reads topics, partitions (with their mod revisions), nodes and the controller at one
// revision.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	resp, err := s.c.Txn(ctx).Then(
		clientv3.OpGet(TopicsPrefix, clientv3.WithPrefix()),
		clientv3.OpGet(PartitionPrefix, clientv3.WithPrefix()),
		clientv3.OpGet(NodesPrefix, clientv3.WithPrefix()),
		opGetController(),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("store: read state: %w", err)
	}
	snap := &Snapshot{Revision: resp.Header.Revision}
	for _, kv := range resp.Responses[0].GetResponseRange().Kvs {
		t, err := decode[runnelv1.Topic](string(kv.Key), kv.Value)
		if err != nil {
			return nil, err
		}
		snap.Topics = append(snap.Topics, t)
	}
	for _, kv := range resp.Responses[1].GetResponseRange().Kvs {
		p, err := decode[runnelv1.PartitionState](string(kv.Key), kv.Value)
		if err != nil {
			return nil, err
		}
		snap.Partitions = append(snap.Partitions, Versioned{State: p, ModRevision: kv.ModRevision})
	}
	// Keys are %05d below 100000 partitions; sort anyway so larger topics stay in order.
	slices.SortStableFunc(snap.Partitions, func(a, b Versioned) int { return comparePartitions(a.State, b.State) })
	if snap.Nodes, err = decodeNodes(resp.Responses[2].GetResponseRange().Kvs); err != nil {
		return nil, err
	}
	snap.ControllerID = controllerOf(resp.Responses[3].GetResponseRange().Kvs)
	return snap, nil
}

func comparePartitions(a, b *runnelv1.PartitionState) int {
	if a.GetTopic() != b.GetTopic() {
		if a.GetTopic() < b.GetTopic() {
			return -1
		}
		return 1
	}
	return int(a.GetPartition()) - int(b.GetPartition())
}

// Nodes returns the live storage nodes, sorted by id.
func (s *Store) Nodes(ctx context.Context) ([]*runnelv1.Node, error) {
	resp, err := s.c.Get(ctx, NodesPrefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("store: read nodes: %w", err)
	}
	return decodeNodes(resp.Kvs)
}

func decodeNodes(kvs []*mvccpb.KeyValue) ([]*runnelv1.Node, error) {
	nodes := make([]*runnelv1.Node, 0, len(kvs))
	for _, kv := range kvs {
		n, err := decode[runnelv1.Node](string(kv.Key), kv.Value)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, func(a, b *runnelv1.Node) int { return int(a.GetId()) - int(b.GetId()) })
	return nodes, nil
}

// TopicExists reports whether a topic exists.
func (s *Store) TopicExists(ctx context.Context, name string) (bool, error) {
	resp, err := s.c.Get(ctx, TopicKey(name), clientv3.WithCountOnly())
	if err != nil {
		return false, fmt.Errorf("store: read topic %s: %w", name, err)
	}
	return resp.Count > 0, nil
}

// Counts returns the number of topics and of live nodes, at one revision.
func (s *Store) Counts(ctx context.Context) (topics, nodes int64, err error) {
	resp, err := s.c.Txn(ctx).Then(
		clientv3.OpGet(TopicsPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly()),
		clientv3.OpGet(NodesPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly()),
	).Commit()
	if err != nil {
		return 0, 0, fmt.Errorf("store: count: %w", err)
	}
	return resp.Responses[0].GetResponseRange().Count, resp.Responses[1].GetResponseRange().Count, nil
}

// CreateTopic writes a topic and its partitions in one transaction that succeeds only if the
// topic does not exist yet (else ErrTopicExists, and nothing is written). It returns the revision
// of the write.
func (s *Store) CreateTopic(ctx context.Context, t *runnelv1.Topic, parts []*runnelv1.PartitionState) (int64, error) {
	key := TopicKey(t.GetName())
	ops := make([]clientv3.Op, 0, len(parts)+1)
	v, err := encode(key, t)
	if err != nil {
		return 0, err
	}
	ops = append(ops, clientv3.OpPut(key, v))
	for _, p := range parts {
		pk := PartitionKey(p.GetTopic(), p.GetPartition())
		if v, err = encode(pk, p); err != nil {
			return 0, err
		}
		ops = append(ops, clientv3.OpPut(pk, v))
	}
	resp, err := s.c.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(ops...).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("store: create topic %s: %w", t.GetName(), err)
	}
	if !resp.Succeeded {
		return 0, ErrTopicExists
	}
	return resp.Header.Revision, nil
}

// DeleteTopic deletes a topic and all its partition states in one transaction (ErrTopicNotFound
// when the topic does not exist).
func (s *Store) DeleteTopic(ctx context.Context, name string) error {
	key := TopicKey(name)
	resp, err := s.c.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), ">", 0)).
		Then(clientv3.OpDelete(key), clientv3.OpDelete(partitionsOf(name), clientv3.WithPrefix())).
		Commit()
	if err != nil {
		return fmt.Errorf("store: delete topic %s: %w", name, err)
	}
	if !resp.Succeeded {
		return ErrTopicNotFound
	}
	return nil
}
