package groups

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// fetch reads for a member and fails the test on error.
func (e *env) fetch(t *testing.T, group, member string, max int32) *runnelv1.FetchGroupRecordsResponse {
	t.Helper()
	resp, err := e.svc.Fetch(ctx(t), &runnelv1.FetchGroupRecordsRequest{Group: group, MemberId: member, MaxRecords: max})
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	return resp
}

func (e *env) commit(t *testing.T, group, member string, gen int32, topic string, p int32, off int64) {
	t.Helper()
	err := e.svc.Commit(ctx(t), &runnelv1.CommitOffsetsRequest{Group: group, MemberId: member, Generation: gen,
		Offsets: []*runnelv1.OffsetCommit{{Topic: topic, Partition: p, Offset: off}}})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// Where a member's reads start and how they continue.
func TestFetchPositions(t *testing.T) {
	tests := []struct {
		name   string
		reset  string
		before func(t *testing.T, e *env, group string) // before the member's first read
		want   []int64                                  // offsets of the first read (max 4)
		err    *rpcerr.Code
	}{
		{name: "earliest without a commit", want: []int64{0, 1, 2, 3}},
		{name: "latest without a commit", reset: "latest", want: []int64{}},
		{name: "none without a commit", reset: "none", err: rpcerr.OffsetOutOfRange},
		{name: "committed offset", reset: "none", before: func(t *testing.T, e *env, g string) {
			e.commit(t, g, "", -1, "t", 0, 6)
		}, want: []int64{6, 7, 8, 9}},
		{name: "committed below the log start falls back to earliest", before: func(t *testing.T, e *env, g string) {
			e.commit(t, g, "", -1, "t", 0, 2)
			e.store.SetLogStart("t", 0, 5)
		}, want: []int64{5, 6, 7, 8}},
		{name: "committed below the log start falls back to latest", reset: "latest", before: func(t *testing.T, e *env, g string) {
			e.commit(t, g, "", -1, "t", 0, 2)
			e.store.SetLogStart("t", 0, 5)
		}, want: []int64{}},
		{name: "committed above the high watermark falls back", before: func(t *testing.T, e *env, g string) {
			_, err := dial(t, e.coord.Addr).AlterOffsets(ctx(t), &runnelv1.AlterOffsetsRequest{Group: g,
				Offsets: []*runnelv1.OffsetCommit{{Topic: "t", Partition: 0, Offset: 50}}})
			if err != nil {
				t.Fatal(err)
			}
		}, want: []int64{0, 1, 2, 3}},
		{name: "committed out of range with none", reset: "none", before: func(t *testing.T, e *env, g string) {
			e.commit(t, g, "", -1, "t", 0, 2)
			e.store.SetLogStart("t", 0, 5)
		}, err: rpcerr.OffsetOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, map[string]int32{"t": 1})
			e.produceN(t, "t", 0, 10)
			if tt.before != nil {
				tt.before(t, e, "g")
			}
			m := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}, AutoOffsetReset: tt.reset})
			resp, err := e.svc.Fetch(ctx(t), &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: m.GetMemberId(), MaxRecords: 4})
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), `partition 0 of topic "t"`) {
					t.Fatalf("err = %v, want %s naming the partition", err, tt.err.Name)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := offsetsOf(resp.GetRecords()); !slices.Equal(got, tt.want) {
				t.Fatalf("first read %v, want %v", got, tt.want)
			}
			if resp.GetGeneration() != 1 || len(resp.GetAssignment()) != 1 {
				t.Fatalf("generation %d assignment %v", resp.GetGeneration(), resp.GetAssignment())
			}
			// The next read continues where this one ended, and sees new records.
			e.produceN(t, "t", 0, 1)
			next := e.fetch(t, "g", m.GetMemberId(), 100)
			first := int64(10)
			if len(tt.want) > 0 {
				first = tt.want[len(tt.want)-1] + 1
			}
			if got := offsetsOf(next.GetRecords()); len(got) == 0 || got[0] != first || got[len(got)-1] != 10 {
				t.Fatalf("second read %v, want %d..10", got, first)
			}
		})
	}
}

// Each partition gets a fair share of max_records, and the rotation continues each partition.
func TestFetchFairness(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 3})
	for p := range int32(3) {
		e.produceN(t, "t", p, 10)
	}
	m := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
	read := map[int32][]int64{}
	for range 5 {
		resp := e.fetch(t, "g", m.GetMemberId(), 6)
		perPartition := map[int32]int{}
		for _, r := range resp.GetRecords() {
			perPartition[r.GetPartition()]++
			read[r.GetPartition()] = append(read[r.GetPartition()], r.GetOffset())
			if r.GetTopic() != "t" {
				t.Fatalf("record without its topic: %v", r)
			}
		}
		if len(resp.GetRecords()) != 6 || perPartition[0] != 2 || perPartition[1] != 2 || perPartition[2] != 2 {
			t.Fatalf("read %v per partition, want 2 each", perPartition)
		}
	}
	for p, offs := range read {
		for i, o := range offs {
			if o != int64(i) {
				t.Fatalf("partition %d read %v, want 0..9 in order", p, offs)
			}
		}
	}
	t.Run("leftover goes to partitions with more", func(t *testing.T) {
		e.produceN(t, "t", 1, 5) // partitions 0 and 2 are done; 1 has 5 more
		resp := e.fetch(t, "g", m.GetMemberId(), 6)
		if got := offsetsOf(resp.GetRecords()); !slices.Equal(got, []int64{10, 11, 12, 13, 14}) {
			t.Fatalf("read %v, want 10..14 of partition 1", got)
		}
	})
	t.Run("max_records is never exceeded", func(t *testing.T) {
		for p := range int32(3) {
			e.produceN(t, "t", p, 3)
		}
		if resp := e.fetch(t, "g", m.GetMemberId(), 4); len(resp.GetRecords()) != 4 {
			t.Fatalf("read %d records, want 4", len(resp.GetRecords()))
		}
		if resp := e.fetch(t, "g", m.GetMemberId(), 100); len(resp.GetRecords()) != 5 {
			t.Fatalf("read %d records, want the 5 left", len(resp.GetRecords()))
		}
	})
}

