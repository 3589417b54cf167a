package api

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/groups"
	"github.com/runnel/runnel/services/gateway/internal/produce"
	"github.com/runnel/runnel/services/gateway/internal/topics"
)

// Service is the GatewayService implementation.
type Service struct {
	runnelv1.UnimplementedGatewayServiceServer
	topics   *topics.Service
	producer *produce.Producer
	reader   *consume.Reader
	groups   *groups.Service
	obs      *observer
}

// New returns the service. meter and tracer may be nil (no metrics, no receive spans).
func New(t *topics.Service, p *produce.Producer, r *consume.Reader, g *groups.Service, meter metric.Meter, tracer trace.Tracer) (*Service, error) {
	obs, err := newObserver(meter, tracer)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return &Service{topics: t, producer: p, reader: r, groups: g, obs: obs}, nil
}

// CreateTopic implements GatewayService.
func (s *Service) CreateTopic(ctx context.Context, req *runnelv1.CreateTopicRequest) (*runnelv1.CreateTopicResponse, error) {
	start := time.Now()
	d, err := s.topics.Create(ctx, req)
	if err = s.done(ctx, "CreateTopic", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.CreateTopicResponse{Topic: d}, nil
}

// ListTopics implements GatewayService.
func (s *Service) ListTopics(ctx context.Context, _ *runnelv1.ListTopicsRequest) (*runnelv1.ListTopicsResponse, error) {
	start := time.Now()
	out := &runnelv1.ListTopicsResponse{Topics: s.topics.List()}
	_ = s.done(ctx, "ListTopics", start, nil)
	return out, nil
}

// GetTopic implements GatewayService.
func (s *Service) GetTopic(ctx context.Context, req *runnelv1.GetTopicRequest) (*runnelv1.GetTopicResponse, error) {
	start := time.Now()
	d, err := s.topics.Describe(ctx, req.GetTopic())
	if err = s.done(ctx, "GetTopic", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.GetTopicResponse{Topic: d}, nil
}

// DeleteTopic implements GatewayService.
func (s *Service) DeleteTopic(ctx context.Context, req *runnelv1.DeleteTopicRequest) (*runnelv1.DeleteTopicResponse, error) {
	start := time.Now()
	err := s.topics.Delete(ctx, req.GetTopic())
	if err = s.done(ctx, "DeleteTopic", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.DeleteTopicResponse{}, nil
}

// Produce implements GatewayService.
func (s *Service) Produce(ctx context.Context, req *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
	start := time.Now()
	resp, err := s.producer.Produce(ctx, req)
	if err = s.done(ctx, "Produce", start, err, acksAttr(req)); err != nil {
		return nil, err
	}
	return resp, nil
}

// Consume implements GatewayService.
func (s *Service) Consume(ctx context.Context, req *runnelv1.ConsumeRequest) (*runnelv1.ConsumeResponse, error) {
	start := time.Now()
	rctx, span := s.obs.startReceive(ctx, req.GetTopic(), req.GetPartition(), "")
	resp, err := s.reader.Consume(rctx, req)
	endReceive(span, resp.GetRecords(), err)
	if err = s.done(ctx, "Consume", start, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// ListOffsets implements GatewayService.
func (s *Service) ListOffsets(ctx context.Context, req *runnelv1.ListOffsetsRequest) (*runnelv1.ListOffsetsResponse, error) {
	start := time.Now()
	parts, err := s.topics.Offsets(ctx, req.GetTopic())
	if err = s.done(ctx, "ListOffsets", start, err); err != nil {
		return nil, err
	}
	return &runnelv1.ListOffsetsResponse{Partitions: parts}, nil
}
