package record

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (errors.Is), with detail appended to the message.
var (
	// ErrCorrupt reports bytes that are not a well-formed v2 batch: a CRC
	// mismatch, a length that does not add up, a malformed record or a
	// compressed payload that does not decompress.
	ErrCorrupt = errors.New("record: corrupt batch")
	// ErrShortBatch reports a buffer that ends before the batch it starts
	// does. At the end of a log or a read this is a torn or partial tail,
	// not damage.
	ErrShortBatch = errors.New("record: short batch")
	// ErrUnsupportedMagic reports a batch whose magic byte is not 2.
	ErrUnsupportedMagic = errors.New("record: unsupported magic")
	// ErrUnsupportedCompression reports a compression code outside 0..4.
	ErrUnsupportedCompression = errors.New("record: unsupported compression")
	// ErrTooLarge reports a batch larger than MaxBatchBytes, or a payload
	// that decompresses (or would encode) to more than MaxRecordsBytes.
	ErrTooLarge = errors.New("record: batch too large")
	// ErrNoRecords reports an attempt to encode a batch without records.
	ErrNoRecords = errors.New("record: no records")
)
