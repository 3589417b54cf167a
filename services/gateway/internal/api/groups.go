package api

import (
	"context"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// JoinGroup implements GatewayService.
func (s *Service) JoinGroup(ctx context.Context, req *runnelv1.JoinGroupRequest) (*runnelv1.JoinGroupResponse, error) {
	resp, err := s.groups.Join(ctx, req)
	if err = s.done(ctx, "JoinGroup", err); err != nil {
		return nil, err
	}
	return resp, nil
}

// Heartbeat implements GatewayService.
func (s *Service) Heartbeat(ctx context.Context, req *runnelv1.HeartbeatRequest) (*runnelv1.HeartbeatResponse, error) {
	resp, err := s.groups.Heartbeat(ctx, req)
	if err = s.done(ctx, "Heartbeat", err); err != nil {
		return nil, err
	}
	return resp, nil
}

// LeaveGroup implements GatewayService.
func (s *Service) LeaveGroup(ctx context.Context, req *runnelv1.LeaveGroupRequest) (*runnelv1.LeaveGroupResponse, error) {
	err := s.groups.Leave(ctx, req)
	if err = s.done(ctx, "LeaveGroup", err); err != nil {
		return nil, err
	}
	return &runnelv1.LeaveGroupResponse{}, nil
}

// FetchGroupRecords implements GatewayService.
func (s *Service) FetchGroupRecords(ctx context.Context, req *runnelv1.FetchGroupRecordsRequest) (*runnelv1.FetchGroupRecordsResponse, error) {
	resp, err := s.groups.Fetch(ctx, req)
	if err = s.done(ctx, "FetchGroupRecords", err); err != nil {
		return nil, err
	}
	return resp, nil
}

// CommitOffsets implements GatewayService.
func (s *Service) CommitOffsets(ctx context.Context, req *runnelv1.CommitOffsetsRequest) (*runnelv1.CommitOffsetsResponse, error) {
	err := s.groups.Commit(ctx, req)
	if err = s.done(ctx, "CommitOffsets", err); err != nil {
		return nil, err
	}
	return &runnelv1.CommitOffsetsResponse{}, nil
}

// GetGroupOffsets implements GatewayService.
func (s *Service) GetGroupOffsets(ctx context.Context, req *runnelv1.GetGroupOffsetsRequest) (*runnelv1.GetGroupOffsetsResponse, error) {
	offs, err := s.groups.Offsets(ctx, req.GetGroup())
	if err = s.done(ctx, "GetGroupOffsets", err); err != nil {
		return nil, err
	}
	return &runnelv1.GetGroupOffsetsResponse{Offsets: offs}, nil
}

// ListGroups implements GatewayService.
func (s *Service) ListGroups(ctx context.Context, _ *runnelv1.ListGroupsRequest) (*runnelv1.ListGroupsResponse, error) {
	resp, err := s.groups.List(ctx)
	if err = s.done(ctx, "ListGroups", err); err != nil {
		return nil, err
	}
	return resp, nil
}

// DescribeGroup implements GatewayService.
func (s *Service) DescribeGroup(ctx context.Context, req *runnelv1.DescribeGroupRequest) (*runnelv1.DescribeGroupResponse, error) {
	resp, err := s.groups.Describe(ctx, req.GetGroup())
	if err = s.done(ctx, "DescribeGroup", err); err != nil {
		return nil, err
	}
	return resp, nil
}

// ResetGroupOffsets implements GatewayService.
func (s *Service) ResetGroupOffsets(ctx context.Context, req *runnelv1.ResetGroupOffsetsRequest) (*runnelv1.ResetGroupOffsetsResponse, error) {
	offs, err := s.groups.Reset(ctx, req)
	if err = s.done(ctx, "ResetGroupOffsets", err); err != nil {
		return nil, err
	}
	return &runnelv1.ResetGroupOffsetsResponse{Offsets: offs}, nil
}

// DeleteGroup implements GatewayService.
func (s *Service) DeleteGroup(ctx context.Context, req *runnelv1.DeleteGroupRequest) (*runnelv1.DeleteGroupResponse, error) {
	err := s.groups.Delete(ctx, req.GetGroup())
	if err = s.done(ctx, "DeleteGroup", err); err != nil {
		return nil, err
	}
	return &runnelv1.DeleteGroupResponse{}, nil
}
