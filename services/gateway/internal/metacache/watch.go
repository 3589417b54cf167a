package metacache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// Backoff bounds between two attempts to watch (reset after a stream delivered a message).
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// Conns holds one client connection per metadata address.
type Conns struct {
	addrs   []string
	conns   []*grpc.ClientConn
	clients []runnelv1.MetadataServiceClient
	coords  []runnelv1.GroupCoordinatorServiceClient
}

// Dial creates (lazily connecting) clients for every address.
func Dial(addrs []string, opts ...grpc.DialOption) (*Conns, error) {
	if len(addrs) == 0 {
		return nil, errors.New("metacache: no metadata address")
	}
	c := &Conns{addrs: addrs}
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	for _, a := range addrs {
		cc, err := grpc.NewClient(a, opts...)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("metacache: metadata address %s: %w", a, err)
		}
		c.conns = append(c.conns, cc)
		c.clients = append(c.clients, runnelv1.NewMetadataServiceClient(cc))
		c.coords = append(c.coords, runnelv1.NewGroupCoordinatorServiceClient(cc))
	}
	return c, nil
}

// Close closes every connection.
func (c *Conns) Close() error {
	var errs []error
	for _, cc := range c.conns {
		errs = append(errs, cc.Close())
	}
	return errors.Join(errs...)
}

// Watch keeps cache fed from the metadata service until ctx ends: it watches one address and, when
// the stream fails, the next one, waiting a growing backoff between failures.
func Watch(ctx context.Context, conns *Conns, cache *Cache, log *slog.Logger) {
	backoff := minBackoff
	for i := 0; ctx.Err() == nil; i++ {
		idx := i % len(conns.clients)
		got, err := watchOnce(ctx, conns.clients[idx], cache)
		if ctx.Err() != nil {
			return
		}
		if got {
			backoff = minBackoff
		}
		log.Warn("metadata watch failed; trying the next address", "addr", conns.addrs[idx], "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// watchOnce runs one stream; it reports whether it applied any message.
func watchOnce(ctx context.Context, client runnelv1.MetadataServiceClient, cache *Cache) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Watch(ctx, &runnelv1.WatchRequest{})
	if err != nil {
		return false, err
	}
	got := false
	for {
		m, err := stream.Recv()
		if err != nil {
			return got, err
		}
		if !got && !m.GetReset_() {
			return got, errors.New("metacache: watch stream did not start with a snapshot")
		}
		got = true
		cache.Apply(m)
	}
}
