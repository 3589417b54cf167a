package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/metatest"
	"github.com/runnel/runnel/services/storage/internal/waitfor"
	"github.com/runnel/runnel/services/storage/server"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const nodeID = int32(1)

// node is a running storage server.
type node struct {
	srv    *server.Server
	dir    string
	client runnelv1.StorageServiceClient
	cancel context.CancelFunc
	done   chan error
}

// startNode runs a storage node (id 1, fsync never unless mod changes it) on dir against meta
// and waits until it is ready; it is stopped when the test ends, if not before.
func startNode(t testing.TB, meta *metatest.Server, dir string, mod ...func(*server.Config)) *node {
	t.Helper()
	cfg := server.Config{
		ID: nodeID, DataDir: dir, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		MetadataAddrs: []string{meta.Addr()},
		Fsync:         commitlog.FsyncPolicy{Mode: commitlog.FsyncNever},
		DrainTimeout:  time.Second,
	}
	for _, f := range mod {
		f(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(server.MaxRequestBytes)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{srv: srv, dir: dir, client: runnelv1.NewStorageServiceClient(conn), cancel: cancel, done: make(chan error, 1)}
	go func() { n.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		n.stop(t)
		_ = conn.Close()
	})
	eventually(t, "node ready (metadata snapshot applied)", srv.Ready)
	return n
}

// stop ends Run and waits for it. Idempotent.
func (n *node) stop(t testing.TB) {
	t.Helper()
	n.cancel()
	select {
	case err, ok := <-n.done:
		if ok {
			close(n.done)
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// topic makes a topic with partitions led by leader (epoch 0, ISR = isr, replicas = isr + extra).
func topic(meta *metatest.Server, name, id string, partitions int, leader int32, isr []int32, configs map[string]string, extra ...int32) {
	var ps []*runnelv1.PartitionState
	for p := range partitions {
		ps = append(ps, &runnelv1.PartitionState{
			Topic: name, TopicId: id, Partition: int32(p), Leader: leader, LeaderEpoch: 0,
			Isr: isr, Replicas: append(append([]int32{}, isr...), extra...),
		})
	}
	meta.SetTopic(&runnelv1.Topic{Name: name, TopicId: id, Partitions: int32(partitions),
		ReplicationFactor: int32(len(isr) + len(extra)), Configs: configs}, ps...)
}

// listOffsets returns the offsets entry of one partition.
func listOffsets(t testing.TB, n *node, topic string, partition int32) *runnelv1.PartitionOffsets {
	t.Helper()
	resp, err := n.client.ListPartitionOffsets(context.Background(), &runnelv1.ListPartitionOffsetsRequest{
		Partitions: []*runnelv1.TopicPartition{{Topic: topic, Partition: partition}},
	})
	if err != nil {
		t.Fatalf("ListPartitionOffsets: %v", err)
	}
	return resp.GetPartitions()[0]
}

// waitLeading waits until the node serves topic/partition as leader.
func waitLeading(t testing.TB, n *node, topic string, partition int32) {
	t.Helper()
	eventually(t, fmt.Sprintf("node leads %s-%d", topic, partition), func() bool {
		return listOffsets(t, n, topic, partition).GetError() == ""
	})
}

// waitHosted waits until the node hosts topic/partition (as leader or follower).
func waitHosted(t testing.TB, n *node, topic string, partition int32) {
	t.Helper()
	eventually(t, fmt.Sprintf("node hosts %s-%d", topic, partition), func() bool {
		return listOffsets(t, n, topic, partition).GetError() != rpcerr.UnknownTopicOrPartition.Name
	})
}

// records makes n records of size-byte values; key and value carry i.
func records(n, size int) []record.Record {
	recs := make([]record.Record, n)
	for i := range recs {
		v := make([]byte, size)
		copy(v, fmt.Sprintf("value-%d", i))
		recs[i] = record.Record{
			Timestamp: time.Now().UnixMilli(),
			Key:       fmt.Appendf(nil, "key-%d", i),
			Value:     v,
			Headers:   []record.Header{{Key: "h", Value: []byte("x")}},
		}
	}
	return recs
}

func encode(t testing.TB, recs []record.Record) []byte {
	t.Helper()
	b, err := record.Encode(nil, recs, record.EncodeOptions{})
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

func appendBatch(n *node, topic string, partition int32, acks runnelv1.Acks, batch []byte) (*runnelv1.AppendResponse, error) {
	return n.client.Append(context.Background(), &runnelv1.AppendRequest{
		Topic: topic, Partition: partition, LeaderEpoch: -1, Acks: acks, Batch: batch,
	})
}

// decodeAll decodes concatenated batches.
func decodeAll(t testing.TB, b []byte) []record.Record {
	t.Helper()
	var out []record.Record
	for len(b) > 0 {
		batch, rest, err := record.Next(b)
		if err != nil {
			t.Fatalf("split batches: %v", err)
		}
		_, recs, err := record.Decode(batch)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		out = append(out, recs...)
		b = rest
	}
	return out
}

// fetchAll reads the partition from offset to the high watermark.
func fetchAll(t testing.TB, n *node, topic string, partition int32, from int64) []record.Record {
	t.Helper()
	var out []record.Record
	for i := 0; i < 1000; i++ {
		resp, err := n.client.Fetch(context.Background(), &runnelv1.FetchRequest{
			Topic: topic, Partition: partition, Offset: from, LeaderEpoch: -1,
		})
		if err != nil {
			t.Fatalf("fetch at %d: %v", from, err)
		}
		recs := decodeAll(t, resp.GetRecords())
		for _, r := range recs {
			if r.Offset >= from {
				out = append(out, r)
			}
		}
		if len(recs) > 0 {
			from = recs[len(recs)-1].Offset + 1
		}
		if from >= resp.GetHighWatermark() {
			return out
		}
	}
	t.Fatal("fetch loop did not reach the high watermark")
	return nil
}

// wantCode checks a gRPC error's catalogue code and that its message names it.
func wantCode(t testing.TB, err error, c *rpcerr.Code) {
	t.Helper()
	back := rpcerr.FromStatus(err)
	if !errors.Is(back, c) {
		t.Fatalf("err = %v, want %s", err, c.Name)
	}
	if !strings.HasPrefix(back.Error(), c.Name+": ") {
		t.Fatalf("message %q does not start with %s", back.Error(), c.Name)
	}
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitfor.Condition(t, what, 10*time.Second, cond)
}
