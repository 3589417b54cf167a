package server_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

func TestNodeSession(t *testing.T) {
	cfg := testConfig(t)
	cfg.SessionTimeout = time.Second
	n := startNode(t, cfg)

	t.Run("register and heartbeat", func(t *testing.T) {
		s := openSession(t, n.client, 11)
		if s.resp.GetSessionId() == 0 || s.resp.GetSessionTimeoutMs() != 1000 {
			t.Fatalf("first response %v: want a session id and a 1000 ms timeout", s.resp)
		}
		st := clusterState(t, n.client)
		if !hasNode(st, 11) {
			t.Fatalf("registered node missing from %v", st.GetNodes())
		}
		for _, nd := range st.GetNodes() {
			if nd.GetId() == 11 && (nd.GetSessionId() != s.resp.GetSessionId() || nd.GetGrpcAddr() != "127.0.0.1:7011" || nd.GetHttpAddr() != "127.0.0.1:7511") {
				t.Fatalf("stored node %v does not match its registration", nd)
			}
		}
		// Heartbeat as a node does, every fifth of the timeout, for longer than the timeout: the
		// node stays, and each heartbeat is answered.
		beat := time.NewTicker(200 * time.Millisecond)
		defer beat.Stop()
		for start := time.Now(); time.Since(start) < 1500*time.Millisecond; <-beat.C {
			if err := s.stream.Send(&runnelv1.NodeSessionRequest{}); err != nil {
				t.Fatal(err)
			}
			r, err := s.stream.Recv()
			if err != nil || r.GetSessionId() != s.resp.GetSessionId() {
				t.Fatalf("heartbeat answer %v, %v", r, err)
			}
		}
		if !hasNode(clusterState(t, n.client), 11) {
			t.Fatal("a heartbeating node was dropped")
		}
	})

	t.Run("clean close removes the node at once", func(t *testing.T) {
		s := openSession(t, n.client, 12)
		if err := s.close(); !errors.Is(err, io.EOF) {
			t.Fatalf("clean close ended with %v, want io.EOF", err)
		}
		if hasNode(clusterState(t, n.client), 12) {
			t.Fatal("node still registered right after a clean close")
		}
	})

	t.Run("broken stream expires after the timeout", func(t *testing.T) {
		s := openSession(t, n.client, 13)
		broken := time.Now()
		s.cancel()
		if st := clusterState(t, n.client); time.Since(broken) < 500*time.Millisecond && !hasNode(st, 13) {
			t.Fatal("a broken stream removed the node at once; it should wait for the session timeout")
		}
		eventually(t, 10*time.Second, "node 13 to expire", func() bool { return !hasNode(clusterState(t, n.client), 13) })
		if gone := time.Since(broken); gone < 500*time.Millisecond {
			t.Fatalf("node removed %s after its stream broke; want about the 1s session timeout", gone)
		}
	})

	t.Run("heartbeat after expiry is stale", func(t *testing.T) {
		s := openSession(t, n.client, 14)
		eventually(t, 10*time.Second, "node 14 to expire", func() bool { return !hasNode(clusterState(t, n.client), 14) })
		if err := s.stream.Send(&runnelv1.NodeSessionRequest{}); err != nil {
			t.Fatal(err)
		}
		_, err := s.stream.Recv()
		wantCode(t, err, rpcerr.StaleBrokerEpoch)
	})

	t.Run("registering again moves the node to the new session", func(t *testing.T) {
		old := openSession(t, n.client, 15)
		renewed := openSession(t, n.client, 15)
		if renewed.resp.GetSessionId() == old.resp.GetSessionId() {
			t.Fatal("a new registration reused the session id")
		}
		if err := old.close(); !errors.Is(err, io.EOF) {
			t.Fatalf("closing the old session: %v", err)
		}
		st := clusterState(t, n.client)
		if !hasNode(st, 15) {
			t.Fatal("closing the old session removed the node registered again")
		}
		for _, nd := range st.GetNodes() {
			if nd.GetId() == 15 && nd.GetSessionId() != renewed.resp.GetSessionId() {
				t.Fatalf("node 15 has session %d, want the new %d", nd.GetSessionId(), renewed.resp.GetSessionId())
			}
		}
	})

	t.Run("reconnecting with its session resumes it", func(t *testing.T) {
		first := register(t, n.client, 16, 0)
		first.stop() // the stream breaks; the lease lives on for its timeout
		again := register(t, n.client, 16, first.session)
		if again.session != first.session {
			t.Fatalf("session %d after reconnecting with %d; want it resumed", again.session, first.session)
		}
		if !hasNode(clusterState(t, n.client), 16) {
			t.Fatal("resumed node not registered")
		}
	})

	t.Run("a session that is not the node's live one is not resumed", func(t *testing.T) {
		other := register(t, n.client, 17, 0)
		for _, prev := range []int64{12345, other.session} {
			s := register(t, n.client, 18, prev)
			if s.session == prev || s.session == 0 {
				t.Fatalf("node 18 presenting session %d got %d; want a new session", prev, s.session)
			}
		}
	})

	t.Run("bad registrations", func(t *testing.T) {
		tests := []struct {
			name string
			req  *runnelv1.NodeSessionRequest
		}{
			{"no node", &runnelv1.NodeSessionRequest{}},
			{"zero id", &runnelv1.NodeSessionRequest{Node: &runnelv1.Node{Id: 0, GrpcAddr: "127.0.0.1:1"}}},
			{"negative id", &runnelv1.NodeSessionRequest{Node: &runnelv1.Node{Id: -2, GrpcAddr: "127.0.0.1:1"}}},
			{"no address", &runnelv1.NodeSessionRequest{Node: &runnelv1.Node{Id: 3}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				stream, err := n.client.NodeSession(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := stream.Send(tt.req); err != nil {
					t.Fatal(err)
				}
				_, err = stream.Recv()
				wantCode(t, err, rpcerr.InvalidRequest)
			})
		}
	})
}
