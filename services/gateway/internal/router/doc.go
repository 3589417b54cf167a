// Package router finds the leader of a partition in the metadata cache and runs a call against it
// with retries.
//
// Retry rules (Do): a call that fails with an error the caller's policy calls retriable is tried
// again after the metadata cache changed or a short backoff passed (25 ms doubling to 1 s),
// whichever comes first, until the context ends; then Do returns the last NOT_ENOUGH_REPLICAS or LEADER_NOT_AVAILABLE as is, or REQUEST_TIMED_OUT naming the last
// error. A topic missing from the cache ends the retries at once with UNKNOWN_TOPIC_OR_PARTITION;
// a partition without a leader (LEADER_NOT_AVAILABLE) or a leader whose node is not registered
// (BROKER_NOT_AVAILABLE) is waited for like a retriable error. Each attempt carries the leader
// epoch the cache knows, so a storage node fences a stale or premature request.
package router
