package groups

import (
	"errors"
	"strings"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// A commit is checked against the high watermark before the coordinator sees it, and a refused
// commit writes nothing.
func TestCommitValidation(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 2})
	e.produceN(t, "t", 0, 5)
	m := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
	off := func(p int32, o int64) *runnelv1.OffsetCommit {
		return &runnelv1.OffsetCommit{Topic: "t", Partition: p, Offset: o}
	}
	tests := []struct {
		name     string
		member   string
		gen      int32
		offsets  []*runnelv1.OffsetCommit
		want     *rpcerr.Code
		contains string
	}{
		{"beyond the high watermark", m.GetMemberId(), 1, []*runnelv1.OffsetCommit{off(0, 6)}, rpcerr.OffsetOutOfRange, `partition 0 of topic "t"`},
		{"range in the message", m.GetMemberId(), 1, []*runnelv1.OffsetCommit{off(0, 6)}, rpcerr.OffsetOutOfRange, "[0, 5]"},
		{"negative", m.GetMemberId(), 1, []*runnelv1.OffsetCommit{off(1, -1)}, rpcerr.OffsetOutOfRange, `partition 1 of topic "t"`},
		{"one bad among good ones", m.GetMemberId(), 1, []*runnelv1.OffsetCommit{off(1, 0), off(0, 9)}, rpcerr.OffsetOutOfRange, "offset 9"},
		{"unknown topic", m.GetMemberId(), 1, []*runnelv1.OffsetCommit{{Topic: "nope", Offset: 0}}, rpcerr.UnknownTopicOrPartition, "nope"},
		{"unknown partition", m.GetMemberId(), 1, []*runnelv1.OffsetCommit{off(7, 0)}, rpcerr.UnknownTopicOrPartition, "7"},
		{"stale generation", m.GetMemberId(), 5, []*runnelv1.OffsetCommit{off(0, 1)}, rpcerr.IllegalGeneration, ""},
		{"unknown member", "ghost", 1, []*runnelv1.OffsetCommit{off(0, 1)}, rpcerr.UnknownMemberID, ""},
		{"empty", m.GetMemberId(), 1, nil, rpcerr.InvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.svc.Commit(ctx(t), &runnelv1.CommitOffsetsRequest{Group: "g", MemberId: tt.member, Generation: tt.gen, Offsets: tt.offsets})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("err = %v, want %s mentioning %q", err, tt.want.Name, tt.contains)
			}
			for p := range int32(2) {
				if _, ok := e.coord.Offset("g", "t", p); ok {
					t.Fatalf("a refused commit wrote partition %d", p)
				}
			}
		})
	}

	t.Run("at the high watermark", func(t *testing.T) {
		err := e.svc.Commit(ctx(t), &runnelv1.CommitOffsetsRequest{Group: "g", MemberId: m.GetMemberId(), Generation: 1,
			Offsets: []*runnelv1.OffsetCommit{off(0, 5), off(1, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		if o, ok := e.coord.Offset("g", "t", 0); !ok || o != 5 {
			t.Fatalf("committed %d, %v; want 5", o, ok)
		}
	})
}
