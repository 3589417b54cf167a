package deploy

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// knownMetric is a metric the dashboard may query: its Prometheus name and, for Runnel's own
// instruments, the OpenTelemetry instrument it comes from.
type knownMetric struct {
	name       string // as Prometheus shows it; histograms without _bucket/_sum/_count
	instrument string // OpenTelemetry instrument name; "" for otelgrpc/otelhttp metrics
	kind       string // counter, histogram, gauge
	unit       string
}

// knownMetrics lists every metric the Grafana dashboard may use; TestKnownMetricsInSource checks
// that the code creates each of them.
var knownMetrics = []knownMetric{
	// gateway
	{name: "runnel_gateway_produce_records_total", instrument: "runnel.gateway.produce.records", kind: "counter", unit: "{record}"},
	{name: "runnel_gateway_produce_bytes_total", instrument: "runnel.gateway.produce.bytes", kind: "counter", unit: "By"},
	{name: "runnel_gateway_produce_latency_milliseconds", instrument: "runnel.gateway.produce.latency", kind: "histogram", unit: "ms"},
	{name: "runnel_gateway_consume_records_total", instrument: "runnel.gateway.consume.records", kind: "counter", unit: "{record}"},
	{name: "runnel_gateway_consume_bytes_total", instrument: "runnel.gateway.consume.bytes", kind: "counter", unit: "By"},
	{name: "runnel_gateway_requests_total", instrument: "runnel.gateway.requests", kind: "counter", unit: "{request}"},
	{name: "runnel_gateway_request_latency_milliseconds", instrument: "runnel.gateway.request.latency", kind: "histogram", unit: "ms"},
	// storage
	{name: "runnel_storage_append_records_total", instrument: "runnel.storage.append.records", kind: "counter", unit: "{record}"},
	{name: "runnel_storage_append_bytes_total", instrument: "runnel.storage.append.bytes", kind: "counter", unit: "By"},
	{name: "runnel_storage_append_latency_milliseconds", instrument: "runnel.storage.append.latency", kind: "histogram", unit: "ms"},
	{name: "runnel_storage_fsync_latency_milliseconds", instrument: "runnel.storage.fsync.latency", kind: "histogram", unit: "ms"},
	{name: "runnel_storage_fetch_bytes_total", instrument: "runnel.storage.fetch.bytes", kind: "counter", unit: "By"},
	{name: "runnel_storage_partitions", instrument: "runnel.storage.partitions", kind: "gauge", unit: "{partition}"},
	{name: "runnel_storage_requests_waiting", instrument: "runnel.storage.requests.waiting", kind: "gauge", unit: "{request}"},
	{name: "runnel_storage_under_replicated_partitions", instrument: "runnel.storage.under_replicated_partitions", kind: "gauge", unit: "{partition}"},
	{name: "runnel_storage_replication_lag", instrument: "runnel.storage.replication.lag", kind: "gauge", unit: "{offset}"},
	{name: "runnel_storage_isr_shrinks_total", instrument: "runnel.storage.isr.shrinks", kind: "counter", unit: "{change}"},
	{name: "runnel_storage_isr_expands_total", instrument: "runnel.storage.isr.expands", kind: "counter", unit: "{change}"},
	// metadata and controller
	{name: "runnel_metadata_topics", instrument: "runnel.metadata.topics", kind: "gauge"},
	{name: "runnel_metadata_live_nodes", instrument: "runnel.metadata.live_nodes", kind: "gauge"},
	{name: "runnel_metadata_controller", instrument: "runnel.metadata.controller", kind: "gauge"},
	{name: "runnel_metadata_isr_changes_total", instrument: "runnel.metadata.isr_changes", kind: "counter"},
	{name: "runnel_metadata_etcd_has_leader", instrument: "runnel.metadata.etcd.has_leader", kind: "gauge"},
	{name: "runnel_controller_offline_partitions", instrument: "runnel.controller.offline_partitions", kind: "gauge"},
	{name: "runnel_controller_under_replicated_partitions", instrument: "runnel.controller.under_replicated_partitions", kind: "gauge"},
	{name: "runnel_controller_leader_elections_total", instrument: "runnel.controller.leader_elections", kind: "counter"},
	{name: "runnel_controller_changes_total", instrument: "runnel.controller.changes", kind: "counter"},
	{name: "runnel_group_lag", instrument: "runnel.group.lag", kind: "gauge", unit: "{record}"},
	// otelgrpc and otelhttp
	{name: "rpc_server_call_duration_seconds", kind: "histogram", unit: "s"},
	{name: "rpc_client_call_duration_seconds", kind: "histogram", unit: "s"},
	{name: "http_server_request_duration_seconds", kind: "histogram", unit: "s"},
}

// seriesNames maps every series name a query may use to its metric.
func seriesNames() map[string]knownMetric {
	out := map[string]knownMetric{}
	for _, m := range knownMetrics {
		out[m.name] = m
		if m.kind == "histogram" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[m.name+s] = m
			}
		}
	}
	return out
}

// unitSuffixes are the OpenTelemetry Prometheus exporter's unit suffixes for the units Runnel
// uses; units in braces add nothing.
var unitSuffixes = map[string]string{"ms": "_milliseconds", "s": "_seconds", "By": "_bytes", "": ""}

