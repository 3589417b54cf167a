// Package server runs a Runnel gateway: the public GatewayService on a gRPC port and the same API
// as REST/JSON (plus /healthz, /readyz, /metrics and /openapi.json) on an HTTP port.
//
// The gateway is stateless. It keeps a metadata cache fed by MetadataService.Watch (failing over
// between the configured metadata addresses), one gRPC connection per storage node, and the
// produce batcher, and the read positions of consumer-group members that read through it
// (package internal/groups: group calls are forwarded to the metadata node that coordinates
// groups; positions are per gateway, so a member that switches gateways restarts from its
// committed offsets). It is ready (/readyz 200, gRPC health SERVING) once the first metadata snapshot
// has arrived. Run serves until its context ends, drains in-flight calls (svc), then flushes the
// produce queues (bounded by the drain timeout) and closes its connections.
//
// Telemetry (pkg/telemetry, METRICS.md): with tracing on, a produce's server span (gRPC, or REST
// renamed after the gRPC method) is the parent of one produce.send span per partition batch,
// whose Append calls carry the context to storage, and the records of a sampled request get its
// traceparent header (package internal/produce); Consume and FetchGroupRecords make a receive
// span linked to the records' traceparents (internal/api). Metrics: runnel.gateway.* and the
// consumer-group lag gauge runnel.group.lag (internal/groups, LagInterval, MaxLagSeries).
//
// Config defaults (applied by New; DefaultConfig returns them for flags):
//   - ID "g1"; GRPCAddr 127.0.0.1:9090; HTTPAddr 127.0.0.1:8080; MetadataAddrs [127.0.0.1:8100]
//   - DeliveryTimeout 30 s: how long a produce may take, retries included, unless the request
//     says timeout_ms.
//   - Linger: taken as given; 0 sends a batch as soon as its partition's sender is free (batches
//     still form while a send is in flight). DefaultConfig and the binary use 1 ms, a small wait
//     that lets concurrent requests share an Append at little latency cost.
//   - MaxBatchBytes 1 MiB per partition batch (also capped by the topic's max.message.bytes).
//   - MaxRequestBytes 64 MiB: the REST body and gRPC message limit (413 / MESSAGE_TOO_LARGE
//     beyond).
//   - LagInterval 10 s: the least time between two computations of runnel.group.lag;
//     MaxLagSeries 5000: its series bound.
package server
