package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRESTSender(t *testing.T) {
	var got struct {
		Acks    string `json:"acks"`
		Records []struct {
			Value string `json:"value"`
		} `json:"records"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/topics/b%2Fx/records" && r.URL.Path != "/v1/topics/b/x/records" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("body: %v", err)
		}
		if len(got.Records) == 3 {
			w.Write([]byte(`{"results":[{"partition":0,"offset":"1"},{"partition":1,"error":"NOT_ENOUGH_REPLICAS"},{"partition":2,"offset":"4"}]}`))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"code":14,"message":"NOT_ENOUGH_REPLICAS: isr 1 < 2"}`))
	}))
	defer srv.Close()
	send := restSender(benchProduceOptions{rest: srv.URL + "/", topic: "b/x", acksText: "1", batch: 3}, []byte{0, 1, 2, 3})
	failed, err := send(context.Background(), 3)
	if err != nil || failed != 1 {
		t.Fatalf("send = %d, %v; want 1 failed record", failed, err)
	}
	if got.Acks != "1" || len(got.Records) != 3 || len(got.Records[0].Value) != 4 || strings.Trim(got.Records[0].Value, "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Fatalf("request body = %+v; want acks 1 and 3 printable values of 4 bytes", got)
	}
	if _, err := send(context.Background(), 2); err == nil || !strings.Contains(err.Error(), "NOT_ENOUGH_REPLICAS") {
		t.Fatalf("a failed call = %v; want the gateway's named error", err)
	}
}
