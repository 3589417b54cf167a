// Command runnel-metadata runs one metadata node: an embedded etcd member and the
// MetadataService. Every flag also reads RUNNEL_<FLAG> (for example --data-dir and
// RUNNEL_DATA_DIR) when not given on the command line; --help lists them. The flag names are a
// contract: `runnel dev` starts this binary with them.
//
// It stops on SIGINT or SIGTERM (draining open calls first), exits 2 on bad flags and 1 when the
// node fails.
package main
