package coordinator

import (
	"context"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// catchUpTimeout bounds the wait for the topic watch to bring a topic etcd already has.
const catchUpTimeout = 5 * time.Second

// catchUp makes a call see the topics created before it: for each named topic the coordinator
// does not know yet, it reads the topic's revision from etcd and, when the topic exists, waits
// for the topic watch to reach that revision. A topic that does not exist is left to the
// call's own validation.
func (s *Service) catchUp(ctx context.Context, topics []string) error {
	s.mu.Lock()
	t := s.cur
	s.mu.Unlock()
	if t == nil {
		return nil // the call answers NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE
	}
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	for _, name := range topics {
		known, _, _ := t.knows(name)
		if known || name == "" {
			continue
		}
		want, exists, err := s.st.TopicRevision(ctx, name)
		if err != nil {
			return rpcerr.Wrap(rpcerr.CoordinatorNotAvailable, err, "cannot read topic %q: %v; retry", name, err)
		}
		for exists {
			known, rev, progress := t.knows(name)
			if known || rev >= want {
				break
			}
			select {
			case <-progress:
			case <-t.done:
				return nil
			case <-ctx.Done():
				return rpcerr.New(rpcerr.CoordinatorNotAvailable, "the coordinator has not seen topic %q yet; retry", name)
			}
		}
	}
	return nil
}

func offsetTopics(offs []*runnelv1.OffsetCommit) []string {
	var out []string
	for _, o := range offs {
		if len(out) == 0 || out[len(out)-1] != o.GetTopic() {
			out = append(out, o.GetTopic())
		}
	}
	return out
}
