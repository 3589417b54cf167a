// Package backoff is the exponential backoff with jitter that Runnel's reconnecting clients share
// (node sessions, watches, replication streams).
package backoff
