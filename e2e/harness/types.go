package harness

// CreateTopicRequest is the body of POST /v1/topics.
type CreateTopicRequest struct {
	Name              string            `json:"name"`
	Partitions        int32             `json:"partitions"`
	ReplicationFactor int32             `json:"replication_factor"`
	Configs           map[string]string `json:"configs,omitempty"`
}

// TopicSummary is one entry of GET /v1/topics.
type TopicSummary struct {
	Name              string `json:"name"`
	Partitions        int32  `json:"partitions"`
	ReplicationFactor int32  `json:"replication_factor"`
}

// Topic is GET /v1/topics/{topic}.
type Topic struct {
	Name              string            `json:"name"`
	ReplicationFactor int32             `json:"replication_factor"`
	Configs           map[string]string `json:"configs"`
	Partitions        []Partition       `json:"partitions"`
	TopicID           string            `json:"topic_id"`
}

// Partition is one partition of a described topic.
type Partition struct {
	Partition      int32   `json:"partition"`
	Leader         int32   `json:"leader"`
	LeaderEpoch    int32   `json:"leader_epoch"`
	Replicas       []int32 `json:"replicas"`
	ISR            []int32 `json:"isr"`
	LogStartOffset Int64   `json:"log_start_offset"`
	HighWatermark  Int64   `json:"high_watermark"`
}

// ProduceRequest is the body of POST /v1/topics/{topic}/records.
type ProduceRequest struct {
	Acks      any             `json:"acks,omitempty"`
	Records   []ProduceRecord `json:"records"`
	TimeoutMs int32           `json:"timeout_ms,omitempty"`
}

// ProduceRecord is one record to produce; nil fields are left out.
type ProduceRecord struct {
	Key         *string           `json:"key,omitempty"`
	KeyBase64   []byte            `json:"key_base64,omitempty"`
	Value       *string           `json:"value,omitempty"`
	ValueBase64 []byte            `json:"value_base64,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Partition   *int32            `json:"partition,omitempty"`
	TimestampMs *int64            `json:"timestamp_ms,omitempty"`
}

// ProduceResponse is the answer of a produce.
type ProduceResponse struct {
	Results []ProduceResult `json:"results"`
}

// ProduceResult is where one record went; Offset is nil with acks 0 and on failure.
type ProduceResult struct {
	Partition int32  `json:"partition"`
	Offset    *Int64 `json:"offset"`
	Error     string `json:"error"`
	Message   string `json:"message"`
}

// ConsumeResponse is the answer of a consume.
type ConsumeResponse struct {
	Records        []ConsumedRecord `json:"records"`
	HighWatermark  Int64            `json:"high_watermark"`
	LogStartOffset Int64            `json:"log_start_offset"`
	NextOffset     Int64            `json:"next_offset"`
}

// ConsumedRecord is one record read (REST, or a line of `runnel consume --format json`).
type ConsumedRecord struct {
	Topic       string            `json:"topic"`
	Partition   int32             `json:"partition"`
	Offset      Int64             `json:"offset"`
	Timestamp   string            `json:"timestamp"`
	Key         *string           `json:"key"`
	KeyBase64   []byte            `json:"key_base64"`
	Value       *string           `json:"value"`
	ValueBase64 []byte            `json:"value_base64"`
	Headers     map[string]string `json:"headers"`
}

// KeyBytes is the key whichever way it was sent (nil when the record has none).
func (r ConsumedRecord) KeyBytes() []byte {
	if r.Key != nil {
		return []byte(*r.Key)
	}
	return r.KeyBase64
}

// ValueBytes is the value whichever way it was sent.
func (r ConsumedRecord) ValueBytes() []byte {
	if r.Value != nil {
		return []byte(*r.Value)
	}
	return r.ValueBase64
}

// PartitionOffsets is one entry of GET /v1/topics/{topic}/offsets.
type PartitionOffsets struct {
	Partition      int32 `json:"partition"`
	LogStartOffset Int64 `json:"log_start_offset"`
	HighWatermark  Int64 `json:"high_watermark"`
}

// Ptr returns a pointer to v (for the optional fields of ProduceRecord).
func Ptr[T any](v T) *T { return &v }

// Text is a record with a text key (none when key is "") and value.
func Text(key, value string) ProduceRecord {
	r := ProduceRecord{Value: &value}
	if key != "" {
		r.Key = &key
	}
	return r
}
