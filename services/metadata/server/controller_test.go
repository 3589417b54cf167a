package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/metadata/server"
)

// failoverTimeout bounds the wait for a controller decision (a 1s session timeout, then a
// reconcile) or a new controller (a 1s election lease, plus etcd leader elections, which a
// loaded machine can repeat at the tests' 50ms election timeout).
const failoverTimeout = 15 * time.Second

func scrape(t *testing.T, addr string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, "http://"+addr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestLeaderFailover walks one RF 3 partition through the controller's rules: a dead leader is
// replaced by the next ISR member, the last ISR member's death takes the partition offline until
// it returns, and the preferred replica gets leadership back once its leader has proposed it
// into the ISR.
func TestLeaderFailover(t *testing.T) {
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "runnel-metadata", NodeID: "m1", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	cfg := controllerConfig(t)
	cfg.Telemetry = tel
	n := startNode(t, cfg)
	if id := waitController(t, n.client, waitTimeout); id != "m1" || !n.srv.IsController() {
		t.Fatalf("controller %q (this node: %v), want m1", id, n.srv.IsController())
	}
	nodes := map[int32]*storageNode{}
	for id := int32(1); id <= 3; id++ {
		nodes[id] = register(t, n.client, id, 0)
	}
	ch := watch(t, n.client)
	next(t, ch, "the reset", func(m *runnelv1.WatchResponse) bool { return m.GetReset_() })
	st := createTopic(t, n.client, "f", 3, nil)
	a, b, c := st.GetReplicas()[0], st.GetReplicas()[1], st.GetReplicas()[2]

	type want struct {
		leader                    int32
		isr                       []int32
		leaderEpoch, partitionEpo int32
	}
	check := func(step string, w want) *runnelv1.PartitionState {
		t.Helper()
		st := waitPartition(t, n.client, "f", 0, failoverTimeout, step, func(p *runnelv1.PartitionState) bool {
			return p.GetLeader() == w.leader && p.GetLeaderEpoch() >= w.leaderEpoch
		})
		if !slices.Equal(st.GetIsr(), w.isr) || st.GetLeaderEpoch() != w.leaderEpoch || st.GetPartitionEpoch() != w.partitionEpo {
			t.Fatalf("%s: state %v; want leader %d, ISR %v, leader epoch %d, partition epoch %d",
				step, st, w.leader, w.isr, w.leaderEpoch, w.partitionEpo)
		}
		return st
	}

	// The leader's session breaks: after the session timeout the next replica in the ISR leads,
	// in one change that also drops the dead node from the ISR.
	nodes[a].stop()
	check("the leader dies", want{leader: b, isr: []int32{b, c}, leaderEpoch: 1, partitionEpo: 1})
	next(t, ch, "the failover on the watch", func(m *runnelv1.WatchResponse) bool {
		return slices.ContainsFunc(m.GetPartitions(), func(p *runnelv1.PartitionState) bool { return p.GetLeader() == b })
	})

	nodes[b].stop()
	check("the second leader dies", want{leader: c, isr: []int32{c}, leaderEpoch: 2, partitionEpo: 2})

	nodes[c].stop()
	check("the last ISR member dies", want{leader: -1, isr: []int32{c}, leaderEpoch: 3, partitionEpo: 3})
	eventually(t, failoverTimeout, "the offline partition in /metrics", func() bool {
		body := scrape(t, n.srv.HTTPAddr())
		return strings.Contains(body, "runnel_controller_offline_partitions 1") &&
			strings.Contains(body, "runnel_controller_under_replicated_partitions 1") &&
			strings.Contains(body, "runnel_metadata_controller 1") &&
			strings.Contains(body, `runnel_controller_leader_elections_total{reason="offline"`)
	})

	// A replica outside the ISR returning does not end the outage; the last ISR member does.
	nodes[a] = register(t, n.client, a, 0)
	nodes[c] = register(t, n.client, c, 0)
	st = check("the last ISR member returns", want{leader: c, isr: []int32{c}, leaderEpoch: 4, partitionEpo: 4})
	next(t, ch, "the return on the watch", func(m *runnelv1.WatchResponse) bool {
		for _, p := range m.GetPartitions() {
			if p.GetLeader() == a {
				t.Fatalf("replica %d, outside the ISR, was made leader: %v", a, p)
			}
			if p.GetLeader() == c {
				return true
			}
		}
		return false
	})

	// The leader proposes the caught-up preferred replica back into the ISR; after the rebalance
	// delay leadership moves to it.
	st, err = alter(t, n.client, st, nodes[c].session, c, a)
	if err != nil {
		t.Fatalf("AlterPartition adding the preferred replica: %v", err)
	}
	if !slices.Equal(st.GetIsr(), []int32{c, a}) || st.GetPartitionEpoch() != 5 || st.GetLeader() != c {
		t.Fatalf("after the expansion: %v", st)
	}
	check("the preferred replica leads again", want{leader: a, isr: []int32{c, a}, leaderEpoch: 5, partitionEpo: 6})
}

func TestUncleanElection(t *testing.T) {
	tests := []struct {
		unclean bool
		// want is the state after the only ISR member died, given the leader l and the other
		// replica f.
		want func(l, f int32) (leader int32, isr []int32)
	}{
		{false, func(l, f int32) (int32, []int32) { return -1, []int32{l} }},
		{true, func(l, f int32) (int32, []int32) { return f, []int32{f} }},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("unclean=%v", tt.unclean), func(t *testing.T) {
			n := startNode(t, controllerConfig(t))
			waitController(t, n.client, waitTimeout)
			nodes := map[int32]*storageNode{1: register(t, n.client, 1, 0), 2: register(t, n.client, 2, 0)}
			st := createTopic(t, n.client, "u", 2, map[string]string{"unclean.leader.election.enable": fmt.Sprint(tt.unclean)})
			l, f := st.GetReplicas()[0], st.GetReplicas()[1]
			// The follower fell behind: its leader shrank the ISR to itself.
			st, err := alter(t, n.client, st, nodes[l].session, l)
			if err != nil {
				t.Fatal(err)
			}
			nodes[l].stop()
			leader, isr := tt.want(l, f)
			st = waitPartition(t, n.client, "u", 0, failoverTimeout, fmt.Sprintf("leader %d", leader),
				func(p *runnelv1.PartitionState) bool { return p.GetLeaderEpoch() == 1 })
			if st.GetLeader() != leader || !slices.Equal(st.GetIsr(), isr) || st.GetPartitionEpoch() != 2 {
				t.Fatalf("state %v; want leader %d, ISR %v, partition epoch 2", st, leader, isr)
			}
		})
	}
}

