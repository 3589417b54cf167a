// Package sdk tests the Go SDK (pkg/client) against a real cluster: `bin/runnel dev` started by
// package harness, every service a separate process on 127.0.0.1, the SDK talking to the gateway's
// gRPC API as a user's program does.
//
// Scenarios: records produced with the SDK are all read back in order per partition; keyed records
// land where the gateway puts the same key sent over REST; two GroupConsumers of one group share a
// topic (every record consumed, rebalance callbacks fired, no partition held by both), their
// commits persist and a new member resumes at them; the SDK's error catalogue agrees with
// pkg/rpcerr. Benchmarks: SDK produce and group consume throughput with 1 KiB records
// (BenchmarkSDK, records/s).
//
// Build the binaries first: `make build`.
package sdk
