package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// DefaultGateway is the gateway address when neither --gateway nor RUNNEL_GATEWAY is set.
const DefaultGateway = "127.0.0.1:9090"

// Streams are the standard streams of one invocation.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// app holds what every command shares.
type app struct {
	Streams
	gateway string
}

// Execute runs runnel with args (without the program name) and returns the exit code. ctx ends on
// Ctrl-C/SIGTERM; getenv reads the environment (RUNNEL_GATEWAY).
func Execute(ctx context.Context, args []string, s Streams, getenv func(string) string) int {
	a := &app{Streams: s}
	root := newRoot(a, getenv)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	cmd, err := root.ExecuteContextC(ctx)
	path := root.CommandPath()
	if cmd != nil {
		path = cmd.CommandPath()
	}
	return report(s.Err, path, err)
}

func newRoot(a *app, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:   "runnel",
		Short: "Runnel: a Kafka-class event streaming platform",
		Long: `runnel runs a local Runnel cluster (runnel dev) and talks to a cluster's gateway:
topics, produce, consume (alone or as a member of a consumer group), consumer groups
and benchmarks.

Every command but dev connects to the gateway's gRPC address: --gateway, or the
RUNNEL_GATEWAY environment variable, default ` + DefaultGateway + ` (what runnel dev starts).`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	gw := getenv("RUNNEL_GATEWAY")
	if gw == "" {
		gw = DefaultGateway
	}
	root.PersistentFlags().StringVar(&a.gateway, "gateway", gw, "gateway gRPC address host:port (env RUNNEL_GATEWAY)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(
		newDevCmd(a),
		newTopicCmd(a),
		newProduceCmd(a),
		newConsumeCmd(a),
		newGroupCmd(a),
		newBenchCmd(a),
		newHealthCmd(a),
		newVersionCmd(a),
	)
	return root
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// groupRun is the RunE of a command group (topic, bench): help without arguments, a usage error
// for an unknown subcommand.
func groupRun(cmd *cobra.Command, args []string) error {
	if err := noArgs(cmd, args); err != nil {
		return err
	}
	return cmd.Help()
}

// exactArgs wants one positional argument per name.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return usagef("%s needs %s", cmd.CommandPath(), names[len(args)])
		}
		if len(args) > len(names) {
			return usagef("%s takes %d argument(s), got %q", cmd.CommandPath(), len(names), args)
		}
		return nil
	}
}

// connect dials the gateway for a command.
func (a *app) connect() (*gatewayConn, error) { return dialGateway(a.gateway) }

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print runnel's version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			_, err := fmt.Fprintf(a.Out, "runnel %s\n", v)
			return err
		},
	}
}
