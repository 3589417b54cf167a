package groups

import (
	"sync"
	"time"

	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// Bounds of the in-memory member positions (see the package doc).
const (
	// DefaultMaxMembers caps how many members' positions one gateway keeps.
	DefaultMaxMembers = 10000
	// UnknownSession is how long a member whose session timeout this gateway has not seen (it
	// joined and heartbeats through another gateway) may stay idle before its positions go.
	UnknownSession = 30 * time.Second
	// sweepEvery is how often, at most, idle members are looked for.
	sweepEvery = time.Second
)

type memberKey struct{ group, member string }

// member is one member's read state on this gateway. mu is held by the one FetchGroupRecords
// call that reads for the member, so a member's reads are serialised; the other fields belong to
// the store's lock.
type member struct {
	key memberKey

	mu         sync.Mutex
	pos        map[logoffsets.Partition]int64 // next offset to read, per assigned partition
	generation int32                          // the member generation pos was last checked at
	cursor     int                            // rotates the partition read first

	lastSeen time.Time
	session  time.Duration
	busy     int // calls using the member now; a busy member is never dropped
}

// store keeps the members' positions, bounded in time (a member idle for longer than its session
// timeout is dropped) and in count (beyond max, the least recently seen idle member is dropped).
type store struct {
	now func() time.Time
	max int

	mu        sync.Mutex
	members   map[memberKey]*member
	lastSweep time.Time
}

func newStore(max int, now func() time.Time) *store {
	return &store{now: now, max: max, members: map[memberKey]*member{}}
}

// acquire returns the member (created when absent), marked busy until release.
func (s *store) acquire(group, id string) *member {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.getLocked(memberKey{group, id})
	m.busy++
	return m
}

// release ends a use that acquire began.
func (s *store) release(m *member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.busy--
	m.lastSeen = s.now()
}

// touch records that the member is alive, with its session timeout when known (> 0).
func (s *store) touch(group, id string, session time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.getLocked(memberKey{group, id})
	if session > 0 {
		m.session = session
	}
}

// getLocked finds or creates a member, touches it and keeps the store within its bounds.
func (s *store) getLocked(k memberKey) *member {
	now := s.now()
	if now.Sub(s.lastSweep) >= sweepEvery {
		s.lastSweep = now
		for key, m := range s.members {
			if s.idleLocked(m, now) {
				delete(s.members, key)
			}
		}
	}
	m, ok := s.members[k]
	if !ok {
		if len(s.members) >= s.max {
			s.evictLocked()
		}
		m = &member{key: k, pos: map[logoffsets.Partition]int64{}}
		s.members[k] = m
	}
	m.lastSeen = now
	return m
}

func (s *store) idleLocked(m *member, now time.Time) bool {
	session := m.session
	if session <= 0 {
		session = UnknownSession
	}
	return m.busy == 0 && now.Sub(m.lastSeen) > session
}

// evictLocked drops the least recently seen member that is not busy.
func (s *store) evictLocked() {
	var oldest *member
	for _, m := range s.members {
		if m.busy == 0 && (oldest == nil || m.lastSeen.Before(oldest.lastSeen)) {
			oldest = m
		}
	}
	if oldest != nil {
		delete(s.members, oldest.key)
	}
}

// forget drops a member (it left).
func (s *store) forget(group, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.members, memberKey{group, id})
}

// forgetGroup drops every member of a group (it was deleted).
func (s *store) forgetGroup(group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.members {
		if k.group == group {
			delete(s.members, k)
		}
	}
}

// size is the number of members kept.
func (s *store) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.members)
}
