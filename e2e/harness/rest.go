package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is a small REST client for the gateway. Methods return *APIError for a non-2xx answer.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client for the gateway REST base URL (e.g. "http://127.0.0.1:8080").
func NewClient(base string) *Client {
	return &Client{base: strings.TrimSuffix(base, "/"), http: &http.Client{Timeout: 60 * time.Second}}
}

// Base is the REST base URL.
func (c *Client) Base() string { return c.base }

// Response is a raw HTTP answer.
type Response struct {
	Status int
	Body   []byte
}

// APIError is a non-2xx answer with grpc-gateway's error body.
type APIError struct {
	Status  int               // HTTP status
	Code    int               `json:"code"` // gRPC code
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
	Body    string            // the raw body
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// Name is the catalogue name the message starts with ("NAME: …"), or "".
func (e *APIError) Name() string {
	name, _, ok := strings.Cut(e.Message, ": ")
	if !ok {
		return ""
	}
	return name
}

// AsAPIError decodes a non-2xx response; it returns nil for a 2xx one.
func (r *Response) AsAPIError() *APIError {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	e := &APIError{Status: r.Status, Body: string(r.Body)}
	_ = json.Unmarshal(r.Body, e) // a body that is not JSON leaves Message empty
	return e
}

// Do sends one request. body is JSON-encoded unless it is a []byte or string, sent as is.
func (c *Client) Do(ctx context.Context, method, path string, body any) (*Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading body: %w", method, path, err)
	}
	return &Response{Status: resp.StatusCode, Body: b}, nil
}

// call sends a request and decodes a 2xx body into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	r, err := c.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if e := r.AsAPIError(); e != nil {
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("%s %s: decoding %q: %w", method, path, r.Body, err)
	}
	return nil
}

// TopicPath is /v1/topics/{topic} with the name escaped.
func TopicPath(topic string) string { return "/v1/topics/" + url.PathEscape(topic) }

// CreateTopic is POST /v1/topics.
func (c *Client) CreateTopic(ctx context.Context, req CreateTopicRequest) (*Topic, error) {
	var t Topic
	if err := c.call(ctx, http.MethodPost, "/v1/topics", req, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTopics is GET /v1/topics.
func (c *Client) ListTopics(ctx context.Context) ([]TopicSummary, error) {
	var out struct {
		Topics []TopicSummary `json:"topics"`
	}
	if err := c.call(ctx, http.MethodGet, "/v1/topics", nil, &out); err != nil {
		return nil, err
	}
	return out.Topics, nil
}

// Describe is GET /v1/topics/{topic}.
func (c *Client) Describe(ctx context.Context, topic string) (*Topic, error) {
	var t Topic
	if err := c.call(ctx, http.MethodGet, TopicPath(topic), nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteTopic is DELETE /v1/topics/{topic}.
func (c *Client) DeleteTopic(ctx context.Context, topic string) error {
	return c.call(ctx, http.MethodDelete, TopicPath(topic), nil, nil)
}

// Produce is POST /v1/topics/{topic}/records; acks may be nil (the default), a string or a number.
func (c *Client) Produce(ctx context.Context, topic string, acks any, records []ProduceRecord) (*ProduceResponse, error) {
	return c.ProduceRequest(ctx, topic, ProduceRequest{Acks: acks, Records: records})
}

// ProduceRequest is Produce with every request field.
func (c *Client) ProduceRequest(ctx context.Context, topic string, req ProduceRequest) (*ProduceResponse, error) {
	var out ProduceResponse
	if err := c.call(ctx, http.MethodPost, TopicPath(topic)+"/records", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConsumePath is the consume route with its query.
func ConsumePath(topic string, partition int32, query url.Values) string {
	p := TopicPath(topic) + "/partitions/" + strconv.Itoa(int(partition)) + "/records"
	if len(query) > 0 {
		p += "?" + query.Encode()
	}
	return p
}

// Consume is GET /v1/topics/{topic}/partitions/{partition}/records?offset=…&max_records=…
// (max_wait_ms 0).
func (c *Client) Consume(ctx context.Context, topic string, partition int32, offset int64, maxRecords int) (*ConsumeResponse, error) {
	q := url.Values{}
	q.Set("offset", strconv.FormatInt(offset, 10))
	q.Set("max_records", strconv.Itoa(maxRecords))
	q.Set("max_wait_ms", "0")
	var out ConsumeResponse
	if err := c.call(ctx, http.MethodGet, ConsumePath(topic, partition, q), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConsumeAll reads partition from offset up to the high watermark seen by the first answer, in
// pages of at most 10000 records (at most 1000 pages). Offsets must advance.
func (c *Client) ConsumeAll(ctx context.Context, topic string, partition int32, from int64) ([]ConsumedRecord, int64, error) {
	var out []ConsumedRecord
	next, hw := from, int64(-1)
	for range 1000 {
		r, err := c.Consume(ctx, topic, partition, next, 10000)
		if err != nil {
			return nil, 0, err
		}
		if hw < 0 {
			hw = int64(r.HighWatermark)
		}
		if next >= hw {
			return out, hw, nil
		}
		if len(r.Records) == 0 {
			return nil, 0, fmt.Errorf("partition %d: no records at offset %d below the high watermark %d", partition, next, hw)
		}
		for _, rec := range r.Records {
			if int64(rec.Offset) < next {
				return nil, 0, fmt.Errorf("partition %d: record offset %d below the requested %d", partition, rec.Offset, next)
			}
			if int64(rec.Offset) < hw {
				out = append(out, rec)
			}
			next = int64(rec.Offset) + 1
		}
	}
	return nil, 0, fmt.Errorf("partition %d: more than 1000 pages", partition)
}

// Offsets is GET /v1/topics/{topic}/offsets.
func (c *Client) Offsets(ctx context.Context, topic string) ([]PartitionOffsets, error) {
	var out struct {
		Partitions []PartitionOffsets `json:"partitions"`
	}
	if err := c.call(ctx, http.MethodGet, TopicPath(topic)+"/offsets", nil, &out); err != nil {
		return nil, err
	}
	return out.Partitions, nil
}

// ConsumeWait is Consume with a long-poll: the answer waits up to maxWait for records at offset.
func (c *Client) ConsumeWait(ctx context.Context, topic string, partition int32, offset int64, maxRecords int, maxWait time.Duration) (*ConsumeResponse, error) {
	q := url.Values{}
	q.Set("offset", strconv.FormatInt(offset, 10))
	q.Set("max_records", strconv.Itoa(maxRecords))
	q.Set("max_wait_ms", strconv.FormatInt(maxWait.Milliseconds(), 10))
	var out ConsumeResponse
	if err := c.call(ctx, http.MethodGet, ConsumePath(topic, partition, q), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
