// Package devcluster runs a whole Runnel cluster on 127.0.0.1 as separate processes: the
// supervisor behind `runnel dev`.
//
// # Contract
//
// Start launches, in this order, the metadata nodes (1, or 3 forming one etcd cluster), the storage
// nodes (1..64) and one gateway, each a child process of the caller started from the service
// binaries named in Config.Binaries. Every stage waits for each of its children's GET /readyz to
// answer 200 (bounded by Config.ReadyTimeout) before the next stage starts; a child that exits or
// stays unready fails Start with an error naming it and its log file, and every child started so
// far is stopped.
//
// Ports: every port lies in [PortBase, PortBase+2000): the gateway's REST/HTTP port is PortBase+80
// and its gRPC port PortBase+1090; metadata node i (0-based) uses grpc PortBase+100+10i, http +101,
// etcd client +102 and etcd peer +103; storage node i (1-based) uses grpc PortBase+200+10(i-1) and
// http +201. Start refuses to begin when one of them is taken, naming the port.
//
// Files under Config.DataDir (made absolute): metadata/m1…, storage/1…, and logs/<id>.log
// (m1.log, 1.log, g1.log), to which each child's stdout and stderr are appended. A child's command
// line holds only absolute paths, so Endpoints' argv can start it again from any directory, and
// starting the cluster again with the same DataDir reuses every node's data.
//
// Children and signals: children share the supervisor's process group, so each can be killed by
// pid alone (a test kills one with SIGKILL and restarts it from its argv). A child that exits is
// reported on Exits and stays down; the others keep running. Stop sends SIGTERM to the gateway,
// then the storage nodes, then the metadata nodes, waits for them within Config.StopTimeout
// altogether and sends SIGKILL to any left. On Linux every child is started with
// Pdeathsig = SIGKILL so that it dies with the supervisor even when the supervisor is killed with
// SIGKILL. Pdeathsig fires when the OS thread that forked the child ends, so children are forked
// from one goroutine locked to its thread for the supervisor's whole life (see starter).
//
// Run is the whole `runnel dev` lifecycle: Start, print the endpoints, write the endpoints file
// (JSON, atomically: temp file + rename), report exits until ctx ends, then Stop.
package devcluster
