package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestHealthProbe(t *testing.T) {
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)

	r := runCLI(t, t.Context(), nil, "", "health", srv.URL+"/readyz")
	if r.code != exitError || !strings.Contains(r.err, "503") {
		t.Fatalf("not ready: exit %d, stderr %q; want exit %d naming 503", r.code, r.err, exitError)
	}
	ready.Store(true)
	r = runCLI(t, t.Context(), nil, "", "health", srv.URL+"/readyz")
	if r.code != exitOK || !strings.Contains(r.stdout, "200") {
		t.Fatalf("ready: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
	}
	if r := runCLI(t, t.Context(), nil, "", "health", "http://127.0.0.1:1/readyz", "--timeout", "1s"); r.code != exitError {
		t.Fatalf("nothing listening: exit %d, want %d", r.code, exitError)
	}
	if r := runCLI(t, t.Context(), nil, "", "health"); r.code != exitUsage {
		t.Fatalf("no URL: exit %d, want %d", r.code, exitUsage)
	}
}
