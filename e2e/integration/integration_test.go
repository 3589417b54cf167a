package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// kafkaPartition is where Kafka's default partitioner (murmur2) puts key among n partitions.
func kafkaPartition(key []byte, n int) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: key}, n))
}

// TestInProcessCluster drives the public gRPC API of a cluster of the three real services in
// this process: create, describe and list a topic, produce keyed records, consume them back in
// order, list offsets, the named errors of bad calls, and delete.
func TestInProcessCluster(t *testing.T) {
	const topic, parts, nodes, perKey = "integration", 3, 3, 10
	c := startCluster(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gw := c.client

	created, err := gw.CreateTopic(ctx, &runnelv1.CreateTopicRequest{Name: topic, Partitions: parts, ReplicationFactor: 1})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	if got := created.GetTopic(); got.GetName() != topic || len(got.GetPartitions()) != parts || got.GetReplicationFactor() != 1 {
		t.Fatalf("create topic answered %v", got)
	}

	t.Run("describe and list", func(t *testing.T) {
		desc, err := gw.GetTopic(ctx, &runnelv1.GetTopicRequest{Topic: topic})
		if err != nil {
			t.Fatalf("get topic: %v", err)
		}
		for i, p := range desc.GetTopic().GetPartitions() {
			if p.GetPartition() != int32(i) || p.GetLeader() < 1 || p.GetLeader() > nodes ||
				!slices.Equal(p.GetReplicas(), []int32{p.GetLeader()}) || !slices.Contains(p.GetIsr(), p.GetLeader()) {
				t.Errorf("partition %d: %v; want a leader among the %d nodes, its only replica and in the ISR", i, p, nodes)
			}
		}
		list, err := gw.ListTopics(ctx, &runnelv1.ListTopicsRequest{})
		if err != nil {
			t.Fatalf("list topics: %v", err)
		}
		if !slices.ContainsFunc(list.GetTopics(), func(s *runnelv1.TopicSummary) bool {
			return s.GetName() == topic && s.GetPartitions() == parts
		}) {
			t.Errorf("list topics %v lacks %s with %d partitions", list.GetTopics(), topic, parts)
		}
	})

	// Produce perKey records for each of 6 keys, in one request, in sequence order.
	keys := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	var recs []*runnelv1.ProduceRecord
	for seq := range perKey {
		for _, k := range keys {
			recs = append(recs, &runnelv1.ProduceRecord{
				Key:     proto.String(k),
				Value:   proto.String(fmt.Sprintf("%s-%d", k, seq)),
				Headers: map[string]string{"seq": fmt.Sprint(seq)},
			})
		}
	}
	res, err := gw.Produce(ctx, &runnelv1.ProduceRequest{Topic: topic, Acks: structpb.NewStringValue("all"), Records: recs})
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	if len(res.GetResults()) != len(recs) {
		t.Fatalf("produce: %d results for %d records", len(res.GetResults()), len(recs))
	}
	for i, r := range res.GetResults() {
		if r.Offset == nil || r.GetError() != "" {
			t.Fatalf("produce: result %d is %v", i, r)
		}
		if want := kafkaPartition([]byte(recs[i].GetKey()), parts); r.GetPartition() != want {
			t.Errorf("key %s went to partition %d; murmur2 says %d", recs[i].GetKey(), r.GetPartition(), want)
		}
	}

	t.Run("consume in order", func(t *testing.T) {
		total := 0
		for p := range int32(parts) {
			got, err := gw.Consume(ctx, &runnelv1.ConsumeRequest{Topic: topic, Partition: p, Offset: proto.Int64(0), MaxRecords: 1000})
			if err != nil {
				t.Fatalf("consume partition %d: %v", p, err)
			}
			next := map[string]int{}
			for i, r := range got.GetRecords() {
				want := fmt.Sprintf("%s-%d", r.GetKey(), next[r.GetKey()])
				if r.GetOffset() != int64(i) || r.GetValue() != want || r.GetHeaders()["seq"] != fmt.Sprint(next[r.GetKey()]) {
					t.Fatalf("partition %d record %d: offset %d %s=%s headers %v; want offset %d value %s",
						p, i, r.GetOffset(), r.GetKey(), r.GetValue(), r.GetHeaders(), i, want)
				}
				next[r.GetKey()]++
			}
			if got.GetHighWatermark() != int64(len(got.GetRecords())) || got.GetNextOffset() != got.GetHighWatermark() {
				t.Errorf("partition %d: high watermark %d, next offset %d, %d records", p, got.GetHighWatermark(), got.GetNextOffset(), len(got.GetRecords()))
			}
			total += len(got.GetRecords())
		}
		if total != len(recs) {
			t.Errorf("read %d records, produced %d", total, len(recs))
		}
	})

	t.Run("offsets", func(t *testing.T) {
		offs, err := gw.ListOffsets(ctx, &runnelv1.ListOffsetsRequest{Topic: topic})
		if err != nil {
			t.Fatalf("list offsets: %v", err)
		}
		var sum int64
		for _, o := range offs.GetPartitions() {
			sum += o.GetHighWatermark()
			if o.GetLogStartOffset() != 0 {
				t.Errorf("partition %d: log start offset %d", o.GetPartition(), o.GetLogStartOffset())
			}
		}
		if len(offs.GetPartitions()) != parts || sum != int64(len(recs)) {
			t.Errorf("offsets %v: want %d partitions whose high watermarks sum to %d", offs.GetPartitions(), parts, len(recs))
		}
	})

	t.Run("named errors", func(t *testing.T) {
		cases := []struct {
			name string
			call func() error
			code codes.Code
			want *rpcerr.Code
		}{
			{"existing topic", func() error {
				_, err := gw.CreateTopic(ctx, &runnelv1.CreateTopicRequest{Name: topic, Partitions: 1, ReplicationFactor: 1})
				return err
			}, codes.AlreadyExists, rpcerr.TopicAlreadyExists},
			{"invalid name", func() error {
				_, err := gw.CreateTopic(ctx, &runnelv1.CreateTopicRequest{Name: "bad/name", Partitions: 1, ReplicationFactor: 1})
				return err
			}, codes.InvalidArgument, rpcerr.InvalidTopic},
			{"replication factor above the live nodes", func() error {
				_, err := gw.CreateTopic(ctx, &runnelv1.CreateTopicRequest{Name: "too-many", Partitions: 1, ReplicationFactor: nodes + 1})
				return err
			}, codes.InvalidArgument, rpcerr.InvalidReplicationFactor},
			{"unknown topic", func() error {
				_, err := gw.Consume(ctx, &runnelv1.ConsumeRequest{Topic: "no-such-topic", Offset: proto.Int64(0)})
				return err
			}, codes.NotFound, rpcerr.UnknownTopicOrPartition},
			{"offset past the high watermark", func() error {
				_, err := gw.Consume(ctx, &runnelv1.ConsumeRequest{Topic: topic, Partition: 0, Offset: proto.Int64(1 << 40)})
				return err
			}, codes.OutOfRange, rpcerr.OffsetOutOfRange},
			{"bad acks", func() error {
				_, err := gw.Produce(ctx, &runnelv1.ProduceRequest{Topic: topic, Acks: structpb.NewStringValue("most"),
					Records: []*runnelv1.ProduceRecord{{Value: proto.String("v")}}})
				return err
			}, codes.InvalidArgument, rpcerr.InvalidRequiredAcks},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.call()
				if status.Code(err) != tc.code || !errors.Is(rpcerr.FromStatus(err), tc.want) {
					t.Errorf("got %v (code %s), want %s with code %s", err, status.Code(err), tc.want.Name, tc.code)
				}
			})
		}
	})

	t.Run("delete", func(t *testing.T) {
		if _, err := gw.DeleteTopic(ctx, &runnelv1.DeleteTopicRequest{Topic: topic}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err := gw.GetTopic(ctx, &runnelv1.GetTopicRequest{Topic: topic})
		if !errors.Is(rpcerr.FromStatus(err), rpcerr.UnknownTopicOrPartition) {
			t.Errorf("get topic after delete: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
		}
	})
}
