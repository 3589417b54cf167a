package deploy

import (
	"net"
	"slices"
	"strings"
	"testing"
)

type collectorConfig struct {
	Receivers  map[string]map[string]any `json:"receivers"`
	Processors map[string]any            `json:"processors"`
	Exporters  map[string]struct {
		Endpoint string `json:"endpoint"`
	} `json:"exporters"`
	Extensions map[string]any `json:"extensions"`
	Service    struct {
		Extensions []string `json:"extensions"`
		Pipelines  map[string]struct {
			Receivers  []string `json:"receivers"`
			Processors []string `json:"processors"`
			Exporters  []string `json:"exporters"`
		} `json:"pipelines"`
	} `json:"service"`
}

func loadCollector(t *testing.T) collectorConfig {
	t.Helper()
	var c collectorConfig
	decodeYAML(t, "otel-collector.yaml", readFile(t, "otel-collector.yaml"), &c)
	return c
}

// otlpGRPCPort is the port of the collector's OTLP gRPC receiver.
func otlpGRPCPort(t *testing.T) string {
	t.Helper()
	var c struct {
		Receivers struct {
			OTLP struct {
				Protocols struct {
					GRPC struct {
						Endpoint string `json:"endpoint"`
					} `json:"grpc"`
				} `json:"protocols"`
			} `json:"otlp"`
		} `json:"receivers"`
	}
	decodeYAML(t, "otel-collector.yaml", readFile(t, "otel-collector.yaml"), &c)
	return port(t, "otlp grpc receiver", c.Receivers.OTLP.Protocols.GRPC.Endpoint)
}

func TestCollectorPipelines(t *testing.T) {
	c := loadCollector(t)
	compose := loadCompose(t)
	for _, ext := range c.Service.Extensions {
		if _, ok := c.Extensions[ext]; !ok {
			t.Errorf("service extension %s is not defined", ext)
		}
	}
	for name, p := range c.Service.Pipelines {
		for _, r := range p.Receivers {
			if _, ok := c.Receivers[r]; !ok {
				t.Errorf("pipeline %s: receiver %s not defined", name, r)
			}
		}
		for _, pr := range p.Processors {
			if _, ok := c.Processors[pr]; !ok {
				t.Errorf("pipeline %s: processor %s not defined", name, pr)
			}
		}
		for _, e := range p.Exporters {
			if _, ok := c.Exporters[e]; !ok {
				t.Errorf("pipeline %s: exporter %s not defined", name, e)
			}
		}
	}
	traces, ok := c.Service.Pipelines["traces"]
	if !ok || !slices.Contains(traces.Receivers, "otlp") {
		t.Fatalf("no traces pipeline receiving otlp")
	}
	var toJaeger bool
	for _, e := range traces.Exporters {
		host, _, err := net.SplitHostPort(c.Exporters[e].Endpoint)
		if strings.HasPrefix(e, "otlp") && err == nil && host == "jaeger" {
			toJaeger = true
		}
	}
	if !toJaeger {
		t.Errorf("traces are not exported over OTLP to the jaeger service")
	}
	if _, ok := compose.Services["jaeger"]; !ok {
		t.Errorf("compose has no jaeger service")
	}
	metrics, ok := c.Service.Pipelines["metrics"]
	if !ok || !slices.Contains(metrics.Exporters, "prometheus") {
		t.Errorf("no metrics pipeline exporting to prometheus")
	}
}

type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		MetricsPath   string `json:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
	} `json:"scrape_configs"`
}

func TestPrometheusScrapesEveryService(t *testing.T) {
	var p prometheusConfig
	decodeYAML(t, "prometheus.yml", readFile(t, "prometheus.yml"), &p)
	compose := loadCompose(t)
	scraped := map[string]string{} // target -> job
	for _, sc := range p.ScrapeConfigs {
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("job %s scrapes %s, the services serve /metrics", sc.JobName, sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				scraped[target] = sc.JobName
				host, _, err := net.SplitHostPort(target)
				if err != nil {
					t.Errorf("job %s: target %q is not host:port", sc.JobName, target)
					continue
				}
				if _, ok := compose.Services[host]; !ok && host != "localhost" {
					t.Errorf("job %s: target %s is not a compose service", sc.JobName, target)
				}
			}
		}
	}
	for _, r := range runnelServices(t, compose) {
		t.Run(r.name, func(t *testing.T) {
			target := r.name + ":" + port(t, "--http-addr", r.flags["http-addr"])
			job, ok := scraped[target]
			if !ok {
				t.Fatalf("%s (its HTTP port) is not scraped", target)
			}
			if want := serviceBinaries[r.kind]; job != want {
				t.Errorf("%s is scraped by job %q, want %q (the dashboard selects on it)", target, job, want)
			}
		})
	}
	var c struct {
		Exporters struct {
			Prometheus struct {
				Endpoint string `json:"endpoint"`
			} `json:"prometheus"`
		} `json:"exporters"`
	}
	decodeYAML(t, "otel-collector.yaml", readFile(t, "otel-collector.yaml"), &c)
	target := "otel-collector:" + port(t, "collector prometheus exporter", c.Exporters.Prometheus.Endpoint)
	if _, ok := scraped[target]; !ok {
		t.Errorf("the collector's Prometheus exporter %s is not scraped", target)
	}
}
