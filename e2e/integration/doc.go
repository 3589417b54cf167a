// Package integration runs Runnel's three services in one test process on loopback ports: a
// metadata node with a real embedded etcd, storage nodes on temp dirs and a gateway, each through
// its public server package (Config, New, Run), talking real gRPC. The tests drive the public
// GatewayService over gRPC: create a topic, produce, consume, describe, list offsets, errors.
package integration
