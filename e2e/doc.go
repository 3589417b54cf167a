// Package e2e holds Runnel's end-to-end scenarios: each test starts a real cluster with
// `bin/runnel dev` (see package harness) and checks what a user relies on, through REST and the
// CLI: the README tour, 10,000 keyed records read back and surviving a restart, a storage node
// killed with kill -9 while writing, bad input answered with a named 4xx, and the produce JSON
// shapes.
//
// The replication scenarios (issue 3) run 3 storage nodes, a topic with replication factor 3 and
// min.insync.replicas=2, a short session timeout and lag time, and acks=all producers and
// consumers from package checker; each injects its faults (kill -9, SIGSTOP, restarts of storage
// and metadata nodes, the whole cluster stopped), heals, then checks every acknowledged record,
// per-partition order, what consumers read against the high watermark, and the replicas' logs
// byte for byte: failover_test.go (leader killed), minisr_test.go (two of three killed),
// divergence_test.go (a diverged leader truncates), doublefailover_test.go, pause_test.go
// (follower lag, deposed paused leader), controller_test.go (3 metadata nodes), fullrestart_test.go
// and randomfaults_test.go (seeded: RUNNEL_SEED replays).
//
// Build the binaries first: `make build`. Long variants run with RUNNEL_LONG=1.
package e2e
