package replication_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
	"google.golang.org/grpc"
)

// rawFollower is a Replicate stream the test drives by hand, as follower id.
type rawFollower struct {
	t      *testing.T
	id     int32
	stream grpc.BidiStreamingClient[runnelv1.ReplicateRequest, runnelv1.ReplicateResponse]
	data   chan *runnelv1.ReplicaData
	err    chan error
}

// openFollower opens a Replicate stream to node as follower id; it is closed when the test ends.
func openFollower(t *testing.T, c *testCluster, node, id int32) *rawFollower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.nodes[node].client.Replicate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := &rawFollower{t: t, id: id, stream: stream, data: make(chan *runnelv1.ReplicaData, 100), err: make(chan error, 1)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				r.err <- err
				return
			}
			for _, d := range m.GetPartitions() {
				r.data <- d
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return r
}

func (r *rawFollower) send(positions ...*runnelv1.ReplicaPosition) {
	r.t.Helper()
	if err := r.stream.Send(&runnelv1.ReplicateRequest{FollowerId: r.id, Positions: positions}); err != nil {
		r.t.Fatal(err)
	}
}

// next returns the next answer.
func (r *rawFollower) next() *runnelv1.ReplicaData {
	r.t.Helper()
	select {
	case d := <-r.data:
		return d
	case err := <-r.err:
		r.t.Fatalf("stream ended: %v", err)
	case <-time.After(10 * time.Second):
		r.t.Fatal("no answer")
	}
	return nil
}

// none checks that no answer comes for a while (an answer is pushed only when there is news).
func (r *rawFollower) none(wait time.Duration) {
	r.t.Helper()
	select {
	case d := <-r.data:
		r.t.Fatalf("unexpected answer %v", d)
	case <-time.After(wait):
	}
}

func pos(topic string, epoch int32, fetch int64, last int32) *runnelv1.ReplicaPosition {
	return &runnelv1.ReplicaPosition{Topic: topic, LeaderEpoch: epoch, FetchOffset: fetch, LastFetchedEpoch: last}
}

// leaderAtEpoch5 runs node 1 leading "e" (replicas 1, 2; ISR 1, 2) at leader epoch 5 with two
// batches of two records, and "f", led by the absent node 2.
func leaderAtEpoch5(t *testing.T) *testCluster {
	c := newCluster(t, 1)
	c.meta.SetTopic(&runnelv1.Topic{Name: "e", TopicId: "e-id", Partitions: 1, ReplicationFactor: 2},
		&runnelv1.PartitionState{Topic: "e", TopicId: "e-id", Leader: 1, LeaderEpoch: 5, PartitionEpoch: 5,
			Replicas: []int32{1, 2}, Isr: []int32{1, 2}})
	c.topic("f", []int32{1, 2}, []int32{2}, 2, nil)
	c.waitLeading(1, "e")
	eventually(t, "node 1 hosts f", func() bool { return c.offsets(1, "f").GetError() == rpcerr.NotLeaderOrFollower.Name })
	c.mustAppend(1, "e", acksLeader, "one", 2)
	c.mustAppend(1, "e", acksLeader, "two", 2)
	return c
}

