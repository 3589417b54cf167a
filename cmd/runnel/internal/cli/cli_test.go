package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// result is one runnel invocation's outcome.
type result struct {
	code        int
	stdout, err string
}

// runCLI runs runnel with args against the gateway at addr ("" = no --gateway flag).
func runCLI(t *testing.T, ctx context.Context, stdin io.Reader, addr string, args ...string) result {
	t.Helper()
	if addr != "" {
		args = append([]string{"--gateway", addr}, args...)
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := Execute(ctx, args, Streams{In: stdin, Out: &out, Err: &errOut}, func(string) string { return "" })
	return result{code: code, stdout: out.String(), err: errOut.String()}
}

func mustRun(t *testing.T, addr string, stdin string, args ...string) result {
	t.Helper()
	r := runCLI(t, t.Context(), strings.NewReader(stdin), addr, args...)
	if r.code != 0 {
		t.Fatalf("runnel %q: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.err)
	}
	return r
}

func TestTopicCommands(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "orders", "-p", "3", "-r", "1", "--config", "min.insync.replicas=1", "--config", "retention.ms=1000")
	mustRun(t, g.addr, "", "topic", "create", "audit")

	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stdout (code 0) or stderr
	}{
		{"list", []string{"topic", "list"}, 0, []string{"NAME    PARTITIONS  RF\naudit   1           1\norders  3           1\n"}},
		{"describe", []string{"topic", "describe", "orders"}, 0, []string{
			"Topic: orders  ReplicationFactor: 1  Partitions: 3",
			"Configs: min.insync.replicas=1,retention.ms=1000",
			"PARTITION  LEADER  EPOCH  REPLICAS  ISR  LOG-START  HW",
			"2          1       0      1         1    0          0",
		}},
		{"list json", []string{"topic", "list", "-o", "json"}, 0, []string{`"replication_factor": 1`}},
		{"create existing", []string{"topic", "create", "orders"}, 1, []string{"TOPIC_ALREADY_EXISTS: topic \"orders\" already exists\n"}},
		{"create zero partitions", []string{"topic", "create", "x", "-p", "0"}, 1, []string{"INVALID_PARTITIONS: "}},
		{"describe unknown", []string{"topic", "describe", "nope"}, 1, []string{"UNKNOWN_TOPIC_OR_PARTITION: topic \"nope\" does not exist"}},
		{"delete", []string{"topic", "delete", "audit"}, 0, nil},
		{"delete again", []string{"topic", "delete", "audit"}, 1, []string{"UNKNOWN_TOPIC_OR_PARTITION"}},
		{"bad output", []string{"topic", "list", "-o", "yaml"}, 2, []string{"--output \"yaml\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, t.Context(), nil, g.addr, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.err)
			}
			got := r.stdout
			if tc.code != 0 {
				got = r.err
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestProduceConsume(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t", "-p", "2")

	r := mustRun(t, g.addr, "user-1:hello\nno key here\r\nuser-2:a:b\n:empty key\n\nlast", "produce", "t", "--key-separator", ":")
	if !strings.Contains(r.err, "produced 6 records to t") {
		t.Errorf("summary: %s", r.err)
	}
	all := append(g.records("t", 0), g.records("t", 1)...)
	var keys, values []string
	for _, rec := range all {
		k := "<none>"
		if rec.Key != nil {
			k = rec.GetKey()
		}
		keys = append(keys, k)
		values = append(values, rec.GetValue())
	}
	// Round-robin over 2 partitions: lines 1, 3, 5 then 2, 4, 6.
	wantKeys := []string{"user-1", "user-2", "<none>", "<none>", "", "<none>"}
	wantValues := []string{"hello", "a:b", "", "no key here", "empty key", "last"}
	if strings.Join(keys, "|") != strings.Join(wantKeys, "|") || strings.Join(values, "|") != strings.Join(wantValues, "|") {
		t.Errorf("keys %q values %q, want %q %q", keys, values, wantKeys, wantValues)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"partition 0 text", []string{"consume", "t", "--partition", "0", "--max", "3"}, "hello\na:b\n\n"},
		{"offset 1 of partition 1", []string{"consume", "t", "--partition", "1", "--offset", "1", "--max", "2"}, "empty key\nlast\n"},
		{"all partitions", []string{"consume", "t", "--max", "6"}, ""},
		{"json", []string{"consume", "t", "--partition", "0", "--max", "1", "--format", "json"},
			`{"topic":"t","partition":0,"offset":0,"timestamp":"2023-11-14T22:13:20.123Z","key":"user-1","value":"hello","headers":{}}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRun(t, g.addr, "", tc.args...)
			if tc.want != "" && r.stdout != tc.want {
				t.Errorf("stdout %q, want %q", r.stdout, tc.want)
			}
			if tc.name == "all partitions" {
				got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
				if len(got) != 6 {
					t.Errorf("read %d records, want 6: %q", len(got), got)
				}
			}
		})
	}
}

func TestConsumeFollowsFromLatest(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t", "-p", "3")
	mustRun(t, g.addr, "old-1\nold-2\nold-3\n", "produce", "t")

	var wg sync.WaitGroup
	var r result
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	wg.Go(func() { r = runCLI(t, ctx, nil, g.addr, "consume", "t", "--offset", "latest", "--max", "2") })
	// Produce until the consumer has seen two new records; it starts at the high watermarks, so
	// it never prints old ones.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-done:
			if r.code != 0 {
				t.Fatalf("consume: exit %d: %s", r.code, r.err)
			}
			if strings.Contains(r.stdout, "old") || strings.Count(r.stdout, "new\n") != 2 {
				t.Fatalf("consume printed %q, want two new records", r.stdout)
			}
			return
		case <-ctx.Done():
			t.Fatal("consume did not get two new records")
		case <-tick.C:
			mustRun(t, g.addr, "new\n", "produce", "t")
		}
	}
}

func TestConsumeInterruptedExitsZero(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan result, 1)
	go func() { done <- runCLI(t, ctx, nil, g.addr, "consume", "t") }()
	// Cancel at whatever point the consumer is: starting, polling or waiting for records.
	mustRun(t, g.addr, "x\n", "produce", "t")
	cancel()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("consume did not stop on cancel")
	}
}

func TestProduceBatches(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t")
	var in strings.Builder
	for i := range 1234 {
		in.WriteString(strings.Repeat("x", i%7))
		in.WriteString("\n")
	}
	r := mustRun(t, g.addr, in.String(), "produce", "t", "--acks", "1")
	if !strings.Contains(r.err, "produced 1234 records") {
		t.Errorf("summary %q", r.err)
	}
	total := 0
	for _, n := range g.produceCalls() {
		if n < 1 || n > maxBatchRecords {
			t.Errorf("a Produce call carried %d records", n)
		}
		total += n
	}
	if total != 1234 || len(g.records("t", 0)) != 1234 {
		t.Errorf("%d records sent in %v", total, g.produceCalls())
	}
	for i, rec := range g.records("t", 0) {
		if len(rec.GetValue()) != i%7 {
			t.Fatalf("record %d out of order: %q", i, rec.GetValue())
		}
	}
}

func TestProduceErrors(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t")
	closed := closedAddr(t)
	for _, tc := range []struct {
		name  string
		addr  string
		input string
		args  []string
		code  int
		want  []string
	}{
		{"failed records", g.addr, "ok\nfail\nok\nfail\n", []string{"produce", "t"}, 1, []string{
			"produced 2 records to t, 2 failed",
			"NOT_ENOUGH_REPLICAS: only 1 in-sync replica (2 records, first at line 2)",
		}},
		{"unknown topic", g.addr, "a\nb\n", []string{"produce", "nope"}, 1, []string{
			"UNKNOWN_TOPIC_OR_PARTITION: topic \"nope\" does not exist (", "first at line 1)", "stopped: the rest of stdin was not sent",
			"\nUNKNOWN_TOPIC_OR_PARTITION: topic \"nope\" does not exist\n",
		}},
		{"gateway down", closed, "a\n", []string{"produce", "t"}, 1, []string{
			"cannot reach the gateway at " + closed + ": is `runnel dev` running?",
		}},
		{"consume gateway down", closed, "", []string{"consume", "t"}, 1, []string{"cannot reach the gateway at " + closed}},
		{"topic list gateway down", closed, "", []string{"topic", "list"}, 1, []string{"cannot reach the gateway at " + closed}},
		{"consume unknown partition", g.addr, "", []string{"consume", "t", "--partition", "5"}, 1, []string{
			"UNKNOWN_TOPIC_OR_PARTITION: topic \"t\" has no partition 5 (it has 1)"}},
		{"consume past the end", g.addr, "", []string{"consume", "t", "--offset", "99"}, 1, []string{"OFFSET_OUT_OF_RANGE: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, t.Context(), strings.NewReader(tc.input), tc.addr, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tc.code, r.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.err)
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"topic", "create"}, "runnel topic create needs NAME"},
		{[]string{"topic", "create", "a", "b"}, "takes 1 argument"},
		{[]string{"topic", "create", "a", "--config", "novalue"}, "--config \"novalue\": use KEY=VALUE"},
		{[]string{"topic", "create", "a", "--config", "k=1", "--config", "k=2"}, "--config k is given twice"},
		{[]string{"topic", "create", "a", "-p", "x"}, "invalid argument \"x\""},
		{[]string{"topic", "frob"}, "unknown command \"frob\""},
		{[]string{"frob"}, "unknown command \"frob\""},
		{[]string{"produce", "t", "--acks", "2"}, "--acks \"2\""},
		{[]string{"produce", "t", "--partition", "-1"}, "--partition -1"},
		{[]string{"produce", "t", "--key-separator", ""}, "--key-separator must not be empty"},
		{[]string{"produce", "t", "--nope"}, "unknown flag: --nope"},
		{[]string{"consume", "t", "--offset", "-3"}, "--offset \"-3\""},
		{[]string{"consume", "t", "--format", "xml"}, "--format \"xml\""},
		{[]string{"consume", "t", "--max", "-1"}, "--max -1"},
		{[]string{"consume", "t", "--group", "g", "--partition", "1"}, "--partition cannot be used with --group"},
		{[]string{"consume", "t", "--group", "g", "--offset", "5"}, "--offset cannot be used with --group"},
		{[]string{"consume", "t", "--group", ""}, "--group must not be empty"},
		{[]string{"consume", "t", "--session-timeout", "2s"}, "--session-timeout needs --group"},
		{[]string{"consume", "t", "--instance-id", "i"}, "--instance-id needs --group"},
		{[]string{"consume", "t", "--offset-reset", "latest"}, "--offset-reset needs --group"},
		{[]string{"consume", "t", "--group", "g", "--offset-reset", "middle"}, "--offset-reset \"middle\": use earliest, latest or none"},
		{[]string{"consume", "t", "--group", "g", "--session-timeout", "-1s"}, "--session-timeout -1s"},
		{[]string{"consume", "t", "--group", "g", "--session-timeout", "1500us"}, "--session-timeout 1.5ms"},
		{[]string{"consume", "t", "--group", "g", "--assignor", "fair"}, "--assignor \"fair\""},
		{[]string{"consume", "t", "--group", "g", "--max", "-2"}, "--max -2"},
		{[]string{"group", "frob"}, "unknown command \"frob\""},
		{[]string{"group", "describe"}, "runnel group describe needs GROUP"},
		{[]string{"group", "delete", "a", "b"}, "takes 1 argument"},
		{[]string{"group", "list", "-o", "yaml"}, "--format \"yaml\""},
		{[]string{"group", "reset-offsets", "g", "--to-earliest"}, "--topic T (repeatable) or --all-topics"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t"}, "give exactly one of"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--to-datetime", "now"}, "--to-datetime \"now\""},
		{[]string{"dev", "--metadata-nodes", "2"}, "--metadata-nodes 2: use 1"},
		{[]string{"dev", "--storage-nodes", "65"}, "--storage-nodes 65: use 1 to 64"},
		{[]string{"dev", "--storage-nodes", "0"}, "must not be 0"},
		{[]string{"dev", "--port-base", "64000"}, "--port-base 64000"},
		{[]string{"dev", "--fsync", "sometimes"}, "--fsync \"sometimes\""},
		{[]string{"dev", "--log-format", "xml"}, "--log-format \"xml\""},
		{[]string{"bench", "produce", "t", "--batch", "0"}, "--batch 0"},
		{[]string{"bench", "produce", "t", "--records", "0"}, "--records 0"},
		{[]string{"bench", "consume", "t", "--records", "-1"}, "--records -1"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCLI(t, t.Context(), nil, "127.0.0.1:1", tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, exitUsage, r.err)
			}
			if !strings.Contains(r.err, tc.want) || !strings.Contains(r.err, "--help' for usage") {
				t.Errorf("stderr lacks %q and the help hint:\n%s", tc.want, r.err)
			}
		})
	}
}

func TestGatewayAddress(t *testing.T) {
	g := startFakeGateway(t)
	for _, tc := range []struct {
		name string
		env  string
		flag string
		ok   bool
	}{
		{"env", g.addr, "", true},
		{"flag wins over env", "127.0.0.1:1", g.addr, true},
		{"default", "", "", false}, // nothing listens on 127.0.0.1:9090 in tests... or something might
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"topic", "list"}
			if tc.flag != "" {
				args = append([]string{"--gateway", tc.flag}, args...)
			}
			var out, errOut bytes.Buffer
			env := func(k string) string {
				if k == "RUNNEL_GATEWAY" {
					return tc.env
				}
				return ""
			}
			code := Execute(t.Context(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, env)
			if tc.ok && code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if tc.name == "default" && code != 0 && !strings.Contains(errOut.String(), "at "+DefaultGateway) {
				t.Errorf("the default address is not used: %s", errOut.String())
			}
		})
	}
}

func TestBench(t *testing.T) {
	g := startFakeGateway(t)
	r := mustRun(t, g.addr, "", "bench", "produce", "b", "--records", "1050", "--batch", "100", "--record-size", "64",
		"--concurrency", "3", "-p", "2", "--json")
	var pr benchProduceResult
	if err := json.Unmarshal([]byte(r.stdout), &pr); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if pr.Records != 1050 || pr.Failed != 0 || pr.Requests != 11 || pr.RecordsPerS <= 0 || pr.P50Ms <= 0 || pr.P999Ms < pr.P50Ms {
		t.Errorf("produce result %+v", pr)
	}
	if n := len(g.records("b", 0)) + len(g.records("b", 1)); n != 1050 {
		t.Errorf("the gateway holds %d records", n)
	}
	if !strings.Contains(r.err, "created topic b (2 partitions") {
		t.Errorf("stderr %q", r.err)
	}

	r = mustRun(t, g.addr, "", "bench", "consume", "b", "--batch", "200", "--json")
	var cr benchConsumeResult
	if err := json.Unmarshal([]byte(r.stdout), &cr); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if cr.Records != 1050 || cr.Bytes != 1050*64 || cr.Partitions != 2 {
		t.Errorf("consume result %+v", cr)
	}

	r = mustRun(t, g.addr, "", "bench", "produce", "b", "--records", "10")
	if !strings.Contains(r.stdout, "10 records of 1024 bytes to b") || !strings.Contains(r.stdout, "p99.9") {
		t.Errorf("text report %q", r.stdout)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
