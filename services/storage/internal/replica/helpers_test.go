package replica

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/cluster"
	"github.com/runnel/runnel/services/storage/internal/waitfor"
)

const me = int32(1)

// newManager opens a manager for node 1 on dir; it is closed when the test ends.
func newManager(t *testing.T, dir string) *Manager {
	t.Helper()
	m, err := NewManager(Config{NodeID: me, DataDir: dir, Fsync: commitlog.FsyncPolicy{Mode: commitlog.FsyncNever}})
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// state is a partition state led by leader with the given ISR (replicas = isr plus extra).
func state(topic, id string, p int32, leader, epoch int32, isr []int32, extra ...int32) *runnelv1.PartitionState {
	return &runnelv1.PartitionState{
		Topic: topic, TopicId: id, Partition: p, Leader: leader, LeaderEpoch: epoch,
		Isr: isr, Replicas: append(append([]int32{}, isr...), extra...), PartitionEpoch: epoch,
	}
}

// viewOf builds a synced view of topics and partitions.
func viewOf(topics []*runnelv1.Topic, parts ...*runnelv1.PartitionState) *cluster.View {
	v := cluster.NewView()
	v.Apply(&runnelv1.WatchResponse{Reset_: true, Topics: topics, Partitions: parts})
	return v
}

func topicOf(name, id string, configs map[string]string) *runnelv1.Topic {
	return &runnelv1.Topic{Name: name, TopicId: id, Partitions: 1, ReplicationFactor: 1, Configs: configs}
}

// batch encodes n records "k<i>"/"v<i>" of size bytes of value each.
func batch(t testing.TB, n, size int) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		v := make([]byte, size)
		copy(v, fmt.Sprintf("v%d", i))
		recs[i] = record.Record{Timestamp: time.Now().UnixMilli(), Key: fmt.Appendf(nil, "k%d", i), Value: v}
	}
	b, err := record.Encode(nil, recs, record.EncodeOptions{})
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

// mustPartition returns the hosted partition.
func mustPartition(t *testing.T, m *Manager, topic string, p int32) *Partition {
	t.Helper()
	part, err := m.Partition(topic, p)
	if err != nil {
		t.Fatalf("Partition(%s, %d): %v", topic, p, err)
	}
	return part
}

// wantCode fails unless err is of code c.
func wantCode(t *testing.T, err error, c *rpcerr.Code) {
	t.Helper()
	if !errors.Is(err, c) {
		t.Fatalf("err = %v, want %s", err, c.Name)
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitfor.Condition(t, what, 5*time.Second, cond)
}

// reportFollower stands in for the replication fetch handler: follower node has reached leo.
func reportFollower(p *Partition, node int32, leo int64) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	p.hwMu.Lock()
	defer p.hwMu.Unlock()
	p.followerLocked(node).leo = leo
	p.updateHWLocked()
}

// result carries an asynchronous call's outcome.
type result[T any] struct {
	v   T
	err error
}

// async runs f in a goroutine the test waits for at cleanup.
func async[T any](t *testing.T, f func() (T, error)) <-chan result[T] {
	ch := make(chan result[T], 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		v, err := f()
		ch <- result[T]{v, err}
	}()
	t.Cleanup(func() { <-done })
	return ch
}

// await waits for an async result.
func await[T any](t *testing.T, ch <-chan result[T]) result[T] {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("call did not return")
	}
	return result[T]{}
}

var bg = context.Background()
