package groups

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// ResetGroupOffsets resolves every partition first, writes all or nothing, and only for a group
// with no members.
func TestReset(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 2, "u": 1})
	e.produce(t, "t", 0, 1000, 1001, 1002, 1003, 1004) // offsets 0-4
	e.produce(t, "t", 1, 2000, 1500, 2002)             // offsets 0-2, timestamps out of order
	e.produceN(t, "u", 0, 2)
	baseline := func(t *testing.T) {
		t.Helper()
		err := e.svc.Commit(ctx(t), &runnelv1.CommitOffsetsRequest{Group: "g", Generation: -1, Offsets: []*runnelv1.OffsetCommit{
			{Topic: "t", Partition: 0, Offset: 1}, {Topic: "t", Partition: 1, Offset: 1}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	stored := func(group string) []int64 {
		var out []int64
		for p := range int32(2) {
			o, ok := e.coord.Offset(group, "t", p)
			if !ok {
				o = -1
			}
			out = append(out, o)
		}
		return out
	}
	tests := []struct {
		name   string
		req    *runnelv1.ResetGroupOffsetsRequest
		want   []int64 // offsets of t/0 and t/1 answered
		err    *rpcerr.Code
		stored []int64 // what the coordinator holds after
	}{
		{"earliest", &runnelv1.ResetGroupOffsetsRequest{To: "earliest"}, []int64{0, 0}, nil, []int64{0, 0}},
		{"latest", &runnelv1.ResetGroupOffsetsRequest{To: "LATEST"}, []int64{5, 3}, nil, []int64{5, 3}},
		{"offset", &runnelv1.ResetGroupOffsetsRequest{Offset: proto.Int64(2)}, []int64{2, 2}, nil, []int64{2, 2}},
		{"offset at a high watermark", &runnelv1.ResetGroupOffsetsRequest{Offset: proto.Int64(3), Topics: []string{"t"}}, []int64{3, 3}, nil, []int64{3, 3}},
		{"offset beyond a high watermark", &runnelv1.ResetGroupOffsetsRequest{Offset: proto.Int64(4), Topics: []string{"t"}}, nil, rpcerr.OffsetOutOfRange, []int64{1, 1}},
		{"negative offset", &runnelv1.ResetGroupOffsetsRequest{Offset: proto.Int64(-1)}, nil, rpcerr.OffsetOutOfRange, []int64{1, 1}},
		{"timestamp", &runnelv1.ResetGroupOffsetsRequest{TimestampMs: proto.Int64(1002)}, []int64{2, 0}, nil, []int64{2, 0}},
		{"timestamp after one partition's records", &runnelv1.ResetGroupOffsetsRequest{TimestampMs: proto.Int64(1501)}, []int64{5, 0}, nil, []int64{5, 0}},
		{"timestamp within", &runnelv1.ResetGroupOffsetsRequest{TimestampMs: proto.Int64(2001)}, []int64{5, 2}, nil, []int64{5, 2}},
		{"timestamp after everything", &runnelv1.ResetGroupOffsetsRequest{TimestampMs: proto.Int64(9999)}, []int64{5, 3}, nil, []int64{5, 3}},
		{"dry run", &runnelv1.ResetGroupOffsetsRequest{To: "latest", DryRun: true}, []int64{5, 3}, nil, []int64{1, 1}},
		{"two targets", &runnelv1.ResetGroupOffsetsRequest{To: "latest", Offset: proto.Int64(1)}, nil, rpcerr.InvalidRequest, []int64{1, 1}},
		{"no target", &runnelv1.ResetGroupOffsetsRequest{}, nil, rpcerr.InvalidRequest, []int64{1, 1}},
		{"unknown to", &runnelv1.ResetGroupOffsetsRequest{To: "middle"}, nil, rpcerr.InvalidRequest, []int64{1, 1}},
		{"negative timestamp", &runnelv1.ResetGroupOffsetsRequest{TimestampMs: proto.Int64(-2)}, nil, rpcerr.InvalidRequest, []int64{1, 1}},
		{"unknown topic", &runnelv1.ResetGroupOffsetsRequest{To: "earliest", Topics: []string{"t", "nope"}}, nil, rpcerr.UnknownTopicOrPartition, []int64{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			baseline(t)
			tt.req.Group = "g"
			offs, err := e.svc.Reset(ctx(t), tt.req)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %s", err, tt.err.Name)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if len(offs) != 2 || offs[0].GetOffset() != tt.want[0] || offs[1].GetOffset() != tt.want[1] {
					t.Fatalf("answer %v, want offsets %v", offs, tt.want)
				}
				for _, o := range offs {
					if o.GetLag() != o.GetHighWatermark()-o.GetOffset() {
						t.Fatalf("lag of %v", o)
					}
				}
			}
			if got := stored("g"); !slices.Equal(got, tt.stored) {
				t.Fatalf("stored %v, want %v", got, tt.stored)
			}
		})
	}

	t.Run("offset below the log start moves up to it", func(t *testing.T) {
		e.store.SetLogStart("t", 0, 2)
		t.Cleanup(func() { e.store.SetLogStart("t", 0, 0) })
		offs, err := e.svc.Reset(ctx(t), &runnelv1.ResetGroupOffsetsRequest{Group: "g", Offset: proto.Int64(1)})
		if err != nil || offs[0].GetOffset() != 2 || offs[1].GetOffset() != 1 {
			t.Fatalf("answer %v, %v; want 2 and 1", offs, err)
		}
	})

	t.Run("new group with topics", func(t *testing.T) {
		offs, err := e.svc.Reset(ctx(t), &runnelv1.ResetGroupOffsetsRequest{Group: "fresh", Topics: []string{"u"}, To: "latest"})
		if err != nil || len(offs) != 1 || offs[0].GetOffset() != 2 {
			t.Fatalf("answer %v, %v", offs, err)
		}
		if o, ok := e.coord.Offset("fresh", "u", 0); !ok || o != 2 {
			t.Fatalf("stored %d, %v", o, ok)
		}
	})

	t.Run("new group without topics", func(t *testing.T) {
		_, err := e.svc.Reset(ctx(t), &runnelv1.ResetGroupOffsetsRequest{Group: "other", To: "latest"})
		if !errors.Is(err, rpcerr.GroupIDNotFound) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("group with members", func(t *testing.T) {
		baseline(t)
		e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
		for _, dry := range []bool{false, true} {
			_, err := e.svc.Reset(ctx(t), &runnelv1.ResetGroupOffsetsRequest{Group: "g", To: "latest", DryRun: dry})
			if !errors.Is(err, rpcerr.NonEmptyGroup) {
				t.Fatalf("dry run %v: err = %v", dry, err)
			}
		}
		if got := stored("g"); !slices.Equal(got, []int64{1, 1}) {
			t.Fatalf("stored %v", got)
		}
	})
}
