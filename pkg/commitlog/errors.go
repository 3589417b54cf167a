package commitlog

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them (use
// errors.Is); detail is appended to the message.
var (
	// ErrOffsetOutOfRange: the offset is below LogStartOffset or above
	// LogEndOffset (Kafka OFFSET_OUT_OF_RANGE).
	ErrOffsetOutOfRange = errors.New("commitlog: offset out of range")
	// ErrOffsetMismatch: a replicated batch does not start at LogEndOffset,
	// or replicated batches are not contiguous.
	ErrOffsetMismatch = errors.New("commitlog: offset mismatch")
	// ErrCorrupt: a batch failed validation (framing, CRC, record count), on
	// the way in or when read back from disk (Kafka CORRUPT_MESSAGE).
	ErrCorrupt = errors.New("commitlog: corrupt batch")
	// ErrTooLarge: a batch exceeds record.MaxBatchBytes (Kafka
	// MESSAGE_TOO_LARGE).
	ErrTooLarge = errors.New("commitlog: batch too large")
	// ErrStaleEpoch: a batch carries a leader epoch below the latest epoch in
	// the log, or a negative one.
	ErrStaleEpoch = errors.New("commitlog: stale leader epoch")
	// ErrClosed: the Log was closed.
	ErrClosed = errors.New("commitlog: log closed")
	// ErrFailed: an earlier write or fsync failed, so what is on disk is
	// unknown; the log refuses further writes until it is reopened (which
	// recovers it). Kafka KAFKA_STORAGE_ERROR.
	ErrFailed = errors.New("commitlog: log failed")
	// ErrInvalidOptions: Options.Validate or ParseFsyncPolicy refused a value.
	ErrInvalidOptions = errors.New("commitlog: invalid options")
)
