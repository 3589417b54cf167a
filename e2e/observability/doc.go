// Package observability proves Runnel's traces, metrics and health on real processes (bin/ from
// `make build`): an OTLP/gRPC trace receiver runs inside the test on 127.0.0.1 and the cluster
// exports to it (OTEL_EXPORTER_OTLP_ENDPOINT), the services' /metrics pages are scraped and
// parsed, and /readyz is watched while the cluster comes up.
//
// Contract of the helpers (receiver.go, metrics.go):
//   - StartReceiver serves collector.trace.v1.TraceService on 127.0.0.1:0 until the test ends and
//     keeps every span it receives (up to a bound) with its resource's service.name and
//     runnel.node.id; Spans, Trace and Wait read them.
//   - Scrape GETs http://<addr>/metrics and parses the Prometheus text format; Value sums the
//     samples of a family whose labels include the given ones (a histogram counts its samples).
//
// The tests (observability_test.go, readyz_test.go) bound every wait and stop every process they
// start; the benchmark (bench_test.go, run only with -bench) measures produce throughput with
// tracing off, at 1% and at 100% sampling.
package observability
