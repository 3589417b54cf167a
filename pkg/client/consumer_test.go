package client

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// write appends n records "0".."n-1" (key "k") to a partition of the fake.
func (f *fakeGateway) write(tp TopicPartition, from, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := from; i < from+n; i++ {
		f.appendLocked(tp.Topic, tp.Partition, &runnelv1.ProduceRecord{KeyBase64: []byte("k"), ValueBase64: []byte(strconv.Itoa(i))})
	}
}

func newConsumer(t *testing.T, cl *Client, opts ...ConsumerOption) *Consumer {
	t.Helper()
	c, err := cl.NewConsumer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// pollN polls until n records arrived (bounded by ctx); it fails on any error.
func pollN(t *testing.T, ctx context.Context, poll func(context.Context) ([]*Record, error), n int) []*Record {
	t.Helper()
	var out []*Record
	for len(out) < n {
		recs, err := poll(ctx)
		if err != nil {
			t.Fatalf("after %d of %d records: %v", len(out), n, err)
		}
		out = append(out, recs...)
	}
	return out
}

func TestConsumerReadsAssignedPartitionsInOrder(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 3)
	for p := range int32(3) {
		f.write(TopicPartition{"t", p}, 0, 300)
	}
	c := newConsumer(t, cl, WithMaxPollRecords(100), WithFetchMaxRecords(70))
	ctx := testCtx(t)
	tps := []TopicPartition{{"t", 0}, {"t", 1}, {"t", 2}}
	if err := c.Assign(ctx, tps); err != nil {
		t.Fatal(err)
	}
	recs := pollN(t, ctx, c.Poll, 900)
	next := map[int32]int64{}
	for _, r := range recs {
		if r.Offset != next[r.Partition] || string(r.Value) != strconv.FormatInt(r.Offset, 10) || string(r.Key) != "k" {
			t.Fatalf("partition %d: got offset %d value %q, want offset %d", r.Partition, r.Offset, r.Value, next[r.Partition])
		}
		next[r.Partition]++
	}
	for _, tp := range tps {
		if pos, ok := c.Position(tp); !ok || pos != 300 {
			t.Fatalf("position of %s = %d %v, want 300", tp, pos, ok)
		}
	}
	// Records written later arrive through the long poll.
	f.write(TopicPartition{"t", 1}, 300, 1)
	if recs := pollN(t, ctx, c.Poll, 1); recs[0].Offset != 300 || recs[0].Partition != 1 {
		t.Fatalf("got %s@%d", recs[0].TopicPartition(), recs[0].Offset)
	}
	// Re-assigning keeps positions of partitions that stay and drops the others.
	if err := c.Assign(ctx, tps[:1]); err != nil {
		t.Fatal(err)
	}
	if got := c.Assignment(); len(got) != 1 || got[0] != tps[0] {
		t.Fatalf("assignment %v", got)
	}
	if pos, _ := c.Position(tps[0]); pos != 300 {
		t.Fatalf("position of the kept partition moved to %d", pos)
	}
}

func TestConsumerSeek(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	tp := TopicPartition{"t", 0}
	f.write(tp, 0, 50)
	ctx := testCtx(t)
	tests := []struct {
		name  string
		seek  func(c *Consumer) error
		first int64
	}{
		{"seek", func(c *Consumer) error { return c.Seek(tp, 42) }, 42},
		{"to beginning", func(c *Consumer) error { return c.SeekToBeginning(ctx) }, 0},
		{"to end", func(c *Consumer) error { return c.SeekToEnd(ctx, tp) }, 50},
	}
	c := newConsumer(t, cl)
	if err := c.Assign(ctx, []TopicPartition{tp}); err != nil {
		t.Fatal(err)
	}
	pollN(t, ctx, c.Poll, 10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.seek(c); err != nil {
				t.Fatal(err)
			}
			if pos, _ := c.Position(tp); pos != tt.first {
				t.Fatalf("position %d, want %d", pos, tt.first)
			}
			if tt.first == 50 {
				f.write(tp, 50, 1)
			}
			if recs := pollN(t, ctx, c.Poll, 1); recs[0].Offset != tt.first {
				t.Fatalf("first record after the seek at %d, want %d", recs[0].Offset, tt.first)
			}
		})
	}
	if err := c.Seek(TopicPartition{"t", 9}, 0); !errors.Is(err, ErrNotAssigned) {
		t.Fatalf("seek of an unassigned partition = %v", err)
	}
}

func TestConsumerOffsetReset(t *testing.T) {
	tests := []struct {
		name  string
		reset OffsetReset
		want  int64  // first offset read
		code  string // Poll's error instead
	}{
		{"earliest", ResetEarliest, 20, ""},
		{"latest", ResetLatest, 30, ""},
		{"none", ResetNone, 0, CodeOffsetOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, cl := startFake(t)
			f.addTopic("t", 1)
			tp := TopicPartition{"t", 0}
			f.write(tp, 0, 30)
			f.truncate(tp, 20) // retention removed 0..19
			c := newConsumer(t, cl, WithOffsetReset(tt.reset))
			ctx := testCtx(t)
			if err := c.Assign(ctx, []TopicPartition{tp}); err != nil {
				t.Fatal(err)
			}
			if err := c.Seek(tp, 5); err != nil {
				t.Fatal(err)
			}
			if tt.code != "" {
				if _, err := c.Poll(ctx); CodeOf(err) != tt.code {
					t.Fatalf("Poll = %v, want %s", err, tt.code)
				}
				return
			}
			if tt.reset == ResetLatest {
				// The reset reaches the position when Poll takes it.
				eventually(t, 5*time.Second, func() error {
					short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
					defer cancel()
					_, _ = c.Poll(short)
					if pos, _ := c.Position(tp); pos != 30 {
						return errorf("position %d", pos)
					}
					return nil
				})
				f.write(tp, 30, 1)
			}
			if recs := pollN(t, ctx, c.Poll, 1); recs[0].Offset != tt.want {
				t.Fatalf("first record at %d, want %d", recs[0].Offset, tt.want)
			}
		})
	}
}

func TestConsumerCommitOutsideGroup(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 2)
	f.write(TopicPartition{"t", 0}, 0, 10)
	c := newConsumer(t, cl)
	ctx := testCtx(t)
	if err := c.Assign(ctx, []TopicPartition{{"t", 0}, {"t", 1}}); err != nil {
		t.Fatal(err)
	}
	pollN(t, ctx, c.Poll, 10)
	if err := c.Commit(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if got := f.committedOffset("g", TopicPartition{"t", 0}); got != 10 {
		t.Fatalf("committed %d, want 10", got)
	}
	if got := f.eventLog(); got[len(got)-1] != "commit  -1 t/0=10,t/1=0" {
		t.Fatalf("commit sent as %q", got[len(got)-1])
	}
	if err := c.CommitOffsets(ctx, "g", []Offset{{TopicPartition: TopicPartition{"t", 1}, Offset: 0, Metadata: "m"}}); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerPollEnds(t *testing.T) {
	f, cl := startFake(t)
	f.addTopic("t", 1)
	c := newConsumer(t, cl, WithFetchMaxWait(20*time.Millisecond))
	ctx := testCtx(t)
	if err := c.Assign(ctx, []TopicPartition{{"t", 0}}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := c.Poll(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Poll of an empty partition = %v, want the context's error", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Poll(ctx)
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Poll during Close = %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Poll did not return after Close")
	}
	if err := c.Assign(ctx, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Assign after Close = %v", err)
	}
}
