// Package storageconn keeps one gRPC client connection per storage node address, shared by every
// request of the gateway and closed when the gateway stops. Connections are made lazily (grpc.NewClient
// connects on first use) and kept for the life of the pool; a node that comes back on another
// address gets a new connection.
package storageconn
