package group

import (
	"slices"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/assign"
)

// Offset reset policies.
const (
	ResetEarliest = "earliest"
	ResetLatest   = "latest"
	ResetNone     = "none"
)

// ValidateID checks a group id: 1 to 249 characters of [a-zA-Z0-9._-] (INVALID_GROUP_ID).
func ValidateID(id string) error {
	if id == "" || len(id) > 249 {
		return rpcerr.New(rpcerr.InvalidGroupID, "group id %q must be 1 to 249 characters; pick a shorter id", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return rpcerr.New(rpcerr.InvalidGroupID, "group id %q: use only [a-zA-Z0-9._-]", id)
		}
	}
	return nil
}

// join is a validated join request.
type join struct {
	topics           []string
	sessionMs        int32
	assignor, reset  string
	instance, client string
}

// ValidateJoin checks a join request on its own and against the topics, in the contract's
// order: group id, topics, session timeout, assignor, auto offset reset.
func ValidateJoin(cfg Config, topics Topics, req *runnelv1.JoinGroupRequest) error {
	_, err := validateJoin(cfg.withDefaults(), topics, req)
	return err
}

func validateJoin(cfg Config, topics Topics, req *runnelv1.JoinGroupRequest) (join, error) {
	if err := ValidateID(req.GetGroup()); err != nil {
		return join{}, err
	}
	j := join{instance: req.GetInstanceId(), client: req.GetClientId()}
	if len(req.GetTopics()) == 0 {
		return join{}, rpcerr.New(rpcerr.InvalidRequest, "a member must subscribe to at least one topic")
	}
	for _, t := range req.GetTopics() {
		if t == "" {
			return join{}, rpcerr.New(rpcerr.InvalidRequest, "a subscribed topic name is empty")
		}
		if _, ok := topics[t]; !ok {
			return join{}, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q does not exist; create it first (runnel topic create) or check the name", t)
		}
		if !slices.Contains(j.topics, t) {
			j.topics = append(j.topics, t)
		}
	}
	slices.Sort(j.topics)
	minMs, maxMs := int32(cfg.MinSessionTimeout/time.Millisecond), int32(min(cfg.MaxSessionTimeout/time.Millisecond, 1<<31-1))
	switch j.sessionMs = req.GetSessionTimeoutMs(); {
	case j.sessionMs == 0:
		j.sessionMs = min(max(DefaultSessionTimeoutMs, minMs), maxMs)
	case j.sessionMs < minMs || j.sessionMs > maxMs:
		return join{}, rpcerr.New(rpcerr.InvalidSessionTimeout,
			"session timeout %d ms is outside the allowed range %d-%d ms; choose one inside it", j.sessionMs, minMs, maxMs)
	}
	if j.assignor = req.GetAssignor(); j.assignor == "" {
		j.assignor = assign.Default
	}
	if _, ok := assign.Lookup(j.assignor); !ok {
		return join{}, rpcerr.New(rpcerr.UnsupportedAssignor, "assignor %q is not supported; use \"sticky\", \"range\" or \"roundrobin\"", j.assignor)
	}
	switch j.reset = req.GetAutoOffsetReset(); j.reset {
	case "":
		j.reset = ResetEarliest
	case ResetEarliest, ResetLatest, ResetNone:
	default:
		return join{}, rpcerr.New(rpcerr.InvalidRequest,
			"auto_offset_reset %q: use \"earliest\", \"latest\" or \"none\"", j.reset)
	}
	return j, nil
}

// lookup returns member id, or the error a call naming it gets: GROUP_ID_NOT_FOUND for a group
// that does not exist, FENCED_INSTANCE_ID for a member replaced by a static member,
// UNKNOWN_MEMBER_ID for any other unknown id.
func (g *Group) lookup(id string) (*Member, error) {
	if !g.Stored {
		return nil, rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist; check the name (runnel group list)", g.Name)
	}
	if m := g.Members[id]; m != nil {
		return m, nil
	}
	if id != "" && slices.Contains(g.Fenced, id) {
		return nil, rpcerr.New(rpcerr.FencedInstanceID,
			"member %q of group %q was replaced by another member with the same instance id", id, g.Name)
	}
	return nil, rpcerr.New(rpcerr.UnknownMemberID, "member %q is not in group %q (it left or its session expired); join again", id, g.Name)
}
