package replica

import (
	"context"
	"time"

	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Fetch size bounds.
const (
	DefaultFetchMaxBytes = 1 << 20
	MaxFetchMaxBytes     = 64 << 20
)

// FetchRequest reads from a partition this node leads.
type FetchRequest struct {
	Offset      int64
	MaxBytes    int           // <= 0: DefaultFetchMaxBytes; capped at MaxFetchMaxBytes
	MaxWait     time.Duration // wait this long for data when Offset is the high watermark
	LeaderEpoch int32         // the sender's leader epoch, or -1 to skip the check
}

// FetchResult holds whole batches, the first containing the requested offset, all below the
// high watermark.
type FetchResult struct {
	Records []byte
	Offsets
}

// Fetch reads whole batches from offset up to the high watermark. An offset below the log start
// or above the high watermark is OFFSET_OUT_OF_RANGE; at the high watermark, Fetch waits up to
// MaxWait for it to move (a long poll woken by appends, no polling) and otherwise returns no
// records. Errors are *rpcerr.Error values.
func (p *Partition) Fetch(ctx context.Context, req FetchRequest) (FetchResult, error) {
	maxBytes := req.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultFetchMaxBytes
	}
	maxBytes = min(maxBytes, MaxFetchMaxBytes)
	var timer *time.Timer
	expired := req.MaxWait <= 0 || isClosed(p.drain)
	for {
		p.mu.RLock()
		if err := p.checkLeaderLocked(req.LeaderEpoch); err != nil {
			p.mu.RUnlock()
			return FetchResult{}, err
		}
		off := p.offsetsLocked()
		p.hwMu.Lock()
		changed := p.changed
		p.hwMu.Unlock()
		if req.Offset < off.LogStart || req.Offset > off.HighWatermark {
			p.mu.RUnlock()
			return FetchResult{}, rpcerr.New(rpcerr.OffsetOutOfRange,
				"offset %d of partition %d of topic %q is outside [%d, %d] (log start, high watermark)",
				req.Offset, p.index, p.topic, off.LogStart, off.HighWatermark)
		}
		if req.Offset < off.HighWatermark {
			data, err := p.log.Read(req.Offset, maxBytes, off.HighWatermark)
			p.mu.RUnlock()
			if err != nil {
				return FetchResult{}, p.logError(err, "read from")
			}
			p.metrics.fetchBytes.Add(ctx, int64(len(data)), p.attrs)
			p.metrics.fetchRecords.Add(ctx, countRecords(data), p.attrs)
			return FetchResult{Records: data, Offsets: off}, nil
		}
		p.mu.RUnlock()
		if expired {
			return FetchResult{Offsets: off}, nil
		}
		if timer == nil {
			timer = time.NewTimer(req.MaxWait)
			defer timer.Stop()
			p.metrics.fetchWaits.Add(1)
			defer p.metrics.fetchWaits.Add(-1)
		}
		select {
		case <-changed:
		case <-timer.C:
			expired = true
		case <-p.drain:
			expired = true
		case <-ctx.Done():
			return FetchResult{}, rpcerr.Wrap(rpcerr.RequestTimedOut, ctx.Err(), "fetch ended: %v", ctx.Err())
		}
	}
}

// countRecords counts the records of the whole batches in data (read from the log, so trusted).
func countRecords(data []byte) int64 {
	var n int64
	for len(data) >= record.HeaderSize {
		h, err := record.ParseHeader(data)
		if err != nil || h.Size() > len(data) {
			break
		}
		n += int64(h.LastOffsetDelta) + 1
		data = data[h.Size():]
	}
	return n
}

// Offsets returns the log bounds of a partition this node leads.
func (p *Partition) Offsets() (Offsets, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkLeaderLocked(-1); err != nil {
		return Offsets{}, err
	}
	return p.offsetsLocked(), nil
}

// isClosed reports whether ch is closed (nil is never closed).
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
