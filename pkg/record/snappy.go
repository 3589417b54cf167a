package record

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
)

// Kafka's snappy payloads come in two shapes: a raw snappy block (what
// franz-go and librdkafka send) and the xerial/snappy-java stream framing the
// Java client writes: a 16-byte header (the magic below, then two big-endian
// int32 versions), then blocks, each a big-endian int32 length and a raw
// snappy block. Encode writes a raw block; decode accepts both.

// xerialMagic starts a xerial-framed payload.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderSize = 16

// maxSnappyRatio bounds how much a snappy block can expand: the densest tag
// (a 3-byte copy of 64 bytes) expands 64/3 < 22 times. A block claiming more
// is corrupt, so a tiny block cannot make us allocate MaxRecordsBytes.
const maxSnappyRatio = 22

// appendSnappy appends src as one raw snappy block to dst.
func appendSnappy(dst, src []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(src))
	if n < 0 {
		return dst, fmt.Errorf("%w: %d bytes too large for snappy", ErrTooLarge, len(src))
	}
	dst = growSlice(dst, n)
	enc := s2.EncodeSnappy(dst[len(dst):len(dst)+n], src)
	return dst[:len(dst)+len(enc)], nil
}

// decodeSnappy decodes a raw or xerial-framed snappy payload.
func decodeSnappy(src []byte, limit int) ([]byte, error) {
	if len(src) >= xerialHeaderSize && bytes.HasPrefix(src, xerialMagic) {
		return decodeXerial(src[xerialHeaderSize:], limit)
	}
	n, err := snappyLen(src, limit)
	if err != nil {
		return nil, err
	}
	out, err := snappy.DecodeStrict(make([]byte, n), src)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %v", ErrCorrupt, err)
	}
	return out, nil
}

// snappyLen returns the decoded length a raw block claims, after checking it
// against limit and the block's size.
func snappyLen(block []byte, limit int) (int, error) {
	n, err := snappy.DecodedLen(block)
	if err != nil {
		return 0, fmt.Errorf("%w: snappy: %v", ErrCorrupt, err)
	}
	if n > limit {
		return 0, fmt.Errorf("%w: snappy block of %d bytes", ErrTooLarge, n)
	}
	if n > maxSnappyRatio*len(block) {
		return 0, fmt.Errorf("%w: snappy block claims %d bytes from %d", ErrCorrupt, n, len(block))
	}
	return n, nil
}

// decodeXerial decodes the blocks that follow a xerial header. It first walks
// the block lengths to size the output once.
func decodeXerial(src []byte, limit int) ([]byte, error) {
	total := 0
	for rem := src; len(rem) > 0; {
		block, next, err := xerialBlock(rem)
		if err != nil {
			return nil, err
		}
		n, err := snappyLen(block, limit-total)
		if err != nil {
			return nil, err
		}
		total += n
		rem = next
	}
	out := make([]byte, 0, total)
	for rem := src; len(rem) > 0; {
		block, next, _ := xerialBlock(rem)
		n, _ := snappy.DecodedLen(block)
		if _, err := snappy.DecodeStrict(out[len(out):len(out)+n], block); err != nil {
			return nil, fmt.Errorf("%w: snappy (xerial): %v", ErrCorrupt, err)
		}
		out = out[:len(out)+n]
		rem = next
	}
	return out, nil
}

// xerialBlock splits the next length-prefixed block off b.
func xerialBlock(b []byte) (block, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: snappy (xerial): truncated block length", ErrCorrupt)
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: snappy (xerial): block of %d bytes, %d left", ErrCorrupt, n, len(b))
	}
	return b[:n], b[n:], nil
}

// growSlice returns b with room for n more bytes.
func growSlice(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n+len(b)/4)
	copy(nb, b)
	return nb
}
