package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

func TestInputHint(t *testing.T) {
	tests := []struct{ msg, want string }{
		{`type mismatch, parameter: partition, error: strconv.ParseInt: parsing "x": invalid syntax`, "URL path"},
		{`parsing field "max_records": strconv.ParseInt: parsing "many": invalid syntax`, "query parameter"},
		{`proto: syntax error (line 1:2): unexpected token`, "request body"},
		{`proto: (line 1:30): unknown field "colour"`, "request body"},
	}
	for _, tt := range tests {
		if got := inputHint(tt.msg); !strings.Contains(got, tt.want) || !strings.Contains(got, tt.msg) {
			t.Errorf("inputHint(%q) = %q, want it to mention %q and the cause", tt.msg, got, tt.want)
		}
	}
}

func TestOpenAPIRoute(t *testing.T) {
	h, err := NewHandler(context.Background(), runnelv1.UnimplementedGatewayServiceServer{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method string
		status int
	}{
		{http.MethodGet, 200},
		{http.MethodPost, 405},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, "/openapi.json", nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if tt.status != 200 && !strings.HasPrefix(body["message"].(string), "INVALID_REQUEST: ") {
				t.Errorf("message = %v", body["message"])
			}
		})
	}
}
