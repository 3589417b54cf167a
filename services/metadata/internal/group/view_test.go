package group

import (
	"fmt"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

func TestDescribe(t *testing.T) {
	ids := []string{"b", "a"}
	g := New("g", Config{NewMemberID: func() string { id := ids[0]; ids = ids[1:]; return id }})
	topics := Topics{"t": {ID: "t1", Partitions: 2}, "u": {ID: "u1", Partitions: 1}}
	step := func(u *Update, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		g = u.Apply()
	}
	step(g.Join(topics, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t", "u"}, ClientId: "cb", InstanceId: "i"}))
	step(g.Join(topics, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}, ClientId: "ca"}))
	step(g.Heartbeat("b", 1)) // b revokes what a's target takes
	step(g.Commit(topics, &runnelv1.CommitOffsetsRequest{MemberId: "b", Generation: 2,
		Offsets: []*runnelv1.OffsetCommit{{Topic: "t", Partition: 0, Offset: 4, Metadata: "m"}}}))
	delete(topics, "u") // u is gone but not synced yet: Describe shows only existing topics

	d := g.Describe(topics)
	gd := d.GetGroup()
	if gd.GetState() != StateReconciling || gd.GetGeneration() != 2 || gd.GetAssignor() != "sticky" || len(gd.GetMembers()) != 2 {
		t.Fatalf("describe: %v", d)
	}
	a, b := gd.GetMembers()[0], gd.GetMembers()[1]
	if a.GetMemberId() != "a" || a.GetClientId() != "ca" || b.GetInstanceId() != "i" || len(b.GetRevoking()) != 1 {
		t.Fatalf("members (by id, with revoking): %v", gd.GetMembers())
	}
	if fmt.Sprint(d.GetTopics()) != "[t]" || len(gd.GetOffsets()) != 2 {
		t.Fatalf("topics %v, offsets %v: want t's two partitions only", d.GetTopics(), gd.GetOffsets())
	}
	o0, o1 := gd.GetOffsets()[0], gd.GetOffsets()[1]
	if o0.GetOffset() != 4 || o0.GetMetadata() != "m" || o1.GetOffset() != -1 {
		t.Fatalf("offsets: %v", gd.GetOffsets())
	}
	owners := map[int32]string{}
	for _, m := range gd.GetMembers() {
		for _, tp := range m.GetAssignment() {
			for _, p := range tp.GetPartitions() {
				if tp.GetTopic() == "t" {
					owners[p] = m.GetMemberId()
				}
			}
		}
	}
	for _, o := range gd.GetOffsets() {
		if o.GetMemberId() != owners[o.GetPartition()] {
			t.Fatalf("owner of t-%d: %q, want %q", o.GetPartition(), o.GetMemberId(), owners[o.GetPartition()])
		}
	}
	if s := g.Summary(); s.GetMemberCount() != 2 || s.GetState() != StateReconciling || s.GetGroup() != "g" {
		t.Fatalf("summary: %v", s)
	}
}
