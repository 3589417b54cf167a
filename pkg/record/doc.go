// Package record reads and writes Kafka record batches, format v2 (magic 2),
// byte for byte as Kafka 0.11+ brokers and clients do. A batch is the unit
// Runnel stores, replicates and serves: the gateway encodes it once, storage
// validates it and sets its base offset and leader epoch, and every later hop
// passes the bytes through unchanged.
//
// # Layout
//
// All integers in the header are big endian. Offsets are from the start of
// the batch:
//
//	offset size field
//	     0    8 base offset            (outside the CRC)
//	     8    4 length                 bytes after this field: batch size - 12
//	    12    4 partition leader epoch (outside the CRC)
//	    16    1 magic                  2
//	    17    4 crc                    CRC-32C (Castagnoli) of bytes 21..end
//	    21    2 attributes             bits 0-2 compression (0 none, 1 gzip,
//	                                   2 snappy, 3 lz4, 4 zstd), bit 3 timestamp
//	                                   type (1 = LogAppendTime), bit 4
//	                                   transactional, bit 5 control
//	    23    4 last offset delta      record count - 1 in a dense batch
//	    27    8 first timestamp        timestamp of the first record (ms)
//	    35    8 max timestamp          largest record timestamp (ms)
//	    43    8 producer id            -1: no producer
//	    51    2 producer epoch         -1: none
//	    53    4 base sequence          -1: none
//	    57    4 record count
//	    61    … records                compressed as a whole when attributes say so
//
// Each record is a zigzag varint length (of what follows), then: attributes
// (int8, unused, 0), timestamp delta (varlong, from the first timestamp),
// offset delta (varint), key length (varint, -1 = null) and key, value length
// (varint, -1 = null) and value, header count (varint), and per header: key
// length (varint, never null) and key, value length (varint, -1 = null) and
// value. Varints are at most 5 bytes and 32 bits, varlongs at most 10 bytes.
//
// Compressed payloads: gzip (RFC 1952, concatenated members accepted), snappy
// (written as one raw snappy block, as franz-go and librdkafka do; read as a
// raw block or in the xerial framing of the Java client), lz4 (the LZ4 frame
// format) and zstd (zstd frames).
//
// # Guarantees
//
//   - Encode writes the bytes a Kafka client writes for the same records and
//     options (checked byte for byte against franz-go's kmsg in the tests):
//     minimal varints, offset delta i for record i, timestamp deltas from the
//     first record, record attributes 0.
//   - Validate checks one whole batch (sizes, magic, CRC, codec, dense record
//     count, and for uncompressed batches the record framing) without
//     allocating. Storage runs it on every batch it accepts and never serves
//     bytes that failed it. Base offset and partition leader epoch are
//     outside the CRC, as in Kafka, so SetBaseOffset and
//     SetPartitionLeaderEpoch keep a batch valid.
//   - Decode never panics on any input, never aliases its input, and bounds
//     memory by the input and MaxRecordsBytes (decompression stops with
//     ErrTooLarge), not by sizes or counts read from the bytes: a copy of the
//     input, the decompressed records (buffers grow geometrically, so about
//     4 times MaxRecordsBytes transiently for a bomb), and about 16 bytes of
//     Record structs per byte of decompressed records. Records it returns
//     re-encode (with the same options) to a batch that decodes to equal
//     records.
//   - Errors wrap one of the package sentinels: ErrCorrupt, ErrShortBatch
//     (a torn tail, not damage), ErrUnsupportedMagic,
//     ErrUnsupportedCompression, ErrTooLarge, ErrNoRecords.
//
// Runnel batches are dense (record i has offset delta i, count =
// last offset delta + 1 >= 1), which is what every Kafka producer writes and
// what Kafka's broker demands of produced batches. Batches thinned by log
// compaction are not accepted.
package record
