// Package embedded runs the etcd server inside the metadata process (go.etcd.io/etcd/server/v3/embed).
//
// Start listens on exactly the client and peer addresses given (no other listeners: no metrics
// listener, no gRPC gateway) and starts the member; it does not wait for the cluster, so three
// members can be started one after another. WaitReady blocks until the member has joined a
// cluster with a leader and serves clients. Err reports a fatal error of a running member.
//
// Cluster state: when the data directory already holds a member (member/wal exists) the member
// restarts from it ("existing"; etcd then ignores the initial cluster); otherwise it bootstraps a
// "new" cluster from the initial cluster string. All members of one cluster must be given the same
// initial cluster; the cluster token is fixed ("runnel").
//
// Close stops the member in etcd's documented order (client servers, client listeners, the raft
// server, peer listeners, then waits for its goroutines); it is idempotent. Callers close their
// etcd clients before Close, so no request is left waiting on a stopped server.
//
// etcd logs through the service's slog logger at warn level and above (package zapslog), except
// warnings that do not apply to an embedded member and the errors of its listeners being closed
// during Close.
package embedded
