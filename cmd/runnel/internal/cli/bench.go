package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/spf13/cobra"
)

func newBenchCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure produce and consume throughput and latency through the gateway",
		Long: `bench produce writes records as fast as the in-flight window allows and reports
records/s, MB/s (10^6 bytes of values) and the latency percentiles of its Produce calls;
bench consume reads a topic back and reports records/s and MB/s.`,
		RunE: groupRun,
	}
	cmd.AddCommand(newBenchProduceCmd(a), newBenchConsumeCmd(a))
	return cmd
}

// ensureTopic creates topic with the given shape unless it exists.
func ensureTopic(ctx context.Context, g *gatewayConn, topic string, partitions, rf int32, log io.Writer) error {
	actx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	_, err := g.client.GetTopic(actx, &runnelv1.GetTopicRequest{Topic: topic})
	if err == nil {
		return nil
	}
	if err = gatewayError(actx, g.addr, err); !errors.Is(err, rpcerr.UnknownTopicOrPartition) {
		return err
	}
	_, err = g.client.CreateTopic(actx, &runnelv1.CreateTopicRequest{Name: topic, Partitions: partitions, ReplicationFactor: rf})
	if err = gatewayError(actx, g.addr, err); err != nil && !errors.Is(err, rpcerr.TopicAlreadyExists) {
		return err
	}
	fmt.Fprintf(log, "created topic %s (%d partitions, replication factor %d)\n", topic, partitions, rf)
	return nil
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
