package e2e

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// groupConsumer starts `runnel consume TOPIC --group GROUP --format json extra...`.
func groupConsumer(t *testing.T, c *harness.Cluster, name, topic, group string, extra ...string) *harness.CLIProcess {
	t.Helper()
	args := append([]string{"consume", topic, "--group", group, "--format", "json"}, extra...)
	return c.StartCLI(t, name, args...)
}

var joinedRE = regexp.MustCompile(`joined group \S+ as member (\S+)`)

// memberOf waits for a `runnel consume --group` process to report its member id on stderr.
func memberOf(t *testing.T, p *harness.CLIProcess) string {
	t.Helper()
	var id string
	harness.EventuallyEvery(t, 20*time.Second, 20*time.Millisecond, func() error {
		if m := joinedRE.FindStringSubmatch(p.Stderr()); m != nil {
			id = m[1]
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited (code %d) before joining: %s", p.Name, p.ExitCode(), p.Stderr())
		}
		return fmt.Errorf("%s has not joined yet", p.Name)
	})
	return id
}

// describeGroup is GET /v1/groups/{group}, failing the test on error.
func describeGroup(t *testing.T, rest *harness.Client, group string) *harness.GroupDescription {
	t.Helper()
	d, err := rest.DescribeGroup(testCtx(t, 30*time.Second), group)
	if err != nil {
		t.Fatalf("describe group %s: %v", group, err)
	}
	return d
}

// waitBalanced waits until group is Stable with exactly the members ids (any, when nil) of which
// there are n, every one of the topic's partitions is assigned, and no member holds more than
// ceil(partitions/n). It returns the description.
func waitBalanced(t *testing.T, rest *harness.Client, group string, n, partitions int, timeout time.Duration) *harness.GroupDescription {
	t.Helper()
	var d *harness.GroupDescription
	harness.EventuallyEvery(t, timeout, 50*time.Millisecond, func() error {
		var err error
		if d, err = rest.DescribeGroup(testCtx(t, 10*time.Second), group); err != nil {
			return err
		}
		if d.State != "Stable" || len(d.Members) != n {
			return fmt.Errorf("group %s is %s with %d members, want Stable with %d", group, d.State, len(d.Members), n)
		}
		total := 0
		for _, m := range d.Members {
			k := len(harness.Flatten(m.Assignment))
			if k > (partitions+n-1)/n {
				return fmt.Errorf("member %s holds %d partitions: not balanced", m.MemberID, k)
			}
			total += k
		}
		if total != partitions {
			return fmt.Errorf("%d of %d partitions are assigned", total, partitions)
		}
		return nil
	})
	return d
}

// holderMonitor polls DescribeGroup and records every moment a partition is held (assigned or
// revoking) by two members, and the group generations it saw.
type holderMonitor struct {
	stop func()

	mu          sync.Mutex
	polls       int
	failures    int
	violations  []string
	generations []int32
	history     []*harness.GroupDescription // every description, in order
}

// monitorHolders polls group every interval until the returned monitor's stop is called (also at
// the end of the test).
func monitorHolders(t *testing.T, rest *harness.Client, group string, interval time.Duration) *holderMonitor {
	m := &holderMonitor{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
			d, err := rest.DescribeGroup(cctx, group)
			ccancel()
			m.record(d, err)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	var once sync.Once
	m.stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(m.stop)
	return m
}

func (m *holderMonitor) record(d *harness.GroupDescription, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.failures++
		return
	}
	m.polls++
	m.history = append(m.history, d)
	if len(m.generations) == 0 || m.generations[len(m.generations)-1] != d.Generation {
		m.generations = append(m.generations, d.Generation)
	}
	for tp, holders := range d.Holders() {
		if len(holders) > 1 {
			m.violations = append(m.violations, fmt.Sprintf("generation %d: %s/%d held by %v", d.Generation, tp.Topic, tp.Partition, holders))
		}
	}
}

// check stops the monitor and fails the test on a violation or when it saw too little.
func (m *holderMonitor) check(t *testing.T, minPolls int) {
	t.Helper()
	m.stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.violations) > 0 {
		t.Errorf("a partition was held by two members at once (%d times): %s", len(m.violations), strings.Join(m.violations[:min(10, len(m.violations))], "; "))
	}
	t.Logf("%d DescribeGroup polls (%d failed), no partition held twice: %v", m.polls, m.failures, len(m.violations) == 0)
	if m.polls < minPolls {
		t.Errorf("only %d successful DescribeGroup polls (%d failed), want at least %d", m.polls, m.failures, minPolls)
	}
}

// generationSpan is the number of group generation changes the monitor saw.
func (m *holderMonitor) generationSpan() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.generations) == 0 {
		return 0
	}
	return int(m.generations[len(m.generations)-1] - m.generations[0])
}

// producedRecord is where one produced record went.
type producedRecord struct {
	tp     harness.TopicPartition
	offset int64
	value  string
}

// produceValues produces one unkeyed record per value (in batches of 100) and returns where each
// went.
func produceValues(t *testing.T, rest *harness.Client, topic string, values []string) []producedRecord {
	t.Helper()
	var out []producedRecord
	for batch := range slices.Chunk(values, 100) {
		recs := make([]harness.ProduceRecord, len(batch))
		for i, v := range batch {
			recs[i] = harness.Text("", v)
		}
		res, err := rest.Produce(testCtx(t, time.Minute), topic, "all", recs)
		if err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
		for i, r := range res.Results {
			if r.Offset == nil || r.Error != "" {
				t.Fatalf("produce to %s: record %d failed: %+v", topic, i, r)
			}
			out = append(out, producedRecord{harness.TopicPartition{Topic: topic, Partition: r.Partition}, int64(*r.Offset), batch[i]})
		}
	}
	return out
}

// valuesN is prefix-0 … prefix-(n-1).
func valuesN(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// consumedBy collects the records printed by consumer processes, parsed from their JSON lines.
func consumedBy(t *testing.T, procs ...*harness.CLIProcess) map[string][]harness.ConsumedRecord {
	t.Helper()
	out := map[string][]harness.ConsumedRecord{}
	for _, p := range procs {
		recs, err := p.Records()
		if err != nil {
			t.Fatalf("%v", err)
		}
		out[p.Name] = recs
	}
	return out
}

// waitConsumed waits until the consumers together printed every record of want.
func waitConsumed(t *testing.T, want []producedRecord, timeout time.Duration, procs ...*harness.CLIProcess) {
	t.Helper()
	harness.EventuallyEvery(t, timeout, 50*time.Millisecond, func() error {
		seen := map[harness.TopicPartition]map[int64]bool{}
		for _, p := range procs {
			recs, err := p.Records()
			if err != nil {
				return err
			}
			for _, r := range recs {
				tp := harness.TopicPartition{Topic: r.Topic, Partition: r.Partition}
				if seen[tp] == nil {
					seen[tp] = map[int64]bool{}
				}
				seen[tp][int64(r.Offset)] = true
			}
		}
		missing := 0
		var first *producedRecord
		for i, w := range want {
			if !seen[w.tp][w.offset] {
				missing++
				if first == nil {
					first = &want[i]
				}
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d records not consumed yet (first: %s/%d offset %d)", missing, len(want), first.tp.Topic, first.tp.Partition, first.offset)
		}
		return nil
	})
}

// apiName is the catalogue name of a REST error, "" for another error.
func apiName(err error) string {
	var e *harness.APIError
	if errors.As(err, &e) {
		return e.Name()
	}
	return ""
}
