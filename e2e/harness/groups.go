package harness

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// TopicPartitions is a set of partitions of one topic (assignments).
type TopicPartitions struct {
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions"`
}

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Flatten lists the partitions of an assignment, sorted by topic and partition.
func Flatten(a []TopicPartitions) []TopicPartition {
	var out []TopicPartition
	for _, tp := range a {
		for _, p := range tp.Partitions {
			out = append(out, TopicPartition{tp.Topic, p})
		}
	}
	slices.SortFunc(out, compareTP)
	return slices.Compact(out)
}

func compareTP(x, y TopicPartition) int {
	if x.Topic != y.Topic {
		if x.Topic < y.Topic {
			return -1
		}
		return 1
	}
	return int(x.Partition) - int(y.Partition)
}

// JoinGroupRequest is the body of POST /v1/groups/{group}/members; empty fields are left out.
type JoinGroupRequest struct {
	Topics           []string `json:"topics"`
	SessionTimeoutMs int32    `json:"session_timeout_ms,omitempty"`
	InstanceID       string   `json:"instance_id,omitempty"`
	Assignor         string   `json:"assignor,omitempty"`
	AutoOffsetReset  string   `json:"auto_offset_reset,omitempty"`
	ClientID         string   `json:"client_id,omitempty"`
}

// MemberAssignment is the answer of a join or a heartbeat.
type MemberAssignment struct {
	MemberID            string            `json:"member_id"`
	Generation          int32             `json:"generation"`
	Assignment          []TopicPartitions `json:"assignment"`
	HeartbeatIntervalMs int32             `json:"heartbeat_interval_ms"`
	SessionTimeoutMs    int32             `json:"session_timeout_ms"`
}

// GroupRecords is the answer of GET /v1/groups/{group}/members/{member_id}/records.
type GroupRecords struct {
	Records    []ConsumedRecord  `json:"records"`
	Generation int32             `json:"generation"`
	Assignment []TopicPartitions `json:"assignment"`
}

// OffsetCommit is one offset of a commit.
type OffsetCommit struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    Int64  `json:"offset"`
	Metadata  string `json:"metadata,omitempty"`
}

// CommitOffsetsRequest is the body of POST /v1/groups/{group}/offsets.
type CommitOffsetsRequest struct {
	MemberID   string         `json:"member_id"`
	Generation int32          `json:"generation"`
	Offsets    []OffsetCommit `json:"offsets"`
}

// GroupOffset is a group's position in one partition.
type GroupOffset struct {
	Topic          string `json:"topic"`
	Partition      int32  `json:"partition"`
	Offset         Int64  `json:"offset"`
	Metadata       string `json:"metadata"`
	HighWatermark  Int64  `json:"high_watermark"`
	Lag            Int64  `json:"lag"`
	LogStartOffset Int64  `json:"log_start_offset"`
	MemberID       string `json:"member_id"`
}

// GroupSummary is one entry of GET /v1/groups.
type GroupSummary struct {
	Group       string `json:"group"`
	State       string `json:"state"`
	MemberCount int32  `json:"member_count"`
	Generation  int32  `json:"generation"`
	Assignor    string `json:"assignor"`
}

// GroupMember is one member as GET /v1/groups/{group} shows it.
type GroupMember struct {
	MemberID         string            `json:"member_id"`
	InstanceID       string            `json:"instance_id"`
	ClientID         string            `json:"client_id"`
	Topics           []string          `json:"topics"`
	Generation       int32             `json:"generation"`
	Assignment       []TopicPartitions `json:"assignment"`
	Revoking         []TopicPartitions `json:"revoking"`
	SessionTimeoutMs int32             `json:"session_timeout_ms"`
	AutoOffsetReset  string            `json:"auto_offset_reset"`
}

// GroupDescription is GET /v1/groups/{group}.
type GroupDescription struct {
	Group      string        `json:"group"`
	State      string        `json:"state"`
	Generation int32         `json:"generation"`
	Assignor   string        `json:"assignor"`
	Members    []GroupMember `json:"members"`
	Offsets    []GroupOffset `json:"offsets"`
	Lag        Int64         `json:"lag"`
}

// Holders maps each partition to the members that hold it, assigned or revoking (more than one is
// a violation of the coordinator's contract).
func (d *GroupDescription) Holders() map[TopicPartition][]string {
	out := map[TopicPartition][]string{}
	for _, m := range d.Members {
		for _, tp := range Flatten(append(slices.Clone(m.Assignment), m.Revoking...)) {
			out[tp] = append(out[tp], m.MemberID)
		}
	}
	return out
}

// Member returns the member with id, if any.
func (d *GroupDescription) Member(id string) (GroupMember, bool) {
	for _, m := range d.Members {
		if m.MemberID == id {
			return m, true
		}
	}
	return GroupMember{}, false
}

