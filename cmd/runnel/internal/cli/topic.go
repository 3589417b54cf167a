package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// adminTimeout bounds each topic administration call.
const adminTimeout = 30 * time.Second

func newTopicCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe and delete topics",
		RunE:  groupRun,
	}
	var output string
	cmd.PersistentFlags().StringVarP(&output, "output", "o", "text", "output format: text or json (the gRPC response as protojson)")
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		if output != "text" && output != "json" {
			return usagef("--output %q: use text or json", output)
		}
		return nil
	}
	jsonOut := func() bool { return output == "json" }
	cmd.AddCommand(newTopicCreateCmd(a, jsonOut), newTopicListCmd(a, jsonOut),
		newTopicDescribeCmd(a, jsonOut), newTopicDeleteCmd(a, jsonOut))
	return cmd
}

// adminCall runs one administration call against the gateway with adminTimeout.
func (a *app) adminCall(ctx context.Context, call func(context.Context, runnelv1.GatewayServiceClient) error) error {
	g, err := a.connect()
	if err != nil {
		return err
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	return gatewayError(ctx, g.addr, call(ctx, g.client))
}

func newTopicCreateCmd(a *app, jsonOut func() bool) *cobra.Command {
	var (
		partitions, rf int32
		configs        []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a topic",
		Example: `  runnel topic create orders -p 6 -r 3 --config min.insync.replicas=2
  runnel topic create logs --config retention.ms=3600000 --config segment.bytes=1048576`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfgs, err := parseConfigs(configs)
			if err != nil {
				return err
			}
			var resp *runnelv1.CreateTopicResponse
			err = a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) (err error) {
				resp, err = c.CreateTopic(ctx, &runnelv1.CreateTopicRequest{
					Name: args[0], Partitions: partitions, ReplicationFactor: rf, Configs: cfgs,
				})
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				return printProtoJSON(a.Out, resp.GetTopic())
			}
			fmt.Fprintf(a.Err, "created topic %s\n", args[0])
			return printTopic(a.Out, resp.GetTopic())
		},
	}
	cmd.Flags().Int32VarP(&partitions, "partitions", "p", 1, "number of partitions")
	cmd.Flags().Int32VarP(&rf, "replication-factor", "r", 1, "replicas of each partition (at most the live storage nodes)")
	cmd.Flags().StringArrayVar(&configs, "config", nil, "topic config KEY=VALUE, Kafka's names (repeatable)")
	return cmd
}

// parseConfigs turns KEY=VALUE flags into a map; a key given twice is an error.
func parseConfigs(list []string) (map[string]string, error) {
	out := make(map[string]string, len(list))
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usagef("--config %q: use KEY=VALUE, e.g. min.insync.replicas=2", kv)
		}
		if _, dup := out[k]; dup {
			return nil, usagef("--config %s is given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func newTopicListCmd(a *app, jsonOut func() bool) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List topics: NAME, PARTITIONS, RF",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *runnelv1.ListTopicsResponse
			err := a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) (err error) {
				resp, err = c.ListTopics(ctx, &runnelv1.ListTopicsRequest{})
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				return printProtoJSON(a.Out, resp)
			}
			topics := slices.Clone(resp.GetTopics())
			slices.SortFunc(topics, func(x, y *runnelv1.TopicSummary) int { return strings.Compare(x.GetName(), y.GetName()) })
			tw := newTable(a.Out)
			fmt.Fprintln(tw, "NAME\tPARTITIONS\tRF")
			for _, t := range topics {
				fmt.Fprintf(tw, "%s\t%d\t%d\n", t.GetName(), t.GetPartitions(), t.GetReplicationFactor())
			}
			return tw.Flush()
		},
	}
}

func newTopicDescribeCmd(a *app, jsonOut func() bool) *cobra.Command {
	return &cobra.Command{
		Use:   "describe NAME",
		Short: "Describe a topic: configs, and per partition leader, epoch, replicas, ISR, log start, high watermark",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *runnelv1.GetTopicResponse
			err := a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) (err error) {
				resp, err = c.GetTopic(ctx, &runnelv1.GetTopicRequest{Topic: args[0]})
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				return printProtoJSON(a.Out, resp.GetTopic())
			}
			return printTopic(a.Out, resp.GetTopic())
		},
	}
}

func newTopicDeleteCmd(a *app, jsonOut func() bool) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a topic and its data",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) error {
				_, err := c.DeleteTopic(ctx, &runnelv1.DeleteTopicRequest{Topic: args[0]})
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				_, err := fmt.Fprintln(a.Out, "{}")
				return err
			}
			fmt.Fprintf(a.Err, "deleted topic %s\n", args[0])
			return nil
		},
	}
}

// printTopic writes a topic description: a header, then one row per partition.
func printTopic(w io.Writer, t *runnelv1.TopicDescription) error {
	fmt.Fprintf(w, "Topic: %s  ReplicationFactor: %d  Partitions: %d", t.GetName(), t.GetReplicationFactor(), len(t.GetPartitions()))
	if t.GetTopicId() != "" {
		fmt.Fprintf(w, "  TopicId: %s", t.GetTopicId())
	}
	fmt.Fprintln(w)
	if len(t.GetConfigs()) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(t.GetConfigs())) {
			kv = append(kv, k+"="+t.GetConfigs()[k])
		}
		fmt.Fprintf(w, "Configs: %s\n", strings.Join(kv, ","))
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "PARTITION\tLEADER\tEPOCH\tREPLICAS\tISR\tLOG-START\tHW")
	for _, p := range t.GetPartitions() {
		leader := strconv.Itoa(int(p.GetLeader()))
		if p.GetLeader() < 0 {
			leader = "none"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%d\t%d\n", p.GetPartition(), leader, p.GetLeaderEpoch(),
			joinInts(p.GetReplicas()), joinInts(p.GetIsr()), p.GetLogStartOffset(), p.GetHighWatermark())
	}
	return tw.Flush()
}

func joinInts(v []int32) string {
	if len(v) == 0 {
		return "-"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(int(x))
	}
	return strings.Join(s, ",")
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// printProtoJSON writes m as protojson with the proto field names, as the REST API does.
func printProtoJSON(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	// protojson's own layout varies on purpose; re-indent for a stable one.
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = buf.WriteTo(w)
	return err
}
