package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec state is expensive to create (zstd above all), so it is shared:
// gzip and lz4 writers and readers live in sync.Pools; zstd has one
// package-level encoder and decoder, whose EncodeAll and DecodeAll are safe
// for concurrent use (and start no goroutines). All are created on first
// use.

// sliceWriter is an io.Writer that appends to b.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

type gzipWriter struct {
	w   *gzip.Writer
	out sliceWriter
}

type lz4Writer struct {
	w   *lz4.Writer
	out sliceWriter
}

type gzipReader struct {
	r   gzip.Reader
	src bytes.Reader
}

type lz4Reader struct {
	r   *lz4.Reader
	src bytes.Reader
}

var (
	gzipWriters = sync.Pool{New: func() any {
		g := &gzipWriter{}
		g.w = gzip.NewWriter(&g.out)
		return g
	}}
	lz4Writers = sync.Pool{New: func() any {
		l := &lz4Writer{}
		l.w = lz4.NewWriter(&l.out)
		// 64 KiB blocks as the Kafka Java producer writes them (smaller
		// buffers than the library's 4 MiB default); fastest level.
		if err := l.w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.CompressionLevelOption(lz4.Fast)); err != nil {
			l.w = lz4.NewWriter(&l.out)
		}
		return l
	}}
	gzipReaders = sync.Pool{New: func() any { return new(gzipReader) }}
	lz4Readers  = sync.Pool{New: func() any {
		l := &lz4Reader{}
		l.r = lz4.NewReader(nil)
		return l
	}}
	// readScratch holds the output of the gzip and lz4 readers while
	// decoding.
	readScratch = sync.Pool{New: func() any { return new([]byte) }}

	zstdEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
		return zstd.NewWriter(nil,
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithWindowSize(64<<10),
			zstd.WithZeroFrames(true))
	})
	zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
		return zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(MaxRecordsBytes),
			zstd.WithDecodeAllCapLimit(true))
	})
	// zstdScratch holds the output buffers DecodeAll decodes into.
	zstdScratch = sync.Pool{New: func() any { return new([]byte) }}
)

// maxPooledScratch keeps the pool from pinning buffers grown by a rare huge
// batch.
const maxPooledScratch = 4 << 20

// compress appends src compressed with c to dst.
func compress(dst, src []byte, c Compression) ([]byte, error) {
	switch c {
	case CompressionGzip:
		g := gzipWriters.Get().(*gzipWriter)
		defer gzipWriters.Put(g)
		g.out.b = dst
		defer func() { g.out.b = nil }()
		g.w.Reset(&g.out)
		if _, err := g.w.Write(src); err != nil {
			return dst, fmt.Errorf("record: gzip: %w", err)
		}
		if err := g.w.Close(); err != nil {
			return dst, fmt.Errorf("record: gzip: %w", err)
		}
		return g.out.b, nil
	case CompressionSnappy:
		return appendSnappy(dst, src)
	case CompressionLZ4:
		l := lz4Writers.Get().(*lz4Writer)
		defer lz4Writers.Put(l)
		l.out.b = dst
		defer func() { l.out.b = nil }()
		l.w.Reset(&l.out)
		if _, err := l.w.Write(src); err != nil {
			return dst, fmt.Errorf("record: lz4: %w", err)
		}
		if err := l.w.Close(); err != nil {
			return dst, fmt.Errorf("record: lz4: %w", err)
		}
		return l.out.b, nil
	case CompressionZstd:
		enc, err := zstdEncoder()
		if err != nil {
			return dst, fmt.Errorf("record: zstd: %w", err)
		}
		return enc.EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("%w: %d", ErrUnsupportedCompression, c)
}

// decompress returns src decompressed with c into a new slice of at most
// limit bytes; larger output is ErrTooLarge, malformed input ErrCorrupt. The
// result never aliases src. Output buffers grow with what is actually
// decoded, never with what a payload claims about its size.
func decompress(src []byte, c Compression, limit int) ([]byte, error) {
	switch c {
	case CompressionGzip:
		g := gzipReaders.Get().(*gzipReader)
		defer gzipReaders.Put(g)
		g.src.Reset(src)
		if err := g.r.Reset(&g.src); err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrCorrupt, err)
		}
		out, err := readBounded(&g.r, limit)
		g.src.Reset(nil)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return out, nil
	case CompressionSnappy:
		return decodeSnappy(src, limit)
	case CompressionLZ4:
		l := lz4Readers.Get().(*lz4Reader)
		defer lz4Readers.Put(l)
		l.src.Reset(src)
		l.r.Reset(&l.src)
		out, err := readBounded(l.r, limit)
		l.src.Reset(nil)
		l.r.Reset(nil)
		if err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		return out, nil
	case CompressionZstd:
		return decodeZstd(src, limit)
	}
	return nil, fmt.Errorf("%w: %d", ErrUnsupportedCompression, c)
}

// readBounded reads r to the end into a fresh slice, failing with
// ErrTooLarge past limit bytes. The pooled buffer it reads into grows by
// doubling up to limit+1, so a bomb costs about twice the limit.
func readBounded(r io.Reader, limit int) ([]byte, error) {
	bp := readScratch.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= maxPooledScratch {
			*bp = buf[:0]
			readScratch.Put(bp)
		}
	}()
	for stalls := 0; ; {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
			}
			grown := make([]byte, len(buf), min(max(2*cap(buf), 64<<10), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			if len(buf) > limit {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
			}
			return slices.Clone(buf), nil
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		case n == 0:
			if stalls++; stalls > 100 {
				return nil, fmt.Errorf("%w: %v", ErrCorrupt, io.ErrNoProgress)
			}
		default:
			stalls = 0
		}
	}
}

// maxZstdRatio bounds zstd's expansion: every block takes at least 4 bytes
// (a 3-byte header and one byte) and decodes to at most 128 KiB.
const maxZstdRatio = 32 << 10

// decodeZstd decodes one or more zstd frames with DecodeAll, which keeps
// its history in the output rather than in a window-sized ring (a stream
// decoder allocates the window a frame declares, up to MaxRecordsBytes, for
// a few bytes of input). The decoder is limited to the output buffer's
// capacity; the buffer starts at a guess and grows fourfold, up to what
// the input can possibly decode to, until the payload fits or limit is
// reached.
func decodeZstd(src []byte, limit int) ([]byte, error) {
	dec, err := zstdDecoder()
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
	}
	maxOut := min(limit, maxZstdRatio*len(src))
	size := min(maxOut, max(64<<10, 4*len(src)))
	bp := zstdScratch.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledScratch {
			zstdScratch.Put(bp)
		}
	}()
	for {
		if cap(*bp) < size {
			*bp = make([]byte, 0, size)
		}
		out, err := dec.DecodeAll(src, (*bp)[:0:size])
		switch {
		case err == nil:
			if cap(out) > cap(*bp) {
				*bp = out[:0] // grew past the buffer by at most a block
			}
			return slices.Clone(out), nil
		case !errors.Is(err, zstd.ErrDecoderSizeExceeded):
			return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		case size >= limit:
			return nil, fmt.Errorf("%w: zstd: more than %d bytes", ErrTooLarge, limit)
		case size >= maxOut:
			return nil, fmt.Errorf("%w: zstd: %d bytes cannot decode to more than %d", ErrCorrupt, len(src), maxOut)
		}
		size = min(maxOut, 4*size)
	}
}