func TestReplicateAnswers(t *testing.T) {
	c := leaderAtEpoch5(t)
	tests := []struct {
		name     string
		follower int32
		pos      *runnelv1.ReplicaPosition
		wantErr  *rpcerr.Code
		wantDiv  *runnelv1.EpochEndOffset
		records  bool
	}{
		{"stale epoch", 2, pos("e", 4, 0, -1), rpcerr.FencedLeaderEpoch, nil, false},
		{"future epoch", 2, pos("e", 6, 0, -1), rpcerr.UnknownLeaderEpoch, nil, false},
		{"unknown partition", 2, pos("nope", 0, 0, -1), rpcerr.UnknownTopicOrPartition, nil, false},
		{"not a replica", 9, pos("e", 5, 0, -1), rpcerr.NotLeaderOrFollower, nil, false},
		{"partition led elsewhere", 2, pos("f", 0, 0, -1), rpcerr.NotLeaderOrFollower, nil, false},
		{"ahead without an epoch", 2, pos("e", 5, 100, -1), nil, &runnelv1.EpochEndOffset{Epoch: -1, EndOffset: 4}, false},
		{"ahead in the leader's epoch", 2, pos("e", 5, 100, 5), nil, &runnelv1.EpochEndOffset{Epoch: 5, EndOffset: 4}, false},
		{"an epoch the leader never had", 2, pos("e", 5, 3, 3), nil, &runnelv1.EpochEndOffset{Epoch: 3, EndOffset: 0}, false},
		{"from the start", 2, pos("e", 5, 0, -1), nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := openFollower(t, c, 1, tt.follower)
			r.send(tt.pos)
			d := r.next()
			if tt.wantErr != nil {
				if d.GetError() != tt.wantErr.Name || d.GetMessage() == "" {
					t.Fatalf("answer %v, want error %s", d, tt.wantErr.Name)
				}
				if tt.wantErr == rpcerr.FencedLeaderEpoch && d.GetLeaderEpoch() != 5 {
					t.Fatalf("fenced answer names epoch %d, want the leader's 5", d.GetLeaderEpoch())
				}
				return
			}
			if d.GetError() != "" || d.GetLeaderEpoch() != 5 || d.GetLogEndOffset() != 4 {
				t.Fatalf("answer %v", d)
			}
			if tt.wantDiv != nil {
				div := d.GetDivergingEpoch()
				if div.GetEpoch() != tt.wantDiv.GetEpoch() || div.GetEndOffset() != tt.wantDiv.GetEndOffset() || len(d.GetRecords()) != 0 {
					t.Fatalf("answer %v, want diverging %v and no records", d, tt.wantDiv)
				}
				return
			}
			if d.GetDivergingEpoch() != nil || (len(d.GetRecords()) > 0) != tt.records {
				t.Fatalf("answer %v", d)
			}
			if got := values(t, d.GetRecords()); len(got) != 4 || got[0] != "one-0" || got[3] != "two-1" {
				t.Fatalf("records %v", got)
			}
		})
	}
	t.Run("follower id must be set and stay the same", func(t *testing.T) {
		r := openFollower(t, c, 1, 0)
		r.send(pos("e", 5, 0, -1))
		select {
		case err := <-r.err:
			if !errors.Is(rpcerr.FromStatus(err), rpcerr.InvalidRequest) {
				t.Fatalf("stream ended with %v, want INVALID_REQUEST", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("stream did not end")
		}
	})
}

// TestLeaderPushes: a follower that has everything gets the high watermark, then records as soon
// as they are appended and high watermark moves, without asking again.
func TestLeaderPushes(t *testing.T) {
	c := leaderAtEpoch5(t)
	r := openFollower(t, c, 1, 2)
	r.send(pos("e", 5, 4, 5))
	if d := r.next(); len(d.GetRecords()) != 0 || d.GetHighWatermark() != 4 {
		t.Fatalf("answer at the end: %v, want high watermark 4 and no records", d)
	}
	r.none(50 * time.Millisecond)
	c.mustAppend(1, "e", acksLeader, "three", 2)
	d := r.next()
	if got := values(t, d.GetRecords()); len(got) != 2 || got[0] != "three-0" || d.GetHighWatermark() != 4 {
		t.Fatalf("pushed %v (high watermark %d)", got, d.GetHighWatermark())
	}
	r.none(50 * time.Millisecond) // no more records before the next position
	r.send(pos("e", 5, 6, 5))
	if d := r.next(); len(d.GetRecords()) != 0 || d.GetHighWatermark() != 6 {
		t.Fatalf("answer %v, want high watermark 6", d)
	}
	if hw := c.offsets(1, "e").GetHighWatermark(); hw != 6 {
		t.Fatalf("leader high watermark %d, want 6", hw)
	}
}

// TestOldEpochPositionsDoNotCount: after a new leader epoch (same leader), positions sent under
// the old one are fenced and do not move the high watermark; acks=all completes only on a
// position of the new epoch.
func TestOldEpochPositionsDoNotCount(t *testing.T) {
	c := leaderAtEpoch5(t)
	r := openFollower(t, c, 1, 2)
	r.send(pos("e", 5, 4, 5))
	if d := r.next(); d.GetHighWatermark() != 4 {
		t.Fatalf("answer %v", d)
	}
	c.elect("e", 1, []int32{1, 2}) // epoch 6, still led by 1
	eventually(t, "epoch 6 applied", func() bool {
		_, err := c.nodes[1].client.Append(context.Background(), &runnelv1.AppendRequest{Topic: "e", LeaderEpoch: 6, Batch: []byte{0}})
		return !errors.Is(rpcerr.FromStatus(err), rpcerr.UnknownLeaderEpoch)
	})
	waiting := make(chan error, 1)
	go func() {
		_, err := c.append(1, "e", acksAll, 10*time.Second, "new-term", 2)
		waiting <- err
	}()
	eventually(t, "the write in the log", func() bool { return c.offsets(1, "e").GetLogEndOffset() == 6 })
	r.send(pos("e", 5, 6, 6))
	if d := r.next(); d.GetError() != rpcerr.FencedLeaderEpoch.Name {
		t.Fatalf("answer %v, want FENCED_LEADER_EPOCH", d)
	}
	if hw := c.offsets(1, "e").GetHighWatermark(); hw != 4 {
		t.Fatalf("high watermark %d moved on a fenced position", hw)
	}
	select {
	case err := <-waiting:
		t.Fatalf("acks=all answered (%v) before the follower reported in the new epoch", err)
	default:
	}
	r.send(pos("e", 6, 6, 6))
	select {
	case err := <-waiting:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("acks=all did not complete")
	}
}

// fakeLeader serves Replicate as node 1 would, answering each position with what answer returns.
type fakeLeader struct {
	runnelv1.UnimplementedStorageServiceServer
	answer func(n int, p *runnelv1.ReplicaPosition) *runnelv1.ReplicaData
	mu     sync.Mutex
	seen   []int64 // fetch offsets received
}

func (f *fakeLeader) Replicate(stream runnelv1.StorageService_ReplicateServer) error {
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range m.GetPositions() {
			f.mu.Lock()
			f.seen = append(f.seen, p.GetFetchOffset())
			n := len(f.seen)
			f.mu.Unlock()
			if err := stream.Send(&runnelv1.ReplicateResponse{Partitions: []*runnelv1.ReplicaData{f.answer(n, p)}}); err != nil {
				return err
			}
		}
	}
}

