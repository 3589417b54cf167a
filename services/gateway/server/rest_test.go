package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/runnel/runnel/services/gateway/server"
)

func TestRESTErrors(t *testing.T) {
	e := start(t, 1, func(c *server.Config) { c.MaxRequestBytes = 4096 })
	e.createTopic(t, "t", 2, 1)
	big := `{"records":[{"value":"` + strings.Repeat("x", 5000) + `"}]}`
	tests := []struct {
		name, method, path string
		body               io.Reader
		status             int
		prefix             string
	}{
		{"malformed JSON", "POST", "/v1/topics/t/records", strings.NewReader(`{"records":[{"value":`), 400, "INVALID_REQUEST: "},
		{"not JSON at all", "POST", "/v1/topics/t/records", strings.NewReader(`hello`), 400, "INVALID_REQUEST: "},
		{"unknown field", "POST", "/v1/topics/t/records", strings.NewReader(`{"records":[{"value":"a","colour":"red"}]}`), 400, "INVALID_REQUEST: "},
		{"bad base64", "POST", "/v1/topics/t/records", strings.NewReader(`{"records":[{"value_base64":"%%%not base64"}]}`), 400, "INVALID_REQUEST: "},
		{"wrong type", "POST", "/v1/topics/t/records", strings.NewReader(`{"records":[{"value":"a","partition":"one"}]}`), 400, "INVALID_REQUEST: "},
		{"unknown acks", "POST", "/v1/topics/t/records", strings.NewReader(`{"acks":"2","records":[{"value":"a"}]}`), 400, "INVALID_REQUIRED_ACKS: "},
		{"acks of wrong type", "POST", "/v1/topics/t/records", strings.NewReader(`{"acks":true,"records":[{"value":"a"}]}`), 400, "INVALID_REQUIRED_ACKS: "},
		{"partition x in path", "GET", "/v1/topics/t/partitions/x/records", http.NoBody, 400, "INVALID_REQUEST: "},
		{"bad query value", "GET", "/v1/topics/t/partitions/0/records?max_records=many", http.NoBody, 400, "INVALID_REQUEST: "},
		{"negative max_records", "GET", "/v1/topics/t/partitions/0/records?max_records=-1", http.NoBody, 400, "INVALID_REQUEST: "},
		{"unknown topic produce", "POST", "/v1/topics/nope/records", strings.NewReader(`{"records":[{"value":"a"}]}`), 404, "UNKNOWN_TOPIC_OR_PARTITION: "},
		{"unknown topic describe", "GET", "/v1/topics/nope", http.NoBody, 404, "UNKNOWN_TOPIC_OR_PARTITION: "},
		{"unknown partition consume", "GET", "/v1/topics/t/partitions/9/records", http.NoBody, 404, "UNKNOWN_TOPIC_OR_PARTITION: "},
		{"offset past the end", "GET", "/v1/topics/t/partitions/0/records?offset=100", http.NoBody, 416, "OFFSET_OUT_OF_RANGE: "},
		{"negative offset", "GET", "/v1/topics/t/partitions/0/records?offset=-3", http.NoBody, 416, "OFFSET_OUT_OF_RANGE: "},
		{"huge body", "POST", "/v1/topics/t/records", strings.NewReader(big), 413, "MESSAGE_TOO_LARGE: "},
		{"huge chunked body", "POST", "/v1/topics/t/records", io.MultiReader(strings.NewReader(big)), 413, "MESSAGE_TOO_LARGE: "},
		{"unknown route", "GET", "/v2/whatever", http.NoBody, 404, "INVALID_REQUEST: "},
		{"method not allowed", "PUT", "/v1/topics/t/records", strings.NewReader(`{}`), 405, "INVALID_REQUEST: "},
		{"topic exists", "POST", "/v1/topics", strings.NewReader(`{"name":"t","partitions":1,"replication_factor":1}`), 409, "TOPIC_ALREADY_EXISTS: "},
		{"replication factor too high", "POST", "/v1/topics", strings.NewReader(`{"name":"u","partitions":1,"replication_factor":5}`), 400, "INVALID_REPLICATION_FACTOR: "},
		{"delete unknown topic", "DELETE", "/v1/topics/nope", http.NoBody, 404, "UNKNOWN_TOPIC_OR_PARTITION: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := e.do(t, tt.method, tt.path, tt.body)
			msg, _ := out["message"].(string)
			if status != tt.status || !strings.HasPrefix(msg, tt.prefix) {
				t.Fatalf("got %d %q, want %d %s…", status, msg, tt.status, tt.prefix)
			}
			if _, ok := out["code"]; !ok {
				t.Errorf("error body lacks code: %v", out)
			}
			if _, ok := out["details"]; !ok {
				t.Errorf("error body lacks details: %v", out)
			}
			if len(msg) < len(tt.prefix)+10 {
				t.Errorf("message %q does not say what to do", msg)
			}
		})
	}
}

func TestOpenAPIAndHealth(t *testing.T) {
	e := start(t, 1, nil)
	for _, path := range []string{"/openapi.json", "/readyz", "/healthz"} {
		resp, err := e.http.Get(e.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, body)
		}
		if path == "/openapi.json" && !strings.Contains(string(body), "/v1/topics/{topic}/records") {
			t.Errorf("openapi.json lacks the produce route")
		}
	}
}