func TestAutoLeaderRebalanceOff(t *testing.T) {
	cfg := controllerConfig(t)
	cfg.DisableAutoLeaderRebalance = true
	n := startNode(t, cfg)
	waitController(t, n.client, waitTimeout)
	nodes := map[int32]*storageNode{1: register(t, n.client, 1, 0), 2: register(t, n.client, 2, 0)}
	st := createTopic(t, n.client, "r", 2, nil)
	p, f := st.GetReplicas()[0], st.GetReplicas()[1]
	nodes[p].stop()
	st = waitPartition(t, n.client, "r", 0, failoverTimeout, "the follower leads", func(s *runnelv1.PartitionState) bool { return s.GetLeader() == f })
	nodes[p] = register(t, n.client, p, 0)
	st, err := alter(t, n.client, st, nodes[f].session, f, p)
	if err != nil {
		t.Fatal(err)
	}
	// Leadership stays with f. To see that the controller had its chance, break f's session:
	// the only change it then makes is f's failure, not an earlier move to p.
	ch := watch(t, n.client)
	reset := next(t, ch, "the reset", func(m *runnelv1.WatchResponse) bool { return m.GetReset_() })
	if got := reset.GetPartitions()[0]; got.GetLeader() != f || !slices.Equal(got.GetIsr(), []int32{f, p}) {
		t.Fatalf("state %v right after the expansion; want leader %d, ISR [%d %d]", got, f, f, p)
	}
	nodes[f].stop()
	m := next(t, ch, "the next change of r", func(m *runnelv1.WatchResponse) bool { return len(m.GetPartitions()) > 0 })
	got := m.GetPartitions()[0]
	if got.GetLeader() != p || got.GetLeaderEpoch() != st.GetLeaderEpoch()+1 || !slices.Equal(got.GetIsr(), []int32{p}) {
		t.Fatalf("next change %v; want the failover from %d to %d after %v, with no rebalance before it", got, f, p, st)
	}
}

