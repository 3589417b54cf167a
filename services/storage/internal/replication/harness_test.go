package replication_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/storage/internal/metatest"
	"github.com/runnel/runnel/services/storage/internal/waitfor"
	"github.com/runnel/runnel/services/storage/server"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCluster is a fake metadata service and real storage nodes, each on its own data dir,
// that a test stops and starts again.
type testCluster struct {
	t     *testing.T
	meta  *metatest.Server
	logs  *logBuffer
	fsync commitlog.FsyncPolicy
	base  string // holds the nodes' data dirs; removed after the nodes stop
	dirs  map[int32]string
	nodes map[int32]*testNode
	spans *tracetest.SpanRecorder // every node's spans, when tracing (newTracedCluster)
}

// testNode is a running storage node.
type testNode struct {
	id     int32
	srv    *server.Server
	conn   *grpc.ClientConn
	client runnelv1.StorageServiceClient
	cancel context.CancelFunc
	done   chan error
	tel    *telemetry.Telemetry
}

// newCluster starts the fake metadata service and the nodes ids; every node still running is
// stopped when the test ends. The nodes' logs are printed if the test fails.
func newCluster(t *testing.T, ids ...int32) *testCluster {
	t.Helper()
	return newClusterWith(t, commitlog.FsyncPolicy{Mode: commitlog.FsyncNever}, ids...)
}

// newClusterWith is newCluster with the nodes' fsync policy.
func newClusterWith(t *testing.T, fsync commitlog.FsyncPolicy, ids ...int32) *testCluster {
	t.Helper()
	return newClusterOf(t, fsync, nil, ids...)
}

// newTracedCluster is newCluster with tracing on: every node's spans go to the recorder.
func newTracedCluster(t *testing.T, ids ...int32) *testCluster {
	t.Helper()
	return newClusterOf(t, commitlog.FsyncPolicy{Mode: commitlog.FsyncAlways}, tracetest.NewSpanRecorder(), ids...)
}

func newClusterOf(t *testing.T, fsync commitlog.FsyncPolicy, spans *tracetest.SpanRecorder, ids ...int32) *testCluster {
	t.Helper()
	c := &testCluster{
		t: t, meta: metatest.Start(t, time.Second), logs: &logBuffer{}, base: t.TempDir(), fsync: fsync,
		dirs: map[int32]string{}, nodes: map[int32]*testNode{}, spans: spans,
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
		if t.Failed() || os.Getenv("RUNNEL_TEST_LOGS") != "" {
			t.Logf("node logs:\n%s", c.logs.String())
		}
	})
	for _, id := range ids {
		c.start(id)
	}
	return c
}

// start runs node id on its data dir and waits until it is ready.
func (c *testCluster) start(id int32) *testNode {
	c.t.Helper()
	if c.dirs[id] == "" {
		c.dirs[id] = filepath.Join(c.base, fmt.Sprint("node-", id))
	}
	tcfg := telemetry.Config{
		ServiceName: "runnel-storage", NodeID: fmt.Sprint(id), LogFormat: "text", LogLevel: "debug", LogWriter: c.logs,
	}
	if c.spans != nil {
		tcfg.SpanProcessors = []sdktrace.SpanProcessor{c.spans}
	}
	tel, err := telemetry.Setup(context.Background(), tcfg)
	if err != nil {
		c.t.Fatal(err)
	}
	srv, err := server.New(server.Config{
		ID: id, DataDir: c.dirs[id], GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		MetadataAddrs: []string{c.meta.Addr()}, Fsync: c.fsync, DrainTimeout: time.Second, Telemetry: tel,
	})
	if err != nil {
		c.t.Fatalf("start node %d: %v", id, err)
	}
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(server.MaxRequestBytes)))
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &testNode{id: id, srv: srv, conn: conn, client: runnelv1.NewStorageServiceClient(conn),
		cancel: cancel, done: make(chan error, 1), tel: tel}
	go func() { n.done <- srv.Run(ctx) }()
	c.nodes[id] = n
	eventually(c.t, fmt.Sprintf("node %d ready", id), srv.Ready)
	return n
}

// stop ends node id's Run and waits for it.
func (c *testCluster) stop(id int32) {
	c.t.Helper()
	n := c.nodes[id]
	if n == nil {
		return
	}
	delete(c.nodes, id)
	n.cancel()
	select {
	case err := <-n.done:
		if err != nil {
			c.t.Errorf("node %d Run: %v", id, err)
		}
	case <-time.After(15 * time.Second):
		c.t.Fatalf("node %d did not stop", id)
	}
	_ = n.conn.Close()
	_ = n.tel.Shutdown(context.Background())
}

// topic creates a one-partition topic led by leader (epoch 0) with the replicas and ISR given.
func (c *testCluster) topic(name string, replicas, isr []int32, leader int32, configs map[string]string) {
	c.meta.SetTopic(&runnelv1.Topic{Name: name, TopicId: name + "-id", Partitions: 1,
		ReplicationFactor: int32(len(replicas)), Configs: configs},
		&runnelv1.PartitionState{Topic: name, TopicId: name + "-id", Partition: 0, Leader: leader,
			Replicas: replicas, Isr: isr})
}

