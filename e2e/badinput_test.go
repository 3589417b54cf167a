package e2e

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// badCase is one bad request and the answer it must get.
type badCase struct {
	name   string
	method string
	path   string
	body   any // JSON-encoded, or sent as is when a string
	status []int
	errKey string // catalogue name the message must start with ("" = any catalogue name)
}

var (
	s400 = []int{http.StatusBadRequest}
	s404 = []int{http.StatusNotFound}
	s409 = []int{http.StatusConflict}
	s413 = []int{http.StatusRequestEntityTooLarge}
	s416 = []int{http.StatusRequestedRangeNotSatisfiable, http.StatusBadRequest}
)

// testBadInput sends bad requests over REST. Each must get a named 4xx with grpc-gateway's error
// body, write nothing (no topic appears or disappears, no high watermark moves) and leave the
// service serving.
func testBadInput(t *testing.T, c *harness.Cluster) {
	const topic = "bad-input"
	rest := c.Client()
	createTopic(t, rest, topic, 3, 1, nil)
	createTopic(t, rest, "bad-input-small", 1, 1, map[string]string{"max.message.bytes": "2000"})
	for p := range int32(3) {
		res, err := rest.Produce(testCtx(t, time.Minute), topic, "all", []harness.ProduceRecord{
			{Partition: harness.Ptr(p), Value: harness.Ptr("one")}, {Partition: harness.Ptr(p), Value: harness.Ptr("two")},
		})
		if err != nil || res.Results[1].Offset == nil || *res.Results[1].Offset != 1 {
			t.Fatalf("seeding partition %d: %v %+v", p, err, res)
		}
	}

	create := func(name string, partitions, rf int32) map[string]any {
		return map[string]any{"name": name, "partitions": partitions, "replication_factor": rf}
	}
	value := func(n int) harness.ProduceRecord { return harness.Text("", strings.Repeat("x", n)) }
	records := func(recs ...harness.ProduceRecord) harness.ProduceRequest {
		return harness.ProduceRequest{Acks: "all", Records: recs}
	}
	withAcks := func(acks any) harness.ProduceRequest {
		return harness.ProduceRequest{Acks: acks, Records: []harness.ProduceRecord{harness.Text("k", "v")}}
	}
	const big = 1<<20 + 100 // above the default max.message.bytes (1048588) whatever the overhead
	produce := http.MethodPost
	recordsPath := harness.TopicPath(topic) + "/records"
	consumeAt := func(p int32, offset string) string {
		return harness.ConsumePath(topic, p, url.Values{"offset": {offset}})
	}

	cases := []badCase{
		// Topic names.
		{"name with slash", produce, "/v1/topics", create("bad/name", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"name of 250 characters", produce, "/v1/topics", create(strings.Repeat("a", 250), 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"name dot", produce, "/v1/topics", create(".", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"name dot dot", produce, "/v1/topics", create("..", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"empty name", produce, "/v1/topics", create("", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"name with a control character", produce, "/v1/topics", create("bad\x01name", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"name with a newline", produce, "/v1/topics", create("bad\nname", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"name with a space", produce, "/v1/topics", create("bad name", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		{"name with non-ASCII", produce, "/v1/topics", create("bäd", 1, 1), s400, "INVALID_TOPIC_EXCEPTION"},
		// Partitions and replication factor.
		{"zero partitions", produce, "/v1/topics", create("bad-parts-0", 0, 1), s400, "INVALID_PARTITIONS"},
		{"negative partitions", produce, "/v1/topics", create("bad-parts-neg", -1, 1), s400, "INVALID_PARTITIONS"},
		{"partitions above the maximum", produce, "/v1/topics", create("bad-parts-max", 1_000_000, 1), s400, "INVALID_PARTITIONS"},
		{"replication factor 0", produce, "/v1/topics", create("bad-rf-0", 1, 0), s400, "INVALID_REPLICATION_FACTOR"},
		{"negative replication factor", produce, "/v1/topics", create("bad-rf-neg", 1, -1), s400, "INVALID_REPLICATION_FACTOR"},
		{"replication factor above the live nodes", produce, "/v1/topics", create("bad-rf-4", 1, 4), s400, "INVALID_REPLICATION_FACTOR"},
		{"existing topic", produce, "/v1/topics", create(topic, 3, 1), s409, "TOPIC_ALREADY_EXISTS"},
		{"existing topic with other settings", produce, "/v1/topics", create(topic, 1, 2), s409, "TOPIC_ALREADY_EXISTS"},
		{"malformed topic JSON", produce, "/v1/topics", `{"name": "bad-json", "partitions": 1,`, s400, "INVALID_REQUEST"},
		{"unknown topic field", produce, "/v1/topics", `{"name":"bad-field","partitions":1,"replication_factor":1,"partitons":2}`, s400, "INVALID_REQUEST"},
		{"bad config value", produce, "/v1/topics", map[string]any{"name": "bad-config", "partitions": 1, "replication_factor": 1,
			"configs": map[string]string{"retention.ms": "soon"}}, s400, "INVALID_CONFIG"},
		// Unknown topics and partitions.
		{"produce to an unknown topic", produce, "/v1/topics/no-such-topic/records", records(harness.Text("", "v")), s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"consume an unknown topic", http.MethodGet, "/v1/topics/no-such-topic/partitions/0/records?offset=0", nil, s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"describe an unknown topic", http.MethodGet, "/v1/topics/no-such-topic", nil, s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"delete an unknown topic", http.MethodDelete, "/v1/topics/no-such-topic", nil, s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"offsets of an unknown topic", http.MethodGet, "/v1/topics/no-such-topic/offsets", nil, s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"consume an unknown partition", http.MethodGet, consumeAt(3, "0"), nil, s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"consume a far unknown partition", http.MethodGet, consumeAt(99, "0"), nil, s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"produce to an unknown partition", produce, recordsPath, records(harness.ProduceRecord{Partition: harness.Ptr[int32](3), Value: harness.Ptr("v")}), s404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"produce to a negative partition", produce, recordsPath, records(harness.ProduceRecord{Partition: harness.Ptr[int32](-1), Value: harness.Ptr("v")}), []int{400, 404}, ""},
		// Sizes.
		{"record above max.message.bytes", produce, recordsPath, records(value(big)), s413, "MESSAGE_TOO_LARGE"},
		{"one record too large among good ones", produce, recordsPath, records(harness.Text("a", "good"), value(big), harness.Text("b", "good")), s413, "MESSAGE_TOO_LARGE"},
		{"record above the topic's max.message.bytes", produce, harness.TopicPath("bad-input-small") + "/records", records(value(3000)), s413, "MESSAGE_TOO_LARGE"},
		// Encodings.
		{"malformed produce JSON", produce, recordsPath, `{"records":[{"value":"x"}`, s400, "INVALID_REQUEST"},
		{"produce body not an object", produce, recordsPath, `[1,2,3]`, s400, "INVALID_REQUEST"},
		{"records not a list", produce, recordsPath, `{"records":{"value":"x"}}`, s400, "INVALID_REQUEST"},
		{"bad base64 value", produce, recordsPath, `{"records":[{"value_base64":"!!not base64!!"}]}`, s400, "INVALID_REQUEST"},
		{"bad base64 key", produce, recordsPath, `{"records":[{"key_base64":"%%%","value":"v"}]}`, s400, "INVALID_REQUEST"},
		{"key and key_base64 both", produce, recordsPath, `{"records":[{"key":"k","key_base64":"aw==","value":"v"}]}`, s400, "INVALID_REQUEST"},
		// Acks.
		{"acks 2", produce, recordsPath, withAcks("2"), s400, "INVALID_REQUIRED_ACKS"},
		{"acks most", produce, recordsPath, withAcks("most"), s400, "INVALID_REQUIRED_ACKS"},
		{"acks number 2", produce, recordsPath, withAcks(2), s400, "INVALID_REQUIRED_ACKS"},
		{"acks true", produce, recordsPath, withAcks(true), s400, "INVALID_REQUIRED_ACKS"},
		{"acks empty", produce, recordsPath, withAcks(""), s400, "INVALID_REQUIRED_ACKS"},
		// Offsets outside [log start, high watermark] (each partition holds offsets 0 and 1).
		{"offset past the high watermark", http.MethodGet, consumeAt(0, "3"), nil, s416, "OFFSET_OUT_OF_RANGE"},
		{"offset far past the high watermark", http.MethodGet, consumeAt(1, "1000000"), nil, s416, "OFFSET_OUT_OF_RANGE"},
		{"negative offset", http.MethodGet, consumeAt(2, "-1"), nil, s416, "OFFSET_OUT_OF_RANGE"},
		{"offset not a number", http.MethodGet, consumeAt(0, "zero"), nil, s400, "INVALID_REQUEST"},
		{"partition not a number", http.MethodGet, harness.TopicPath(topic) + "/partitions/x/records", nil, s400, "INVALID_REQUEST"},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topicsBefore, hwBefore := snapshot(t, rest, topic)
			r, err := rest.Do(testCtx(t, time.Minute), tc.method, tc.path, tc.body)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, tc.path, err)
			}
			checkErrorBody(t, errorAnswer(t, r), tc.status, tc.errKey)
			checkNothingWritten(t, rest, topic, topicsBefore, hwBefore)
		})
	}

	t.Run("request above the request limit", func(t *testing.T) {
		// Sent on a raw connection: the gateway answers from the headers, so the 64 MiB body
		// never needs to be sent; the chunked form makes it count the bytes as it reads.
		topicsBefore, hwBefore := snapshot(t, rest, topic)
		for _, chunked := range []bool{false, true} {
			e := postOversized(t, rest.Base(), recordsPath, 64<<20+1, chunked)
			checkErrorBody(t, e, s413, "MESSAGE_TOO_LARGE")
		}
		checkNothingWritten(t, rest, topic, topicsBefore, hwBefore)
	})

	t.Run("still serving", func(t *testing.T) {
		res, err := rest.Produce(testCtx(t, time.Minute), topic, "all", []harness.ProduceRecord{{Partition: harness.Ptr[int32](0), Value: harness.Ptr("after")}})
		if err != nil || res.Results[0].Offset == nil || *res.Results[0].Offset != 2 {
			t.Fatalf("produce after the bad input: %v %+v, want offset 2", err, res)
		}
		got, err := rest.Consume(testCtx(t, time.Minute), topic, 0, 0, 10)
		if err != nil || len(got.Records) != 3 || string(got.Records[2].ValueBytes()) != "after" {
			t.Fatalf("consume after the bad input: %v %+v", err, got)
		}
	})
}

// snapshot returns the topic names and the high watermarks of topic.
func snapshot(t *testing.T, rest *harness.Client, topic string) ([]string, map[int32]int64) {
	t.Helper()
	list, err := rest.ListTopics(testCtx(t, time.Minute))
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Name+"/"+strconv.Itoa(int(s.Partitions)))
	}
	slices.Sort(names)
	return names, highWatermarks(t, rest, topic)
}

// checkNothingWritten checks that no topic appeared or went and no high watermark moved, which
// also shows the service still answers.
func checkNothingWritten(t *testing.T, rest *harness.Client, topic string, topicsBefore []string, hwBefore map[int32]int64) {
	t.Helper()
	topicsAfter, hwAfter := snapshot(t, rest, topic)
	if !slices.Equal(topicsBefore, topicsAfter) {
		t.Errorf("topics changed: before %v, after %v", topicsBefore, topicsAfter)
	}
	if !maps.Equal(hwBefore, hwAfter) {
		t.Errorf("high watermarks of %s changed: before %v, after %v", topic, hwBefore, hwAfter)
	}
}

// postOversized POSTs a body of size bytes on a raw connection, either announcing its length (and
// sending none of it) or chunked (sending it all), and returns the error answer.
func postOversized(t *testing.T, base, path string, size int, chunked bool) *harness.APIError {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", host, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", host, err)
	}
	done := make(chan struct{})
	defer func() {
		_ = conn.Close() // ends the writer below, if still writing
		<-done
	}()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n", path, host)
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", size)
	}
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatalf("write headers: %v", err)
	}
	if !chunked {
		close(done)
	} else {
		// A JSON produce body whose value makes it size bytes, in 1 MiB chunks. The gateway may
		// stop reading and answer once it has seen the limit, so write errors are expected.
		go func() {
			defer close(done)
			prefix := `{"records":[{"value":"`
			chunk := strings.Repeat("x", 1<<20)
			w := bufio.NewWriterSize(conn, 64<<10)
			_, _ = fmt.Fprintf(w, "%x\r\n%s\r\n", len(prefix), prefix)
			for sent := len(prefix); sent < size; sent += len(chunk) {
				if _, err := fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
					return
				}
			}
			_, _ = fmt.Fprintf(w, "%x\r\n%s\r\n0\r\n\r\n", 4, `"}]}`)
			_ = w.Flush()
		}()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer to a %d-byte body (chunked %v): %v", size, chunked, err)
	}
	defer resp.Body.Close()
	b := make([]byte, 64<<10)
	n, _ := io.ReadFull(resp.Body, b)
	return errorAnswer(t, &harness.Response{Status: resp.StatusCode, Body: b[:n]})
}
