package harness

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// logTail is how much of each log a failed test shows.
const logTail = 6 << 10

// KeepLogsEnv names an environment variable: when set to a directory, a failed test's logs are
// also copied whole to <dir>/<test name>/ (the test's temp dir is removed after it).
const KeepLogsEnv = "RUNNEL_E2E_KEEP_LOGS"

// dumpLogs writes the tail of runnel dev's output and of every service log to t.Log.
func (c *Cluster) dumpLogs(t testing.TB) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(c.DataDir, "logs", "*.log"))
	sort.Strings(files)
	files = append([]string{c.devLog}, files...)
	keep := os.Getenv(KeepLogsEnv)
	if keep != "" {
		keep = filepath.Join(keep, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
		if err := os.MkdirAll(keep, 0o755); err != nil {
			t.Logf("harness: %s: %v", KeepLogsEnv, err)
			keep = ""
		}
	}
	for _, f := range files {
		if fileSize(f) == 0 {
			continue
		}
		t.Logf("==== tail of %s ====\n%s", f, tailFrom(f, 0, logTail))
		if keep != "" {
			if b, err := os.ReadFile(f); err == nil {
				_ = os.WriteFile(filepath.Join(keep, filepath.Base(f)), b, 0o644)
			}
		}
	}
	if keep != "" {
		t.Logf("harness: logs copied to %s", keep)
	}
}

// fileSize is the size of path, 0 when it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// tailFrom returns at most n bytes from the end of path, starting no earlier than from.
func tailFrom(path string, from int64, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	size := fileSize(path)
	start := max(from, size-n)
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return "(" + err.Error() + ")"
	}
	b, err := io.ReadAll(io.LimitReader(f, size-start))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(b)
}
