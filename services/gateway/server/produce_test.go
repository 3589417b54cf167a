package server_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/partitioner"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/produce"
	"github.com/runnel/runnel/services/gateway/server"
)

func TestRESTProduceMixedRecords(t *testing.T) {
	e := start(t, 3, nil)
	e.createTopic(t, "orders", 4, 1)
	binary := []byte{0xff, 0x00, 0xfe}
	body := fmt.Sprintf(`{"acks":"all","records":[
		{"key":"user-1","value":"hello","headers":{"h":"v"}},
		{"value":"no key 1"},
		{"partition":2,"value":"pinned"},
		{"key_base64":%q,"value_base64":%q},
		{"value":"no key 2"},
		{"key":"user-1","value":"again"}]}`,
		base64.StdEncoding.EncodeToString(binary), base64.StdEncoding.EncodeToString(binary))
	status, out := e.post(t, "/v1/topics/orders/records", body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, out)
	}
	results := out["results"].([]any)
	if len(results) != 6 {
		t.Fatalf("got %d results, want 6: %v", len(results), out)
	}
	part := func(i int) int64 { return num(t, results[i].(map[string]any)["partition"]) }
	off := func(i int) int64 {
		r := results[i].(map[string]any)
		if r["error"] != nil {
			t.Fatalf("record %d failed: %v", i, r)
		}
		return num(t, r["offset"])
	}
	wantKeyed := int64(partitioner.ForKey([]byte("user-1"), 4))
	if part(0) != wantKeyed || part(5) != wantKeyed {
		t.Errorf("keyed records went to %d and %d, want murmur2 partition %d", part(0), part(5), wantKeyed)
	}
	if got := part(3); got != int64(partitioner.ForKey(binary, 4)) {
		t.Errorf("binary-keyed record went to %d", got)
	}
	if part(2) != 2 {
		t.Errorf("pinned record went to %d, want 2", part(2))
	}
	if part(1) == part(4) {
		t.Errorf("two unkeyed records of one request went to the same partition %d; want round-robin", part(1))
	}
	// Per partition, the records take offsets 0, 1, 2... in request order.
	next := map[int64]int64{}
	for i := range results {
		if off(i) != next[part(i)] {
			t.Errorf("record %d got offset %d in partition %d, want %d", i, off(i), part(i), next[part(i)])
		}
		next[part(i)]++
	}

	// Every record can be read back where its result says, with its key, value and headers.
	wantValue := map[int]string{0: "hello", 1: "no key 1", 2: "pinned", 4: "no key 2", 5: "again"}
	for i := range results {
		status, got := e.get(t, fmt.Sprintf("/v1/topics/orders/partitions/%d/records?offset=%d&max_records=1", part(i), off(i)))
		if status != http.StatusOK {
			t.Fatalf("consume record %d: %d %v", i, status, got)
		}
		recs := got["records"].([]any)
		if len(recs) != 1 {
			t.Fatalf("consume record %d: %v", i, got)
		}
		rec := recs[0].(map[string]any)
		if num(t, rec["offset"]) != off(i) {
			t.Errorf("record %d read at offset %v", i, rec["offset"])
		}
		if i == 3 {
			if rec["value_base64"] != base64.StdEncoding.EncodeToString(binary) || rec["key_base64"] == nil || rec["value"] != nil {
				t.Errorf("binary record read back as %v", rec)
			}
			continue
		}
		if rec["value"] != wantValue[i] {
			t.Errorf("record %d value = %v, want %q", i, rec["value"], wantValue[i])
		}
	}
	status, got := e.get(t, fmt.Sprintf("/v1/topics/orders/partitions/%d/records?offset=%d", part(0), off(0)))
	first := got["records"].([]any)[0].(map[string]any)
	if status != http.StatusOK || first["key"] != "user-1" || first["headers"].(map[string]any)["h"] != "v" {
		t.Errorf("keyed record read back as %v", first)
	}
	if first["topic"] != "orders" || first["timestamp"] == nil {
		t.Errorf("record lacks topic or timestamp: %v", first)
	}
}

