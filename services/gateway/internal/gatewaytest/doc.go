// Package gatewaytest is a harness for testing the gateway in isolation: an in-process
// MetadataService whose Watch serves a state the test controls; an in-process StorageService that
// keeps appended batches in memory, assigns offsets and serves fetches (with long-poll) from them,
// with a settable log start and timestamp lookups; and an in-process GroupCoordinatorService with
// the coordinator's error semantics but a trivial assignment (a group's first member gets every
// partition; tests move partitions with Assign). All are real gRPC servers on 127.0.0.1:0,
// stopped by t.Cleanup. They implement only what the gateway calls; replication, ISR, acks=all
// and the real assignors are the real services' business and are tested end to end in e2e.
package gatewaytest