func (f *fakeLeader) positions() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.seen...)
}

// TestCorruptBatchRefused: a leader sends a batch that fails its CRC; the follower refuses it
// (never appends it), asks again, and takes the good copy.
func TestCorruptBatchRefused(t *testing.T) {
	src, err := commitlog.Open(t.TempDir(), commitlog.Options{Fsync: commitlog.FsyncPolicy{Mode: commitlog.FsyncNever}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c := newCluster(t)
	b := encodeBatch(t, "good", 3)
	if _, err := src.Append(b, 0); err != nil {
		t.Fatal(err)
	}
	good, err := src.Read(0, 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)-2] ^= 0x40 // inside the last record: the CRC no longer matches

	f := &fakeLeader{answer: func(n int, p *runnelv1.ReplicaPosition) *runnelv1.ReplicaData {
		d := &runnelv1.ReplicaData{Topic: p.GetTopic(), LeaderEpoch: 0, HighWatermark: 3, LogEndOffset: 3}
		switch {
		case p.GetFetchOffset() == 3:
		case n == 1:
			d.Records = bad
		default:
			d.Records = good
		}
		return d
	}}
	addr := serveFake(t, f)
	c.meta.SetNode(&runnelv1.Node{Id: 1, GrpcAddr: addr, SessionId: 1})
	c.topic("c", []int32{1, 2}, []int32{1, 2}, 1, nil)
	c.start(2)
	eventually(t, "the follower reports offset 3", func() bool {
		p := f.positions()
		return len(p) > 0 && p[len(p)-1] == 3
	})
	if p := f.positions(); len(p) < 3 || p[0] != 0 || p[1] != 0 {
		t.Fatalf("positions %v: want 0 (answered with the corrupt batch), 0 again, then 3", p)
	}
	c.stop(2)
	if got := c.logBytes(2, "c", 3); !bytes.Equal(got, good) {
		t.Fatal("the follower's log is not the good batch")
	}
}

// serveFake serves f on 127.0.0.1:0 until the test ends.
func serveFake(t *testing.T, f *fakeLeader) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	runnelv1.RegisterStorageServiceServer(s, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return lis.Addr().String()
}
