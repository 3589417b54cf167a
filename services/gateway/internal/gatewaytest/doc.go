// Package gatewaytest is a harness for testing the gateway in isolation: an in-process
// MetadataService whose Watch serves a state the test controls, and an in-process StorageService
// that keeps appended batches in memory, assigns offsets and serves fetches (with long-poll) from
// them. Both are real gRPC servers on 127.0.0.1:0, stopped by t.Cleanup. They implement only what
// the gateway calls; replication, ISR and acks=all semantics are the real services' business and
// are tested end to end in e2e.
package gatewaytest
