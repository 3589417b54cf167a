package observability

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/runnel/runnel/e2e/harness"
)

// benchRecords is the size of one `runnel bench produce` run (RUNNEL_BENCH_RECORDS overrides it).
const benchRecords = 200_000

var (
	benchRate    = regexp.MustCompile(`([0-9.]+) records/s`)
	benchLatency = regexp.MustCompile(`p50 ([0-9.]+) ms, p99 ([0-9.]+) ms`)
)

// BenchmarkProduceTracing is the README's replicated produce benchmark (1 partition, RF 3,
// min.insync.replicas 2, acks=all, 1 KiB records, 500 per request, 4 in flight, `runnel bench
// produce` over gRPC) on a fresh cluster per case: tracing off (no OTEL variable), 1% sampling
// (parentbased_traceidratio 0.01) and 100% sampling (parentbased_always_on, the default),
// exporting with the SDK's default batching to a receiver in the benchmark's process (which, like
// a collector on the same host, shares the CPU). Each iteration is one run of benchRecords records; the
// reported records/s and latencies are the median run's.
//
//	cd e2e && go test ./observability/ -run '^$' -bench ProduceTracing -benchtime 3x -timeout 30m
func BenchmarkProduceTracing(b *testing.B) {
	cases := []struct {
		name    string
		sampler []string // nil: tracing off
	}{
		{"tracing=off", nil},
		{"sampled=1%", []string{"OTEL_TRACES_SAMPLER=parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG=0.01"}},
		{"sampled=100%", []string{"OTEL_TRACES_SAMPLER=parentbased_always_on"}},
	}
	records := benchRecords
	if v, err := strconv.Atoi(os.Getenv("RUNNEL_BENCH_RECORDS")); err == nil && v > 0 {
		records = v
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var env []string
			rcv := StartReceiver(b)
			if tc.sampler != nil {
				// The exporter's defaults (a batch every 5 s), not the tests' quick export.
				env = append([]string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.Endpoint(), "OTEL_EXPORTER_OTLP_INSECURE=true"}, tc.sampler...)
			}
			c := harness.Start(b, harness.Options{Env: env})
			c.MustRunCLI(b, "", "topic", "create", "bench", "-p", "1", "-r", "3", "--config", "min.insync.replicas=2")
			var rates, p50s, p99s []float64
			b.ResetTimer()
			for range b.N {
				out := c.MustRunCLI(b, "", "bench", "produce", "bench", "--acks", "all",
					"--records", strconv.Itoa(records), "--concurrency", "4")
				r, p50, p99, err := parseBench(out)
				if err != nil {
					b.Fatalf("%v in:\n%s", err, out)
				}
				rates, p50s, p99s = append(rates, r), append(p50s, p50), append(p99s, p99)
			}
			b.StopTimer()
			c.Stop(b) // the services flush their spans as they stop
			b.ReportMetric(median(rates), "records/s")
			b.ReportMetric(median(p50s), "p50-ms")
			b.ReportMetric(median(p99s), "p99-ms")
			b.ReportMetric(float64(rcv.Count())/float64(b.N), "spans/run")
		})
	}
}

// parseBench reads records/s, p50 and p99 from `runnel bench produce`'s output.
func parseBench(out string) (rate, p50, p99 float64, err error) {
	m := benchRate.FindStringSubmatch(out)
	l := benchLatency.FindStringSubmatch(out)
	if m == nil || l == nil {
		return 0, 0, 0, fmt.Errorf("no records/s or latency line")
	}
	rate, _ = strconv.ParseFloat(m[1], 64)
	p50, _ = strconv.ParseFloat(l[1], 64)
	p99, _ = strconv.ParseFloat(l[2], 64)
	return rate, p50, p99, nil
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}
