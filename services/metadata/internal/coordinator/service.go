package coordinator

import (
	"context"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/metadata/internal/group"
)

func millis(d time.Duration) int32 { return int32(d / time.Millisecond) }

// JoinGroup adds a member or takes over a static member (see package group).
func (s *Service) JoinGroup(ctx context.Context, req *runnelv1.GroupCoordinatorServiceJoinGroupRequest) (*runnelv1.GroupCoordinatorServiceJoinGroupResponse, error) {
	r := req.GetRequest()
	if err := group.ValidateID(r.GetGroup()); err != nil {
		return nil, err
	}
	if err := s.catchUp(ctx, r.GetTopics()); err != nil {
		return nil, err
	}
	var reply *group.Reply
	err := s.withGroup(r.GetGroup(), true, func(t *term, e *entry, topics group.Topics) error {
		u, err := e.g.Join(topics, r)
		if err != nil {
			return err
		}
		reply = u.Reply
		if err := s.update(ctx, t, e, u); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "member joined", "group", r.GetGroup(), "member", reply.MemberID,
			"instance", r.GetInstanceId(), "client", r.GetClientId(), "generation", e.g.Generation)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.GroupCoordinatorServiceJoinGroupResponse{Response: &runnelv1.JoinGroupResponse{
		MemberId: reply.MemberID, Generation: reply.Generation, Assignment: group.TopicPartitions(reply.Assigned),
		HeartbeatIntervalMs: millis(reply.HeartbeatInterval), SessionTimeoutMs: reply.SessionTimeoutMs,
	}}, nil
}

// Heartbeat renews a member's session, takes its acknowledgement and returns its assignment.
func (s *Service) Heartbeat(ctx context.Context, req *runnelv1.GroupCoordinatorServiceHeartbeatRequest) (*runnelv1.GroupCoordinatorServiceHeartbeatResponse, error) {
	r := req.GetRequest()
	if err := group.ValidateID(r.GetGroup()); err != nil {
		return nil, err
	}
	var reply *group.Reply
	err := s.withGroup(r.GetGroup(), false, func(t *term, e *entry, _ group.Topics) error {
		u, err := e.g.Heartbeat(r.GetMemberId(), r.GetGeneration())
		if err != nil {
			return err
		}
		if err := s.update(ctx, t, e, u); err != nil {
			return err
		}
		reply = u.Reply
		touch(e, r.GetMemberId())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.GroupCoordinatorServiceHeartbeatResponse{Response: &runnelv1.HeartbeatResponse{
		MemberId: reply.MemberID, Generation: reply.Generation, Assignment: group.TopicPartitions(reply.Assigned),
		HeartbeatIntervalMs: millis(reply.HeartbeatInterval), SessionTimeoutMs: reply.SessionTimeoutMs,
	}}, nil
}

// LeaveGroup removes a member.
func (s *Service) LeaveGroup(ctx context.Context, req *runnelv1.GroupCoordinatorServiceLeaveGroupRequest) (*runnelv1.GroupCoordinatorServiceLeaveGroupResponse, error) {
	r := req.GetRequest()
	if err := group.ValidateID(r.GetGroup()); err != nil {
		return nil, err
	}
	err := s.withGroup(r.GetGroup(), false, func(t *term, e *entry, topics group.Topics) error {
		u, err := e.g.Leave(topics, r.GetMemberId())
		if err != nil {
			return err
		}
		s.log.InfoContext(ctx, "member left", "group", r.GetGroup(), "member", r.GetMemberId())
		return s.update(ctx, t, e, u)
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.GroupCoordinatorServiceLeaveGroupResponse{}, nil
}

// GetAssignment returns a member's assignment and renews its session.
func (s *Service) GetAssignment(_ context.Context, req *runnelv1.GetAssignmentRequest) (*runnelv1.GetAssignmentResponse, error) {
	if err := group.ValidateID(req.GetGroup()); err != nil {
		return nil, err
	}
	var reply *group.Reply
	err := s.withGroup(req.GetGroup(), false, func(_ *term, e *entry, _ group.Topics) error {
		var err error
		if reply, err = e.g.Assignment(req.GetMemberId()); err != nil {
			return err
		}
		touch(e, req.GetMemberId())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.GetAssignmentResponse{
		Generation: reply.Generation, Assignment: group.TopicPartitions(reply.Assigned), AutoOffsetReset: reply.AutoOffsetReset,
	}, nil
}

// CommitOffsets stores offsets, all or none.
func (s *Service) CommitOffsets(ctx context.Context, req *runnelv1.GroupCoordinatorServiceCommitOffsetsRequest) (*runnelv1.GroupCoordinatorServiceCommitOffsetsResponse, error) {
	r := req.GetRequest()
	if err := group.ValidateID(r.GetGroup()); err != nil {
		return nil, err
	}
	if err := s.catchUp(ctx, offsetTopics(r.GetOffsets())); err != nil {
		return nil, err
	}
	err := s.withGroup(r.GetGroup(), true, func(t *term, e *entry, topics group.Topics) error {
		u, err := e.g.Commit(topics, r)
		if err != nil {
			return err
		}
		return s.update(ctx, t, e, u)
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.GroupCoordinatorServiceCommitOffsetsResponse{}, nil
}

// FetchOffsets returns committed offsets (none for a group that does not exist, as Kafka does).
func (s *Service) FetchOffsets(_ context.Context, req *runnelv1.FetchOffsetsRequest) (*runnelv1.FetchOffsetsResponse, error) {
	if err := group.ValidateID(req.GetGroup()); err != nil {
		return nil, err
	}
	resp := &runnelv1.FetchOffsetsResponse{}
	err := s.withGroup(req.GetGroup(), false, func(_ *term, e *entry, _ group.Topics) error {
		resp.Offsets = e.g.Fetch(req.GetTopics())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// AlterOffsets overwrites the offsets of a group with no members.
func (s *Service) AlterOffsets(ctx context.Context, req *runnelv1.AlterOffsetsRequest) (*runnelv1.AlterOffsetsResponse, error) {
	if err := group.ValidateID(req.GetGroup()); err != nil {
		return nil, err
	}
	if err := s.catchUp(ctx, offsetTopics(req.GetOffsets())); err != nil {
		return nil, err
	}
	err := s.withGroup(req.GetGroup(), true, func(t *term, e *entry, topics group.Topics) error {
		u, err := e.g.AlterOffsets(topics, req.GetOffsets())
		if err != nil {
			return err
		}
		s.log.InfoContext(ctx, "group offsets altered", "group", req.GetGroup(), "offsets", len(req.GetOffsets()))
		return s.update(ctx, t, e, u)
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.AlterOffsetsResponse{}, nil
}

// ListGroups lists every group, by name.
func (s *Service) ListGroups(context.Context, *runnelv1.GroupCoordinatorServiceListGroupsRequest) (*runnelv1.GroupCoordinatorServiceListGroupsResponse, error) {
	t, release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	names := t.names()
	release()
	resp := &runnelv1.GroupCoordinatorServiceListGroupsResponse{}
	for _, name := range names {
		err := s.withGroup(name, false, func(_ *term, e *entry, _ group.Topics) error {
			if e.g.Stored {
				resp.Groups = append(resp.Groups, e.g.Summary())
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// DescribeGroup returns a group's state, members and committed offsets.
func (s *Service) DescribeGroup(_ context.Context, req *runnelv1.GroupCoordinatorServiceDescribeGroupRequest) (*runnelv1.GroupCoordinatorServiceDescribeGroupResponse, error) {
	if err := group.ValidateID(req.GetGroup()); err != nil {
		return nil, err
	}
	var resp *runnelv1.GroupCoordinatorServiceDescribeGroupResponse
	err := s.withGroup(req.GetGroup(), false, func(_ *term, e *entry, topics group.Topics) error {
		if !e.g.Stored {
			return notFound(req.GetGroup())
		}
		resp = e.g.Describe(topics)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// DeleteGroup deletes a group with no members and its offsets.
func (s *Service) DeleteGroup(ctx context.Context, req *runnelv1.GroupCoordinatorServiceDeleteGroupRequest) (*runnelv1.GroupCoordinatorServiceDeleteGroupResponse, error) {
	if err := group.ValidateID(req.GetGroup()); err != nil {
		return nil, err
	}
	err := s.withGroup(req.GetGroup(), false, func(t *term, e *entry, _ group.Topics) error {
		u, err := e.g.Delete()
		if err != nil {
			return err
		}
		return s.update(ctx, t, e, u)
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.GroupCoordinatorServiceDeleteGroupResponse{}, nil
}
