//go:build !linux

package devcluster

import "os/exec"

// setParentDeathSignal does nothing outside Linux: there, children of a supervisor killed with
// SIGKILL keep running and must be stopped by hand (their pids are in the endpoints file).
func setParentDeathSignal(*exec.Cmd) {}
