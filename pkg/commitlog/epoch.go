package commitlog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// epochEntry says that leader epoch epoch wrote its first batch at start.
type epochEntry struct {
	epoch int32
	start int64
}

// epochCache is the leader-epoch cache (Kafka's LeaderEpochFileCache):
// entries strictly increasing in both epoch and start offset. Mutations come
// from writers holding Log.mu; reads may come from anywhere.
type epochCache struct {
	mu      sync.RWMutex
	entries []epochEntry
}

func (c *epochCache) latest() (int32, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.entries) == 0 {
		return -1, false
	}
	return c.entries[len(c.entries)-1].epoch, true
}

// assign records that epoch starts at start if epoch is above the latest
// one; entries starting at or after start are replaced (Kafka drops
// conflicting entries the same way). It reports whether the cache changed.
func (c *epochCache) assign(epoch int32, start int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.entries); n > 0 && epoch <= c.entries[n-1].epoch {
		return false
	}
	for len(c.entries) > 0 && c.entries[len(c.entries)-1].start >= start {
		c.entries = c.entries[:len(c.entries)-1]
	}
	c.entries = append(c.entries, epochEntry{epoch, start})
	return true
}

// truncateFromEnd drops entries that start at or after end (the log was
// truncated to end).
func (c *epochCache) truncateFromEnd(end int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.entries)
	for n > 0 && c.entries[n-1].start >= end {
		n--
	}
	changed := n != len(c.entries)
	c.entries = c.entries[:n]
	return changed
}

// truncateFromStart moves the log start to start: the last entry starting
// at or below it now starts at start, and older entries go.
func (c *epochCache) truncateFromStart(start int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.entries) - 1
	for i >= 0 && c.entries[i].start > start {
		i--
	}
	if i < 0 || (i == 0 && c.entries[0].start == start) {
		return false
	}
	c.entries = slices.Delete(c.entries, 0, i)
	c.entries[0].start = start
	return true
}

func (c *epochCache) clear() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := len(c.entries) > 0
	c.entries = nil
	return changed
}

func (c *epochCache) snapshot() []epochEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.entries)
}

// endOffsetFor answers Kafka's OffsetsForLeaderEpoch for epoch, given the
// log end offset: the largest known epoch at or below it and the start of
// the next larger epoch (or logEnd for the latest). (-1, -1) when the cache
// is empty or epoch is above the latest; for an epoch below the first one
// Kafka answers (epoch, first start).
func (c *epochCache) endOffsetFor(epoch int32, logEnd int64) (int32, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := len(c.entries)
	if n == 0 || epoch < 0 {
		return -1, -1
	}
	if epoch == c.entries[n-1].epoch {
		return epoch, logEnd
	}
	// first entry with a larger epoch
	i, _ := slices.BinarySearchFunc(c.entries, epoch, func(e epochEntry, t int32) int {
		if e.epoch <= t {
			return -1
		}
		return 1
	})
	if i == n {
		return -1, -1
	}
	if i == 0 {
		return epoch, c.entries[0].start
	}
	return c.entries[i-1].epoch, c.entries[i].start
}

// encode renders the checkpoint file.
func encodeEpochs(entries []epochEntry) []byte {
	var b strings.Builder
	b.WriteString(checkpointVersion + "\n" + strconv.Itoa(len(entries)) + "\n")
	for _, e := range entries {
		b.WriteString(strconv.FormatInt(int64(e.epoch), 10) + " " + strconv.FormatInt(e.start, 10) + "\n")
	}
	return []byte(b.String())
}

// readEpochCheckpoint loads the checkpoint. ok is false when it does not
// exist; an error means it exists but is unreadable.
func readEpochCheckpoint(dir string) ([]epochEntry, bool, error) {
	lines, ok, err := checkpointLines(dir, epochCheckpointFile)
	if !ok || err != nil {
		return nil, ok, err
	}
	bad := func(why string) ([]epochEntry, bool, error) {
		return nil, true, fmt.Errorf("%w: %s: %s", errBadCheckpoint, epochCheckpointFile, why)
	}
	if len(lines) < 1 {
		return bad("no count")
	}
	n, err := strconv.Atoi(lines[0])
	if err != nil || n != len(lines)-1 {
		return bad("count does not match entries")
	}
	entries := make([]epochEntry, 0, n)
	for _, line := range lines[1 : 1+n] {
		f := strings.Fields(line)
		if len(f) != 2 {
			return bad("line " + strconv.Quote(line))
		}
		ep, err1 := strconv.ParseInt(f[0], 10, 32)
		start, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || ep < 0 || start < 0 {
			return bad("line " + strconv.Quote(line))
		}
		if k := len(entries); k > 0 && (int32(ep) <= entries[k-1].epoch || start <= entries[k-1].start) {
			return bad("entries out of order")
		}
		entries = append(entries, epochEntry{int32(ep), start})
	}
	return entries, true, nil
}