func TestProduceAcksZeroAnswersPartitionsOnly(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "fire", 2, 1)
	status, out := e.post(t, "/v1/topics/fire/records", `{"acks":0,"records":[{"value":"a","partition":1},{"value":"b","partition":0}]}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, out)
	}
	for i, want := range []int64{1, 0} {
		r := out["results"].([]any)[i].(map[string]any)
		if num(t, r["partition"]) != want || r["offset"] != nil || r["error"] != nil {
			t.Errorf("result %d = %v, want partition %d only", i, r, want)
		}
	}
	eventually(t, 5*time.Second, func() bool {
		return len(e.stores[0].Records(t, "fire", 0)) == 1 && len(e.stores[0].Records(t, "fire", 1)) == 1
	})
}

func TestBatchingAcrossConcurrentRequests(t *testing.T) {
	e := start(t, 1, func(c *server.Config) { c.Linger = 50 * time.Millisecond })
	e.createTopic(t, "batched", 1, 1)
	const requests = 20
	var wg sync.WaitGroup
	offsets := make([]int64, requests)
	errs := make([]error, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := e.client.Produce(ctx, &runnelv1.ProduceRequest{Topic: "batched",
				Records: []*runnelv1.ProduceRecord{{Value: str(fmt.Sprintf("r%d", i))}}})
			if err != nil {
				errs[i] = err
				return
			}
			offsets[i] = resp.GetResults()[0].GetOffset()
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range requests {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if seen[offsets[i]] || offsets[i] < 0 || offsets[i] >= requests {
			t.Fatalf("offsets %v are not a permutation of 0..%d", offsets, requests-1)
		}
		seen[offsets[i]] = true
	}
	if n := e.stores[0].Appends.Load(); n >= requests {
		t.Errorf("%d requests took %d appends; want fewer (batching)", requests, n)
	}
	// Each request's record sits at the offset it was told.
	recs := e.stores[0].Records(t, "batched", 0)
	for i := range requests {
		if got := string(recs[offsets[i]].Value); got != fmt.Sprintf("r%d", i) {
			t.Errorf("offset %d holds %q, want r%d", offsets[i], got, i)
		}
	}
}

func TestRetryAfterLeaderMoves(t *testing.T) {
	e := start(t, 2, nil)
	e.createTopic(t, "moving", 1, 2)
	if l := e.meta.Partition("moving", 0).GetLeader(); l != 1 {
		t.Fatalf("leader is %d, want 1", l)
	}
	rejected := make(chan struct{})
	var once sync.Once
	e.stores[0].Reject(func(*runnelv1.AppendRequest) error {
		once.Do(func() { close(rejected) })
		return rpcerr.New(rpcerr.NotLeaderOrFollower, "node 1 does not lead moving-0")
	})
	go func() {
		select {
		case <-rejected:
			e.meta.MoveLeader("moving", 0, 2)
		case <-time.After(10 * time.Second):
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := e.client.Produce(ctx, &runnelv1.ProduceRequest{Topic: "moving",
		Records: []*runnelv1.ProduceRecord{{Value: str("x")}, {Value: str("y")}}})
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	if got := resp.GetResults()[1].GetOffset(); got != 1 {
		t.Errorf("second record at offset %d, want 1", got)
	}
	if n := len(e.stores[1].Records(t, "moving", 0)); n != 2 {
		t.Errorf("new leader holds %d records, want 2", n)
	}
	if n := len(e.stores[0].Records(t, "moving", 0)); n != 0 {
		t.Errorf("old leader holds %d records, want 0", n)
	}
}

func TestDeliveryTimeout(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "stuck", 1, 1)
	e.stores[0].Reject(func(*runnelv1.AppendRequest) error {
		return rpcerr.New(rpcerr.NotLeaderOrFollower, "never the leader")
	})
	begin := time.Now()
	status, out := e.post(t, "/v1/topics/stuck/records", `{"timeout_ms":300,"records":[{"value":"a"},{"value":"b"}]}`)
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(out["message"].(string), "REQUEST_TIMED_OUT: ") {
		t.Fatalf("got %d %v, want 503 REQUEST_TIMED_OUT", status, out)
	}
	if !strings.Contains(out["message"].(string), "NOT_LEADER_OR_FOLLOWER") {
		t.Errorf("message does not name the last error: %v", out["message"])
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("timed out after %v, want about 300ms", d)
	}
}

func TestNotEnoughReplicasAfterAppendIsNotRetried(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "nera", 1, 1)
	var calls int
	var mu sync.Mutex
	e.stores[0].Reject(func(*runnelv1.AppendRequest) error {
		mu.Lock()
		calls++
		mu.Unlock()
		return rpcerr.New(rpcerr.NotEnoughReplicasAfterAppend, "isr shrank")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.client.Produce(ctx, &runnelv1.ProduceRequest{Topic: "nera", Records: []*runnelv1.ProduceRecord{{Value: str("a")}}})
	if !errors.Is(rpcerr.FromStatus(err), rpcerr.NotEnoughReplicasAfterAppend) {
		t.Fatalf("err = %v, want NOT_ENOUGH_REPLICAS_AFTER_APPEND", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Errorf("append tried %d times, want once", calls)
	}
}

func TestInvalidRecordWritesNothing(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "strict", 2, 1)
	e.createTopic(t, "small", 1, 1)
	tests := []struct {
		name, topic, body string
		status            int
		prefix            string
	}{
		{"partition out of range", "strict", `{"records":[{"value":"ok"},{"value":"bad","partition":7},{"value":"ok"}]}`, 404, "UNKNOWN_TOPIC_OR_PARTITION: "},
		{"key and key_base64", "strict", `{"records":[{"value":"ok"},{"key":"k","key_base64":"aw==","value":"bad"}]}`, 400, "INVALID_REQUEST: "},
		{"value and value_base64", "strict", `{"records":[{"value":"ok"},{"value":"v","value_base64":"dg=="}]}`, 400, "INVALID_REQUEST: "},
		{"empty records", "strict", `{"records":[]}`, 400, "INVALID_REQUEST: "},
		{"negative timestamp", "strict", `{"records":[{"value":"ok","timestamp_ms":-5}]}`, 400, "INVALID_REQUEST: "},
		{"record too large", "strict", `{"records":[{"value":"ok"},{"value":"` + strings.Repeat("x", produce.DefaultMaxMessageBytes) + `"}]}`, 413, "MESSAGE_TOO_LARGE: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := e.post(t, "/v1/topics/"+tt.topic+"/records", tt.body)
			if status != tt.status || !strings.HasPrefix(out["message"].(string), tt.prefix) {
				t.Fatalf("got %d %v, want %d %s", status, out["message"], tt.status, tt.prefix)
			}
		})
	}
	if n := e.stores[0].Appends.Load(); n != 0 {
		t.Errorf("invalid requests caused %d appends, want none", n)
	}
}

func TestPartialFailureReportsPerRecord(t *testing.T) {
	e := start(t, 2, nil)
	e.createTopic(t, "half", 2, 1) // partition 0 on node 1, partition 1 on node 2
	e.stores[1].Reject(func(*runnelv1.AppendRequest) error {
		return rpcerr.New(rpcerr.NotEnoughReplicasAfterAppend, "isr shrank")
	})
	status, out := e.post(t, "/v1/topics/half/records", `{"records":[{"value":"a","partition":0},{"value":"b","partition":1}]}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, out)
	}
	ok := out["results"].([]any)[0].(map[string]any)
	bad := out["results"].([]any)[1].(map[string]any)
	if ok["error"] != nil || num(t, ok["offset"]) != 0 {
		t.Errorf("record 0 = %v, want offset 0", ok)
	}
	if bad["error"] != "NOT_ENOUGH_REPLICAS_AFTER_APPEND" || bad["message"] == nil || bad["offset"] != nil {
		t.Errorf("record 1 = %v, want NOT_ENOUGH_REPLICAS_AFTER_APPEND without offset", bad)
	}
}

