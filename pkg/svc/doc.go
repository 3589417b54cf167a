// Package svc is the shell every Runnel service runs in: a gRPC server and an HTTP server, both
// listening from New so their addresses are known before Run.
//
// The gRPC port carries the service's API and the standard gRPC health service; every error a
// handler returns passes through rpcerr.ToStatus, so clients always see a catalogue name. The HTTP
// port serves /healthz (the process is alive), /readyz (the service can really serve: 200 or 503),
// /metrics (Prometheus text) and, when given, the service's own handler at "/" (the gateway's
// REST API).
//
// Run serves until its context ends, then drains in order: readiness and health go to
// NOT_SERVING, in-flight gRPC calls get DrainTimeout to finish (GracefulStop), then everything is
// stopped hard. ParseFlags gives every flag an environment variable RUNNEL_<FLAG>.
package svc
