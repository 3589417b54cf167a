// Package etcdtest is for the metadata service's tests: a one-member embedded etcd on loopback
// ports that starts in well under a second (TickMs 10, ElectionMs 50), and a bounded condition
// poll. Everything it starts is stopped by t.Cleanup.
package etcdtest
