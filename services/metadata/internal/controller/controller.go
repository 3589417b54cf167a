package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/runnel/runnel/services/metadata/internal/store"
)

// Defaults of Config.
const (
	DefaultSessionTTL     = 2 * time.Second
	DefaultRebalanceDelay = time.Second
)

// Timings of the campaign loop.
const (
	// retryMin and retryMax bound the pause before campaigning again after a failure.
	retryMin = 100 * time.Millisecond
	retryMax = 2 * time.Second
	// revokeTimeout bounds giving up the controller session on the way out.
	revokeTimeout = 500 * time.Millisecond
)

// Config configures a Controller.
type Config struct {
	// ID is this metadata node's id, the value of its election key (reported as controller_id).
	ID string
	// SessionTTL is the TTL of the election lease: a controller that stops renewing it (crashed,
	// cut off from the etcd quorum) loses the controller role this long after its last renewal.
	// Whole seconds (rounded up), raised by etcd to its minimum lease TTL. Default 2s.
	SessionTTL time.Duration
	// DisableRebalance turns automatic preferred-leader rebalance off.
	DisableRebalance bool
	// RebalanceDelay is how long a preferred replica must have been eligible (live, in the ISR,
	// not the leader) before leadership moves to it. Default 1s.
	RebalanceDelay time.Duration
	Logger         *slog.Logger
	// Meter gives the instruments (default: no-op).
	Meter metric.Meter
}

// Controller campaigns for the controller role and, while it holds it, keeps every partition's
// leader and ISR consistent with the live nodes (see the package doc).
type Controller struct {
	client *clientv3.Client
	st     *store.Store
	cfg    Config
	log    *slog.Logger
	m      *metrics
	roles  *roles
}

// New returns a Controller; Run starts it.
func New(client *clientv3.Client, st *store.Store, cfg Config) (*Controller, error) {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.RebalanceDelay <= 0 {
		cfg.RebalanceDelay = DefaultRebalanceDelay
	}
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
	return &Controller{client: client, st: st, cfg: cfg, log: cfg.Logger.With("component", "controller"), m: m, roles: newRoles()}, nil
}

// Active reports whether this node is the controller now.
func (c *Controller) Active() bool { return c.m.active.Load() == 1 }

// ttlSeconds is the session TTL in whole seconds, rounded up.
func (c *Controller) ttlSeconds() int {
	return int((c.cfg.SessionTTL + time.Second - 1) / time.Second)
}

// Run campaigns, leads while elected and campaigns again whenever the role is lost, until ctx
// ends; then it gives the role up (revoking its election lease, so another node takes over at
// once) and returns nil.
func (c *Controller) Run(ctx context.Context) error {
	pause := retryMin
	for ctx.Err() == nil {
		err := c.campaign(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			c.log.Warn("controller campaign failed; retrying", "err", err, "retry_in", pause)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		pause = min(2*pause, retryMax)
		if err == nil {
			pause = retryMin
		}
	}
	return nil
}

// campaign runs one election session: it waits to be elected, leads until the session or ctx
// ends, and then ends the session.
func (c *Controller) campaign(ctx context.Context) error {
	gctx, cancel := context.WithTimeout(ctx, c.cfg.SessionTTL+5*time.Second)
	grant, err := c.client.Grant(gctx, int64(c.ttlSeconds()))
	cancel()
	if err != nil {
		return fmt.Errorf("grant the controller session: %w", err)
	}
	// The session keeps the lease alive until it is orphaned; its context is not ctx, so that
	// the lease outlives ctx long enough to be revoked below.
	sess, err := concurrency.NewSession(c.client, concurrency.WithLease(grant.ID),
		concurrency.WithTTL(c.ttlSeconds()), concurrency.WithContext(context.Background()))
	if err != nil {
		c.revoke(grant.ID)
		return fmt.Errorf("controller session: %w", err)
	}
	defer func() {
		sess.Orphan()
		c.revoke(grant.ID)
	}()

	// lctx ends with ctx or when the session is lost: from then on this node must not act.
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-sess.Done():
			stop()
		case <-lctx.Done():
		}
	}()

	cand, err := c.elect(lctx, grant.ID)
	if err != nil {
		if lctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("campaign: %w", err)
	}
	c.m.active.Store(1)
	c.m.terms.Add(ctx, 1)
	guard := cand.guard()
	c.roles.set(&Role{Guard: guard, ctx: lctx, cancel: stop})
	defer func() {
		c.roles.set(nil)
		c.m.active.Store(0)
		c.m.offline.Store(0)
		c.m.underReplicated.Store(0)
	}()
	c.log.Info("became the controller", "session", int64(grant.ID), "election_rev", cand.rev)
	defer c.log.Info("no longer the controller")

	pause := retryMin
	for lctx.Err() == nil {
		err := newTerm(c, guard).run(lctx)
		if lctx.Err() != nil || errors.Is(err, store.ErrFenced) {
			if errors.Is(err, store.ErrFenced) {
				c.log.Warn("controller writes fenced: another node took over")
			}
			return nil
		}
		// etcd trouble (no quorum, a corrupt value): start the term over after a pause; the
		// election key is kept as long as the session lives.
		c.log.Warn("controller loop failed; starting over", "err", err, "retry_in", pause)
		t := time.NewTimer(pause)
		select {
		case <-lctx.Done():
		case <-t.C:
		}
		t.Stop()
		pause = min(2*pause, retryMax)
	}
	return nil
}

// revoke ends the election lease, deleting the election key: another node is elected at once.
// Without an etcd leader (no quorum) it gives up at once: the lease then expires on its own.
func (c *Controller) revoke(lease clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(context.Background()), revokeTimeout)
	defer cancel()
	if _, err := c.client.Revoke(ctx, lease); err != nil {
		c.log.Debug("revoke the controller session", "err", err)
	}
}
