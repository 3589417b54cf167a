package deploy

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// serviceBinaries are the binaries a deployment runs, by kind.
var serviceBinaries = map[string]string{
	"metadata": harness.MetadataBinary,
	"storage":  harness.StorageBinary,
	"gateway":  harness.GatewayBinary,
}

// helpFlagLine matches a flag line of Go's flag.PrintDefaults: "  -name type".
var helpFlagLine = regexp.MustCompile(`^\s+-{1,2}([a-z0-9][a-z0-9-]*)(\s|$)`)

// parseHelpFlags returns the flag names listed in a --help output.
func parseHelpFlags(out string) map[string]bool {
	flags := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if m := helpFlagLine.FindStringSubmatch(line); m != nil {
			flags[m[1]] = true
		}
	}
	return flags
}

var (
	helpMu    sync.Mutex
	helpCache = map[string]map[string]bool{}
)

// binaryFlags runs bin/<name> --help once per test binary and returns the flags it lists.
func binaryFlags(t testing.TB, name string) map[string]bool {
	t.Helper()
	helpMu.Lock()
	defer helpMu.Unlock()
	if f, ok := helpCache[name]; ok {
		return f
	}
	bin := harness.BinDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(bin, name), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", name, err, out)
	}
	flags := parseHelpFlags(string(out))
	if len(flags) < 5 || !flags["http-addr"] || !flags["grpc-addr"] {
		t.Fatalf("%s --help lists too few flags (%d) or lacks --http-addr/--grpc-addr:\n%s", name, len(flags), out)
	}
	helpCache[name] = flags
	return flags
}

// cmdFlags parses "--name=value" and "--name" arguments into a map. Every argument must have
// that form, so a value can never be mistaken for a flag.
func cmdFlags(args []string) (map[string]string, error) {
	flags := map[string]string{}
	for _, a := range args {
		if !strings.HasPrefix(a, "--") || len(a) < 3 {
			return nil, fmt.Errorf("argument %q: write every flag as --name=value", a)
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		if !hasValue {
			value = "true"
		}
		if _, dup := flags[name]; dup {
			return nil, fmt.Errorf("flag --%s given twice", name)
		}
		flags[name] = value
	}
	return flags, nil
}

// envFlag maps RUNNEL_FOO_BAR to foo-bar (svc.ParseFlags reads RUNNEL_<FLAG> for every flag).
func envFlag(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "RUNNEL_")
	if !ok {
		return "", false
	}
	return strings.ReplaceAll(strings.ToLower(rest), "_", "-"), true
}

// checkFlags fails for every flag (or RUNNEL_* variable) binary does not accept.
func checkFlags(t *testing.T, where, binary string, flags map[string]string, env []string) {
	t.Helper()
	known := binaryFlags(t, binary)
	for name := range flags {
		if !known[name] {
			t.Errorf("%s: %s has no flag --%s (see %s --help)", where, binary, name, binary)
		}
	}
	for _, key := range env {
		if name, ok := envFlag(key); ok && !known[name] {
			t.Errorf("%s: %s set but %s has no flag --%s", where, key, binary, name)
		}
	}
}

func TestParseHelpFlags(t *testing.T) {
	out := "Usage of runnel-storage:\n  -advertise-addr string\n    \tgRPC address (env RUNNEL_ADVERTISE_ADDR)\n" +
		"  -fsync value\n    \twhen appends are fsynced\n  -id int\n    \tnode id\n  -v\tverbose\n"
	got := parseHelpFlags(out)
	for _, want := range []string{"advertise-addr", "fsync", "id", "v"} {
		if !got[want] {
			t.Errorf("flag %q not parsed from help output; got %v", want, got)
		}
	}
	if len(got) != 4 {
		t.Errorf("parsed %d flags, want 4: %v", len(got), got)
	}
}

func TestCmdFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    map[string]string
		wantErr bool
	}{
		{"value and bool", []string{"--id=1", "--auto-leader-rebalance"}, map[string]string{"id": "1", "auto-leader-rebalance": "true"}, false},
		{"value with equals", []string{"--initial-cluster=a=http://x:1"}, map[string]string{"initial-cluster": "a=http://x:1"}, false},
		{"separate value", []string{"--id", "1"}, nil, true},
		{"single dash", []string{"-id=1"}, nil, true},
		{"twice", []string{"--id=1", "--id=2"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cmdFlags(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("cmdFlags(%q) error = %v, want error %v", tc.args, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("cmdFlags(%q) = %v, want %v", tc.args, got, tc.want)
			}
		})
	}
}
