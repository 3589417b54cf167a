package coordinator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/controller"
	"github.com/runnel/runnel/services/metadata/internal/etcdtest"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

const waitTimeout = 20 * time.Second

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	etcdtest.Eventually(t, waitTimeout, what, cond)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

type fixture struct {
	client *clientv3.Client
	st     *store.Store
	ctrl   *controller.Controller
	svc    *Service
}

// start runs a controller and a coordinator on a fresh etcd until the test ends and waits for
// the coordinator to be active.
func start(t *testing.T) *fixture {
	t.Helper()
	c := etcdtest.Start(t)
	st := store.New(c)
	ctrl, err := controller.New(c, st, controller.Config{ID: "m1", SessionTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(c, st, ctrl, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = ctrl.Run(ctx) }()
	go func() { defer wg.Done(); _ = svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	eventually(t, "the coordinator to be active", svc.Active)
	return &fixture{client: c, st: st, ctrl: ctrl, svc: svc}
}

func (f *fixture) createTopic(t *testing.T, name string, partitions int32) {
	t.Helper()
	// The coordinator reads only the topic key (its id and partition count).
	if _, err := f.st.CreateTopic(ctxT(t), &runnelv1.Topic{Name: name, TopicId: name + "-id", Partitions: partitions, ReplicationFactor: 1}, nil); err != nil {
		t.Fatal(err)
	}
}

// joined waits until a join succeeds (the topic reaches the coordinator through the watch).
func (f *fixture) join(t *testing.T, group string, topics ...string) *runnelv1.JoinGroupResponse {
	t.Helper()
	var resp *runnelv1.GroupCoordinatorServiceJoinGroupResponse
	eventually(t, "a join to succeed", func() bool {
		var err error
		resp, err = f.svc.JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: &runnelv1.JoinGroupRequest{
			Group: group, Topics: topics, SessionTimeoutMs: 60000}})
		if err != nil && !errors.Is(err, rpcerr.UnknownTopicOrPartition) && !rpcerr.IsRetriable(err) {
			t.Fatalf("JoinGroup: %v", err)
		}
		return err == nil
	})
	return resp.GetResponse()
}

func (f *fixture) heartbeat(t *testing.T, group, id string, gen int32) (*runnelv1.HeartbeatResponse, error) {
	resp, err := f.svc.Heartbeat(ctxT(t), &runnelv1.GroupCoordinatorServiceHeartbeatRequest{Request: &runnelv1.HeartbeatRequest{
		Group: group, MemberId: id, Generation: gen}})
	return resp.GetResponse(), err
}

func (f *fixture) describe(t *testing.T, group string) *runnelv1.DescribeGroupResponse {
	t.Helper()
	d, err := f.svc.DescribeGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceDescribeGroupRequest{Group: group})
	if err != nil {
		t.Fatal(err)
	}
	return d.GetGroup()
}

// groupKeys returns every key of a group in etcd with its value.
func (f *fixture) groupKeys(t *testing.T, group string) map[string]string {
	t.Helper()
	resp, err := f.client.Get(ctxT(t), groupPrefix(group), clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = string(kv.Value)
	}
	return out
}

func TestNotCoordinatorWithoutTheRole(t *testing.T) {
	c := etcdtest.Start(t)
	st := store.New(c)
	ctrl, err := controller.New(c, st, controller.Config{ID: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(c, st, ctrl, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The controller does not run: this node never holds the role.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	_, err = svc.JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}}})
	if !errors.Is(err, rpcerr.NotCoordinator) || svc.Active() {
		t.Fatalf("JoinGroup without the role: %v (active %v), want NOT_COORDINATOR", err, svc.Active())
	}
	_, err = svc.ListGroups(ctxT(t), &runnelv1.GroupCoordinatorServiceListGroupsRequest{})
	if !errors.Is(err, rpcerr.NotCoordinator) {
		t.Fatalf("ListGroups without the role: %v", err)
	}
}

