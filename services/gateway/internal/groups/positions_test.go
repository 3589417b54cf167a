package groups

import (
	"testing"
	"time"
)

// The store of positions stays bounded: idle members go after their session timeout (busy ones
// never), and beyond the cap the least recently seen member goes.
func TestStoreBounds(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	s := newStore(3, c.Now)
	s.touch("g", "short", 2*time.Second)
	s.touch("g", "long", time.Minute)
	busy := s.acquire("g", "busy")
	busy.session = time.Second // shorter than the idle time below, but busy

	c.add(3 * time.Second)
	s.touch("h", "new", 0) // sweeps
	if _, ok := s.members[memberKey{"g", "short"}]; ok {
		t.Fatal("a member idle beyond its session was kept")
	}
	for _, k := range []memberKey{{"g", "long"}, {"g", "busy"}, {"h", "new"}} {
		if _, ok := s.members[k]; !ok {
			t.Fatalf("member %v was dropped", k)
		}
	}
	s.release(busy)
	busy.session = time.Minute

	c.add(2 * time.Second)
	s.touch("h", "newer", 0) // at the cap: the least recently seen idle member goes
	if s.size() != 3 {
		t.Fatalf("%d members, want the cap 3", s.size())
	}
	if _, ok := s.members[memberKey{"g", "long"}]; ok {
		t.Fatal("the least recently seen member was kept beyond the cap")
	}

	c.add(UnknownSession + time.Second)
	s.touch("i", "x", 0)
	if s.size() != 2 {
		t.Fatalf("%d members, want 2: those of unknown session idled past UnknownSession", s.size())
	}
	s.forgetGroup("g")
	if _, ok := s.members[memberKey{"i", "x"}]; !ok || s.size() != 1 {
		t.Fatal("forgetting group g did not leave exactly i/x")
	}
	s.forget("i", "x")
	if s.size() != 0 {
		t.Fatalf("%d members after forgetting the last, want 0", s.size())
	}
}