// An empty read long-polls and answers as soon as a record arrives.
func TestFetchLongPoll(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 3})
	m := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
	e.fetch(t, "g", m.GetMemberId(), 10) // places the partitions
	type answer struct {
		resp *runnelv1.FetchGroupRecordsResponse
		err  error
	}
	done := make(chan answer, 1)
	start := time.Now()
	go func() {
		resp, err := e.svc.Fetch(context.Background(), &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: m.GetMemberId(), MaxWaitMs: 10000})
		done <- answer{resp, err}
	}()
	e.produceN(t, "t", 2, 1)
	select {
	case a := <-done:
		if a.err != nil || len(a.resp.GetRecords()) != 1 || a.resp.GetRecords()[0].GetPartition() != 2 {
			t.Fatalf("long poll answered %v, %v", a.resp, a.err)
		}
		if time.Since(start) > 8*time.Second {
			t.Fatal("the long poll waited for its whole max_wait_ms")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the long poll did not answer")
	}

	t.Run("nothing arrives", func(t *testing.T) {
		start := time.Now()
		resp, err := e.svc.Fetch(ctx(t), &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: m.GetMemberId(), MaxWaitMs: 100})
		if err != nil || len(resp.GetRecords()) != 0 || time.Since(start) < 100*time.Millisecond {
			t.Fatalf("answer %v, %v after %v", resp, err, time.Since(start))
		}
	})
	t.Run("no partitions", func(t *testing.T) {
		other := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}}) // the fake gives it none
		start := time.Now()
		resp, err := e.svc.Fetch(ctx(t), &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: other.GetMemberId(), MaxWaitMs: 100})
		if err != nil || len(resp.GetRecords()) != 0 || len(resp.GetAssignment()) != 0 || time.Since(start) < 100*time.Millisecond {
			t.Fatalf("answer %v, %v after %v", resp, err, time.Since(start))
		}
	})
}

// Assignment changes: a partition that leaves loses its position, one that comes back starts at
// the committed offset when that is ahead (another member read it meanwhile).
func TestFetchAssignmentChanges(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 2})
	e.produceN(t, "t", 0, 10)
	e.produceN(t, "t", 1, 10)
	m := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
	id := m.GetMemberId()
	e.fetch(t, "g", id, 4) // 2 of each: positions 2 and 2
	e.coord.Assign("g", id, []*runnelv1.TopicPartitions{{Topic: "t", Partitions: []int32{1}}})
	resp := e.fetch(t, "g", id, 2)
	if got := offsetsOf(resp.GetRecords()); resp.GetGeneration() != 2 || !slices.Equal(got, []int64{2, 3}) ||
		resp.GetRecords()[0].GetPartition() != 1 {
		t.Fatalf("after losing partition 0: generation %d, read %v", resp.GetGeneration(), resp.GetRecords())
	}
	e.coord.Assign("g", id, []*runnelv1.TopicPartitions{{Topic: "t", Partitions: []int32{0, 1}}})
	e.commit(t, "g", id, 3, "t", 0, 7) // as if another member had read partition 0 up to 7
	e.commit(t, "g", id, 3, "t", 1, 1) // behind this member's position: ignored
	resp = e.fetch(t, "g", id, 100)
	var p0, p1 []int64
	for _, r := range resp.GetRecords() {
		if r.GetPartition() == 0 {
			p0 = append(p0, r.GetOffset())
		} else {
			p1 = append(p1, r.GetOffset())
		}
	}
	if !slices.Equal(p0, []int64{7, 8, 9}) || len(p1) != 6 || p1[0] != 4 {
		t.Fatalf("partition 0 read %v (want 7..9), partition 1 read %v (want 4..9)", p0, p1)
	}
}

func TestFetchErrors(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 1})
	m := e.join(t, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
	tests := []struct {
		name string
		req  *runnelv1.FetchGroupRecordsRequest
		want *rpcerr.Code
	}{
		{"unknown member", &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: "ghost"}, rpcerr.UnknownMemberID},
		{"unknown group", &runnelv1.FetchGroupRecordsRequest{Group: "nope", MemberId: "ghost"}, rpcerr.GroupIDNotFound},
		{"negative max_records", &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: m.GetMemberId(), MaxRecords: -1}, rpcerr.InvalidRequest},
		{"negative max_wait_ms", &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: m.GetMemberId(), MaxWaitMs: -1}, rpcerr.InvalidRequest},
		{"negative max_bytes", &runnelv1.FetchGroupRecordsRequest{Group: "g", MemberId: m.GetMemberId(), MaxBytes: -1}, rpcerr.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.svc.Fetch(ctx(t), tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %s", err, tt.want.Name)
			}
		})
	}
	t.Run("a member that left is forgotten", func(t *testing.T) {
		e.fetch(t, "g", m.GetMemberId(), 1)
		if n := e.svc.members.size(); n != 1 {
			t.Fatalf("%d members kept, want 1", n)
		}
		if err := e.svc.Leave(ctx(t), &runnelv1.LeaveGroupRequest{Group: "g", MemberId: m.GetMemberId()}); err != nil {
			t.Fatal(err)
		}
		if n := e.svc.members.size(); n != 0 {
			t.Fatalf("%d members kept after leaving, want 0", n)
		}
	})
}
