package replication

import (
	"sync"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// inbox gathers what a follower sends while the leader's stream goroutine is busy (sending):
// the latest position of each partition and the removals, in arrival order per partition. The
// leader's receiving goroutine never blocks on it, so the leader always reads its stream and
// the two ends can never both wait for the other to read.
type inbox struct {
	signal chan struct{} // capacity 1: something arrived

	mu        sync.Mutex
	follower  int32
	positions map[partKey]*runnelv1.ReplicaPosition
	removed   map[partKey]bool
	err       error // the stream ended (io.EOF when the follower closed it)
}

func newInbox() *inbox {
	return &inbox{
		signal:    make(chan struct{}, 1),
		positions: map[partKey]*runnelv1.ReplicaPosition{},
		removed:   map[partKey]bool{},
	}
}

// put adds one message: a later position of a partition replaces an earlier one, a removal
// drops the position before it.
func (b *inbox) put(m *runnelv1.ReplicateRequest) {
	b.mu.Lock()
	defer b.notify()
	defer b.mu.Unlock()
	id := m.GetFollowerId()
	if id <= 0 || (b.follower != 0 && id != b.follower) {
		b.err = rpcerr.New(rpcerr.InvalidRequest,
			"follower_id %d: every message of a Replicate stream carries the same positive follower id (first: %d)", id, b.follower)
		return
	}
	b.follower = id
	for _, tp := range m.GetRemoved() {
		k := partKey{tp.GetTopic(), tp.GetPartition()}
		delete(b.positions, k)
		b.removed[k] = true
	}
	for _, pos := range m.GetPositions() {
		k := partKey{pos.GetTopic(), pos.GetPartition()}
		delete(b.removed, k)
		b.positions[k] = pos
	}
}

// fail records the end of the stream.
func (b *inbox) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
	b.notify()
}

func (b *inbox) notify() {
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// take returns and clears what arrived. err is set once the stream ended (after which the
// rest is of no use).
func (b *inbox) take() (follower int32, positions map[partKey]*runnelv1.ReplicaPosition, removed map[partKey]bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	positions, removed = b.positions, b.removed
	b.positions, b.removed = map[partKey]*runnelv1.ReplicaPosition{}, map[partKey]bool{}
	return b.follower, positions, removed, b.err
}
