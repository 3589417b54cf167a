package devcluster

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel send SIGKILL to the child when the thread that forks it
// ends, so children never outlive a supervisor killed with SIGKILL.
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
