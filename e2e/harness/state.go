package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// stateCallTimeout bounds one GetClusterState call to one metadata node.
const stateCallTimeout = 3 * time.Second

// ClusterState asks the metadata nodes, one after the other, for GetClusterState over gRPC and
// returns the first answer. Nodes that are down or paused are skipped.
func (c *Cluster) ClusterState(ctx context.Context) (*runnelv1.GetClusterStateResponse, error) {
	var errs []error
	for _, m := range c.Endpoints().Metadata {
		ref := nodeRef{key: "metadata " + m.ID, pid: m.PID, argv: m.Argv}
		if len(m.Argv) > 0 {
			pid := c.runningPID(ref)
			if pid == 0 || c.isPaused(pid) {
				continue
			}
		}
		resp, err := clusterStateFrom(ctx, m.GRPC)
		if err == nil {
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("metadata %s (%s): %w", m.ID, m.GRPC, err))
	}
	if len(errs) == 0 {
		return nil, errors.New("no metadata node is running")
	}
	return nil, errors.Join(errs...)
}

func clusterStateFrom(ctx context.Context, addr string) (*runnelv1.GetClusterStateResponse, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, stateCallTimeout)
	defer cancel()
	return runnelv1.NewMetadataServiceClient(conn).GetClusterState(ctx, &runnelv1.GetClusterStateRequest{})
}

// Controller is the id of the metadata node that is the controller now ("m2"), or an error when
// no node answers or none is elected.
func (c *Cluster) Controller(ctx context.Context) (string, error) {
	st, err := c.ClusterState(ctx)
	if err != nil {
		return "", err
	}
	if st.GetControllerId() == "" {
		return "", errors.New("no controller is elected")
	}
	return st.GetControllerId(), nil
}

func (c *Cluster) isPaused(pid int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.paused[pid]
	return ok
}

// DialStorage returns a StorageService client on storage node id's gRPC address, closed when the
// test ends.
func (c *Cluster) DialStorage(t testing.TB, id int32) runnelv1.StorageServiceClient {
	t.Helper()
	n, ok := c.Endpoints().StorageByID(id)
	if !ok {
		t.Fatalf("harness: no storage node %d", id)
	}
	conn, err := grpc.NewClient(n.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("harness: dial storage node %d: %v", id, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return runnelv1.NewStorageServiceClient(conn)
}

// Partition returns partition p of a described topic.
func (t *Topic) Partition(p int32) (Partition, bool) {
	for _, pt := range t.Partitions {
		if pt.Partition == p {
			return pt, true
		}
	}
	return Partition{}, false
}

// InISR reports whether node is in the partition's in-sync replicas.
func (p Partition) InISR(node int32) bool { return slices.Contains(p.ISR, node) }

// FullISR reports whether every replica is in sync.
func (p Partition) FullISR() bool {
	if len(p.ISR) != len(p.Replicas) {
		return false
	}
	for _, r := range p.Replicas {
		if !p.InISR(r) {
			return false
		}
	}
	return true
}

// Preferred is the preferred leader: the first replica (-1 when there is none).
func (p Partition) Preferred() int32 {
	if len(p.Replicas) == 0 {
		return -1
	}
	return p.Replicas[0]
}

// String is a one-line summary for logs and messages.
func (p Partition) String() string {
	return fmt.Sprintf("partition %d: leader %d epoch %d replicas %v isr %v hw %d", p.Partition, p.Leader,
		p.LeaderEpoch, p.Replicas, p.ISR, p.HighWatermark)
}

// PartitionState describes topic over REST and returns partition p.
func (c *Client) PartitionState(ctx context.Context, topic string, p int32) (Partition, error) {
	t, err := c.Describe(ctx, topic)
	if err != nil {
		return Partition{}, err
	}
	pt, ok := t.Partition(p)
	if !ok {
		return Partition{}, fmt.Errorf("topic %s has no partition %d in %d partitions", topic, p, len(t.Partitions))
	}
	return pt, nil
}
