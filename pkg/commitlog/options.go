package commitlog

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultSegmentBytes       = 1 << 30 // Kafka segment.bytes
	DefaultIndexIntervalBytes = 4096    // Kafka index.interval.bytes
	// MaxSegmentBytes bounds SegmentBytes so that positions fit the index
	// (Kafka's segment.bytes is an int as well).
	MaxSegmentBytes = math.MaxInt32
)

// FsyncMode says when appended bytes are forced to stable storage.
type FsyncMode int

const (
	// FsyncAlways: an append returns only once an fsync covers it; one fsync
	// is shared by the appends that queued behind the previous one.
	FsyncAlways FsyncMode = iota
	// FsyncInterval: a background goroutine fsyncs every Interval.
	FsyncInterval
	// FsyncNever: the OS writes back when it likes; Sync and Close fsync.
	FsyncNever
)

// FsyncPolicy is the fsync mode and, for FsyncInterval, its period. The zero
// value is FsyncAlways.
type FsyncPolicy struct {
	Mode     FsyncMode
	Interval time.Duration
}

// ParseFsyncPolicy parses the flag forms "always", "never", "interval=<ms>"
// (a number of milliseconds) and "interval=<duration>" (e.g. "200ms", "1s").
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch v := strings.TrimSpace(strings.ToLower(s)); {
	case v == "always":
		return FsyncPolicy{Mode: FsyncAlways}, nil
	case v == "never":
		return FsyncPolicy{Mode: FsyncNever}, nil
	case strings.HasPrefix(v, "interval="):
		arg := strings.TrimPrefix(v, "interval=")
		var d time.Duration
		if ms, err := strconv.ParseInt(arg, 10, 64); err == nil {
			if ms > math.MaxInt64/int64(time.Millisecond) {
				return FsyncPolicy{}, fmt.Errorf("%w: fsync interval %q too large", ErrInvalidOptions, arg)
			}
			d = time.Duration(ms) * time.Millisecond
		} else if d, err = time.ParseDuration(arg); err != nil {
			return FsyncPolicy{}, fmt.Errorf("%w: fsync interval %q: want milliseconds or a duration such as 200ms", ErrInvalidOptions, arg)
		}
		p := FsyncPolicy{Mode: FsyncInterval, Interval: d}
		return p, p.validate()
	}
	return FsyncPolicy{}, fmt.Errorf("%w: fsync policy %q: want always, never or interval=<ms>", ErrInvalidOptions, s)
}

// String returns the form ParseFsyncPolicy reads.
func (p FsyncPolicy) String() string {
	switch p.Mode {
	case FsyncAlways:
		return "always"
	case FsyncNever:
		return "never"
	case FsyncInterval:
		if p.Interval%time.Millisecond == 0 {
			return "interval=" + strconv.FormatInt(p.Interval.Milliseconds(), 10)
		}
		return "interval=" + p.Interval.String()
	}
	return fmt.Sprintf("fsync(%d)", int(p.Mode))
}

// Set implements flag.Value.
func (p *FsyncPolicy) Set(s string) error {
	v, err := ParseFsyncPolicy(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

func (p FsyncPolicy) validate() error {
	switch p.Mode {
	case FsyncAlways, FsyncNever:
		return nil
	case FsyncInterval:
		if p.Interval <= 0 {
			return fmt.Errorf("%w: fsync interval %v must be positive", ErrInvalidOptions, p.Interval)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown fsync mode %d", ErrInvalidOptions, int(p.Mode))
}

// Options configure a Log. Zero fields take the documented defaults.
type Options struct {
	// SegmentBytes rolls the active segment before a batch would take it
	// past this size (default 1 GiB, at most MaxSegmentBytes).
	SegmentBytes int64
	// SegmentAge rolls the active segment once its first batch was
	// appended longer ago (Kafka segment.ms); after a restart the first
	// batch's MaxTimestamp stands in for the append time unless it is
	// missing or in the future. 0: never.
	SegmentAge time.Duration
	// IndexIntervalBytes spaces the sparse offset index entries (default
	// 4096).
	IndexIntervalBytes int
	// RetentionAge deletes sealed segments whose newest batch is older
	// (retention.ms). <= 0: keep forever.
	RetentionAge time.Duration
	// RetentionBytes deletes the oldest sealed segments while the log is
	// larger (retention.bytes). <= 0: no size limit.
	RetentionBytes int64
	// Fsync is the durability policy (default FsyncAlways).
	Fsync FsyncPolicy
	// Now is the clock for segment age and retention (default time.Now).
	Now func() time.Time
	// Logger receives recovery and failure messages (default: discarded).
	Logger *slog.Logger
	// OnSync, when set, is called after every fdatasync of a segment file with how long it took
	// and its error (for an fsync latency metric). It runs on the syncing goroutine: keep it
	// cheap and non-blocking.
	OnSync func(took time.Duration, err error)
}

// Validate reports the first invalid field. Zero values are valid (they mean
// the defaults).
func (o Options) Validate() error {
	switch {
	case o.SegmentBytes < 0 || o.SegmentBytes > MaxSegmentBytes:
		return fmt.Errorf("%w: SegmentBytes %d not in [1, %d]", ErrInvalidOptions, o.SegmentBytes, MaxSegmentBytes)
	case o.SegmentAge < 0:
		return fmt.Errorf("%w: SegmentAge %v is negative", ErrInvalidOptions, o.SegmentAge)
	case o.IndexIntervalBytes < 0:
		return fmt.Errorf("%w: IndexIntervalBytes %d is negative", ErrInvalidOptions, o.IndexIntervalBytes)
	}
	return o.Fsync.validate()
}

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.IndexIntervalBytes == 0 {
		o.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