// TestControllerHandover runs three metadata nodes and takes the controller's node away, cleanly
// (it gives the role up) or by crashing its etcd member (its lease must expire): another node
// becomes controller within a bounded wait. A storage node whose session ran through the lost
// node resumes it on another node within its timeout: it is never deregistered and the new
// controller does not treat it as restarted.
func TestControllerHandover(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop", true: "crash"}[crash], func(t *testing.T) {
			nodes := startCluster(t, func(c *server.Config) {
				c.ControllerSessionTTL = time.Second
				// Long enough that a loaded CI machine resumes the sessions in time: the test is
				// about resuming rather than about how fast.
				c.SessionTimeout = 10 * time.Second
			})
			first := waitController(t, nodes[0].client, waitTimeout)
			var ctrl, rest []*node
			for _, n := range nodes {
				if n.cfg.ID == first {
					ctrl = append(ctrl, n)
				} else {
					rest = append(rest, n)
				}
			}
			if len(ctrl) != 1 {
				t.Fatalf("controller %q is none of the nodes", first)
			}
			// Its election key is written before its campaign returns: wait for it to act.
			eventually(t, waitTimeout, first+" acting as the controller", ctrl[0].srv.IsController)
			if rest[0].srv.IsController() || rest[1].srv.IsController() {
				t.Fatalf("another node than %s acts as the controller too", first)
			}
			for _, n := range rest {
				if id := clusterState(t, n.client).GetControllerId(); id != first {
					t.Fatalf("%s reports controller %q, want %q", n.cfg.ID, id, first)
				}
			}
			s1 := register(t, ctrl[0].client, 1, 0)
			s2 := register(t, ctrl[0].client, 2, 0)
			before := createTopic(t, rest[0].client, "h", 2, nil)
			ch := watch(t, rest[1].client)
			next(t, ch, "the reset", func(m *runnelv1.WatchResponse) bool { return m.GetReset_() })

			lost := time.Now()
			if crash {
				ctrl[0].crashed.Store(true)
				server.CrashEtcd(ctrl[0].srv)
			} else {
				ctrl[0].stop()
			}
			// The storage nodes reconnect to another metadata node with their sessions.
			s1.stop()
			s2.stop()
			r1 := register(t, rest[1].client, 1, s1.session)
			r2 := register(t, rest[1].client, 2, s2.session)
			if r1.session != s1.session || r2.session != s2.session {
				t.Fatalf("sessions %d, %d after reconnecting, want %d, %d resumed", r1.session, r2.session, s1.session, s2.session)
			}
			second := waitController(t, rest[0].client, failoverTimeout, first)
			t.Logf("controller %s → %s after %s", first, second, time.Since(lost).Round(time.Millisecond))
			eventually(t, waitTimeout, second+" acting as the controller", func() bool {
				return slices.ContainsFunc(rest, func(n *node) bool { return n.cfg.ID == second && n.srv.IsController() })
			})
			createTopic(t, rest[0].client, "marker", 1, nil)
			next(t, ch, "the marker topic", func(m *runnelv1.WatchResponse) bool {
				if len(m.GetDeletedNodes()) > 0 {
					t.Fatalf("nodes %v were deregistered during the handover", m.GetDeletedNodes())
				}
				if len(m.GetPartitions()) > 0 && m.GetPartitions()[0].GetTopic() == "h" {
					t.Fatalf("partition h changed during the handover: %v", m.GetPartitions()[0])
				}
				return slices.ContainsFunc(m.GetTopics(), func(tp *runnelv1.Topic) bool { return tp.GetName() == "marker" })
			})
			if st := partitionState(t, rest[1].client, "h", 0); st.GetLeaderEpoch() != before.GetLeaderEpoch() || !slices.Equal(st.GetIsr(), before.GetIsr()) {
				t.Fatalf("partition h %v after the handover, want unchanged %v", st, before)
			}
		})
	}
}