// elect makes leader the leader of topic's partition 0 at the next leader epoch, with the ISR
// given, as the controller would.
func (c *testCluster) elect(topic string, leader int32, isr []int32) *runnelv1.PartitionState {
	ps := c.meta.Partition(topic, 0)
	ps.Leader, ps.Isr = leader, isr
	ps.LeaderEpoch++
	ps.PartitionEpoch++
	c.meta.SetPartition(ps)
	return ps
}

// isr returns the ISR the metadata service holds.
func (c *testCluster) isr(topic string) []int32 {
	return c.meta.Partition(topic, 0).GetIsr()
}

// waitISR waits until the metadata ISR holds exactly the members given.
func (c *testCluster) waitISR(topic string, want ...int32) {
	c.t.Helper()
	eventually(c.t, fmt.Sprintf("ISR of %s = %v", topic, want), func() bool {
		got := slices.Clone(c.isr(topic))
		slices.Sort(got)
		w := slices.Clone(want)
		slices.Sort(w)
		return slices.Equal(got, w)
	})
}

// append sends one batch of n records (values tagged with tag) to node id.
func (c *testCluster) append(id int32, topic string, acks runnelv1.Acks, timeout time.Duration, tag string, n int) (*runnelv1.AppendResponse, error) {
	c.t.Helper()
	return c.nodes[id].client.Append(context.Background(), &runnelv1.AppendRequest{
		Topic: topic, LeaderEpoch: -1, Acks: acks, Batch: encodeBatch(c.t, tag, n), TimeoutMs: int32(timeout.Milliseconds()),
	})
}

// encodeBatch encodes n records whose values are "<tag>-<i>-xxx…".
func encodeBatch(t *testing.T, tag string, n int) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Timestamp: time.Now().UnixMilli(), Key: fmt.Appendf(nil, "k%d", i),
			Value: fmt.Appendf(nil, "%s-%d-%s", tag, i, bytes.Repeat([]byte{'x'}, 100))}
	}
	b, err := record.Encode(nil, recs, record.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustAppend appends and fails the test on an error.
func (c *testCluster) mustAppend(id int32, topic string, acks runnelv1.Acks, tag string, n int) *runnelv1.AppendResponse {
	c.t.Helper()
	resp, err := c.append(id, topic, acks, 10*time.Second, tag, n)
	if err != nil {
		c.t.Fatalf("append %s to node %d: %v", tag, id, err)
	}
	return resp
}

// offsets returns node id's offsets of topic's partition 0 (Error set when it does not lead).
func (c *testCluster) offsets(id int32, topic string) *runnelv1.PartitionOffsets {
	c.t.Helper()
	resp, err := c.nodes[id].client.ListPartitionOffsets(context.Background(), &runnelv1.ListPartitionOffsetsRequest{
		Partitions: []*runnelv1.TopicPartition{{Topic: topic}},
	})
	if err != nil {
		c.t.Fatalf("ListPartitionOffsets on node %d: %v", id, err)
	}
	return resp.GetPartitions()[0]
}

// waitLeading waits until node id serves topic as leader.
func (c *testCluster) waitLeading(id int32, topic string) {
	c.t.Helper()
	eventually(c.t, fmt.Sprintf("node %d leads %s", id, topic), func() bool { return c.offsets(id, topic).GetError() == "" })
}

// waitReplicated waits until the leader's high watermark reaches its log end: every ISR member
// has its whole log.
func (c *testCluster) waitReplicated(leader int32, topic string) *runnelv1.PartitionOffsets {
	c.t.Helper()
	var o *runnelv1.PartitionOffsets
	eventually(c.t, fmt.Sprintf("%s replicated to the ISR of node %d", topic, leader), func() bool {
		o = c.offsets(leader, topic)
		return o.GetError() == "" && o.GetHighWatermark() == o.GetLogEndOffset()
	})
	return o
}

// logBytes reads node id's log of topic's partition 0 in [from, to) from its data dir; the
// node must be stopped.
func (c *testCluster) logBytes(id int32, topic string, to int64) []byte {
	c.t.Helper()
	if c.nodes[id] != nil {
		c.t.Fatalf("node %d is running", id)
	}
	l, err := commitlog.Open(filepath.Join(c.dirs[id], topic+"-0"), commitlog.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	defer l.Close()
	if l.LogEndOffset() < to {
		c.t.Fatalf("node %d's log of %s ends at %d, below %d", id, topic, l.LogEndOffset(), to)
	}
	b, err := l.Read(l.LogStartOffset(), 1<<30, to)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// values decodes the record values of concatenated batches.
func values(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) > 0 {
		batch, rest, err := record.Next(b)
		if err != nil {
			t.Fatal(err)
		}
		_, recs, err := record.Decode(batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out = append(out, string(bytes.SplitN(r.Value, []byte("-x"), 2)[0]))
		}
		b = rest
	}
	return out
}

// scrape returns node id's /metrics page.
func (c *testCluster) scrape(id int32) string {
	c.t.Helper()
	resp, err := http.Get("http://" + c.nodes[id].srv.HTTPAddr() + "/metrics")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// eventually polls cond until it holds, failing the test after 15 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitfor.Condition(t, what, 15*time.Second, cond)
}

// logBuffer collects the nodes' logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
