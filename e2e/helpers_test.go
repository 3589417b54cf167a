package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel/runnel/e2e/harness"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// long reports whether the long variants were asked for.
func long() bool { return os.Getenv("RUNNEL_LONG") == "1" }

// testCtx is a context for one test's requests, ended with the test and bounded by d.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// kafkaPartition is where a Kafka producer's default partitioner puts key among n partitions
// (franz-go's StickyKeyPartitioner with its default hasher: murmur2, sign bit cleared, mod n).
func kafkaPartition(key []byte, n int) int32 {
	p := kgo.StickyKeyPartitioner(nil).ForTopic("")
	return int32(p.Partition(&kgo.Record{Key: key}, n))
}

// createTopic creates a topic over REST and fails the test on error.
func createTopic(t *testing.T, c *harness.Client, name string, partitions, rf int32, configs map[string]string) *harness.Topic {
	t.Helper()
	top, err := c.CreateTopic(testCtx(t, time.Minute), harness.CreateTopicRequest{
		Name: name, Partitions: partitions, ReplicationFactor: rf, Configs: configs,
	})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	if top.Name != name || len(top.Partitions) != int(partitions) {
		t.Fatalf("create topic %s: answer has name %q and %d partitions, want %q and %d", name, top.Name, len(top.Partitions), name, partitions)
	}
	return top
}

// highWatermarks returns partition → high watermark of a topic.
func highWatermarks(t *testing.T, c *harness.Client, topic string) map[int32]int64 {
	t.Helper()
	offs, err := c.Offsets(testCtx(t, time.Minute), topic)
	if err != nil {
		t.Fatalf("offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	for _, o := range offs {
		out[o.Partition] = int64(o.HighWatermark)
	}
	return out
}

// errorAnswer returns r's error body, failing the test when r is a success.
func errorAnswer(t *testing.T, r *harness.Response) *harness.APIError {
	t.Helper()
	e := r.AsAPIError()
	if e == nil {
		t.Fatalf("want an error answer, got status %d: %s", r.Status, r.Body)
	}
	return e
}

// checkErrorBody checks a non-2xx answer: the status, grpc-gateway's body shape and a message
// starting with a catalogue name (want, or any when want is "") followed by an explanation.
func checkErrorBody(t *testing.T, e *harness.APIError, wantStatus []int, want string) {
	t.Helper()
	okStatus := false
	for _, s := range wantStatus {
		okStatus = okStatus || e.Status == s
	}
	if !okStatus {
		t.Errorf("status %d, want one of %v; body %s", e.Status, wantStatus, e.Body)
	}
	if e.Code == 0 {
		t.Errorf("error body has no gRPC code: %s", e.Body)
	}
	name := e.Name()
	if _, known := rpcerr.Lookup(name); !known {
		t.Errorf("message %q does not start with a catalogue name and \": \"", e.Message)
	}
	if want != "" && name != want {
		t.Errorf("error name %q, want %q (message %q)", name, want, e.Message)
	}
	if len(e.Message) < len(name)+10 {
		t.Errorf("message %q says too little about what to do", e.Message)
	}
}
