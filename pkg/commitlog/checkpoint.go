package commitlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/runnel/runnel/pkg/fileutil"
)

// Checkpoint file names (see doc.go).
const (
	epochCheckpointFile         = "leader-epoch-checkpoint"
	highWatermarkCheckpointFile = "high-watermark-checkpoint"
	recoveryPointCheckpointFile = "recovery-point-checkpoint"
	checkpointVersion           = "0"
)

// errBadCheckpoint: a checkpoint file exists but cannot be parsed.
var errBadCheckpoint = errors.New("commitlog: unreadable checkpoint")

// writeFileAtomic replaces dir/name with data crash-safely (fileutil.WriteAtomic).
func writeFileAtomic(dir, name string, data []byte) error {
	if err := fileutil.WriteAtomic(filepath.Join(dir, name), data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// checkpointLines reads a checkpoint file: its lines after the version line.
// ok is false when the file does not exist.
func checkpointLines(dir, name string) (lines []string, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	if sc.Err() != nil || len(lines) == 0 || lines[0] != checkpointVersion {
		return nil, true, fmt.Errorf("%w: %s", errBadCheckpoint, name)
	}
	return lines[1:], true, nil
}

// readOffsetCheckpoint reads a one-value checkpoint (high watermark,
// recovery point). ok is false when the file does not exist.
func readOffsetCheckpoint(dir, name string) (int64, bool, error) {
	lines, ok, err := checkpointLines(dir, name)
	if !ok || err != nil {
		return 0, ok, err
	}
	if len(lines) < 1 {
		return 0, true, fmt.Errorf("%w: %s: no value", errBadCheckpoint, name)
	}
	v, err := strconv.ParseInt(lines[0], 10, 64)
	if err != nil || v < 0 {
		return 0, true, fmt.Errorf("%w: %s: value %q", errBadCheckpoint, name, lines[0])
	}
	return v, true, nil
}

func writeOffsetCheckpoint(dir, name string, v int64) error {
	return writeFileAtomic(dir, name, []byte(checkpointVersion+"\n"+strconv.FormatInt(v, 10)+"\n"))
}
