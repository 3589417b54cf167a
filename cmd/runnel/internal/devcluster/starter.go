package devcluster

import (
	"os/exec"
	"runtime"
)

// starter forks every child from one goroutine locked to its OS thread. On Linux a child's
// Pdeathsig fires when the thread that forked it ends, not the process; Go may run a goroutine on
// any thread, and a thread whose locked goroutine returns is destroyed. Forking from one thread
// that stays locked (and so alive) until close keeps the signal tied to the supervisor's life.
type starter struct {
	reqs chan startReq
	done chan struct{}
}

type startReq struct {
	cmd   *exec.Cmd
	reply chan error
}

func newStarter() *starter {
	s := &starter{reqs: make(chan startReq), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *starter) loop() {
	defer close(s.done)
	runtime.LockOSThread()
	// Unlock before returning, so the thread is kept (not destroyed) even if a child were still
	// running; close is only called once every child has been reaped anyway.
	defer runtime.UnlockOSThread()
	for r := range s.reqs {
		setParentDeathSignal(r.cmd)
		r.reply <- r.cmd.Start()
	}
}

// start runs cmd.Start on the starter's thread. It must not be called after close (the Cluster
// starts children only inside Start and closes the starter only after that).
func (s *starter) start(cmd *exec.Cmd) error {
	reply := make(chan error, 1)
	s.reqs <- startReq{cmd: cmd, reply: reply}
	return <-reply
}

// close ends the starter goroutine and waits for it. Call it once.
func (s *starter) close() {
	close(s.reqs)
	<-s.done
}
