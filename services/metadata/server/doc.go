// Package server runs one metadata node: an embedded etcd member, an etcd client to it, and the
// gRPC MetadataService and GroupCoordinatorService with health, readiness and metrics (pkg/svc).
//
// Lifecycle: New validates the Config, starts the etcd member (its listeners are bound, it does
// not wait for the cluster) and binds the gRPC and HTTP ports, so every address is known before
// Run. Run serves until its context ends: it waits up to StartTimeout for etcd to be ready and the
// client to answer a read, then marks the node ready (/readyz 200, gRPC health SERVING) and closes
// Ready(). It returns when ctx ends (nil) or a part fails (the error). Shutdown order: open watch
// and session streams end and the controller gives its role up (bounded: 5s), the gRPC/HTTP
// servers drain (svc), the metrics callbacks are removed, the etcd client is closed, then the
// etcd member is closed. Close releases a Server that was never
// Run; it is safe to call more than once and after Run.
//
// Controller: once ready, every node campaigns for the controller role (package
// internal/controller); the elected one reconciles partition leaders and ISRs with the live
// storage nodes. On shutdown the controller gives the role up before the etcd client is closed,
// so another node takes over at once; a crashed controller is replaced once its election lease
// (ControllerSessionTTL) expires.
//
// Group coordinator: the controller also coordinates consumer groups (package
// internal/coordinator, rules in internal/group, assignors in internal/assign); every node serves
// GroupCoordinatorService and the others answer NOT_COORDINATOR. Config.GroupMinSessionTimeout,
// GroupMaxSessionTimeout and GroupHeartbeatInterval set its limits. The coordinator stops with
// the controller role, before the etcd client is closed.
//
// Cluster: three metadata nodes with the same InitialCluster form one etcd cluster; any of them
// serves every RPC. A node restarted on its data directory rejoins as an existing member.
package server
