package cli

import (
	"context"
	"fmt"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/spf13/cobra"
)

func newGroupCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List, describe, reset and delete consumer groups",
		Long: `group administers consumer groups: the members that share a topic with
runnel consume --group (or the Go SDK's GroupConsumer) and the offsets they committed.
Offsets can be reset and a group deleted only while it has no members.`,
		RunE: groupRun,
	}
	var format string
	cmd.PersistentFlags().StringVarP(&format, "format", "o", "text", "output format: text or json (the gRPC response as protojson)")
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		if format != "text" && format != "json" {
			return usagef("--format %q: use text or json", format)
		}
		return nil
	}
	jsonOut := func() bool { return format == "json" }
	cmd.AddCommand(newGroupListCmd(a, jsonOut), newGroupDescribeCmd(a, jsonOut),
		newGroupResetCmd(a, jsonOut), newGroupDeleteCmd(a, jsonOut))
	return cmd
}

func newGroupListCmd(a *app, jsonOut func() bool) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List consumer groups: GROUP, STATE, MEMBERS, GENERATION, ASSIGNOR",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *runnelv1.ListGroupsResponse
			err := a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) (err error) {
				resp, err = c.ListGroups(ctx, &runnelv1.ListGroupsRequest{})
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				return printProtoJSON(a.Out, resp)
			}
			return printGroupList(a.Out, resp.GetGroups())
		},
	}
}

func newGroupDescribeCmd(a *app, jsonOut func() bool) *cobra.Command {
	return &cobra.Command{
		Use:   "describe GROUP",
		Short: "Describe a group: state, members and their partitions, committed offsets and lag per partition",
		Long: `describe shows a consumer group: its state (Empty, Reconciling while partitions move,
Stable), generation and assignor; each member with the partitions it owns (and those it
is giving up); and per partition of the group's topics the committed offset
(CURRENT-OFFSET, "-" when none), the high watermark (LOG-END), the lag and the member
that owns it, then the total lag.`,
		Args: exactArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *runnelv1.DescribeGroupResponse
			err := a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) (err error) {
				resp, err = c.DescribeGroup(ctx, &runnelv1.DescribeGroupRequest{Group: args[0]})
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				return printProtoJSON(a.Out, resp)
			}
			return printGroup(a.Out, resp)
		},
	}
}

func newGroupResetCmd(a *app, jsonOut func() bool) *cobra.Command {
	var f resetFlags
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP",
		Short: "Move a group's committed offsets (only while it has no members)",
		Long: `reset-offsets sets the committed offsets of GROUP for --topic T (repeatable) or
--all-topics (every topic the group has offsets for) to one target:
  --to-earliest            the log start offset of each partition
  --to-latest              the high watermark of each partition (skip everything there is)
  --to-offset N            offset N in every partition
  --to-datetime TIME       the first record at or after TIME (RFC 3339), else the high watermark
(--to earliest|latest|N is the short form of the first three.) With --dry-run it prints
the offsets it would set and writes nothing. The group must have no members: stop its
consumers first.`,
		Example: `  runnel group reset-offsets billing --topic orders --to-earliest
  runnel group reset-offsets billing --topic orders --to-datetime 2024-05-06T07:00:00Z --dry-run
  runnel group reset-offsets billing --all-topics --to latest`,
		Args: exactArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(args[0], cmd.Flags().Changed)
			if err != nil {
				return err
			}
			var resp *runnelv1.ResetGroupOffsetsResponse
			err = a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) (err error) {
				resp, err = c.ResetGroupOffsets(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				return printProtoJSON(a.Out, resp)
			}
			if req.GetDryRun() {
				fmt.Fprintf(a.Err, "dry run: the offsets group %s would get (nothing was written)\n", args[0])
			} else {
				fmt.Fprintf(a.Err, "reset the offsets of group %s\n", args[0])
			}
			return printResetOffsets(a.Out, resp.GetOffsets())
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func newGroupDeleteCmd(a *app, jsonOut func() bool) *cobra.Command {
	return &cobra.Command{
		Use:   "delete GROUP",
		Short: "Delete a group and its committed offsets (only while it has no members)",
		Args:  exactArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := a.adminCall(cmd.Context(), func(ctx context.Context, c runnelv1.GatewayServiceClient) error {
				_, err := c.DeleteGroup(ctx, &runnelv1.DeleteGroupRequest{Group: args[0]})
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut() {
				_, err := fmt.Fprintln(a.Out, "{}")
				return err
			}
			fmt.Fprintf(a.Err, "deleted group %s\n", args[0])
			return nil
		},
	}
}