func str(s string) *string { return &s }

// A batch shared by requests with different timeouts stops retrying at the earliest: a request
// answered with an error must not have its records written by a later retry for another request.
func TestSharedBatchNeverWritesAfterAnError(t *testing.T) {
	e := start(t, 1, func(c *server.Config) { c.Linger = 100 * time.Millisecond })
	e.createTopic(t, "shared", 1, 1)
	var refuse atomic.Bool
	refuse.Store(true)
	e.stores[0].Reject(func(*runnelv1.AppendRequest) error {
		if refuse.Load() {
			return rpcerr.New(rpcerr.NotEnoughReplicas, "isr 1 < min.insync.replicas 2")
		}
		return nil
	})
	produce := func(value string, timeoutMs int32) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := e.client.Produce(ctx, &runnelv1.ProduceRequest{Topic: "shared", TimeoutMs: timeoutMs,
			Records: []*runnelv1.ProduceRecord{{Value: str(value)}}})
		if err == nil && resp.GetResults()[0].Error != nil {
			err = errors.New(resp.GetResults()[0].GetError())
		}
		return err
	}
	long := make(chan error, 1)
	go func() { long <- produce("long", 5000) }()
	shortErr := produce("short", 300) // joins the same batch within the linger
	if shortErr == nil {
		t.Fatal("the short request succeeded while every append was refused")
	}
	refuse.Store(false) // appends would now succeed
	select {
	case <-long:
	case <-time.After(10 * time.Second):
		t.Fatal("the long request did not finish")
	}
	for _, r := range e.stores[0].Records(t, "shared", 0) {
		if string(r.Value) == "short" {
			t.Fatalf("the short request was answered %v, yet its record was written later", shortErr)
		}
	}
}
