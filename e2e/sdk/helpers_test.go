package sdk

import (
	"context"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
	"github.com/runnel/runnel/pkg/client"
)

// startCluster starts `runnel dev` (1 metadata node, storageNodes storage nodes) and returns it
// with an SDK client of its gateway; both are stopped by the test's cleanup.
func startCluster(t testing.TB, storageNodes int) (*harness.Cluster, *client.Client) {
	t.Helper()
	c := harness.Start(t, harness.Options{StorageNodes: storageNodes})
	cl, err := client.New(c.Endpoints().GRPC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return c, cl
}

func createTopic(t testing.TB, c *harness.Cluster, name string, partitions, rf int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Client().CreateTopic(ctx, harness.CreateTopicRequest{Name: name, Partitions: partitions, ReplicationFactor: rf}); err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func partitions(topic string, n int32) []client.TopicPartition {
	out := make([]client.TopicPartition, n)
	for i := range n {
		out[i] = client.TopicPartition{Topic: topic, Partition: i}
	}
	return out
}

// closeCtx bounds a Close in a cleanup.
func closeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 15*time.Second)
}
