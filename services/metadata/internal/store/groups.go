package store

import (
	"context"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// GroupsPrefix is where the group coordinator keeps its state; the layout below it is the
// coordinator's (package coordinator). The watch does not cover it.
const GroupsPrefix = Prefix + "groups/"

// GroupState is every topic and every key under GroupsPrefix, read at one revision.
type GroupState struct {
	Revision int64
	Topics   []*runnelv1.Topic
	KVs      []*mvccpb.KeyValue
}

// ReadGroups reads the topics and the group coordinator's keys at one revision.
func (s *Store) ReadGroups(ctx context.Context) (*GroupState, error) {
	resp, err := s.c.Txn(ctx).Then(
		clientv3.OpGet(TopicsPrefix, clientv3.WithPrefix()),
		clientv3.OpGet(GroupsPrefix, clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("store: read groups: %w", err)
	}
	gs := &GroupState{Revision: resp.Header.Revision, KVs: resp.Responses[1].GetResponseRange().Kvs}
	for _, kv := range resp.Responses[0].GetResponseRange().Kvs {
		t, err := decode[runnelv1.Topic](string(kv.Key), kv.Value)
		if err != nil {
			return nil, err
		}
		gs.Topics = append(gs.Topics, t)
	}
	return gs, nil
}

// TopicRevision returns the mod revision of a topic's key (false when the topic does not exist).
func (s *Store) TopicRevision(ctx context.Context, name string) (int64, bool, error) {
	resp, err := s.c.Get(ctx, TopicKey(name))
	if err != nil {
		return 0, false, fmt.Errorf("store: read topic %s: %w", name, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, false, nil
	}
	return resp.Kvs[0].ModRevision, true, nil
}
