package storageconn

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// ErrClosed is returned by Client after Close.
var ErrClosed = errors.New("storageconn: pool closed")

// MaxMessageBytes bounds the messages sent to and read from storage nodes: a batch or a fetch
// response of up to 64 MiB plus framing.
const MaxMessageBytes = 80 << 20

// Pool maps storage node addresses to clients.
type Pool struct {
	opts   []grpc.DialOption
	mu     sync.Mutex
	conns  map[string]*entry
	closed bool
}

type entry struct {
	conn   *grpc.ClientConn
	client runnelv1.StorageServiceClient
}

// New returns an empty pool whose connections use opts (after insecure credentials and message
// size limits).
func New(opts ...grpc.DialOption) *Pool {
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
	}
	return &Pool{opts: append(base, opts...), conns: map[string]*entry{}}
}

// Client returns the client of the node at addr, creating its connection on first use.
func (p *Pool) Client(addr string) (runnelv1.StorageServiceClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if e, ok := p.conns[addr]; ok {
		return e.client, nil
	}
	cc, err := grpc.NewClient(addr, p.opts...)
	if err != nil {
		return nil, fmt.Errorf("storageconn: %s: %w", addr, err)
	}
	e := &entry{conn: cc, client: runnelv1.NewStorageServiceClient(cc)}
	p.conns[addr] = e
	return e.client, nil
}

// Close closes every connection; later Client calls fail with ErrClosed. Safe to call twice.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for addr, e := range p.conns {
		errs = append(errs, e.conn.Close())
		delete(p.conns, addr)
	}
	return errors.Join(errs...)
}
