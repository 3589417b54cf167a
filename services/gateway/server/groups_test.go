package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The group routes of API.md through the real REST handler: a member's life (join, heartbeat,
// records continuing where the last call ended, commit, offsets with lag, leave), the listing,
// the admin calls, and the status and name of every refusal.
func TestGroupsREST(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "orders", 2, 1)
	for p := range 2 {
		body := fmt.Sprintf(`{"records":[{"partition":%d,"value":"a"},{"partition":%d,"value":"b"},{"partition":%d,"value":"c"}]}`, p, p, p)
		if status, out := e.post(t, "/v1/topics/orders/records", body); status != 200 {
			t.Fatalf("produce: %d %v", status, out)
		}
	}

	status, joined := e.post(t, "/v1/groups/g/members", `{"topics":["orders"],"session_timeout_ms":10000}`)
	if status != 200 {
		t.Fatalf("join: %d %v", status, joined)
	}
	member, _ := joined["member_id"].(string)
	asg, _ := joined["assignment"].([]any)
	if member == "" || num(t, joined["generation"]) != 1 || len(asg) != 1 ||
		asg[0].(map[string]any)["topic"] != "orders" || len(asg[0].(map[string]any)["partitions"].([]any)) != 2 {
		t.Fatalf("join answered %v; want member_id, generation 1 and both partitions", joined)
	}
	memberPath := "/v1/groups/g/members/" + member

	status, hb := e.post(t, memberPath+"/heartbeat", `{}`)
	if status != 200 || hb["member_id"] != member || num(t, hb["generation"]) != 1 || hb["heartbeat_interval_ms"] == nil {
		t.Fatalf("heartbeat: %d %v", status, hb)
	}

	// Records continue where the last call ended.
	var values []string
	for range 3 {
		status, out := e.get(t, memberPath+"/records?max_records=2&max_wait_ms=0")
		if status != 200 {
			t.Fatalf("records: %d %v", status, out)
		}
		for _, r := range out["records"].([]any) {
			rec := r.(map[string]any)
			if rec["topic"] != "orders" || rec["partition"] == nil {
				t.Fatalf("record without topic and partition: %v", rec)
			}
			values = append(values, fmt.Sprintf("%v/%d/%v", rec["partition"], num(t, rec["offset"]), rec["value"]))
		}
		if num(t, out["generation"]) != 1 || len(out["assignment"].([]any)) != 1 {
			t.Fatalf("records answer lacks the assignment: %v", out)
		}
	}
	if len(values) != 6 {
		t.Fatalf("read %v, want each of the 6 records once", values)
	}
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			t.Fatalf("read %s twice: %v", v, values)
		}
		seen[v] = true
	}

	commit := fmt.Sprintf(`{"member_id":%q,"generation":1,"offsets":[{"topic":"orders","partition":0,"offset":2}]}`, member)
	if status, out := e.post(t, "/v1/groups/g/offsets", commit); status != 200 {
		t.Fatalf("commit: %d %v", status, out)
	}
	status, offs := e.get(t, "/v1/groups/g/offsets")
	if status != 200 {
		t.Fatalf("offsets: %d %v", status, offs)
	}
	want := []string{"orders/0 offset 2 hw 3 lag 1", "orders/1 offset -1 hw 3 lag 3"}
	list := offs["offsets"].([]any)
	if len(list) != len(want) {
		t.Fatalf("offsets %v, want %v", list, want)
	}
	for i, o := range list {
		m := o.(map[string]any)
		got := fmt.Sprintf("%v/%d offset %d hw %d lag %d", m["topic"], num(t, m["partition"]), num(t, m["offset"]),
			num(t, m["high_watermark"]), num(t, m["lag"]))
		if got != want[i] {
			t.Errorf("offset %d: %s, want %s", i, got, want[i])
		}
	}

	if status, out := e.get(t, "/v1/groups"); status != 200 || len(out["groups"].([]any)) != 1 ||
		out["groups"].([]any)[0].(map[string]any)["group"] != "g" {
		t.Fatalf("list: %d %v", status, out)
	}
	if status, out := e.get(t, "/v1/groups/g"); status != 200 || out["state"] == nil || len(out["members"].([]any)) != 1 ||
		num(t, out["lag"]) != 4 {
		t.Fatalf("describe: %d %v; want a state, one member and lag 4", status, out)
	}

	refusals := []struct {
		name, method, path, body string
		status                   int
		prefix                   string
	}{
		{"heartbeat of an unknown member", "POST", "/v1/groups/g/members/ghost/heartbeat", `{}`, 404, "UNKNOWN_MEMBER_ID: "},
		{"records of an unknown member", "GET", "/v1/groups/g/members/ghost/records", "", 404, "UNKNOWN_MEMBER_ID: "},
		{"leave of an unknown member", "DELETE", "/v1/groups/g/members/ghost", "", 404, "UNKNOWN_MEMBER_ID: "},
		{"commit by an unknown member", "POST", "/v1/groups/g/offsets", `{"member_id":"ghost","generation":1,"offsets":[{"topic":"orders","partition":0,"offset":1}]}`, 404, "UNKNOWN_MEMBER_ID: "},
		{"commit with a stale generation", "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":7,"offsets":[{"topic":"orders","partition":0,"offset":1}]}`, member), 409, "ILLEGAL_GENERATION: "},
		{"commit beyond the high watermark", "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":1,"offsets":[{"topic":"orders","partition":0,"offset":4}]}`, member), 416, "OFFSET_OUT_OF_RANGE: "},
		{"commit of a negative offset", "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":1,"offsets":[{"topic":"orders","partition":0,"offset":-1}]}`, member), 416, "OFFSET_OUT_OF_RANGE: "},
		{"commit of an unknown topic", "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":1,"offsets":[{"topic":"nope","partition":0,"offset":0}]}`, member), 404, "UNKNOWN_TOPIC_OR_PARTITION: "},
		{"commit of nothing", "POST", "/v1/groups/g/offsets", fmt.Sprintf(`{"member_id":%q,"generation":1,"offsets":[]}`, member), 400, "INVALID_REQUEST: "},
		{"commit with a bad field", "POST", "/v1/groups/g/offsets", `{"member":"x"}`, 400, "INVALID_REQUEST: "},
		{"join without topics", "POST", "/v1/groups/g/members", `{"topics":[]}`, 400, "INVALID_REQUEST: "},
		{"join of an unknown topic", "POST", "/v1/groups/g/members", `{"topics":["nope"]}`, 404, "UNKNOWN_TOPIC_OR_PARTITION: "},
		{"join with a tiny session", "POST", "/v1/groups/g/members", `{"topics":["orders"],"session_timeout_ms":10}`, 400, "INVALID_SESSION_TIMEOUT: "},
		{"records with negative max_records", "GET", memberPath + "/records?max_records=-1", "", 400, "INVALID_REQUEST: "},
		{"records with a word for max_wait_ms", "GET", memberPath + "/records?max_wait_ms=soon", "", 400, "INVALID_REQUEST: "},
		{"reset with members", "POST", "/v1/groups/g/offsets/reset", `{"to":"earliest"}`, 409, "NON_EMPTY_GROUP: "},
		{"reset with two targets", "POST", "/v1/groups/g/offsets/reset", `{"to":"earliest","offset":1}`, 400, "INVALID_REQUEST: "},
		{"delete with members", "DELETE", "/v1/groups/g", "", 409, "NON_EMPTY_GROUP: "},
		{"describe an unknown group", "GET", "/v1/groups/nope", "", 404, "GROUP_ID_NOT_FOUND: "},
		{"offsets of an unknown group", "GET", "/v1/groups/nope/offsets", "", 404, "GROUP_ID_NOT_FOUND: "},
		{"delete an unknown group", "DELETE", "/v1/groups/nope", "", 404, "GROUP_ID_NOT_FOUND: "},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = http.NoBody
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			status, out := e.do(t, tt.method, tt.path, body)
			msg, _ := out["message"].(string)
			if status != tt.status || !strings.HasPrefix(msg, tt.prefix) || len(msg) < len(tt.prefix)+10 {
				t.Fatalf("got %d %q, want %d %s…", status, msg, tt.status, tt.prefix)
			}
		})
	}

	// With its member gone the group can be reset and deleted.
	if status, out := e.do(t, "DELETE", memberPath, http.NoBody); status != 200 {
		t.Fatalf("leave: %d %v", status, out)
	}
	status, reset := e.post(t, "/v1/groups/g/offsets/reset", `{"to":"latest"}`)
	if status != 200 || len(reset["offsets"].([]any)) != 2 || num(t, reset["offsets"].([]any)[1].(map[string]any)["offset"]) != 3 {
		t.Fatalf("reset: %d %v", status, reset)
	}
	status, offs = e.get(t, "/v1/groups/g/offsets")
	if status != 200 || num(t, offs["offsets"].([]any)[0].(map[string]any)["lag"]) != 0 {
		t.Fatalf("offsets after reset: %d %v", status, offs)
	}
	if status, out := e.do(t, "DELETE", "/v1/groups/g", http.NoBody); status != 200 {
		t.Fatalf("delete: %d %v", status, out)
	}
	if status, _ := e.get(t, "/v1/groups/g"); status != 404 {
		t.Fatalf("describe after delete: %d, want 404", status)
	}
}
