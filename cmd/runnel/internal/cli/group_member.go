package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Tuning of a group member.
const (
	defaultHeartbeat = time.Second            // until the coordinator says otherwise
	groupFetchWait   = 500 * time.Millisecond // long-poll of one FetchGroupRecords call
	groupCallTimeout = 10 * time.Second       // one join, commit or leave call
	finishTimeout    = 10 * time.Second       // the last commit and the leave, after the reading ended
	ackGrace         = 5 * time.Second        // how long an acknowledgement waits for a failing commit
	cliClientID      = "runnel-cli"
)

// memberOptions configure one group member.
type memberOptions struct {
	group, topic   string
	max            int64 // 0: follow until interrupted
	sessionTimeout time.Duration
	instanceID     string
	offsetReset    string
	assignor       string
}

// member is this process's membership of a consumer group: the state the heartbeat loop and the
// read loop share. The read loop owns what was read; the heartbeat loop keeps the session alive
// and brings new assignments, which the read loop acknowledges once it has acted on them (see
// reader.reconcile).
type member struct {
	client runnelv1.GatewayServiceClient
	addr   string
	opts   memberOptions

	outMu sync.Mutex
	errW  io.Writer // notices (stderr)

	mu         sync.Mutex
	id         string                      // "" before the first join
	generation int32                       // the newest generation any response carried
	assignment []*runnelv1.TopicPartitions // of that generation
	acked      int32                       // the generation the read loop has acted on; heartbeats carry it
	interval   time.Duration               // heartbeat interval the coordinator asked for
	session    time.Duration               // the member's session timeout
	lost       bool                        // the coordinator no longer knows id: the read loop joins again
	fatal      error                       // the membership cannot go on (another process took the instance id)
	hbNow      chan struct{}               // cap 1: heartbeat at once
}

func newMember(client runnelv1.GatewayServiceClient, addr string, opts memberOptions, errW io.Writer) *member {
	return &member{client: client, addr: addr, opts: opts, errW: errW, interval: defaultHeartbeat, hbNow: make(chan struct{}, 1)}
}

func (m *member) noticef(format string, args ...any) {
	m.outMu.Lock()
	defer m.outMu.Unlock()
	fmt.Fprintf(m.errW, "runnel: "+format+"\n", args...)
}

// join joins the group (again after the member was lost), retrying retriable errors; a gateway
// that cannot be reached fails the first join at once (it is not running, most likely) and is
// waited for on a later one.
func (m *member) join(ctx context.Context) error {
	m.mu.Lock()
	again := m.id != ""
	m.mu.Unlock()
	req := &runnelv1.JoinGroupRequest{
		Group:            m.opts.group,
		Topics:           []string{m.opts.topic},
		SessionTimeoutMs: int32(m.opts.sessionTimeout.Milliseconds()),
		InstanceId:       m.opts.instanceID,
		Assignor:         m.opts.assignor,
		AutoOffsetReset:  m.opts.offsetReset,
		ClientId:         cliClientID,
	}
	var resp *runnelv1.JoinGroupResponse
	err := m.retrying(ctx, retryGiveUp, again, func(ctx context.Context) (err error) {
		resp, err = m.client.JoinGroup(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.id = resp.GetMemberId()
	m.generation = resp.GetGeneration()
	m.assignment = resp.GetAssignment()
	m.acked = resp.GetGeneration() // nothing read yet: the first response is acted on at once
	m.lost = false
	m.session = time.Duration(resp.GetSessionTimeoutMs()) * time.Millisecond
	m.setIntervalLocked(resp.GetHeartbeatIntervalMs())
	return nil
}

// retrying runs call with groupCallTimeout per attempt, retrying retriable errors (an unreachable
// gateway too when unreachable is set) with backoff for up to giveUp. It returns the catalogue
// error of the last attempt.
func (m *member) retrying(ctx context.Context, giveUp time.Duration, unreachable bool, call func(context.Context) error) error {
	bo := backoff.Backoff{Min: 50 * time.Millisecond, Max: time.Second}
	start := time.Now()
	for {
		cctx, cancel := context.WithTimeout(ctx, groupCallTimeout)
		err := gatewayError(cctx, m.addr, call(cctx))
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !retriable(err) || (!unreachable && errors.Is(err, ErrGatewayUnreachable)) || time.Since(start) > giveUp {
			return err
		}
		if !backoff.Sleep(ctx, bo.Next()) {
			return ctx.Err()
		}
	}
}

// retriable reports whether a call may succeed when tried again as is.
func retriable(err error) bool {
	return rpcerr.IsRetriable(err) || errors.Is(err, ErrGatewayUnreachable) || errors.Is(err, context.DeadlineExceeded)
}

func (m *member) setIntervalLocked(ms int32) {
	d := time.Duration(ms) * time.Millisecond
	if d <= 0 {
		d = defaultHeartbeat
	}
	if m.session > 0 && d > m.session/3 {
		d = m.session / 3
	}
	m.interval = d
}

// observe records the generation and assignment of a response to member id.
func (m *member) observe(id string, generation int32, assignment []*runnelv1.TopicPartitions, intervalMs int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id != m.id || m.lost {
		return // an answer to a member this process no longer is
	}
	if generation > m.generation {
		m.generation, m.assignment = generation, assignment
	}
	if intervalMs > 0 {
		m.setIntervalLocked(intervalMs)
	}
}

// state is the member as the read loop sees it.
type memberState struct {
	id                string
	generation, acked int32
	assignment        []*runnelv1.TopicPartitions
	lost              bool
	fatal             error
}

func (m *member) state() memberState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return memberState{id: m.id, generation: m.generation, acked: m.acked, assignment: m.assignment, lost: m.lost, fatal: m.fatal}
}

// ack makes the next heartbeats acknowledge generation, and heartbeats at once.
func (m *member) ack(id string, generation int32) {
	m.mu.Lock()
	if id == m.id && generation > m.acked {
		m.acked = generation
	}
	m.mu.Unlock()
	m.heartbeatNow()
}

func (m *member) heartbeatNow() {
	select {
	case m.hbNow <- struct{}{}:
	default:
	}
}

// markLost records that the coordinator no longer knows member id.
func (m *member) markLost(id string, why error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id == m.id && !m.lost {
		m.lost = true
		m.noticef("member %s left group %s (%v); joining again", id, m.opts.group, why)
	}
}

func (m *member) setFatal(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fatal == nil {
		m.fatal = err
	}
}

// heartbeats keeps the session alive until ctx ends: it heartbeats at the interval the coordinator
// asked for (at once when poked), carrying the generation the read loop acknowledged.
func (m *member) heartbeats(ctx context.Context) {
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	timer := time.NewTimer(m.heartbeatInterval())
	defer timer.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-m.hbNow:
			timer.Stop()
		}
		wait, ok := m.heartbeat(ctx, &bo, &failing)
		if !ok {
			return
		}
		timer.Reset(wait)
	}
}

