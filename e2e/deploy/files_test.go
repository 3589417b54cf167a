package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/runnel/runnel/e2e/harness"
)

// repoRoot is the directory holding go.work.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// deployDir is <repo>/deployments.
func deployDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "deployments")
}

// readFile reads a file under deployments/.
func readFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir(t), rel))
	if err != nil {
		t.Fatalf("read deployments/%s: %v", rel, err)
	}
	return b
}

// decodeYAML decodes one YAML document into v through its JSON form (anchors and merge keys
// resolved), so v uses json tags.
func decodeYAML(t testing.TB, name string, doc []byte, v any) {
	t.Helper()
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("%s: not valid YAML: %v", name, err)
	}
	if err := json.Unmarshal(js, v); err != nil {
		t.Fatalf("%s: unexpected shape: %v", name, err)
	}
}

// splitDocs splits a YAML stream at its "---" separator lines and drops empty documents.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if len(bytes.TrimSpace(stripComments(cur.Bytes()))) > 0 {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.TrimRight(line, " \t\r\n") == "---" {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return docs
}

// stripComments drops whole-line comments, to tell an empty document from one with content.
func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
