package groups

import (
	"errors"
	"fmt"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// GetGroupOffsets lists every partition of the group's topics with its high watermark and lag,
// -1 and hw − log start where nothing was committed; DescribeGroup adds members and the sum.
func TestOffsetsAndLag(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 3, "u": 1})
	e.produceN(t, "t", 0, 5)
	e.produceN(t, "t", 1, 3)
	e.produceN(t, "u", 0, 4)
	m := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
	if err := e.svc.Commit(ctx(t), &runnelv1.CommitOffsetsRequest{Group: "g", MemberId: m.GetMemberId(), Generation: 1,
		Offsets: []*runnelv1.OffsetCommit{{Topic: "t", Partition: 0, Offset: 2, Metadata: "meta"}}}); err != nil {
		t.Fatal(err)
	}
	e.store.SetLogStart("t", 1, 1)

	offs, err := e.svc.Offsets(ctx(t), "g")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"t/0 offset 2 hw 5 start 0 lag 3 member " + m.GetMemberId() + " metadata meta",
		"t/1 offset -1 hw 3 start 1 lag 2 member  metadata ",
		"t/2 offset -1 hw 0 start 0 lag 0 member  metadata ",
	}
	if len(offs) != len(want) {
		t.Fatalf("%d offsets, want %d: %v", len(offs), len(want), offs)
	}
	for i, o := range offs {
		got := fmt.Sprintf("%s/%d offset %d hw %d start %d lag %d member %s metadata %s", o.GetTopic(), o.GetPartition(),
			o.GetOffset(), o.GetHighWatermark(), o.GetLogStartOffset(), o.GetLag(), o.GetMemberId(), o.GetMetadata())
		if got != want[i] {
			t.Errorf("offset %d = %q, want %q", i, got, want[i])
		}
	}

	d, err := e.svc.Describe(ctx(t), "g")
	if err != nil {
		t.Fatal(err)
	}
	if d.GetGroup() != "g" || len(d.GetMembers()) != 1 || d.GetMembers()[0].GetMemberId() != m.GetMemberId() ||
		d.GetLag() != 5 || len(d.GetOffsets()) != 3 {
		t.Fatalf("describe = %v; want 1 member, 3 partitions, lag 5", d)
	}

	t.Run("a committed offset below the log start", func(t *testing.T) {
		e.store.SetLogStart("t", 0, 4)
		offs, err := e.svc.Offsets(ctx(t), "g")
		if err != nil || offs[0].GetLag() != 3 {
			t.Fatalf("lag %v, %v; want hw − offset = 3", offs, err)
		}
	})

	t.Run("unknown group", func(t *testing.T) {
		if _, err := e.svc.Offsets(ctx(t), "nope"); !errors.Is(err, rpcerr.GroupIDNotFound) {
			t.Fatalf("err = %v", err)
		}
		if _, err := e.svc.Describe(ctx(t), "nope"); !errors.Is(err, rpcerr.GroupIDNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestLag(t *testing.T) {
	tests := []struct{ offset, hw, start, want int64 }{
		{-1, 10, 0, 10},
		{-1, 10, 4, 6},
		{3, 10, 0, 7},
		{10, 10, 0, 0},
		{12, 10, 0, 0},
		{1, 10, 5, 9},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt), func(t *testing.T) {
			if got := lag(tt.offset, tt.hw, tt.start); got != tt.want {
				t.Fatalf("lag = %d, want %d", got, tt.want)
			}
		})
	}
}