// ResetGroupOffsetsRequest is the body of POST /v1/groups/{group}/offsets/reset.
type ResetGroupOffsetsRequest struct {
	Topics      []string `json:"topics,omitempty"`
	To          string   `json:"to,omitempty"`
	Offset      *int64   `json:"offset,omitempty"`
	TimestampMs *int64   `json:"timestamp_ms,omitempty"`
	DryRun      bool     `json:"dry_run,omitempty"`
}

// GroupPath is /v1/groups/{group} with the name escaped.
func GroupPath(group string) string { return "/v1/groups/" + url.PathEscape(group) }

// MemberPath is /v1/groups/{group}/members/{member_id}.
func MemberPath(group, member string) string {
	return GroupPath(group) + "/members/" + url.PathEscape(member)
}

// JoinGroup is POST /v1/groups/{group}/members.
func (c *Client) JoinGroup(ctx context.Context, group string, req JoinGroupRequest) (*MemberAssignment, error) {
	var out MemberAssignment
	if err := c.call(ctx, http.MethodPost, GroupPath(group)+"/members", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Heartbeat is POST /v1/groups/{group}/members/{member_id}/heartbeat with the generation the
// member acted on (0 acknowledges everything).
func (c *Client) Heartbeat(ctx context.Context, group, member string, generation int32) (*MemberAssignment, error) {
	var out MemberAssignment
	body := map[string]int32{"generation": generation}
	if err := c.call(ctx, http.MethodPost, MemberPath(group, member)+"/heartbeat", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LeaveGroup is DELETE /v1/groups/{group}/members/{member_id}.
func (c *Client) LeaveGroup(ctx context.Context, group, member string) error {
	return c.call(ctx, http.MethodDelete, MemberPath(group, member), nil, nil)
}

// GroupRecords is GET /v1/groups/{group}/members/{member_id}/records.
func (c *Client) GroupRecords(ctx context.Context, group, member string, maxRecords int, maxWait time.Duration) (*GroupRecords, error) {
	q := url.Values{}
	q.Set("max_records", strconv.Itoa(maxRecords))
	q.Set("max_wait_ms", strconv.FormatInt(maxWait.Milliseconds(), 10))
	var out GroupRecords
	if err := c.call(ctx, http.MethodGet, MemberPath(group, member)+"/records?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CommitOffsets is POST /v1/groups/{group}/offsets.
func (c *Client) CommitOffsets(ctx context.Context, group string, req CommitOffsetsRequest) error {
	return c.call(ctx, http.MethodPost, GroupPath(group)+"/offsets", req, nil)
}

// GroupOffsets is GET /v1/groups/{group}/offsets.
func (c *Client) GroupOffsets(ctx context.Context, group string) ([]GroupOffset, error) {
	var out struct {
		Offsets []GroupOffset `json:"offsets"`
	}
	if err := c.call(ctx, http.MethodGet, GroupPath(group)+"/offsets", nil, &out); err != nil {
		return nil, err
	}
	return out.Offsets, nil
}

// CommittedOffsets is GroupOffsets as partition → committed offset (-1 when none).
func (c *Client) CommittedOffsets(ctx context.Context, group string) (map[TopicPartition]int64, error) {
	offs, err := c.GroupOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	out := map[TopicPartition]int64{}
	for _, o := range offs {
		out[TopicPartition{o.Topic, o.Partition}] = int64(o.Offset)
	}
	return out, nil
}

// ListGroups is GET /v1/groups.
func (c *Client) ListGroups(ctx context.Context) ([]GroupSummary, error) {
	var out struct {
		Groups []GroupSummary `json:"groups"`
	}
	if err := c.call(ctx, http.MethodGet, "/v1/groups", nil, &out); err != nil {
		return nil, err
	}
	return out.Groups, nil
}

// DescribeGroup is GET /v1/groups/{group}.
func (c *Client) DescribeGroup(ctx context.Context, group string) (*GroupDescription, error) {
	var out GroupDescription
	if err := c.call(ctx, http.MethodGet, GroupPath(group), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ResetGroupOffsets is POST /v1/groups/{group}/offsets/reset.
func (c *Client) ResetGroupOffsets(ctx context.Context, group string, req ResetGroupOffsetsRequest) ([]GroupOffset, error) {
	var out struct {
		Offsets []GroupOffset `json:"offsets"`
	}
	if err := c.call(ctx, http.MethodPost, GroupPath(group)+"/offsets/reset", req, &out); err != nil {
		return nil, err
	}
	return out.Offsets, nil
}

// DeleteGroup is DELETE /v1/groups/{group}.
func (c *Client) DeleteGroup(ctx context.Context, group string) error {
	return c.call(ctx, http.MethodDelete, GroupPath(group), nil, nil)
}
