package commitlog

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// Log is the segmented log of one partition replica. It is safe for
// concurrent use: appends serialise on the append lock, reads do not take it.
type Log struct {
	dir  string
	opts Options
	log  *slog.Logger

	// mu is the append lock. It serialises appends and every change of the
	// segment set, and guards the fields below it.
	mu            sync.Mutex
	active        *segment
	failed        error  // set on a failed write or fsync; writes then refuse
	recoveryPoint int64  // segments below it are fsynced whole
	writeSeq      uint64 // bumped by every write, never decreases
	epochs        epochCache

	closed atomic.Bool

	// segMu excludes readers (and fsyncs running outside mu) while segment
	// files are truncated, removed or closed. Lock order: mu, then segMu.
	segMu sync.RWMutex
	segs  atomic.Pointer[[]*segment] // copy on write; oldest first
	start atomic.Int64               // log start offset
	end   atomic.Int64               // log end offset, stored after the write
	gen   atomic.Uint64              // bumped when the log end moves backwards

	// Group commit; syncMu is a leaf lock.
	syncMu    sync.Mutex
	syncCond  sync.Cond
	syncing   bool   // an fsync is running outside syncMu
	syncedSeq uint64 // writes up to this sequence number are durable
	syncErr   error
	durable   atomic.Int64 // DurableEndOffset
	fsyncs    atomic.Int64 // segment fsyncs issued (tests, metrics)

	notifyMu sync.Mutex
	notify   chan struct{}

	hwMu sync.Mutex
	hw   int64

	loadedMu sync.Mutex
	loaded   []*segment // sealed segments whose indexes are in memory

	stop chan struct{}
	wg   sync.WaitGroup
}

// maxLoadedIndexes bounds how many sealed segments of a log keep their
// indexes in memory (about 0.5% of a segment's size each at the default
// index interval); the oldest loaded is dropped first. Readers are usually
// near the tail, so two sealed segments cover a consumer crossing a roll.
const maxLoadedIndexes = 2

// Open opens the log in dir, creating dir and an empty log at offset 0 if
// needed, and recovers it (see doc.go). With FsyncInterval it starts the
// background syncer, which Close stops.
func Open(dir string, opts Options) (*Log, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("commitlog: open %s: %w", dir, err)
	}
	l := &Log{dir: dir, opts: opts, log: opts.Logger.With("dir", dir), stop: make(chan struct{})}
	l.syncCond.L = &l.syncMu
	if err := l.recover(); err != nil {
		l.closeFiles()
		return nil, fmt.Errorf("commitlog: open %s: %w", dir, err)
	}
	if opts.Fsync.Mode == FsyncInterval {
		l.wg.Add(1)
		go l.runSyncer(opts.Fsync.Interval)
	}
	return l, nil
}

// Dir returns the directory of the log.
func (l *Log) Dir() string { return l.dir }

// LogStartOffset is the first offset in the log.
func (l *Log) LogStartOffset() int64 { return l.start.Load() }

// LogEndOffset is the offset the next batch will get.
func (l *Log) LogEndOffset() int64 { return l.end.Load() }

// DurableEndOffset is the end of the prefix known to be fsynced. With
// FsyncAlways every append that has returned is below it; with
// FsyncInterval it advances every interval; with FsyncNever at Sync and
// Close. A leader computing the high watermark under FsyncAlways may use it
// as its own end offset.
func (l *Log) DurableEndOffset() int64 { return min(l.durable.Load(), l.end.Load()) }

// Size is the number of bytes in the log's segment files.
func (l *Log) Size() int64 {
	var n int64
	for _, s := range l.segments() {
		n += s.size.Load()
	}
	return n
}

