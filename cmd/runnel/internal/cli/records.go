package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"unicode/utf8"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"google.golang.org/protobuf/types/known/structpb"
)

// Batch limits of produce: one Produce call carries at most this many records or bytes.
const (
	maxBatchRecords = 500
	maxBatchBytes   = 1 << 20
)

// parseAcks checks an --acks value and returns it as the request's acks. It accepts Kafka's
// spellings: all, -1, 1, 0.
func parseAcks(s string) (*structpb.Value, error) {
	switch s {
	case "all", "-1", "1", "0":
		return structpb.NewStringValue(s), nil
	}
	return nil, usagef("--acks %q: use all (or -1), 1 or 0", s)
}

// splitKey splits line at the first sep into key and value. Without sep, or when the line has no
// sep, the whole line is the value and there is no key.
func splitKey(line []byte, sep string) (key, value []byte, hasKey bool) {
	if sep == "" {
		return nil, line, false
	}
	k, v, ok := bytes.Cut(line, []byte(sep))
	if !ok {
		return nil, line, false
	}
	return k, v, true
}

// newRecord builds the record of one input line: UTF-8 text goes as key/value, other bytes as
// key_base64/value_base64 (gRPC strings must be valid UTF-8).
func newRecord(line []byte, sep string, partition *int32) *runnelv1.ProduceRecord {
	key, value, hasKey := splitKey(line, sep)
	r := &runnelv1.ProduceRecord{Partition: partition}
	if hasKey {
		if utf8.Valid(key) {
			s := string(key)
			r.Key = &s
		} else {
			r.KeyBase64 = bytes.Clone(key)
		}
	}
	if utf8.Valid(value) {
		s := string(value)
		r.Value = &s
	} else {
		r.ValueBase64 = bytes.Clone(value)
	}
	return r
}

// line is one line of input: its bytes (no line ending) and its 1-based number.
type line struct {
	n    int
	data []byte
}

// readLines sends every line of r to out, without its "\n" or "\r\n", and closes out at the end
// of r. It returns nil at EOF, ctx's error when ctx ends first, or the read error. It may stay
// blocked in a Read of r after ctx ends, until that Read returns.
func readLines(ctx context.Context, r io.Reader, out chan<- line) error {
	defer close(out)
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			b = bytes.TrimSuffix(b, []byte("\n"))
			b = bytes.TrimSuffix(b, []byte("\r"))
			select {
			case out <- line{n: n, data: b}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// batcher groups input lines into Produce batches.
type batcher struct {
	in         <-chan line
	maxRecords int
	maxBytes   int
	carry      *line // a line read but left for the next batch
}

// next waits for a first line, then takes the lines already waiting, up to maxRecords lines and
// maxBytes bytes (a line longer than maxBytes goes alone). open is false once in is closed and
// drained; the batch returned with it may still hold lines.
func (b *batcher) next(ctx context.Context) (batch []line, open bool, err error) {
	if b.carry != nil {
		batch = append(batch, *b.carry)
		b.carry = nil
	} else {
		select {
		case l, ok := <-b.in:
			if !ok {
				return nil, false, nil
			}
			batch = append(batch, l)
		case <-ctx.Done():
			return nil, true, ctx.Err()
		}
	}
	size := len(batch[0].data)
	for len(batch) < b.maxRecords {
		select {
		case l, ok := <-b.in:
			if !ok {
				return batch, false, nil
			}
			if size+len(l.data) > b.maxBytes {
				b.carry = &l
				return batch, true, nil
			}
			batch = append(batch, l)
			size += len(l.data)
		default:
			return batch, true, nil
		}
	}
	return batch, true, nil
}
