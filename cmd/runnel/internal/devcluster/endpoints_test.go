package devcluster

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func goldenEndpoints(t *testing.T) Endpoints {
	t.Helper()
	p, err := NewPlan(validConfig(t, 8000, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	return NewEndpoints(p, map[string]int{"metadata m1": 101, "storage 1": 102, "storage 2": 103, "gateway g1": 104})
}

func TestEndpointsFileGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "endpoints.json")
	e := goldenEndpoints(t)
	if err := e.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if err := e.WriteFile(path); err != nil { // replacing an existing file
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "endpoints.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("endpoints file differs from %s (run with -update after checking):\n%s", golden, got)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temp files left beside the endpoints file: %v", entries)
	}
}

// TestEndpointsShape checks the keys and types API.md promises, independently of the golden file.
func TestEndpointsShape(t *testing.T) {
	b, err := json.Marshal(goldenEndpoints(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["rest"] != "http://127.0.0.1:8080" || doc["grpc"] != "127.0.0.1:9090" {
		t.Errorf("rest %v grpc %v", doc["rest"], doc["grpc"])
	}
	for _, tc := range []struct {
		key    string
		n      int
		idType string
	}{{"metadata", 1, "string"}, {"storage", 2, "number"}, {"gateway", 1, "string"}} {
		t.Run(tc.key, func(t *testing.T) {
			list, ok := doc[tc.key].([]any)
			if !ok || len(list) != tc.n {
				t.Fatalf("%s = %v, want %d entries", tc.key, doc[tc.key], tc.n)
			}
			for _, item := range list {
				svc := item.(map[string]any)
				if len(svc) != 5 {
					t.Errorf("keys %v, want id grpc http pid argv", svc)
				}
				switch tc.idType {
				case "string":
					if _, ok := svc["id"].(string); !ok {
						t.Errorf("id %v is not a string", svc["id"])
					}
				case "number":
					if _, ok := svc["id"].(float64); !ok {
						t.Errorf("id %v is not a number", svc["id"])
					}
				}
				argv := svc["argv"].([]any)
				if prog := argv[0].(string); !filepath.IsAbs(prog) || !strings.Contains(prog, "runnel-"+tc.key) {
					t.Errorf("argv[0] = %s", prog)
				}
				if svc["pid"].(float64) <= 0 {
					t.Errorf("pid %v", svc["pid"])
				}
			}
		})
	}
}

func TestPrintEndpoints(t *testing.T) {
	var buf bytes.Buffer
	if err := goldenEndpoints(t).Print(&buf, "/data/.runnel/logs"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http://127.0.0.1:8080", "127.0.0.1:9090", "metadata  m1", "storage   2", "104", "/data/.runnel/logs"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}
