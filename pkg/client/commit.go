package client

import (
	"context"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// commitOffsets stores offsets for a group as member at generation (member "" and generation -1:
// a consumer outside the group). Nothing to commit is not an error.
func commitOffsets(ctx context.Context, api runnelv1.GatewayServiceClient, group, member string, generation int32, offsets []Offset) error {
	if len(offsets) == 0 {
		return nil
	}
	req := &runnelv1.CommitOffsetsRequest{
		Group:      group,
		MemberId:   member,
		Generation: generation,
		Offsets:    make([]*runnelv1.OffsetCommit, len(offsets)),
	}
	for i, o := range offsets {
		req.Offsets[i] = &runnelv1.OffsetCommit{Topic: o.Topic, Partition: o.Partition, Offset: o.Offset, Metadata: o.Metadata}
	}
	if _, err := api.CommitOffsets(ctx, req); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return FromStatus(err)
	}
	return nil
}

// groupOffsets returns a group's committed offsets with each partition's range, by partition.
func groupOffsets(ctx context.Context, api runnelv1.GatewayServiceClient, group string) (map[TopicPartition]*runnelv1.GroupOffset, error) {
	resp, err := api.GetGroupOffsets(ctx, &runnelv1.GetGroupOffsetsRequest{Group: group})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, FromStatus(err)
	}
	out := make(map[TopicPartition]*runnelv1.GroupOffset, len(resp.GetOffsets()))
	for _, o := range resp.GetOffsets() {
		out[TopicPartition{Topic: o.GetTopic(), Partition: o.GetPartition()}] = o
	}
	return out, nil
}
