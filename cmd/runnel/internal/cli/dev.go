package cli

import (
	"errors"

	"github.com/runnel/runnel/cmd/runnel/internal/devcluster"
	"github.com/spf13/cobra"
)

func newDevCmd(a *app) *cobra.Command {
	var cfg devcluster.Config
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local cluster: metadata, storage nodes and a gateway as separate processes",
		Long: `dev starts a whole Runnel cluster on 127.0.0.1 as child processes: the metadata
node(s), the storage nodes and one gateway, each from its binary next to runnel (or on
PATH). When every service is ready it prints the endpoints (and writes them as JSON with
--endpoints-file); the gateway's REST API is on port N+80 and its gRPC API on N+1090 for
--port-base N (8080 and 9090 by default), and every port lies in [N, N+2000).

Each service logs to DATA-DIR/logs/<id>.log. A service that dies is reported and stays
down; the others keep running. Ctrl-C or SIGTERM stops every service (SIGTERM, then
SIGKILL after 10 s). On Linux the services are also killed if runnel dev itself is
killed. Data is kept in DATA-DIR: start runnel dev again with the same --data-dir (and
the same --metadata-nodes) to continue where it stopped.`,
		Example: `  runnel dev
  runnel dev --data-dir /tmp/runnel --port-base 20000 --endpoints-file /tmp/runnel/endpoints.json
  runnel dev --metadata-nodes 3 --storage-nodes 5 --fsync interval=100`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.StorageNodes == 0 || cfg.MetadataNodes == 0 || cfg.PortBase == 0 {
				// WithDefaults would take 0 as "unset"; on the command line it is a mistake.
				return usagef("--storage-nodes, --metadata-nodes and --port-base must not be 0")
			}
			c, err := cfg.WithDefaults()
			if err != nil {
				return err
			}
			if err := c.Validate(); err != nil {
				return usageError{err}
			}
			dir, err := devcluster.ExecutableDir()
			if err != nil {
				return err
			}
			if c.Binaries, err = devcluster.FindBinaries(dir); err != nil {
				return err
			}
			err = devcluster.Run(cmd.Context(), c, a.Out, a.Err)
			if errors.Is(err, devcluster.ErrInvalidConfig) {
				return usageError{err}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", devcluster.DefaultDataDir, "directory of every node's data and of logs/")
	f.IntVar(&cfg.PortBase, "port-base", devcluster.DefaultPortBase, "every port lies in [N, N+2000): REST N+80, gRPC N+1090")
	f.IntVar(&cfg.MetadataNodes, "metadata-nodes", devcluster.DefaultMetadataNodes, "metadata nodes: 1, or 3 for an etcd cluster of three")
	f.IntVar(&cfg.StorageNodes, "storage-nodes", devcluster.DefaultStorageNodes, "storage nodes (1 to 64)")
	f.StringVar(&cfg.EndpointsFile, "endpoints-file", "", "write the endpoints as JSON to this file once the cluster is ready")
	f.StringVar(&cfg.Fsync, "fsync", devcluster.DefaultFsync, "storage fsync policy: always, interval=<ms> or never")
	f.DurationVar(&cfg.SessionTimeout, "session-timeout", 0, "metadata: storage node session timeout (default: the service's)")
	f.StringVar(&cfg.LogFormat, "log-format", devcluster.DefaultLogFormat, "services' log format: text or json")
	f.StringVar(&cfg.LogLevel, "log-level", "", "services' log level: debug, info, warn, error (default: the service's)")
	f.DurationVar(&cfg.ReadyTimeout, "ready-timeout", devcluster.DefaultReadyTimeout, "how long each service may take to become ready")
	f.DurationVar(&cfg.StopTimeout, "stop-timeout", devcluster.DefaultStopTimeout, "how long services may take to stop before SIGKILL")
	return cmd
}
