package group

import (
	"maps"
	"slices"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Commit validates every offset of a commit, then returns the update that stores them all (see
// the package doc for the rules and their order). Offsets of topics that no longer exist are
// dropped from a member's commit. Nothing changes on error.
func (g *Group) Commit(topics Topics, req *runnelv1.CommitOffsetsRequest) (*Update, error) {
	if err := g.checkSize(req.GetOffsets()); err != nil {
		return nil, err
	}
	outside := req.GetMemberId() == "" && req.GetGeneration() == -1
	if !g.Stored && !outside {
		return nil, rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist; check the name (runnel group list)", g.Name)
	}
	var owned map[Partition]bool
	switch {
	case outside:
		if len(g.Members) > 0 {
			return nil, rpcerr.New(rpcerr.UnknownMemberID,
				"group %q has members: commit as a member (member id and generation), or stop them first", g.Name)
		}
	case req.GetMemberId() == "":
		return nil, rpcerr.New(rpcerr.UnknownMemberID,
			"a commit without a member id is from outside the group and must carry generation -1")
	default:
		m, err := g.lookup(req.GetMemberId())
		if err != nil {
			return nil, err
		}
		if req.GetGeneration() != m.Generation {
			return nil, rpcerr.New(rpcerr.IllegalGeneration, "generation %d of member %q is not its current generation %d; heartbeat to get the current generation and assignment, then commit with it",
				req.GetGeneration(), m.ID, m.Generation)
		}
		owned = partitionSet(append(slices.Clone(m.Assigned), m.Revoking...))
	}
	writes, err := validateOffsets(topics, req.GetOffsets(), func(p Partition) error {
		if owned != nil && !owned[p] {
			return rpcerr.New(rpcerr.PartitionNotAssigned, "partition %s is not assigned to member %q; commit only the partitions of its current assignment (heartbeat to get it)", p, req.GetMemberId())
		}
		return nil
	}, owned != nil)
	if err != nil {
		return nil, err
	}
	o := g.begin()
	o.u.Offsets = writes
	return o.finish(), nil
}

// AlterOffsets overwrites offsets of a group with no members, creating the group if needed
// (NON_EMPTY_GROUP when it has members).
func (g *Group) AlterOffsets(topics Topics, offsets []*runnelv1.OffsetCommit) (*Update, error) {
	if err := g.checkSize(offsets); err != nil {
		return nil, err
	}
	if len(g.Members) > 0 {
		return nil, rpcerr.New(rpcerr.NonEmptyGroup, "group %q has %d members; stop them before resetting its offsets", g.Name, len(g.Members))
	}
	writes, err := validateOffsets(topics, offsets, func(Partition) error { return nil }, false)
	if err != nil {
		return nil, err
	}
	o := g.begin()
	o.u.Offsets = writes
	return o.finish(), nil
}

func (g *Group) checkSize(offsets []*runnelv1.OffsetCommit) error {
	if len(offsets) == 0 {
		return rpcerr.New(rpcerr.InvalidRequest, "no offsets to commit; send at least one")
	}
	if n := g.cfg.MaxCommitOffsets; n > 0 && len(offsets) > n {
		return rpcerr.New(rpcerr.InvalidRequest, "%d offsets in one commit; at most %d: split the commit", len(offsets), n)
	}
	if n := g.cfg.MaxCommitBytes; n > 0 {
		size := 0
		for _, c := range offsets {
			size += len(c.GetTopic()) + len(c.GetMetadata()) + 64
		}
		if size > n {
			return rpcerr.New(rpcerr.InvalidCommitOffsetSize, "the commit is %d bytes; at most %d in one commit: split it", size, n)
		}
	}
	return nil
}

// validateOffsets checks every offset (owner first, then the offset, then the metadata) and
// returns the writes in (topic, partition) order. Offsets of missing topics are dropped when
// dropMissing is set, else they are UNKNOWN_TOPIC_OR_PARTITION, as are missing partitions.
func validateOffsets(topics Topics, offsets []*runnelv1.OffsetCommit, owner func(Partition) error, dropMissing bool) ([]OffsetWrite, error) {
	seen := map[Partition]bool{}
	var out []OffsetWrite
	for _, c := range offsets {
		p := Partition{Topic: c.GetTopic(), Partition: c.GetPartition()}
		if seen[p] {
			return nil, rpcerr.New(rpcerr.InvalidRequest, "partition %s appears twice in the commit; send each partition once", p)
		}
		seen[p] = true
		info, exists := topics[p.Topic]
		if !exists && dropMissing {
			continue // a topic deleted meanwhile: its offsets go with it
		}
		if err := owner(p); err != nil {
			return nil, err
		}
		if !exists || p.Partition < 0 || p.Partition >= info.Partitions {
			return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "partition %s does not exist; check the topic's partition count (runnel topic describe)", p)
		}
		if c.GetOffset() < 0 {
			return nil, rpcerr.New(rpcerr.OffsetOutOfRange, "offset %d of partition %s is negative; commit the next offset to read (0 or more)", c.GetOffset(), p)
		}
		if len(c.GetMetadata()) > MaxMetadataBytes {
			return nil, rpcerr.New(rpcerr.OffsetMetadataTooLarge, "metadata of partition %s is %d bytes; at most %d: shorten it",
				p, len(c.GetMetadata()), MaxMetadataBytes)
		}
		out = append(out, OffsetWrite{Partition: p, Offset: Offset{Offset: c.GetOffset(), Metadata: c.GetMetadata(), TopicID: info.ID}})
	}
	slices.SortFunc(out, func(a, b OffsetWrite) int { return comparePartitions(a.Partition, b.Partition) })
	return out, nil
}

// Fetch returns the committed offsets of the given topics (every topic when none), in (topic,
// partition) order.
func (g *Group) Fetch(topics []string) []*runnelv1.OffsetCommit {
	keys := slices.SortedFunc(maps.Keys(g.Offsets), comparePartitions)
	var out []*runnelv1.OffsetCommit
	for _, p := range keys {
		if len(topics) > 0 && !slices.Contains(topics, p.Topic) {
			continue
		}
		o := g.Offsets[p]
		out = append(out, &runnelv1.OffsetCommit{Topic: p.Topic, Partition: p.Partition, Offset: o.Offset, Metadata: o.Metadata})
	}
	return out
}

// Delete deletes a group with no members and its offsets.
func (g *Group) Delete() (*Update, error) {
	if !g.Stored {
		return nil, rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist; check the name (runnel group list)", g.Name)
	}
	if len(g.Members) > 0 {
		return nil, rpcerr.New(rpcerr.NonEmptyGroup, "group %q has %d members; stop them before deleting it", g.Name, len(g.Members))
	}
	return &Update{Delete: true}, nil
}