// TestFencedWriteChangesNothing: once the controller's election key is gone, a change is refused
// with NOT_COORDINATOR and nothing is written; the controller campaigns again and the coordinator
// comes back with the state it had.
func TestFencedWriteChangesNothing(t *testing.T) {
	f := start(t)
	f.createTopic(t, "t", 2)
	a := f.join(t, "g", "t")
	before := f.groupKeys(t, "g")

	if _, err := f.client.Delete(ctxT(t), store.ControllerElection+"/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}}})
	if !errors.Is(err, rpcerr.NotCoordinator) && !errors.Is(err, rpcerr.CoordinatorNotAvailable) {
		t.Fatalf("join after the election key vanished: %v, want NOT_COORDINATOR", err)
	}
	if after := f.groupKeys(t, "g"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a fenced write changed etcd:\nbefore %v\nafter  %v", before, after)
	}

	// The role ends, the controller is elected again and the coordinator reloads the group.
	eventually(t, "the coordinator to be back", func() bool {
		_, err := f.heartbeat(t, "g", a.GetMemberId(), a.GetGeneration())
		return err == nil
	})
	if d := f.describe(t, "g"); len(d.GetMembers()) != 1 || d.GetGeneration() != 1 {
		t.Fatalf("after the fence: %v; want the one member of generation 1", d)
	}
}

// TestTopicDeletionFollowsWatch: deleting a subscribed topic takes its partitions from the
// members and its offsets from the group at once, and rebalances the group.
func TestTopicDeletionFollowsWatch(t *testing.T) {
	f := start(t)
	f.createTopic(t, "t", 2)
	f.createTopic(t, "u", 2)
	a := f.join(t, "g", "t", "u")
	if len(a.GetAssignment()) != 2 {
		t.Fatalf("join: %v", a)
	}
	_, err := f.svc.CommitOffsets(ctxT(t), &runnelv1.GroupCoordinatorServiceCommitOffsetsRequest{Request: &runnelv1.CommitOffsetsRequest{
		Group: "g", MemberId: a.GetMemberId(), Generation: a.GetGeneration(),
		Offsets: []*runnelv1.OffsetCommit{{Topic: "t", Partition: 0, Offset: 1}, {Topic: "u", Partition: 1, Offset: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteTopic(ctxT(t), "u"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "u's partitions and offsets to go", func() bool {
		d := f.describe(t, "g")
		return d.GetGeneration() == 2 && len(d.GetMembers()[0].GetAssignment()) == 1 && len(d.GetOffsets()) == 2
	})
	keys := f.groupKeys(t, "g")
	for k := range keys {
		if strings.Contains(k, "/offsets/u/") {
			t.Fatalf("offset of the deleted topic still stored: %s", k)
		}
	}
	hb, err := f.heartbeat(t, "g", a.GetMemberId(), a.GetGeneration())
	if err != nil || hb.GetGeneration() != a.GetGeneration()+1 || len(hb.GetAssignment()) != 1 || hb.GetAssignment()[0].GetTopic() != "t" {
		t.Fatalf("heartbeat after the deletion: %v, %v; want only t's partitions at the next generation", hb, err)
	}
}

// TestRefusedWriteKeepsTheTerm: a change etcd refuses as such (more operations than one
// transaction takes) fails with INVALID_REQUEST, writes nothing and leaves the coordinator
// serving (it knows nothing was written, so it does not reload).
func TestRefusedWriteKeepsTheTerm(t *testing.T) {
	f := start(t)
	f.createTopic(t, "big", 300) // etcd's default limit is 128 operations per transaction
	f.join(t, "warmup", "big")
	f.svc.mu.Lock()
	t0 := f.svc.cur
	f.svc.mu.Unlock()
	offs := make([]*runnelv1.OffsetCommit, 300)
	for p := range offs {
		offs[p] = &runnelv1.OffsetCommit{Topic: "big", Partition: int32(p), Offset: 1}
	}
	commit := func(offs []*runnelv1.OffsetCommit) error {
		_, err := f.svc.CommitOffsets(ctxT(t), &runnelv1.GroupCoordinatorServiceCommitOffsetsRequest{Request: &runnelv1.CommitOffsetsRequest{
			Group: "g", Generation: -1, Offsets: offs}})
		return err
	}
	if err := commit(offs); !errors.Is(err, rpcerr.InvalidRequest) {
		t.Fatalf("commit of 300 offsets: %v, want INVALID_REQUEST", err)
	}
	if keys := f.groupKeys(t, "g"); len(keys) != 0 {
		t.Fatalf("a refused commit wrote %d keys", len(keys))
	}
	if err := commit(offs[:10]); err != nil {
		t.Fatalf("a commit that fits: %v", err)
	}
	f.svc.mu.Lock()
	same := f.svc.cur == t0
	f.svc.mu.Unlock()
	if !same {
		t.Fatal("the coordinator reloaded after a refused write")
	}
}

// TestJoinSeesATopicJustCreated: a join right after the topic's creation waits for the topic
// watch instead of failing with UNKNOWN_TOPIC_OR_PARTITION; a topic that does not exist fails.
func TestJoinSeesATopicJustCreated(t *testing.T) {
	f := start(t)
	for i := range 5 {
		name := fmt.Sprintf("fresh%d", i)
		f.createTopic(t, name, 3)
		resp, err := f.tryJoin("g"+name, name)
		if err != nil || len(resp.GetAssignment()) != 1 || len(resp.GetAssignment()[0].GetPartitions()) != 3 {
			t.Fatalf("join right after creating %s: %v, %v", name, resp, err)
		}
	}
	if _, err := f.tryJoin("g", "missing"); !errors.Is(err, rpcerr.UnknownTopicOrPartition) {
		t.Fatalf("join of a missing topic: %v", err)
	}
}
