package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// restClient calls the gateway's REST API.
type restClient struct {
	base string
	http *http.Client
}

// call sends a JSON request and decodes the JSON answer.
func (c *restClient) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	var r io.Reader = http.NoBody
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: answer %d is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// must calls and fails the test unless the answer is 200.
func (c *restClient) must(t *testing.T, method, path, body string) map[string]any {
	t.Helper()
	status, out := c.call(t, method, path, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s: %d %v", method, path, status, out)
	}
	return out
}

// jsonInt reads a JSON number that protojson may have written as a string (int64).
func jsonInt(t *testing.T, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		var n int64
		if _, err := fmt.Sscan(x, &n); err == nil {
			return n
		}
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

// partitionsOf reads the partitions of topic in an answer's assignment.
func partitionsOf(t *testing.T, out map[string]any, topic string) []int32 {
	t.Helper()
	var ps []int32
	asg, _ := out["assignment"].([]any)
	for _, a := range asg {
		tp := a.(map[string]any)
		if tp["topic"] != topic {
			continue
		}
		ps2, _ := tp["partitions"].([]any)
		for _, p := range ps2 {
			ps = append(ps, int32(jsonInt(t, p)))
		}
	}
	slices.Sort(ps)
	return ps
}

// TestGroupsInProcess drives a consumer group through the whole path (gateway → coordinator on
// the metadata node, gateway → storage) over REST: two members join and heartbeat until they
// share the partitions, read every record once through FetchGroupRecords, commit, see their lag,
// leave; the empty group's offsets are reset (earliest, by timestamp) and the group is deleted.
func TestGroupsInProcess(t *testing.T) {
	const topic, parts, perPartition = "grouped", 4, 10
	c := startCluster(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rest := &restClient{base: "http://" + c.gw.HTTPAddr(), http: &http.Client{Timeout: 30 * time.Second}}

	if _, err := c.client.CreateTopic(ctx, &runnelv1.CreateTopicRequest{Name: topic, Partitions: parts, ReplicationFactor: 1}); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	var recs []*runnelv1.ProduceRecord
	for p := range int32(parts) {
		for i := range int64(perPartition) {
			recs = append(recs, &runnelv1.ProduceRecord{Partition: proto.Int32(p), TimestampMs: proto.Int64(1000 + i),
				Value: proto.String(fmt.Sprintf("%d-%d", p, i))})
		}
	}
	if _, err := c.client.Produce(ctx, &runnelv1.ProduceRequest{Topic: topic, Acks: structpb.NewStringValue("all"), Records: recs}); err != nil {
		t.Fatalf("produce: %v", err)
	}

	// Two members join; heartbeats hand each its share, never a partition to both.
	join := `{"topics":["` + topic + `"],"session_timeout_ms":10000}`
	members := []string{
		rest.must(t, "POST", "/v1/groups/g/members", join)["member_id"].(string),
		rest.must(t, "POST", "/v1/groups/g/members", join)["member_id"].(string),
	}
	owned := make([][]int32, 2)
	generation := make([]int64, 2)
	deadline := time.Now().Add(30 * time.Second)
	for {
		for i, m := range members {
			hb := rest.must(t, "POST", "/v1/groups/g/members/"+m+"/heartbeat", `{}`)
			owned[i], generation[i] = partitionsOf(t, hb, topic), jsonInt(t, hb["generation"])
		}
		for _, p := range owned[0] {
			if slices.Contains(owned[1], p) {
				t.Fatalf("partition %d owned by both members: %v", p, owned)
			}
		}
		if len(owned[0]) > 0 && len(owned[1]) > 0 && len(owned[0])+len(owned[1]) == parts {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members never shared the %d partitions: %v", parts, owned)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond): // the heartbeat interval of a rebalancing member is 100 ms
		}
	}

	// Each member reads its partitions' records exactly once, continuing from call to call.
	read := map[string]bool{}
	for i, m := range members {
		want := len(owned[i]) * perPartition
		got := 0
		for attempt := 0; got < want; attempt++ {
			if attempt == 20 {
				t.Fatalf("member %d read %d of its %d records", i, got, want)
			}
			out := rest.must(t, "GET", "/v1/groups/g/members/"+m+"/records?max_records=7&max_wait_ms=500", "")
			for _, r := range out["records"].([]any) {
				rec := r.(map[string]any)
				p := int32(jsonInt(t, rec["partition"]))
				key := fmt.Sprintf("%d/%d", p, jsonInt(t, rec["offset"]))
				if rec["topic"] != topic || !slices.Contains(owned[i], p) || read[key] {
					t.Fatalf("member %d (partitions %v) read %v (again: %v)", i, owned[i], rec, read[key])
				}
				read[key] = true
				got++
			}
		}
	}
	if len(read) != parts*perPartition {
		t.Fatalf("read %d records, produced %d", len(read), parts*perPartition)
	}

	// Commit everything read; then the lag shows only what is produced after.
	for i, m := range members {
		var offs []string
		for _, p := range owned[i] {
			offs = append(offs, fmt.Sprintf(`{"topic":%q,"partition":%d,"offset":%d}`, topic, p, perPartition))
		}
		rest.must(t, "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":%d,"offsets":[%s]}`,
			m, generation[i], strings.Join(offs, ",")))
	}
	if _, err := c.client.Produce(ctx, &runnelv1.ProduceRequest{Topic: topic, Records: []*runnelv1.ProduceRecord{
		{Partition: proto.Int32(0), Value: proto.String("late"), TimestampMs: proto.Int64(5000)}}}); err != nil {
		t.Fatalf("produce: %v", err)
	}
	checkOffsets := func(t *testing.T, want func(p int32) (offset, lag int64)) {
		t.Helper()
		out := rest.must(t, "GET", "/v1/groups/g/offsets", "")
		list := out["offsets"].([]any)
		if len(list) != parts {
			t.Fatalf("offsets of %d partitions, want %d: %v", len(list), parts, list)
		}
		for _, o := range list {
			m := o.(map[string]any)
			p := int32(jsonInt(t, m["partition"]))
			off, lag := want(p)
			if m["topic"] != topic || jsonInt(t, m["offset"]) != off || jsonInt(t, m["lag"]) != lag {
				t.Errorf("partition %d: %v, want offset %d lag %d", p, m, off, lag)
			}
		}
	}
	checkOffsets(t, func(p int32) (int64, int64) {
		if p == 0 {
			return perPartition, 1
		}
		return perPartition, 0
	})
	desc, err := c.client.DescribeGroup(ctx, &runnelv1.DescribeGroupRequest{Group: "g"})
	if err != nil || len(desc.GetMembers()) != 2 || desc.GetLag() != 1 || desc.GetState() == "Empty" {
		t.Fatalf("describe: %v, %v; want 2 members and lag 1", desc, err)
	}

	// Refusals by the real coordinator keep their names and statuses over REST.
	refusals := []struct {
		name, method, path, body string
		status                   int
		prefix                   string
	}{
		{"stale generation", "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":99,"offsets":[{"topic":%q,"partition":%d,"offset":1}]}`,
			members[0], topic, owned[0][0]), http.StatusConflict, "ILLEGAL_GENERATION"},
		{"unknown member", "POST", "/v1/groups/g/members/ghost/heartbeat", `{}`, http.StatusNotFound, "UNKNOWN_MEMBER_ID"},
		{"beyond the high watermark", "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":%d,"offsets":[{"topic":%q,"partition":%d,"offset":99}]}`,
			members[0], generation[0], topic, owned[0][0]), http.StatusRequestedRangeNotSatisfiable, "OFFSET_OUT_OF_RANGE"},
		{"session timeout out of range", "POST", "/v1/groups/g/members", `{"topics":["` + topic + `"],"session_timeout_ms":1}`, http.StatusBadRequest, "INVALID_SESSION_TIMEOUT"},
		{"no topics", "POST", "/v1/groups/g/members", `{"topics":[]}`, http.StatusBadRequest, "INVALID_REQUEST"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			status, out := rest.call(t, tt.method, tt.path, tt.body)
			if status != tt.status || !strings.HasPrefix(fmt.Sprint(out["message"]), tt.prefix+": ") {
				t.Fatalf("%d %v, want %d %s", status, out, tt.status, tt.prefix)
			}
		})
	}

	// A group with members cannot be reset; once they left it can.
	if status, out := rest.call(t, "POST", "/v1/groups/g/offsets/reset", `{"to":"earliest"}`); status != http.StatusConflict {
		t.Fatalf("reset with members: %d %v, want 409 NON_EMPTY_GROUP", status, out)
	}
	for _, m := range members {
		rest.must(t, "DELETE", "/v1/groups/g/members/"+m, "")
	}
	rest.must(t, "POST", "/v1/groups/g/offsets/reset", `{"to":"earliest"}`)
	checkOffsets(t, func(p int32) (int64, int64) {
		if p == 0 {
			return 0, perPartition + 1
		}
		return 0, perPartition
	})
	rest.must(t, "POST", "/v1/groups/g/offsets/reset", `{"timestamp_ms":1004}`)
	checkOffsets(t, func(p int32) (int64, int64) {
		if p == 0 {
			return 4, perPartition + 1 - 4
		}
		return 4, perPartition - 4
	})

	rest.must(t, "DELETE", "/v1/groups/g", "")
	if status, out := rest.call(t, "GET", "/v1/groups/g", ""); status != http.StatusNotFound ||
		!strings.HasPrefix(fmt.Sprint(out["message"]), "GROUP_ID_NOT_FOUND") {
		t.Fatalf("describe after delete: %d %v, want 404 GROUP_ID_NOT_FOUND", status, out)
	}
}
