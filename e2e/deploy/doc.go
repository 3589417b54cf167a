// Package deploy checks the deployment stack in deployments/ without Docker or Kubernetes: it
// parses the Dockerfile, docker-compose.yml, the OpenTelemetry Collector and Prometheus
// configurations, the Grafana provisioning and dashboard, and every Kubernetes manifest in
// deployments/k8s, and asserts what a deployment relies on:
//
//   - every runnel-* command line (compose and Kubernetes) uses only flags the binaries accept,
//     read from `bin/<binary> --help`, so renaming a flag breaks the test (build first: make
//     build); RUNNEL_* variables name real flags too;
//   - node identities, etcd initial cluster, advertised and metadata addresses, ports, volumes
//     and OTEL_* settings agree across services;
//   - Prometheus scrapes every service's /metrics on its HTTP port;
//   - every metric the Grafana dashboard queries is a known Runnel metric (existing ones are
//     found in the services' source by their OpenTelemetry instrument name);
//   - the Kubernetes kinds, probes (/readyz, /healthz), volume claim templates, headless
//     Services and PodDisruptionBudgets select the right pods.
//
// Run with -count=1 (make test does): go test does not see changes to files outside the e2e
// module, so a cached result can hide an edit to deployments/.
package deploy
