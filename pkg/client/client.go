package client

import (
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// tracerName is the instrumentation scope of the SDK's spans.
const tracerName = "github.com/runnel/runnel/pkg/client"

// Client is a connection to a Runnel gateway's gRPC API, shared by the producers and consumers made
// from it. It is safe for concurrent use. Close it after them.
type Client struct {
	conn       *grpc.ClientConn // nil when the caller passed its own connection
	api        runnelv1.GatewayServiceClient
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	log        *slog.Logger
	clientID   string
}

// Option configures a Client.
type Option func(*clientConfig)

type clientConfig struct {
	dial       []grpc.DialOption
	conn       grpc.ClientConnInterface
	tracing    trace.TracerProvider
	propagator propagation.TextMapPropagator
	log        *slog.Logger
	clientID   string
}

// WithDialOptions adds gRPC dial options (TLS credentials, interceptors, an otelgrpc stats
// handler …). Without credentials among them the connection is plaintext.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *clientConfig) { c.dial = append(c.dial, opts...) }
}

// WithConn uses an existing connection instead of dialing; Close then leaves it open.
func WithConn(conn grpc.ClientConnInterface) Option {
	return func(c *clientConfig) { c.conn = conn }
}

// WithTracerProvider sets where spans go (default: otel.GetTracerProvider(), the global one).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *clientConfig) { c.tracing = tp }
}

// WithPropagator sets how trace context is written into record headers (default: W3C Trace
// Context, the "traceparent" and "tracestate" headers).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *clientConfig) { c.propagator = p }
}

// WithLogger sets the logger (default: discard). Messages are lowercase with stable keys (topic,
// partition, group, member, generation, offset).
func WithLogger(l *slog.Logger) Option {
	return func(c *clientConfig) { c.log = l }
}

// WithClientID names the client in group descriptions (default "runnel-go").
func WithClientID(id string) Option {
	return func(c *clientConfig) { c.clientID = id }
}

// New returns a Client for the gateway at target ("127.0.0.1:9090", or any gRPC target). It does
// not connect yet: the first call does.
func New(target string, opts ...Option) (*Client, error) {
	cfg := clientConfig{clientID: "runnel-go"}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.tracing == nil {
		cfg.tracing = otel.GetTracerProvider()
	}
	if cfg.propagator == nil {
		cfg.propagator = propagation.TraceContext{}
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		tracer:     cfg.tracing.Tracer(tracerName),
		propagator: cfg.propagator,
		log:        cfg.log,
		clientID:   cfg.clientID,
	}
	conn := cfg.conn
	if conn == nil {
		dial := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, cfg.dial...)
		cc, err := grpc.NewClient(target, dial...)
		if err != nil {
			return nil, fmt.Errorf("client: dial %s: %w", target, err)
		}
		c.conn, conn = cc, cc
	}
	c.api = runnelv1.NewGatewayServiceClient(conn)
	return c, nil
}

// Gateway returns the raw gRPC API, for calls the SDK does not wrap (topic and group
// administration). Pass its errors through FromStatus to get an *Error.
func (c *Client) Gateway() runnelv1.GatewayServiceClient { return c.api }

// Close closes the connection New dialed. Close producers and consumers first.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}
