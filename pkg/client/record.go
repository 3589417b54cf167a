package client

import (
	"strconv"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String renders "topic/partition".
func (tp TopicPartition) String() string {
	return tp.Topic + "/" + strconv.FormatInt(int64(tp.Partition), 10)
}

// Record is one record to send or one record read.
//
// Sending: Topic and Value are what most callers set. A nil Key means no key (the partition is
// chosen round-robin); a non-nil Key, even empty, is hashed with Kafka's murmur2. Set
// ExplicitPartition to send to Partition as given. A zero Timestamp is stamped with the time of
// the Send call. Header keys and values must be valid UTF-8 (the API carries them as strings).
// The producer keeps Key, Value and Headers until the record is delivered: do not modify them
// before then.
//
// Reading: every field is set; Key and Value are nil when the record has none.
type Record struct {
	Topic             string
	Partition         int32
	ExplicitPartition bool
	Key               []byte
	Value             []byte
	Headers           map[string]string
	Timestamp         time.Time
	Offset            int64 // set on records read
}

// TopicPartition returns the record's topic and partition.
func (r *Record) TopicPartition() TopicPartition {
	return TopicPartition{Topic: r.Topic, Partition: r.Partition}
}

// Delivery is where a sent record was written.
type Delivery struct {
	Topic     string
	Partition int32
	Offset    int64 // -1 with acks=0 (the gateway does not wait for the write)
}

// Offset is a position to commit: the offset of the next record to read in a partition (Kafka's
// meaning), with optional metadata text (at most 4096 bytes).
type Offset struct {
	TopicPartition
	Offset   int64
	Metadata string
}

// recordOf converts a record read from the API.
func recordOf(cr *runnelv1.ConsumedRecord) *Record {
	r := &Record{
		Topic:     cr.GetTopic(),
		Partition: cr.GetPartition(),
		Offset:    cr.GetOffset(),
		Headers:   cr.GetHeaders(),
	}
	if ts := cr.GetTimestamp(); ts != nil {
		r.Timestamp = ts.AsTime()
	}
	switch {
	case cr.Key != nil:
		r.Key = []byte(cr.GetKey())
	case cr.KeyBase64 != nil:
		r.Key = cr.GetKeyBase64()
	}
	switch {
	case cr.Value != nil:
		r.Value = []byte(cr.GetValue())
	case cr.ValueBase64 != nil:
		r.Value = cr.GetValueBase64()
	}
	return r
}

// partitionsOf flattens the API's topic partition lists.
func partitionsOf(in []*runnelv1.TopicPartitions) []TopicPartition {
	var out []TopicPartition
	for _, t := range in {
		for _, p := range t.GetPartitions() {
			out = append(out, TopicPartition{Topic: t.GetTopic(), Partition: p})
		}
	}
	return out
}
