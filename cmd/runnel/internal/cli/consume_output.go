package cli

import (
	"bufio"
	"encoding/json"
	"io"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// recordWriter writes consumed records in one --format.
type recordWriter interface {
	write(topic string, partition int32, r *runnelv1.ConsumedRecord) error
	flush() error
}

func newRecordWriter(format string, w io.Writer) (recordWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "text":
		return &textWriter{w: bw}, nil
	case "json":
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		return &jsonWriter{w: bw, enc: enc}, nil
	}
	return nil, usagef("--format %q: use text or json", format)
}

// textWriter writes each record's value on its own line.
type textWriter struct{ w *bufio.Writer }

func (t *textWriter) write(_ string, _ int32, r *runnelv1.ConsumedRecord) error {
	if r.Value != nil {
		t.w.WriteString(r.GetValue())
	} else {
		t.w.Write(r.GetValueBase64())
	}
	return t.w.WriteByte('\n')
}

func (t *textWriter) flush() error { return t.w.Flush() }

// jsonRecord is one line of --format json.
type jsonRecord struct {
	Topic       string            `json:"topic"`
	Partition   int32             `json:"partition"`
	Offset      int64             `json:"offset"`
	Timestamp   string            `json:"timestamp"`
	Key         *string           `json:"key"`
	KeyBase64   []byte            `json:"key_base64,omitempty"`
	Value       *string           `json:"value"`
	ValueBase64 []byte            `json:"value_base64,omitempty"`
	Headers     map[string]string `json:"headers"`
}

// timestampLayout is RFC 3339 in UTC with milliseconds, Kafka's timestamp precision.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

func toJSONRecord(topic string, partition int32, r *runnelv1.ConsumedRecord) jsonRecord {
	j := jsonRecord{
		Topic:       topic,
		Partition:   partition,
		Offset:      r.GetOffset(),
		Key:         r.Key,
		KeyBase64:   r.GetKeyBase64(),
		Value:       r.Value,
		ValueBase64: r.GetValueBase64(),
		Headers:     r.GetHeaders(),
	}
	if r.GetTopic() != "" {
		j.Topic = r.GetTopic()
	}
	if ts := r.GetTimestamp(); ts != nil {
		j.Timestamp = ts.AsTime().UTC().Format(timestampLayout)
	} else {
		j.Timestamp = time.UnixMilli(0).UTC().Format(timestampLayout)
	}
	if j.Headers == nil {
		j.Headers = map[string]string{}
	}
	return j
}

// jsonWriter writes one JSON object per record and line.
type jsonWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func (j *jsonWriter) write(topic string, partition int32, r *runnelv1.ConsumedRecord) error {
	return j.enc.Encode(toJSONRecord(topic, partition, r))
}

func (j *jsonWriter) flush() error { return j.w.Flush() }
