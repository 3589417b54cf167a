package store

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// ProposalState is what an ISR proposal is checked against, read at one revision.
type ProposalState struct {
	// Partition is the partition's state; nil when it does not exist.
	Partition *Versioned
	// Nodes holds the live (registered) nodes among those asked for.
	Nodes map[int32]*runnelv1.Node
}

// ReadProposal reads a partition's state and the registrations of the given nodes at one
// revision.
func (s *Store) ReadProposal(ctx context.Context, topic string, partition int32, nodes []int32) (*ProposalState, error) {
	ops := make([]clientv3.Op, 0, len(nodes)+1)
	ops = append(ops, clientv3.OpGet(PartitionKey(topic, partition)))
	for _, id := range nodes {
		ops = append(ops, clientv3.OpGet(NodeKey(id)))
	}
	resp, err := s.c.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, fmt.Errorf("store: read partition %s/%d: %w", topic, partition, err)
	}
	ps := &ProposalState{Nodes: make(map[int32]*runnelv1.Node, len(nodes))}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) == 1 {
		p, err := decode[runnelv1.PartitionState](string(kvs[0].Key), kvs[0].Value)
		if err != nil {
			return nil, err
		}
		ps.Partition = &Versioned{State: p, ModRevision: kvs[0].ModRevision}
	}
	for _, r := range resp.Responses[1:] {
		for _, kv := range r.GetResponseRange().Kvs {
			n, err := decode[runnelv1.Node](string(kv.Key), kv.Value)
			if err != nil {
				return nil, err
			}
			ps.Nodes[n.GetId()] = n
		}
	}
	return ps, nil
}

// CommitProposal writes a partition's new state if, at commit time, the partition key is still at
// modRev, the sender's node key is still attached to the lease session, and every node of
// mustLive is registered. It reports whether it wrote, and the revision of the write.
func (s *Store) CommitProposal(ctx context.Context, st *runnelv1.PartitionState, modRev int64, sender int32, session int64, mustLive []int32) (bool, int64, error) {
	key := PartitionKey(st.GetTopic(), st.GetPartition())
	v, err := encode(key, st)
	if err != nil {
		return false, 0, err
	}
	cmps := []clientv3.Cmp{
		clientv3.Compare(clientv3.ModRevision(key), "=", modRev),
		clientv3.Compare(clientv3.LeaseValue(NodeKey(sender)), "=", clientv3.LeaseID(session)),
	}
	for _, id := range mustLive {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(NodeKey(id)), ">", 0))
	}
	resp, err := s.c.Txn(ctx).If(cmps...).Then(clientv3.OpPut(key, v)).Commit()
	if err != nil {
		return false, 0, fmt.Errorf("store: write partition %s/%d: %w", st.GetTopic(), st.GetPartition(), err)
	}
	return resp.Succeeded, resp.Header.Revision, nil
}
