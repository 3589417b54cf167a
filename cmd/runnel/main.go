// Command runnel is Runnel's command line: `runnel dev` runs a local cluster, the other commands
// talk to a cluster's gateway. See internal/cli for the commands and their contract.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/runnel/runnel/cmd/runnel/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends runnel at once
	}()
	code := cli.Execute(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}
