// Package harness starts a real Runnel cluster for end-to-end tests: `bin/runnel dev` as a child
// process, with every service a separate process on 127.0.0.1, and talks to it the way a user
// does (REST, the CLI).
//
// # Contract
//
//   - It builds nothing. The binaries (runnel, runnel-metadata, runnel-storage, runnel-gateway)
//     must be in <repo>/bin, where <repo> is the first directory holding go.work found walking up
//     from the test's working directory; when one is missing the test fails with "run make build".
//   - Start runs `runnel dev --data-dir <t.TempDir()>/data --port-base N --endpoints-file F` and
//     waits (bounded by Options.StartTimeout, default 90 s) for F, which `runnel dev` writes once
//     every service is ready. N is a base whose whole port range [N, N+2000) was free when probed:
//     the candidates are 20000, 22000, … 58000, tried from a random start (per test process), those
//     outside the kernel's ephemeral port range first.
//   - Every process a test starts is stopped by t.Cleanup, also when the test fails: every process
//     the test paused gets SIGCONT first (no stopped process is ever left behind); `runnel dev`
//     gets SIGTERM (SIGKILL after a grace period); then any child listed in the endpoints file that
//     is still alive, and any node the test restarted itself, gets SIGKILL and is waited for. When
//     the test has failed, the tail of every <data-dir>/logs/*.log (and of runnel dev's own output)
//     is written to t.Log first.
//   - Faults, by node id: KillStorage/KillMetadata (SIGKILL, paused or not, then wait until gone),
//     RestartStorage/RestartMetadata (the endpoints file's argv, same data dir, wait for /readyz;
//     the output is appended to <data-dir>/logs/<id>.log), PauseStorage/PauseMetadata (SIGSTOP,
//     wait until the kernel shows the process stopped) and ResumeStorage/ResumeMetadata (SIGCONT).
//     Stop (SIGCONT to paused nodes, then SIGTERM as a user does) and StartAgain restart the whole
//     cluster on the same data dir and port base.
//   - State: Client is a small REST client returning decoded JSON (int64 fields accept JSON numbers
//     and strings; Describe/PartitionState show leader, leader epoch, replicas, ISR and high
//     watermark per partition); ClusterState and Controller ask the metadata nodes that run and
//     are not paused over gRPC (MetadataService.GetClusterState; controller_id); DialStorage gives
//     a StorageService client; PartitionDir is where a storage node keeps a partition replica
//     (<its --data-dir>/<topic>-<partition>).
//   - RunCLI runs bin/runnel against the cluster's gRPC address; Eventually polls a condition with a
//     deadline (tests never sleep to synchronise), EventuallyEvery with a chosen interval.
//   - StartCLI starts a long-running bin/runnel (e.g. `runnel consume --group G --format json`)
//     and collects its stdout line by line while it runs (Lines, Records) and its stderr; Stop
//     sends SIGTERM and waits for the exit code, Kill sends SIGKILL (a crash), Wait waits for it to
//     exit by itself. Each is killed by t.Cleanup if still running, and its stderr logged when the
//     test failed.
//   - Consumer groups over REST (groups.go): JoinGroup, Heartbeat, LeaveGroup, GroupRecords,
//     CommitOffsets, GroupOffsets/CommittedOffsets, ListGroups, DescribeGroup (Holders: the
//     members holding each partition, assigned or revoking), ResetGroupOffsets, DeleteGroup. With RUNNEL_E2E_KEEP_LOGS=<dir>, a failed test's
//     logs are also copied whole to <dir>/<test name>/.
//
// Ports `runnel dev` opens for base N: gateway REST N+80 and gRPC N+1090; metadata node i
// (0-based) N+100+10i .. N+103+10i; storage node i (1-based) N+200+10(i-1) and N+201+10(i-1).
package harness