// Changed returns a channel that is closed when the log end offset next
// moves (append or truncation) or the log closes: wait on it instead of
// polling, then take a new one.
func (l *Log) Changed() <-chan struct{} {
	l.notifyMu.Lock()
	defer l.notifyMu.Unlock()
	if l.closed.Load() {
		return closedChan
	}
	if l.notify == nil {
		l.notify = make(chan struct{})
	}
	return l.notify
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (l *Log) signal() {
	l.notifyMu.Lock()
	if l.notify != nil {
		close(l.notify)
		l.notify = nil
	}
	l.notifyMu.Unlock()
}

// segments returns the current segment list (oldest first); do not modify.
func (l *Log) segments() []*segment {
	if p := l.segs.Load(); p != nil {
		return *p
	}
	return nil
}

func (l *Log) setSegments(segs []*segment) { l.segs.Store(&segs) }

// find returns the index of the segment that holds offset: the last one
// whose base offset is at or below it.
func find(segs []*segment, offset int64) int {
	return sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
}

// segmentEnd is the offset after segment i: the next segment's base, or
// the log end offset for the active one.
func (l *Log) segmentEnd(segs []*segment, i int) int64 {
	if i+1 < len(segs) {
		return segs[i+1].base
	}
	return l.end.Load()
}

// writable reports why writes are refused, if they are. Callers hold mu.
func (l *Log) writable() error {
	if l.closed.Load() {
		return ErrClosed
	}
	if l.failed != nil {
		return l.failed
	}
	return nil
}

// fail puts the log in the failed state after an I/O error whose effect on
// disk is unknown. Callers hold mu.
func (l *Log) fail(err error) error {
	if l.failed == nil {
		l.failed = fmt.Errorf("%w: %w", ErrFailed, err)
		l.log.Error("log failed, refusing writes until reopened", "err", err)
	}
	return l.failed
}

// Sync forces every appended byte to stable storage and advances the
// recovery point.
func (l *Log) Sync() error {
	return l.syncAll()
}

// Close stops the background syncer, fsyncs the log, writes the recovery
// point and closes the files. Appends waiting for durability are released.
// Close is idempotent; later calls return nil. After Close every method
// returns ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return nil
	}
	l.closed.Store(true)
	if l.opts.Fsync.Mode == FsyncInterval {
		// The syncer takes mu; let it finish.
		l.mu.Unlock()
		close(l.stop)
		l.wg.Wait()
		l.mu.Lock()
	} else {
		close(l.stop)
	}
	defer l.mu.Unlock()

	var errs []error
	if l.failed == nil {
		segs := l.segments()
		l.segMu.RLock()
		for _, s := range segs {
			if s.base < l.recoveryPoint && s != l.active {
				continue
			}
			if err := l.fdatasync(s.f); err != nil {
				errs = append(errs, err)
				continue
			}
			if !s.active.Load() {
				errs = append(errs, s.syncIndexes())
			}
		}
		l.segMu.RUnlock()
		if err := errors.Join(errs...); err == nil {
			l.markSynced(l.writeSeq, l.end.Load(), l.gen.Load())
			errs = append(errs, l.setRecoveryPoint(l.active.base))
		} else {
			l.fail(err)
		}
	}
	l.hwMu.Lock()
	l.segMu.Lock()
	errs = append(errs, l.closeFiles())
	l.segMu.Unlock()
	l.hwMu.Unlock()
	l.releaseWaiters()
	l.signal()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("commitlog: close %s: %w", l.dir, err)
	}
	return nil
}

// closeFiles closes every segment file. Callers hold segMu (or own the log
// exclusively, as Open does).
func (l *Log) closeFiles() error {
	var errs []error
	for _, s := range l.segments() {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// Delete closes the log and removes its directory.
func (l *Log) Delete() error {
	err := l.Close()
	if rerr := os.RemoveAll(l.dir); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// setRecoveryPoint persists a new recovery point if it moved. Callers hold
// mu.
func (l *Log) setRecoveryPoint(rp int64) error {
	if rp == l.recoveryPoint {
		return nil
	}
	if err := writeOffsetCheckpoint(l.dir, recoveryPointCheckpointFile, rp); err != nil {
		return err
	}
	l.recoveryPoint = rp
	return nil
}

// persistEpochs writes the leader-epoch checkpoint. Callers hold mu.
func (l *Log) persistEpochs() error {
	return writeFileAtomic(l.dir, epochCheckpointFile, encodeEpochs(l.epochs.snapshot()))
}

// LatestEpoch is the latest leader epoch in the log, if any.
func (l *Log) LatestEpoch() (int32, bool) { return l.epochs.latest() }

// EndOffsetForEpoch answers Kafka's OffsetsForLeaderEpoch: for the latest
// epoch, (epoch, LogEndOffset); for an older epoch, the largest known epoch
// at or below it and the start offset of the next larger epoch; for an
// epoch below the first known one, (epoch, start of the first); (-1, -1)
// when nothing is known or epoch is above the latest.
func (l *Log) EndOffsetForEpoch(epoch int32) (endEpoch int32, endOffset int64) {
	return l.epochs.endOffsetFor(epoch, l.end.Load())
}

// HighWatermarkCheckpoint returns the last checkpointed high watermark (read
// at Open, or written since), clamped to [LogStartOffset, LogEndOffset]; 0
// clamped likewise if none was ever written.
func (l *Log) HighWatermarkCheckpoint() int64 {
	l.hwMu.Lock()
	hw := l.hw
	l.hwMu.Unlock()
	return min(max(hw, l.start.Load()), l.end.Load())
}

// CheckpointHighWatermark writes hw to the high-watermark checkpoint
// crash-safely (two fsyncs and a rename: call it periodically, not per
// append). Writing the value already checkpointed does nothing.
func (l *Log) CheckpointHighWatermark(hw int64) error {
	if hw < 0 {
		return fmt.Errorf("%w: high watermark %d", ErrOffsetOutOfRange, hw)
	}
	l.hwMu.Lock()
	defer l.hwMu.Unlock()
	if l.closed.Load() {
		return ErrClosed
	}
	if hw == l.hw {
		return nil
	}
	if err := writeOffsetCheckpoint(l.dir, highWatermarkCheckpointFile, hw); err != nil {
		return fmt.Errorf("commitlog: %w", err)
	}
	l.hw = hw
	return nil
}

// String describes the log for logs and test failures.
func (l *Log) String() string {
	return fmt.Sprintf("commitlog(%s [%d, %d) %d segments)", l.dir, l.start.Load(), l.end.Load(), len(l.segments()))
}
