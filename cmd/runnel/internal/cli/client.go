package cli

import (
	"fmt"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// maxMessageBytes bounds gRPC messages both ways (a Consume answer carries up to max_bytes of
// records, a Produce request up to 1 MiB of records, plus framing).
const maxMessageBytes = 64 << 20

// gatewayConn is a connection to the gateway's gRPC API.
type gatewayConn struct {
	addr   string
	conn   *grpc.ClientConn
	client runnelv1.GatewayServiceClient
}

// dialGateway prepares a connection to addr; it connects lazily on the first call.
func dialGateway(addr string) (*gatewayConn, error) {
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)),
	)
	if err != nil {
		return nil, usagef("--gateway %q: %v", addr, err)
	}
	return &gatewayConn{addr: addr, conn: conn, client: runnelv1.NewGatewayServiceClient(conn)}, nil
}

func (g *gatewayConn) Close() error {
	if err := g.conn.Close(); err != nil {
		return fmt.Errorf("closing the connection to %s: %w", g.addr, err)
	}
	return nil
}
