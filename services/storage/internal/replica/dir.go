package replica

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/runnel/runnel/pkg/fileutil"
)

// File names inside the data dir and partition dirs.
const (
	partitionFile = "partition.json" // in each partition dir: which topic (by id) the log belongs to
	nodeFile      = "node.json"      // in the data dir: the node id that owns it
	lockFile      = ".lock"          // in the data dir: held (flock) while a node runs
	deletingExt   = ".deleting"      // a partition dir being deleted: removed at startup
)

// partitionMeta is the content of partition.json.
type partitionMeta struct {
	Version   int    `json:"version"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	TopicID   string `json:"topic_id"`
}

// nodeMeta is the content of node.json.
type nodeMeta struct {
	Version int   `json:"version"`
	NodeID  int32 `json:"node_id"`
}

// partitionDirName is "<topic>-<partition>", as Kafka names its log dirs.
func partitionDirName(topic string, partition int32) string {
	return topic + "-" + strconv.FormatInt(int64(partition), 10)
}

// validTopicName reports whether name follows Kafka's rules (1-249 characters of [a-zA-Z0-9._-],
// not "." or ".."), so that it is safe as a directory name. The metadata service enforces the
// rules; storage checks again before it touches the disk.
func validTopicName(name string) bool {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parsePartitionDirName splits "<topic>-<partition>"; topics may contain '-'.
func parsePartitionDirName(name string) (string, int32, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return "", 0, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || strconv.FormatInt(p, 10) != name[i+1:] {
		return "", 0, false
	}
	return name[:i], int32(p), true
}

// readJSON decodes path into v; a missing file is fs.ErrNotExist.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeJSON replaces path crash-safely (fileutil.WriteAtomic).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(path, append(b, '\n'), 0o644)
}

// removeDir deletes a partition dir: first renamed aside (so a crash never leaves a half-deleted
// dir under a partition's name), then removed.
func removeDir(dir string) error {
	aside := dir + deletingExt
	if err := os.Rename(dir, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := fileutil.SyncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	return os.RemoveAll(aside)
}

// checkNodeID records id as the owner of dataDir, or refuses a data dir owned by another node.
func checkNodeID(dataDir string, id int32) error {
	path := filepath.Join(dataDir, nodeFile)
	var m nodeMeta
	switch err := readJSON(path, &m); {
	case errors.Is(err, fs.ErrNotExist):
		return writeJSON(path, nodeMeta{NodeID: id})
	case err != nil:
		return err
	case m.NodeID != id:
		return fmt.Errorf("%w: %s belongs to node %d, not %d", ErrDataDir, dataDir, m.NodeID, id)
	}
	return nil
}
