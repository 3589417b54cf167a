package api

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
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
	requests metric.Int64Counter
}

// New returns the service.
func New(t *topics.Service, p *produce.Producer, r *consume.Reader, g *groups.Service, meter metric.Meter) (*Service, error) {
	if meter == nil {
		meter = noop.NewMeterProvider().Meter("")
	}
	c, err := meter.Int64Counter("runnel.gateway.requests",
		metric.WithDescription("Gateway API calls by api and outcome (OK or the catalogue name)."),
		metric.WithUnit("{request}"))
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return &Service{topics: t, producer: p, reader: r, groups: g, requests: c}, nil
}

// done counts a call and turns its error into a catalogue error.
func (s *Service) done(ctx context.Context, api string, err error) error {
	code := "OK"
	if err != nil {
		err = rpcerr.FromStatus(err)
		code = rpcerr.CodeOf(err).Name
	}
	s.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("api", api), attribute.String("code", code)))
	return err
}

// CreateTopic implements GatewayService.
func (s *Service) CreateTopic(ctx context.Context, req *runnelv1.CreateTopicRequest) (*runnelv1.CreateTopicResponse, error) {
	d, err := s.topics.Create(ctx, req)
	if err = s.done(ctx, "CreateTopic", err); err != nil {
		return nil, err
	}
	return &runnelv1.CreateTopicResponse{Topic: d}, nil
}

// ListTopics implements GatewayService.
func (s *Service) ListTopics(ctx context.Context, _ *runnelv1.ListTopicsRequest) (*runnelv1.ListTopicsResponse, error) {
	out := &runnelv1.ListTopicsResponse{Topics: s.topics.List()}
	_ = s.done(ctx, "ListTopics", nil)
	return out, nil
}

// GetTopic implements GatewayService.
func (s *Service) GetTopic(ctx context.Context, req *runnelv1.GetTopicRequest) (*runnelv1.GetTopicResponse, error) {
	d, err := s.topics.Describe(ctx, req.GetTopic())
	if err = s.done(ctx, "GetTopic", err); err != nil {
		return nil, err
	}
	return &runnelv1.GetTopicResponse{Topic: d}, nil
}

// DeleteTopic implements GatewayService.
func (s *Service) DeleteTopic(ctx context.Context, req *runnelv1.DeleteTopicRequest) (*runnelv1.DeleteTopicResponse, error) {
	err := s.topics.Delete(ctx, req.GetTopic())
	if err = s.done(ctx, "DeleteTopic", err); err != nil {
		return nil, err
	}
	return &runnelv1.DeleteTopicResponse{}, nil
}

// Produce implements GatewayService.
func (s *Service) Produce(ctx context.Context, req *runnelv1.ProduceRequest) (*runnelv1.ProduceResponse, error) {
	resp, err := s.producer.Produce(ctx, req)
	if err = s.done(ctx, "Produce", err); err != nil {
		return nil, err
	}
	return resp, nil
}

// Consume implements GatewayService.
func (s *Service) Consume(ctx context.Context, req *runnelv1.ConsumeRequest) (*runnelv1.ConsumeResponse, error) {
	resp, err := s.reader.Consume(ctx, req)
	if err = s.done(ctx, "Consume", err); err != nil {
		return nil, err
	}
	return resp, nil
}

// ListOffsets implements GatewayService.
func (s *Service) ListOffsets(ctx context.Context, req *runnelv1.ListOffsetsRequest) (*runnelv1.ListOffsetsResponse, error) {
	parts, err := s.topics.Offsets(ctx, req.GetTopic())
	if err = s.done(ctx, "ListOffsets", err); err != nil {
		return nil, err
	}
	return &runnelv1.ListOffsetsResponse{Partitions: parts}, nil
}
