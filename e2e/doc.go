// Package e2e holds Runnel's end-to-end scenarios: each test starts a real cluster with
// `bin/runnel dev` (see package harness) and checks what a user relies on, through REST and the
// CLI: the README tour, 10,000 keyed records read back and surviving a restart, a storage node
// killed with kill -9 while writing, bad input answered with a named 4xx, and the produce JSON
// shapes. Build the binaries first: `make build`. Long variants run with RUNNEL_LONG=1.
package e2e
