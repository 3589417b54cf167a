package coordinator

import (
	"context"
	"fmt"
	"sync"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// TestConcurrentMembers runs members of several groups at once: each heartbeats with the
// generation it got, commits its partitions and sometimes leaves and joins again. Operations on
// one group are serial and groups do not disturb each other: every call succeeds, and once every
// member has acknowledged, each group is Stable with every partition held exactly once.
func TestConcurrentMembers(t *testing.T) {
	f := start(t)
	f.createTopic(t, "t", 12)
	f.join(t, "warmup", "t") // the topic has reached the coordinator
	const groups, members, rounds = 3, 4, 25
	var wg sync.WaitGroup
	final := make([][]*runnelv1.JoinGroupResponse, groups)
	var mu sync.Mutex
	for g := range groups {
		name := fmt.Sprintf("g%d", g)
		for m := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				me, err := f.tryJoin(name, "t")
				if err != nil {
					t.Errorf("%s join: %v", name, err)
					return
				}
				for r := range rounds {
					hb, err := f.heartbeat(t, name, me.GetMemberId(), me.GetGeneration())
					if err != nil {
						t.Errorf("%s/%s heartbeat: %v", name, me.GetMemberId(), err)
						return
					}
					me.Generation, me.Assignment = hb.GetGeneration(), hb.GetAssignment()
					var offs []*runnelv1.OffsetCommit
					for _, tp := range me.GetAssignment() {
						for _, p := range tp.GetPartitions() {
							offs = append(offs, &runnelv1.OffsetCommit{Topic: tp.GetTopic(), Partition: p, Offset: int64(r)})
						}
					}
					if len(offs) > 0 {
						_, err := f.svc.CommitOffsets(ctxT(t), &runnelv1.GroupCoordinatorServiceCommitOffsetsRequest{Request: &runnelv1.CommitOffsetsRequest{
							Group: name, MemberId: me.GetMemberId(), Generation: me.GetGeneration(), Offsets: offs}})
						if err != nil {
							t.Errorf("%s/%s commit: %v", name, me.GetMemberId(), err)
							return
						}
					}
					if r == rounds/2 && m == 0 {
						if _, err := f.svc.LeaveGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceLeaveGroupRequest{Request: &runnelv1.LeaveGroupRequest{
							Group: name, MemberId: me.GetMemberId()}}); err != nil {
							t.Errorf("leave: %v", err)
							return
						}
						if me, err = f.tryJoin(name, "t"); err != nil {
							t.Errorf("%s join again: %v", name, err)
							return
						}
					}
				}
				mu.Lock()
				final[g] = append(final[g], me)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for g, ms := range final {
		name := fmt.Sprintf("g%d", g)
		eventually(t, name+" to be stable", func() bool {
			for _, me := range ms {
				hb, err := f.heartbeat(t, name, me.GetMemberId(), me.GetGeneration())
				if err != nil {
					t.Fatalf("%s heartbeat: %v", name, err)
				}
				me.Generation, me.Assignment = hb.GetGeneration(), hb.GetAssignment()
			}
			return f.describe(t, name).GetState() == "Stable"
		})
		held := map[string]string{}
		for _, me := range ms {
			for _, tp := range me.GetAssignment() {
				for _, p := range tp.GetPartitions() {
					k := fmt.Sprintf("%s-%d", tp.GetTopic(), p)
					if other, dup := held[k]; dup {
						t.Fatalf("%s: %s held by %s and %s", name, k, other, me.GetMemberId())
					}
					held[k] = me.GetMemberId()
				}
			}
		}
		if len(held) != 12 {
			t.Fatalf("%s: %d partitions held, want 12", name, len(held))
		}
		if d := f.describe(t, name); len(d.GetMembers()) != members {
			t.Fatalf("%s: %d members, want %d", name, len(d.GetMembers()), members)
		}
	}
}

// tryJoin joins once (for goroutines other than the test's: no Fatal).
func (f *fixture) tryJoin(group string, topics ...string) (*runnelv1.JoinGroupResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	resp, err := f.svc.JoinGroup(ctx, &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: &runnelv1.JoinGroupRequest{
		Group: group, Topics: topics, SessionTimeoutMs: 60000}})
	return resp.GetResponse(), err
}