// heartbeat sends one heartbeat and returns how long to wait for the next; false ends the loop.
func (m *member) heartbeat(ctx context.Context, bo *backoff.Backoff, failing *bool) (time.Duration, bool) {
	m.mu.Lock()
	id, acked, lost, session := m.id, m.acked, m.lost, m.session
	m.mu.Unlock()
	if id == "" || lost {
		return m.heartbeatInterval(), true // the read loop joins again
	}
	if session <= 0 {
		session = groupCallTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, session)
	resp, err := m.client.Heartbeat(cctx, &runnelv1.HeartbeatRequest{Group: m.opts.group, MemberId: id, Generation: acked})
	err = gatewayError(cctx, m.addr, err)
	cancel()
	if ctx.Err() != nil {
		return 0, false
	}
	switch {
	case err == nil:
		bo.Reset()
		if *failing {
			*failing = false
			m.noticef("heartbeats of member %s succeed again", id)
		}
		m.observe(id, resp.GetGeneration(), resp.GetAssignment(), resp.GetHeartbeatIntervalMs())
		return m.heartbeatInterval(), true
	case errors.Is(err, rpcerr.UnknownMemberID), errors.Is(err, rpcerr.GroupIDNotFound):
		m.markLost(id, err)
		return m.heartbeatInterval(), true
	case errors.Is(err, rpcerr.FencedInstanceID):
		m.setFatal(err)
		return 0, false
	default:
		if !*failing {
			*failing = true
			m.noticef("heartbeat of member %s failed, retrying: %v", id, err)
		}
		return bo.Next(), true
	}
}

func (m *member) heartbeatInterval() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.interval
}

// leave ends the membership: a static member (instance id) stays until its session ends, so that
// it can come back without a rebalance; any other member leaves at once.
func (m *member) leave(ctx context.Context) error {
	st := m.state()
	if st.id == "" || st.lost || st.fatal != nil {
		return nil
	}
	if m.opts.instanceID != "" {
		m.noticef("static member %s (instance %s) stays in group %s until its session times out", st.id, m.opts.instanceID, m.opts.group)
		return nil
	}
	err := m.retrying(ctx, finishTimeout, true, func(ctx context.Context) error {
		_, err := m.client.LeaveGroup(ctx, &runnelv1.LeaveGroupRequest{Group: m.opts.group, MemberId: st.id})
		return err
	})
	if errors.Is(err, rpcerr.UnknownMemberID) {
		return nil // already gone
	}
	return err
}
