// Package zapslog routes zap logs (etcd's logger) into a slog.Logger, so the embedded etcd server
// and its client log through the service's own handler (JSON or text, with the service's
// attributes) instead of writing their own stream. Entries below a minimum level, or rejected by
// a filter, are dropped before they are encoded; etcd is kept at warn so its start-up chatter stays
// out of the log.
package zapslog