// startCluster starts three metadata nodes forming one etcd cluster and waits until all are ready.
// Stopping them one by one at the end keeps a quorum while each stops.
func startCluster(t *testing.T, mod func(*server.Config)) []*node {
	t.Helper()
	a := freeAddrs(t, 6)
	var members []string
	for i := range 3 {
		members = append(members, fmt.Sprintf("m%d=http://%s", i+1, a[2*i+1]))
	}
	nodes := make([]*node, 3)
	for i := range 3 {
		cfg := testConfig(t)
		cfg.ID = fmt.Sprintf("m%d", i+1)
		cfg.EtcdClientAddr, cfg.EtcdPeerAddr, cfg.InitialCluster = a[2*i], a[2*i+1], strings.Join(members, ",")
		mod(&cfg)
		s, cfg := newServer(t, cfg, false)
		nodes[i] = runServer(t, s, cfg)
	}
	for _, n := range nodes {
		waitReady(t, n.srv)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop()
		}
	})
	return nodes
}

// TestRestartedNode: with sessions far longer than the test, a node that registers again with a
// new session (it restarted) is taken out of the ISR and loses leadership at once, while a node
// that resumes its session changes nothing.
func TestRestartedNode(t *testing.T) {
	n := startNode(t, testConfig(t)) // 30s sessions: no expiry within the test
	waitController(t, n.client, waitTimeout)
	nodes := map[int32]*storageNode{1: register(t, n.client, 1, 0), 2: register(t, n.client, 2, 0)}
	st := createTopic(t, n.client, "re", 2, nil)
	l, f := st.GetReplicas()[0], st.GetReplicas()[1]
	ch := watch(t, n.client)
	next(t, ch, "the reset", func(m *runnelv1.WatchResponse) bool { return m.GetReset_() })

	// The follower reconnects with its session: nothing changes.
	nodes[f].stop()
	nodes[f] = register(t, n.client, f, nodes[f].session)
	createTopic(t, n.client, "marker", 1, nil)
	next(t, ch, "the marker topic", func(m *runnelv1.WatchResponse) bool {
		for _, p := range m.GetPartitions() {
			if p.GetTopic() == "re" {
				t.Fatalf("a resumed session changed the partition: %v", p)
			}
		}
		return slices.ContainsFunc(m.GetTopics(), func(tp *runnelv1.Topic) bool { return tp.GetName() == "marker" })
	})

	// The leader comes back with a new session before its old one expired: it restarted.
	nodes[l].stop()
	nodes[l] = register(t, n.client, l, 0)
	got := waitPartition(t, n.client, "re", 0, failoverTimeout, "the follower leads", func(p *runnelv1.PartitionState) bool {
		return p.GetLeader() == f
	})
	if !slices.Equal(got.GetIsr(), []int32{f}) || got.GetLeaderEpoch() != 1 || got.GetPartitionEpoch() != 1 {
		t.Fatalf("after the leader restarted: %v; want leader %d, ISR [%d], epochs 1", got, f, f)
	}
}
