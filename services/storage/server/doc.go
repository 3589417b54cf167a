// Package server is the storage service (runnel-storage) as a library: Config, New, Run and
// Ready, so that the binary, the e2e harness and in-process tests start it the same way.
//
// A Server listens on its gRPC and HTTP ports in New (so GRPCAddr and HTTPAddr are known before
// Run) and takes its data dir (an exclusive lock; a data dir remembers its node id and refuses
// another). Run then:
//
//   - registers the node with the metadata service (NodeSession: id, the advertised gRPC address,
//     the bound HTTP address) and heartbeats, failing over between Config.MetadataAddrs;
//   - follows the metadata Watch stream and hosts the partition replicas assigned to the node
//     (package internal/replica), leading those whose leader is this node;
//   - serves runnel.v1.StorageService (Append, Fetch, ListPartitionOffsets, and Replicate for the
//     followers of the partitions it leads) on the gRPC port, and /healthz, /readyz and /metrics
//     on the HTTP port; ListPartitionOffsets with timestamp_ms also answers timestamp_offset, the
//     first offset whose record timestamp is at or after it below the high watermark (record-
//     precise; the high watermark when no record qualifies), and -1 without timestamp_ms;
//   - replicates the partitions it follows from their leaders and proposes ISR changes of the
//     partitions it leads (package internal/replication);
//   - checkpoints high watermarks and applies retention in the background.
//
// The node is ready (/readyz 200, gRPC health SERVING) once its session is registered with the
// metadata service and the first metadata snapshot has been applied: before, the cluster does not
// know it (no leadership, no ISR membership) or it does not know its partitions.
//
// Telemetry (pkg/telemetry, METRICS.md): with tracing on, an Append whose call is sampled gets the
// child spans log.append and, for acks=all, isr.wait (package internal/replica), and a follower
// applying a leader's records whose first record carries a sampled traceparent makes a
// replicate.apply span in that produce's trace, linked to it (internal/replication). When Run's context ends: readiness drops, waiting requests and the Replicate streams
// followers opened end, the gRPC server drains (in-flight appends finish), then the metadata
// session is ended, the watch and the ISR proposer stopped, then the streams to leaders are
// closed, then every log is closed with its high watermark checkpointed.
package server
