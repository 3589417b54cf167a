package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestInt64Decodes(t *testing.T) {
	cases := []struct {
		in      string
		want    Int64
		wantErr bool
	}{
		{`42`, 42, false},
		{`"42"`, 42, false},
		{`"-9223372036854775808"`, -9223372036854775808, false},
		{`9223372036854775807`, 9223372036854775807, false},
		{`null`, 0, false},
		{`"4x"`, 0, true},
		{`4.5`, 0, true},
		{`"9223372036854775808"`, 0, true},
		{`true`, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var v Int64
			err := json.Unmarshal([]byte(tc.in), &v)
			if (err != nil) != tc.wantErr || v != tc.want {
				t.Errorf("decode %s: %d, %v; want %d, error %v", tc.in, v, err, tc.want, tc.wantErr)
			}
		})
	}
}

func FuzzInt64(f *testing.F) {
	for _, s := range []string{`0`, `"17"`, `-1`, `"-1"`, `null`, `""`, `"1e3"`, ` 5 `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Int64
		if err := v.UnmarshalJSON(b); err != nil {
			return
		}
		// Whatever decodes encodes back to a number that decodes to the same value.
		enc, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %d: %v", v, err)
		}
		var back Int64
		if err := json.Unmarshal(enc, &back); err != nil || back != v {
			t.Fatalf("%q decoded to %d, which round-trips to %d (%v)", b, v, back, err)
		}
	})
}

func TestClusterPortsLieInTheRange(t *testing.T) {
	for _, base := range candidateBases() {
		ports := clusterPorts(base, 3, 64)
		seen := map[int]bool{}
		for _, p := range ports {
			if p < base || p >= base+PortSpan || seen[p] {
				t.Fatalf("base %d: port %d outside [%d, %d) or twice", base, p, base, base+PortSpan)
			}
			seen[p] = true
		}
		if !slices.Contains(ports, base+80) || !slices.Contains(ports, base+1090) || base+PortSpan > 65536 {
			t.Fatalf("base %d: ports %v lack the gateway's", base, ports)
		}
	}
}

func TestAcquireBaseSkipsBasesInUse(t *testing.T) {
	a, err := acquireBase(1, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBase(a)
	b, err := acquireBase(1, 3, map[int]bool{})
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBase(b)
	if a == b {
		t.Fatalf("base %d handed out twice", a)
	}
	if !portsFree(clusterPorts(a, 1, 3)) {
		t.Fatalf("ports of base %d are not free", a)
	}
}

func TestReadEndpoints(t *testing.T) {
	good := `{"rest":"http://127.0.0.1:8080","grpc":"127.0.0.1:9090",
		"metadata":[{"id":"m1","grpc":"127.0.0.1:8100","http":"127.0.0.1:8101","pid":10,"argv":["/bin/m"]}],
		"storage":[{"id":1,"grpc":"127.0.0.1:8200","http":"127.0.0.1:8201","pid":11,"argv":["/bin/s","--id=1"]}],
		"gateway":[{"id":"g1","grpc":"127.0.0.1:9090","http":"127.0.0.1:8080","pid":12,"argv":["/bin/g"]}]}`
	cases := []struct {
		name, body string
		ok         bool
	}{
		{"good", good, true},
		{"not JSON", `{"rest":`, false},
		{"no storage", `{"rest":"http://x","grpc":"y","metadata":[{}],"gateway":[{}]}`, false},
		{"rest not a URL", `{"rest":"127.0.0.1:8080","grpc":"y","metadata":[{}],"storage":[{"id":1,"pid":1,"http":"h","argv":["a"]}],"gateway":[{}]}`, false},
		{"storage without argv", `{"rest":"http://x","grpc":"y","metadata":[{}],"storage":[{"id":1,"pid":1,"http":"h"}],"gateway":[{}]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "endpoints.json")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			ep, err := readEndpoints(path)
			if (err == nil) != tc.ok {
				t.Fatalf("readEndpoints: %v, want ok %v", err, tc.ok)
			}
			if tc.ok {
				if s, found := ep.StorageByID(1); !found || s.PID != 11 || !slices.Equal(ep.pids(), []int{10, 11, 12}) {
					t.Errorf("parsed %+v", ep)
				}
			}
		})
	}
}

func TestProcessLiveness(t *testing.T) {
	if !alive(os.Getpid()) {
		t.Fatal("this process is not alive")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("no sleep program: %v", err)
	}
	p, err := startProc(exec.Command(sleep, "60"), filepath.Join(t.TempDir(), "log"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGKILL, time.Second) })
	if !runs(p.pid(), sleep) || runs(p.pid(), "/not/this/program") {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid()))
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid()))
		t.Fatalf("runs(%d) does not tell the program apart: sleep=%q cmdline=%q stat=%q", p.pid(), sleep, b, st)
	}
	if !p.stop(syscall.SIGTERM, 10*time.Second) {
		t.Fatal("sleep did not stop on SIGTERM")
	}
	if alive(p.pid()) {
		t.Fatalf("pid %d still alive after stop", p.pid())
	}
	if err := waitGone(p.pid(), time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestAPIErrorName(t *testing.T) {
	r := &Response{Status: 404, Body: []byte(`{"code":5,"message":"UNKNOWN_TOPIC_OR_PARTITION: topic \"x\" does not exist","details":[]}`)}
	e := r.AsAPIError()
	if e == nil || e.Name() != "UNKNOWN_TOPIC_OR_PARTITION" || e.Code != 5 || e.Status != 404 {
		t.Fatalf("AsAPIError: %+v", e)
	}
	if (&Response{Status: 200}).AsAPIError() != nil {
		t.Fatal("a 200 is not an error")
	}
	if n := (&Response{Status: 502, Body: []byte("bad gateway")}).AsAPIError().Name(); n != "" {
		t.Fatalf("a body that is not JSON has name %q", n)
	}
}
