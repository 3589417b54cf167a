package groups

import (
	"context"
	"errors"
	"log/slog"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/router"
)

// Defaults of Config.
const (
	// DefaultCallTimeout bounds the retries of one coordinator call over the metadata nodes.
	DefaultCallTimeout = 5 * time.Second
	// DefaultOffsetsTimeout bounds the retries of asking partition leaders for their offsets.
	DefaultOffsetsTimeout = 5 * time.Second
	// ReadRetryTimeout is what the group read path's consume.Reader should be built with: one
	// partition without a leader must not hold up a member's other partitions for long.
	ReadRetryTimeout = time.Second
)

// Config configures a Service.
type Config struct {
	// Coordinators holds a GroupCoordinatorService client per metadata node.
	Coordinators []runnelv1.GroupCoordinatorServiceClient
	Router       *router.Router
	// Reader reads one partition (build it with ReadRetryTimeout).
	Reader *consume.Reader
	Logger *slog.Logger
	// CallTimeout: DefaultCallTimeout when 0.
	CallTimeout time.Duration
	// OffsetsTimeout: DefaultOffsetsTimeout when 0.
	OffsetsTimeout time.Duration
	// MaxMembers: DefaultMaxMembers when 0.
	MaxMembers int
	// Now is the clock of member idleness (time.Now when nil).
	Now func() time.Time
}

// Service serves the gateway's consumer-group calls.
type Service struct {
	coord          *coordinator
	router         *router.Router
	reader         *consume.Reader
	log            *slog.Logger
	offsetsTimeout time.Duration
	members        *store
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Router == nil || cfg.Reader == nil {
		return nil, errors.New("groups: a router and a reader are required")
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.OffsetsTimeout <= 0 {
		cfg.OffsetsTimeout = DefaultOffsetsTimeout
	}
	if cfg.MaxMembers <= 0 {
		cfg.MaxMembers = DefaultMaxMembers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		coord:          &coordinator{clients: cfg.Coordinators, timeout: cfg.CallTimeout},
		router:         cfg.Router,
		reader:         cfg.Reader,
		log:            cfg.Logger,
		offsetsTimeout: cfg.OffsetsTimeout,
		members:        newStore(cfg.MaxMembers, cfg.Now),
	}, nil
}

// Join adds a member.
func (s *Service) Join(ctx context.Context, req *runnelv1.JoinGroupRequest) (*runnelv1.JoinGroupResponse, error) {
	var resp *runnelv1.JoinGroupResponse
	err := s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		r, err := c.JoinGroup(ctx, &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: req})
		resp = r.GetResponse()
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, rpcerr.New(rpcerr.Unknown, "the coordinator answered JoinGroup without a member")
	}
	s.members.touch(req.GetGroup(), resp.GetMemberId(), ms(resp.GetSessionTimeoutMs()))
	return resp, nil
}

// Heartbeat keeps a member alive and returns its assignment.
func (s *Service) Heartbeat(ctx context.Context, req *runnelv1.HeartbeatRequest) (*runnelv1.HeartbeatResponse, error) {
	var resp *runnelv1.HeartbeatResponse
	err := s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		r, err := c.Heartbeat(ctx, &runnelv1.GroupCoordinatorServiceHeartbeatRequest{Request: req})
		resp = r.GetResponse()
		return err
	})
	if err != nil {
		if errors.Is(err, rpcerr.UnknownMemberID) || errors.Is(err, rpcerr.FencedInstanceID) {
			s.members.forget(req.GetGroup(), req.GetMemberId())
		}
		return nil, err
	}
	if resp == nil {
		return nil, rpcerr.New(rpcerr.Unknown, "the coordinator answered Heartbeat without a response")
	}
	s.members.touch(req.GetGroup(), req.GetMemberId(), ms(resp.GetSessionTimeoutMs()))
	return resp, nil
}

// Leave removes a member and drops its positions here.
func (s *Service) Leave(ctx context.Context, req *runnelv1.LeaveGroupRequest) error {
	err := s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		_, err := c.LeaveGroup(ctx, &runnelv1.GroupCoordinatorServiceLeaveGroupRequest{Request: req})
		return err
	})
	if err == nil || errors.Is(err, rpcerr.UnknownMemberID) {
		s.members.forget(req.GetGroup(), req.GetMemberId())
	}
	return err
}

// List lists the groups.
func (s *Service) List(ctx context.Context) (*runnelv1.ListGroupsResponse, error) {
	var groups []*runnelv1.GroupSummary
	err := s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		r, err := c.ListGroups(ctx, &runnelv1.GroupCoordinatorServiceListGroupsRequest{})
		groups = r.GetGroups()
		return err
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.ListGroupsResponse{Groups: groups}, nil
}

// Delete deletes a group with no members and drops its positions here.
func (s *Service) Delete(ctx context.Context, group string) error {
	err := s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		_, err := c.DeleteGroup(ctx, &runnelv1.GroupCoordinatorServiceDeleteGroupRequest{Group: group})
		return err
	})
	if err == nil {
		s.members.forgetGroup(group)
	}
	return err
}

// describe asks the coordinator for a group's state, members, committed offsets and topics.
func (s *Service) describe(ctx context.Context, group string) (*runnelv1.GroupCoordinatorServiceDescribeGroupResponse, error) {
	var resp *runnelv1.GroupCoordinatorServiceDescribeGroupResponse
	err := s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		var err error
		resp, err = c.DescribeGroup(ctx, &runnelv1.GroupCoordinatorServiceDescribeGroupRequest{Group: group})
		return err
	})
	return resp, err
}

func ms(v int32) time.Duration { return time.Duration(v) * time.Millisecond }
