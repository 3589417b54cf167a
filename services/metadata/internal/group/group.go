package group

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"time"

	"github.com/runnel/runnel/services/metadata/internal/assign"
)

// Defaults and limits of Config and of the rules.
const (
	DefaultMinSessionTimeout = time.Second
	DefaultMaxSessionTimeout = 5 * time.Minute
	DefaultHeartbeatInterval = time.Second
	// DefaultSessionTimeoutMs is the session timeout of a join that gives none (clamped to the
	// configured range).
	DefaultSessionTimeoutMs = 10000
	// FastHeartbeat is the heartbeat interval of a member whose assignment is still changing.
	FastHeartbeat = 100 * time.Millisecond
	// MaxMetadataBytes is the largest commit metadata string.
	MaxMetadataBytes = 4096
	// maxFenced bounds how many replaced static member ids a group remembers.
	maxFenced = 64
)

// Config holds the coordinator's limits; the zero value of a field takes its default.
type Config struct {
	MinSessionTimeout, MaxSessionTimeout time.Duration
	HeartbeatInterval                    time.Duration
	// MaxCommitOffsets and MaxCommitBytes bound one commit (0: no bound): it is one etcd
	// transaction, which etcd limits in operations and bytes.
	MaxCommitOffsets, MaxCommitBytes int
	// NewMemberID returns a fresh member id (default: "m-" and 16 random hex digits).
	NewMemberID func() string
}

func (c Config) withDefaults() Config {
	if c.MinSessionTimeout <= 0 {
		c.MinSessionTimeout = DefaultMinSessionTimeout
	}
	if c.MaxSessionTimeout <= 0 {
		c.MaxSessionTimeout = DefaultMaxSessionTimeout
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.NewMemberID == nil {
		c.NewMemberID = randomID
	}
	return c
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "m-" + hex.EncodeToString(b[:])
}

// Partition is one partition of a topic.
type Partition = assign.Partition

// Topic is what the rules need to know of a topic.
type Topic struct {
	ID         string `json:"id"`
	Partitions int32  `json:"partitions"`
}

// Topics maps topic names to their id and partition count: the cluster's topics.
type Topics map[string]Topic

// Member is one member of a group.
type Member struct {
	ID, InstanceID, ClientID string
	Topics                   []string // sorted, unique
	SessionTimeoutMs         int32
	AutoOffsetReset          string
	// Generation is the member's epoch: 1 at join, +1 for every different assignment returned.
	Generation int32
	// Assigned are the partitions the member owns per its last response; Revoking those taken
	// from it in the response of generation RevokingGeneration and not acknowledged yet. Sorted.
	Assigned, Revoking []Partition
	RevokingGeneration int32
}

func (m *Member) clone() *Member {
	c := *m
	c.Topics = slices.Clone(m.Topics)
	c.Assigned = slices.Clone(m.Assigned)
	c.Revoking = slices.Clone(m.Revoking)
	return &c
}

func (m *Member) equal(o *Member) bool {
	return m.ID == o.ID && m.InstanceID == o.InstanceID && m.ClientID == o.ClientID &&
		slices.Equal(m.Topics, o.Topics) && m.SessionTimeoutMs == o.SessionTimeoutMs &&
		m.AutoOffsetReset == o.AutoOffsetReset && m.Generation == o.Generation &&
		slices.Equal(m.Assigned, o.Assigned) && slices.Equal(m.Revoking, o.Revoking) &&
		m.RevokingGeneration == o.RevokingGeneration
}

// Offset is a committed offset.
type Offset struct {
	Offset   int64
	Metadata string
	// TopicID is the id of the topic when the offset was committed: offsets of a deleted (or
	// deleted and created again) topic are dropped.
	TopicID string
}

// Group is one consumer group. Its fields are read-only outside this package: every change is
// computed as an Update by an operation and takes effect with Update.Apply.
type Group struct {
	Name string
	// Assignor is fixed by the first member ("" for a group created by a commit).
	Assignor string
	// Generation is the group epoch: +1 on every change of members, subscriptions or their
	// topics' partitions.
	Generation int32
	// Target is the assignor's output for the current members (member id → partitions).
	Target  map[string][]Partition
	Members map[string]*Member
	// Fenced holds member ids replaced by a static member's takeover, oldest first.
	Fenced []string
	// Topics are the subscribed topics as the target was computed with them.
	Topics  Topics
	Offsets map[Partition]Offset
	// Stored reports whether the group exists (its meta record is written).
	Stored bool

	cfg *Config
}

// New returns an empty group that does not exist yet (operations that create a group write it).
func New(name string, cfg Config) *Group {
	c := cfg.withDefaults()
	return &Group{Name: name, Target: map[string][]Partition{}, Members: map[string]*Member{},
		Topics: Topics{}, Offsets: map[Partition]Offset{}, cfg: &c}
}

// State is "Empty" (no members), "Reconciling" (a member has revoking partitions or its
// assigned partitions differ from its target) or "Stable".
func (g *Group) State() string {
	if len(g.Members) == 0 {
		return StateEmpty
	}
	for id, m := range g.Members {
		if len(m.Revoking) > 0 || !slices.Equal(m.Assigned, g.Target[id]) {
			return StateReconciling
		}
	}
	return StateStable
}

// Group states.
const (
	StateEmpty       = "Empty"
	StateReconciling = "Reconciling"
	StateStable      = "Stable"
)

// memberIDs returns the member ids, sorted.
func (g *Group) memberIDs() []string {
	return slices.Sorted(maps.Keys(g.Members))
}

func sortPartitions(ps []Partition) []Partition {
	slices.SortFunc(ps, comparePartitions)
	return ps
}

func partitionSet(ps []Partition) map[Partition]bool {
	s := make(map[Partition]bool, len(ps))
	for _, p := range ps {
		s[p] = true
	}
	return s
}

// without returns ps without the partitions for which drop is true.
func without(ps []Partition, drop func(Partition) bool) []Partition {
	var out []Partition
	for _, p := range ps {
		if !drop(p) {
			out = append(out, p)
		}
	}
	return out
}

func comparePartitions(a, b Partition) int { return assign.Compare(a, b) }
