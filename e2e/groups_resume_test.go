package e2e

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testGroupResume: a group that stops and starts again resumes at its committed offsets: no record
// below them is read again, every record at or above them is. Both after a clean exit (--max) and
// after a crash (kill -9 of a consumer that had committed what it printed).
func testGroupResume(t *testing.T, c *harness.Cluster) {
	const topic, group, partitions = "g-resume", "g-resume", 4
	rest := c.Client()
	createTopic(t, rest, topic, partitions, 1, nil)
	all := produceValues(t, rest, topic, valuesN("resume", 40))

	// A first run reads 15 records, commits them and leaves.
	first := parseConsumed(t, c.MustRunCLI(t, "", "consume", topic, "--group", group, "--max", "15", "--format", "json"))
	if len(first) != 15 {
		t.Fatalf("the first run printed %d records, want 15", len(first))
	}
	committed, err := rest.CommittedOffsets(testCtx(t, 30*time.Second), group)
	if err != nil {
		t.Fatal(err)
	}
	want := map[harness.TopicPartition]int64{}
	for p := range int32(partitions) {
		want[harness.TopicPartition{Topic: topic, Partition: p}] = -1
	}
	for _, r := range first {
		tp := harness.TopicPartition{Topic: r.Topic, Partition: r.Partition}
		want[tp] = max(want[tp], int64(r.Offset)+1)
	}
	if !maps.Equal(committed, want) {
		t.Fatalf("after the first run the committed offsets are %v, want %v (the next offset after each partition's last printed record)", committed, want)
	}

	// The second run reads exactly the records at or above the committed offsets.
	all = append(all, produceValues(t, rest, topic, valuesN("resume-more", 8))...)
	var rest2 []string
	for _, r := range all {
		if r.offset >= max(committed[r.tp], 0) {
			rest2 = append(rest2, recKey(r.tp, r.offset))
		}
	}
	second := parseConsumed(t, c.MustRunCLI(t, "", "consume", topic, "--group", group, "--max", fmt.Sprint(len(rest2)), "--format", "json"))
	if got := consumedKeys(second); !slices.Equal(got, sorted(rest2)) {
		t.Errorf("the second run printed %v, want exactly the records at or above the committed offsets %v: %v", got, committed, sorted(rest2))
	}
	if d := describeGroup(t, rest, group); d.Lag != 0 || d.State != "Empty" {
		t.Errorf("after reading everything the group is %s with lag %d, want Empty with 0", d.State, d.Lag)
	}

	// A consumer killed after it committed everything: the next one reads only new records.
	more := produceValues(t, rest, topic, valuesN("resume-crash", 8))
	p := groupConsumer(t, c, "crashing", topic, group, "--session-timeout", "2s")
	waitConsumed(t, more, 20*time.Second, p)
	harness.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, func() error {
		d, err := rest.DescribeGroup(testCtx(t, 10*time.Second), group)
		if err != nil {
			return err
		}
		if d.Lag != 0 {
			return fmt.Errorf("the group's lag is %d, want 0 once the consumer committed", d.Lag)
		}
		return nil
	})
	p.Kill(t)
	last := produceValues(t, rest, topic, valuesN("resume-last", 8))
	var lastKeys []string
	for _, r := range last {
		lastKeys = append(lastKeys, recKey(r.tp, r.offset))
	}
	// Its session still holds the partitions; the new member gets them when it times out (2 s).
	third := parseConsumed(t, c.MustRunCLI(t, "", "consume", topic, "--group", group, "--max", "8", "--format", "json"))
	if got := consumedKeys(third); !slices.Equal(got, sorted(lastKeys)) {
		t.Errorf("after the crash the next run printed %v, want only the 8 new records %v", got, sorted(lastKeys))
	}
}

func parseConsumed(t *testing.T, out string) []harness.ConsumedRecord {
	t.Helper()
	recs, err := harness.ParseRecords(out)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func recKey(tp harness.TopicPartition, offset int64) string {
	return fmt.Sprintf("%s/%d@%06d", tp.Topic, tp.Partition, offset)
}

func consumedKeys(recs []harness.ConsumedRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = recKey(harness.TopicPartition{Topic: r.Topic, Partition: r.Partition}, int64(r.Offset))
	}
	return sorted(out)
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
