package api

import (
	"context"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// JoinGroup implements GatewayService.
func (s *Service) JoinGroup(ctx context.Context, req *runnelv1.JoinGroupRequest) (*runnelv1.JoinGroupResponse, error) {
	start := time.Now()
	resp, err := s.groups.Join(ctx, req)
	if err = s.done(ctx, "JoinGroup", start, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// Heartbeat implements GatewayService.
func (s *Service) Heartbeat(ctx context.Context, req *runnelv1.HeartbeatRequest) (*runnelv1.HeartbeatResponse, error) {
	start := time.Now()
	resp, err := s.groups.Heartbeat(ctx, req)
	if err = s.done(ctx, "Heartbeat", start, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// LeaveGroup implements GatewayService.
func (s *Service) LeaveGroup(ctx context.Context, req *runnelv1.LeaveGroupRequest) (*runnelv1.LeaveGroupResponse, error) {
	start := time.Now()
	err := s.groups.Leave(ctx, req)
	if err = s.done(ctx, "LeaveGroup", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.LeaveGroupResponse{}, nil
}

// FetchGroupRecords implements GatewayService.
func (s *Service) FetchGroupRecords(ctx context.Context, req *runnelv1.FetchGroupRecordsRequest) (*runnelv1.FetchGroupRecordsResponse, error) {
	start := time.Now()
	rctx, span := s.obs.startReceive(ctx, "", 0, req.GetGroup())
	resp, err := s.groups.Fetch(rctx, req)
	endReceive(span, resp.GetRecords(), err)
	if err = s.done(ctx, "FetchGroupRecords", start, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// CommitOffsets implements GatewayService.
func (s *Service) CommitOffsets(ctx context.Context, req *runnelv1.CommitOffsetsRequest) (*runnelv1.CommitOffsetsResponse, error) {
	start := time.Now()
	err := s.groups.Commit(ctx, req)
	if err = s.done(ctx, "CommitOffsets", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.CommitOffsetsResponse{}, nil
}

// GetGroupOffsets implements GatewayService.
func (s *Service) GetGroupOffsets(ctx context.Context, req *runnelv1.GetGroupOffsetsRequest) (*runnelv1.GetGroupOffsetsResponse, error) {
	start := time.Now()
	offs, err := s.groups.Offsets(ctx, req.GetGroup())
	if err = s.done(ctx, "GetGroupOffsets", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.GetGroupOffsetsResponse{Offsets: offs}, nil
}

// ListGroups implements GatewayService.
func (s *Service) ListGroups(ctx context.Context, _ *runnelv1.ListGroupsRequest) (*runnelv1.ListGroupsResponse, error) {
	start := time.Now()
	resp, err := s.groups.List(ctx)
	if err = s.done(ctx, "ListGroups", start, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// DescribeGroup implements GatewayService.
func (s *Service) DescribeGroup(ctx context.Context, req *runnelv1.DescribeGroupRequest) (*runnelv1.DescribeGroupResponse, error) {
	start := time.Now()
	resp, err := s.groups.Describe(ctx, req.GetGroup())
	if err = s.done(ctx, "DescribeGroup", start, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// ResetGroupOffsets implements GatewayService.
func (s *Service) ResetGroupOffsets(ctx context.Context, req *runnelv1.ResetGroupOffsetsRequest) (*runnelv1.ResetGroupOffsetsResponse, error) {
	start := time.Now()
	offs, err := s.groups.Reset(ctx, req)
	if err = s.done(ctx, "ResetGroupOffsets", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.ResetGroupOffsetsResponse{Offsets: offs}, nil
}

// DeleteGroup implements GatewayService.
func (s *Service) DeleteGroup(ctx context.Context, req *runnelv1.DeleteGroupRequest) (*runnelv1.DeleteGroupResponse, error) {
	start := time.Now()
	err := s.groups.Delete(ctx, req.GetGroup())
	if err = s.done(ctx, "DeleteGroup", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.DeleteGroupResponse{}, nil
}