// promName is the Prometheus name the exporter gives an instrument: dots become underscores,
// the unit is appended unless the name already ends with it, and counters end in _total.
func promName(instrument, kind, unit string) string {
	name := strings.ReplaceAll(instrument, ".", "_")
	if suffix := unitSuffixes[unit]; !strings.HasPrefix(unit, "{") && !strings.HasSuffix(name, suffix) {
		name += suffix
	}
	if kind == "counter" {
		name += "_total"
	}
	return name
}

func TestKnownMetricNamesFollowTheExporter(t *testing.T) {
	for _, m := range knownMetrics {
		if m.instrument == "" {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			if _, ok := unitSuffixes[m.unit]; !ok && !strings.HasPrefix(m.unit, "{") {
				t.Fatalf("unit %q: add its Prometheus suffix to unitSuffixes", m.unit)
			}
			if got := promName(m.instrument, m.kind, m.unit); got != m.name {
				t.Errorf("instrument %s (%s, unit %q) is exported as %s, the table says %s", m.instrument, m.kind, m.unit, got, m.name)
			}
		})
	}
}

// goSource returns the non-test Go source of the services, pkg and cmd, concatenated.
func goSource(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	var b strings.Builder
	for _, dir := range []string{"services", "pkg", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(src)
			return nil
		})
		if err != nil {
			t.Fatalf("read Go source: %v", err)
		}
	}
	return b.String()
}

func TestKnownMetricsInSource(t *testing.T) {
	src := goSource(t)
	for _, m := range knownMetrics {
		if m.instrument == "" {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			if !strings.Contains(src, `"`+m.instrument+`"`) {
				t.Errorf("instrument %q (%s) is not created anywhere in services/, pkg/ or cmd/: renamed? update knownMetrics and the dashboard", m.instrument, m.name)
			}
		})
	}
}

var (
	promqlString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promqlRange    = regexp.MustCompile(`\[[^\[\]]*\]`)
	promqlGrouping = regexp.MustCompile(`(?i)\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promqlToken    = regexp.MustCompile(`\$?[a-zA-Z_:][a-zA-Z0-9_:]*|[0-9][0-9a-zA-Z_.]*(?:[eE][+-][0-9]+)?|\S`)
	promqlKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true,
		"atan2": true}
	identifier = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// metricNames returns the metric names a PromQL expression selects: identifiers outside label
// matchers, ranges and grouping clauses that are neither functions nor keywords.
func metricNames(expr string) []string {
	s := promqlString.ReplaceAllString(expr, " ")
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlRange.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	tokens := promqlToken.FindAllString(s, -1)
	var names []string
	for i, tok := range tokens {
		if !identifier.MatchString(tok) || promqlKeywords[strings.ToLower(tok)] {
			continue
		}
		if i+1 < len(tokens) && tokens[i+1] == "(" {
			continue // a function or an aggregation
		}
		names = append(names, tok)
	}
	return names
}

var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// templateMetricNames returns the metric names a Grafana template variable query selects:
// label_values(<series>, <label>) selects <series>; label_values(<label>) selects none.
func templateMetricNames(q string) []string {
	if m := labelValues.FindStringSubmatch(q); m != nil {
		return metricNames(m[1])
	}
	if strings.HasPrefix(strings.TrimSpace(q), "label_values(") {
		return nil
	}
	return metricNames(q)
}

func TestTemplateMetricNames(t *testing.T) {
	tests := []struct{ query, want string }{
		{`label_values(runnel_metadata_topics, topic)`, "runnel_metadata_topics"},
		{`label_values(runnel_storage_partitions{role="leader"}, instance)`, "runnel_storage_partitions"},
		{`label_values(topic)`, ""},
		{`query_result(max(up))`, "up"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			if got := strings.Join(templateMetricNames(tc.query), " "); got != tc.want {
				t.Errorf("templateMetricNames(%q) = %q, want %q", tc.query, got, tc.want)
			}
		})
	}
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{`sum by (topic) (rate(runnel_gateway_produce_records_total{topic=~"$topic"}[$__rate_interval]))`, "runnel_gateway_produce_records_total"},
		{`histogram_quantile(0.99, sum by (le, acks) (rate(a_bucket[5m])))`, "a_bucket"},
		{`max(x) / on (job) group_left (instance) y offset 5m`, "x y"},
		{`sum(rate(a[1m])) by (code) > bool 0 and b{c="d{e}"}`, "a b"},
		{`1e3 * up`, "up"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			if got := strings.Join(metricNames(tc.expr), " "); got != tc.want {
				t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

func FuzzMetricNames(f *testing.F) {
	f.Add(`sum by (topic) (rate(runnel_gateway_produce_records_total{topic=~"$topic"}[$__rate_interval]))`)
	f.Add(`histogram_quantile(0.5, sum by (le) (rate(x_bucket{a="\"}"}[1m])))`)
	f.Add(`{{{[[[((("`)
	f.Fuzz(func(t *testing.T, expr string) {
		for _, n := range metricNames(expr) {
			if !identifier.MatchString(n) || promqlKeywords[strings.ToLower(n)] {
				t.Fatalf("metricNames(%q) returned %q, not a metric name", expr, n)
			}
		}
	})
}
