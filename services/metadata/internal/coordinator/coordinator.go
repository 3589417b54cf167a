package coordinator

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/controller"
	"github.com/runnel/runnel/services/metadata/internal/group"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

// writeTimeout bounds one etcd write of the coordinator. A write is not cancelled with the
// request that caused it: its outcome must be known before the next operation on the group.
const writeTimeout = 5 * time.Second

// Config configures a Service.
type Config struct {
	// Group holds the session timeout range, the heartbeat interval and the commit limits.
	Group  group.Config
	Logger *slog.Logger
	// Meter gives the instruments (default: no-op).
	Meter metric.Meter
}

// Leader tells the coordinator when this node holds the controller role (controller.Controller).
type Leader interface {
	Role() (*controller.Role, <-chan struct{})
}

// Service is the group coordinator: runnelv1.GroupCoordinatorServiceServer plus the run loop
// that follows the controller role (see the package doc).
type Service struct {
	runnelv1.UnimplementedGroupCoordinatorServiceServer
	client *clientv3.Client
	st     *store.Store
	leader Leader
	cfg    Config
	log    *slog.Logger
	m      *metrics

	mu  sync.Mutex
	cur *term // nil while this node does not coordinate (or is loading)
}

// New returns a Service; Run makes it coordinate while this node is the controller.
func New(client *clientv3.Client, st *store.Store, leader Leader, cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Meter == nil {
		cfg.Meter = noop.NewMeterProvider().Meter("runnel/metadata")
	}
	m, err := newMetrics(cfg.Meter)
	if err != nil {
		return nil, err
	}
	return &Service{client: client, st: st, leader: leader, cfg: cfg,
		log: cfg.Logger.With("component", "group-coordinator"), m: m}, nil
}

// Active reports whether this node coordinates groups now (elected and loaded).
func (s *Service) Active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur != nil
}

// Run coordinates while this node is the controller, until ctx ends; it returns nil.
func (s *Service) Run(ctx context.Context) error {
	for {
		role, changed := s.leader.Role()
		if role != nil && role.Context().Err() == nil {
			s.lead(ctx, role)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// lead runs terms for one controller role until the role or ctx ends; a term that fails (etcd
// trouble, a write of unknown outcome, a broken topic watch) is followed by a fresh one.
func (s *Service) lead(ctx context.Context, role *controller.Role) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(role.Context(), cancel)
	defer stop()
	b := backoff.Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}
	for lctx.Err() == nil {
		started := time.Now()
		err := s.runTerm(lctx, role)
		if lctx.Err() != nil {
			return
		}
		if time.Since(started) > 10*time.Second {
			b.Reset()
		}
		s.log.Warn("group coordinator reloading its state", "err", err)
		backoff.Sleep(lctx, b.Next())
	}
}

// errBroken ends a term after a write whose outcome is unknown.
var errBroken = errors.New("coordinator: a write's outcome is unknown; reloading")

// runTerm loads every group, publishes the term and runs the loop: session expiry and topic
// changes. It returns when ctx ends or the term must be reloaded.
func (s *Service) runTerm(ctx context.Context, role *controller.Role) error {
	snap, err := s.st.ReadGroups(ctx)
	if err != nil {
		return err
	}
	t := newTerm(role, snap, s.cfg.Group, s.log)
	s.publish(t)
	defer s.endTerm(t)
	s.log.Info("group coordinator active", "groups", len(t.groups), "revision", snap.Revision)

	wctx, cancel := context.WithCancel(ctx)
	changes := make(chan []store.Change)
	done := make(chan error, 1)
	go func() {
		done <- s.st.Changes(wctx, snap.Revision+1, func(cs []store.Change) error {
			select {
			case changes <- cs:
				return nil
			case <-wctx.Done():
				return wctx.Err()
			}
		})
	}()
	watchEnded := false
	defer func() {
		cancel()
		if !watchEnded {
			<-done
		}
	}()
	s.syncAll(ctx, t)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if at, ok := t.sessions.next(); ok {
			timer.Reset(max(time.Until(at), time.Millisecond))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.broken:
			return errBroken
		case err := <-done:
			watchEnded = true
			return err
		case cs := <-changes:
			if t.applyTopics(cs) {
				s.syncAll(ctx, t)
			}
		case <-timer.C:
			s.expireDue(ctx, t)
		case <-t.wake:
		}
	}
}

func (s *Service) publish(t *term) {
	s.mu.Lock()
	s.cur = t
	s.mu.Unlock()
	members, groups := t.counts()
	s.m.members.Store(members)
	s.m.groups.Store(groups)
}

// endTerm unpublishes a term and waits for the operations in flight on it (each bounded by
// writeTimeout): a later term then loads everything they wrote.
func (s *Service) endTerm(t *term) {
	s.mu.Lock()
	if s.cur == t {
		s.cur = nil
	}
	s.mu.Unlock()
	close(t.done)
	t.live.Lock()
	t.closed = true
	t.live.Unlock()
	s.m.members.Store(0)
	s.m.groups.Store(0)
	s.log.Info("group coordinator inactive")
}

// acquire returns the current term, held for one operation (release when done).
func (s *Service) acquire() (*term, func(), error) {
	s.mu.Lock()
	t := s.cur
	s.mu.Unlock()
	if t == nil {
		return nil, nil, s.inactive()
	}
	t.live.RLock()
	if t.closed {
		t.live.RUnlock()
		return nil, nil, s.inactive()
	}
	return t, t.live.RUnlock, nil
}

// inactive is the error of a call this node cannot serve now.
func (s *Service) inactive() error {
	if role, _ := s.leader.Role(); role != nil {
		return rpcerr.New(rpcerr.CoordinatorNotAvailable, "the group coordinator is loading its state; retry shortly")
	}
	return rpcerr.New(rpcerr.NotCoordinator, "this metadata node is not the group coordinator (the controller is); retry on another metadata node")
}
