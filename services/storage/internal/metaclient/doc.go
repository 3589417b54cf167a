// Package metaclient is a storage node's client of the metadata service: it keeps the node
// registered and keeps a local view of the cluster.
//
// Client.Run runs two loops, each owned by Run and stopped when its context ends:
//
//   - the node session: a NodeSession stream whose first message registers the node (id, gRPC and
//     HTTP addresses), then a heartbeat every session_timeout/3 (as the first response says). A
//     stream that ends with STALE_BROKER_EPOCH is opened again on the same metadata node at once
//     (registering again); any other end moves to the next metadata node after a backoff. When
//     Run's context ends the stream is half-closed first, so the metadata node can end the session
//     at once instead of waiting for it to expire.
//   - the watch: a Watch stream folded into a cluster.View; after every message the Config.OnUpdate
//     callback gets the view (reset = the message was a snapshot). A broken stream moves to the
//     next metadata node after a backoff; its first message is a snapshot that replaces the view.
//     Between streams the last view stays in force.
//
// AlterPartition sends a partition leader's ISR proposal to a metadata node, failing over to the
// next address when one cannot be reached or is not the one to take it.
//
// Backoff is exponential with jitter between MinBackoff and MaxBackoff, and resets once a stream
// works (registered, or its first message applied).
package metaclient
