package metaclient

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/cluster"
	"github.com/runnel/runnel/services/storage/internal/metatest"
	"github.com/runnel/runnel/services/storage/internal/waitfor"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitfor.Condition(t, what, 5*time.Second, cond)
}

// deadAddr is an address nothing listens on.
func deadAddr(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

// recorder keeps what OnUpdate saw.
type recorder struct {
	mu     sync.Mutex
	topics map[string]string // name → id
	resets int
}

func (r *recorder) update(v *cluster.View, reset bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.topics = map[string]string{}
	for name, t := range v.Topics {
		r.topics[name] = t.GetTopicId()
	}
	if reset {
		r.resets++
	}
}

func (r *recorder) topic(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.topics[name]
}

// run starts a client on addrs for node 7 and stops it at cleanup.
func run(t *testing.T, addrs []string, rec *recorder) *Client {
	t.Helper()
	c, err := New(Config{
		Addrs:      addrs,
		Node:       &runnelv1.Node{Id: 7, GrpcAddr: "127.0.0.1:1", HttpAddr: "127.0.0.1:2"},
		OnUpdate:   rec.update,
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c
}

func TestSessionAndWatch(t *testing.T) {
	meta := metatest.Start(t, 150*time.Millisecond)
	meta.SetTopic(&runnelv1.Topic{Name: "a", TopicId: "1"})
	rec := &recorder{}
	c := run(t, []string{meta.Addr()}, rec)

	eventually(t, "registration", func() bool { _, ok := meta.Node(7); return ok })
	n, _ := meta.Node(7)
	if n.GetGrpcAddr() != "127.0.0.1:1" || n.GetHttpAddr() != "127.0.0.1:2" {
		t.Fatalf("registered %v", n)
	}
	eventually(t, "session id", func() bool { return c.SessionID() == n.GetSessionId() })
	eventually(t, "snapshot", func() bool { return rec.topic("a") == "1" })
	meta.SetTopic(&runnelv1.Topic{Name: "b", TopicId: "2"})
	eventually(t, "change", func() bool { return rec.topic("b") == "2" })
	eventually(t, "heartbeats every third of the session timeout", func() bool { return meta.Heartbeats(7) >= 3 })
}

func TestReregistersOnStaleSession(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	run(t, []string{meta.Addr()}, &recorder{})
	eventually(t, "registration", func() bool { return meta.Registrations(7) == 1 })
	meta.EndSessions(rpcerr.New(rpcerr.StaleBrokerEpoch, "session expired"))
	eventually(t, "registration again", func() bool {
		_, live := meta.Node(7)
		return meta.Registrations(7) == 2 && live
	})
}

func TestFailover(t *testing.T) {
	first := metatest.Start(t, time.Minute)
	second := metatest.Start(t, time.Minute)
	first.SetTopic(&runnelv1.Topic{Name: "a", TopicId: "on-first"})
	second.SetTopic(&runnelv1.Topic{Name: "a", TopicId: "on-second"})
	rec := &recorder{}
	c := run(t, []string{deadAddr(t), first.Addr(), second.Addr()}, rec)

	eventually(t, "registered past the dead address", func() bool { _, ok := first.Node(7); return ok })
	eventually(t, "watching past the dead address", func() bool { return rec.topic("a") == "on-first" })

	firstSession, _ := first.Node(7)
	eventually(t, "the client holds its session", func() bool { return c.SessionID() == firstSession.GetSessionId() })
	if first.PresentedSession(7) != 0 {
		t.Fatalf("a new process presented session %d; want 0 (a new session)", first.PresentedSession(7))
	}
	first.Stop()
	eventually(t, "registered on the next node", func() bool { _, ok := second.Node(7); return ok })
	eventually(t, "watch snapshot from the next node", func() bool { return rec.topic("a") == "on-second" })
	// The reconnect asks to resume the session it held, so the metadata service does not take the
	// node for one that restarted.
	if got, want := second.PresentedSession(7), firstSession.GetSessionId(); got != want || want == 0 {
		t.Fatalf("reconnect presented session %d, want the previous session %d", got, want)
	}
}

func TestCloseWithoutRun(t *testing.T) {
	c, err := New(Config{Addrs: []string{"127.0.0.1:1"}, Node: &runnelv1.Node{Id: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := New(Config{Node: &runnelv1.Node{Id: 1}}); err == nil {
		t.Fatal("no address accepted")
	}
	if _, err := New(Config{Addrs: []string{"x"}, Node: &runnelv1.Node{}}); err == nil {
		t.Fatal("node id 0 accepted")
	}
}

func TestStopEndsSession(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	c, err := New(Config{Addrs: []string{meta.Addr()}, Node: &runnelv1.Node{Id: 7}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	eventually(t, "registration", func() bool { _, ok := meta.Node(7); return ok })
	cancel()
	<-done
	eventually(t, "session ended by the node", func() bool { _, ok := meta.Node(7); return !ok })
	if c.SessionID() != 0 {
		t.Fatalf("session id %d after stop", c.SessionID())
	}
	eventually(t, "watch closed", func() bool { return meta.Watchers() == 0 })
}
