package produce

import (
	"errors"
	"sync"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// call collects the results of one Produce request while its records travel in batches.
type call struct {
	mu        sync.Mutex
	results   []*runnelv1.ProduceResult
	pending   int
	done      chan struct{}
	abandoned bool
}

func newCall(n int) *call {
	c := &call{results: make([]*runnelv1.ProduceResult, n), pending: n, done: make(chan struct{})}
	for i := range c.results {
		c.results[i] = &runnelv1.ProduceResult{}
	}
	return c
}

// complete records the outcome of the records idx (in the order they sit in their batch, whose
// first one got offset base). err non-nil fails them all.
func (c *call) complete(idx []int32, base int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.abandoned {
		return
	}
	for i, j := range idx {
		if err != nil {
			setError(c.results[j], err)
		} else {
			off := base + int64(i)
			c.results[j].Offset = &off
		}
	}
	c.pending -= len(idx)
	if c.pending == 0 {
		close(c.done)
	}
}

// abandon stops the call from taking more results and fails every record still pending with err.
// It returns the results, which nobody writes to any more.
func (c *call) abandon(err error) []*runnelv1.ProduceResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.abandoned {
		c.abandoned = true
		if c.pending > 0 {
			for _, r := range c.results {
				if r.Offset == nil && r.Error == nil {
					setError(r, err)
				}
			}
		}
	}
	return c.results
}

func setError(r *runnelv1.ProduceResult, err error) {
	e := asCatalogue(err)
	name, msg := e.Code.Name, e.Msg
	if msg == "" {
		msg = e.Code.Hint
	}
	r.Error, r.Message, r.Offset = &name, &msg, nil
}

func asCatalogue(err error) *rpcerr.Error {
	var e *rpcerr.Error
	if errors.As(err, &e) {
		return e
	}
	return rpcerr.FromStatus(err).(*rpcerr.Error)
}

// commonError returns the error every result shares, or nil when some record succeeded or the
// records failed in different ways.
func commonError(results []*runnelv1.ProduceResult) error {
	if len(results) == 0 || results[0].Error == nil {
		return nil
	}
	name := results[0].GetError()
	for _, r := range results[1:] {
		if r.Error == nil || r.GetError() != name {
			return nil
		}
	}
	code, ok := rpcerr.Lookup(name)
	if !ok {
		code = rpcerr.Unknown
	}
	msg := results[0].GetMessage()
	if len(results) > 1 {
		msg = "every record failed: " + msg
	}
	return rpcerr.New(code, "%s", msg)
}
