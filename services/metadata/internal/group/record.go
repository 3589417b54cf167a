package group

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrCorrupt reports a stored record that does not decode or breaks the group's invariants.
var ErrCorrupt = errors.New("group: corrupt record")

// The stored records (JSON). Partition sets are topic → partition numbers.
type metaRecord struct {
	Assignor   string                        `json:"assignor,omitempty"`
	Generation int32                         `json:"generation"`
	Target     map[string]map[string][]int32 `json:"target,omitempty"`
	Fenced     []string                      `json:"fenced,omitempty"`
	Topics     Topics                        `json:"topics,omitempty"`
}

type memberRecord struct {
	ID                 string             `json:"id"`
	InstanceID         string             `json:"instance_id,omitempty"`
	ClientID           string             `json:"client_id,omitempty"`
	Topics             []string           `json:"topics"`
	SessionTimeoutMs   int32              `json:"session_timeout_ms"`
	AutoOffsetReset    string             `json:"auto_offset_reset"`
	Generation         int32              `json:"generation"`
	Assigned           map[string][]int32 `json:"assigned,omitempty"`
	Revoking           map[string][]int32 `json:"revoking,omitempty"`
	RevokingGeneration int32              `json:"revoking_generation,omitempty"`
}

type offsetRecord struct {
	Offset   int64  `json:"offset"`
	Metadata string `json:"metadata,omitempty"`
	TopicID  string `json:"topic_id,omitempty"`
}

func toSet(ps []Partition) map[string][]int32 {
	if len(ps) == 0 {
		return nil
	}
	out := map[string][]int32{}
	for _, p := range ps {
		out[p.Topic] = append(out[p.Topic], p.Partition)
	}
	return out
}

func fromSet(s map[string][]int32) ([]Partition, error) {
	var out []Partition
	for t, ps := range s {
		for _, p := range ps {
			if p < 0 || t == "" {
				return nil, fmt.Errorf("%w: partition %s-%d", ErrCorrupt, t, p)
			}
			out = append(out, Partition{Topic: t, Partition: p})
		}
	}
	sortPartitions(out)
	if len(slices.Compact(slices.Clone(out))) != len(out) {
		return nil, fmt.Errorf("%w: a partition appears twice", ErrCorrupt)
	}
	return out, nil
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil { // the record types hold only strings, numbers, slices and maps
		return nil, fmt.Errorf("group: encode %T: %w", v, err)
	}
	return b, nil
}

// EncodeMeta encodes the group's meta record (assignor, generation, target, fenced ids, topics).
func EncodeMeta(g *Group) ([]byte, error) {
	r := metaRecord{Assignor: g.Assignor, Generation: g.Generation, Fenced: g.Fenced, Topics: g.Topics}
	if len(g.Target) > 0 {
		r.Target = make(map[string]map[string][]int32, len(g.Target))
		for id, ps := range g.Target {
			r.Target[id] = toSet(ps)
		}
	}
	return encode(r)
}

// EncodeMember encodes a member record.
func EncodeMember(m *Member) ([]byte, error) {
	return encode(memberRecord{
		ID: m.ID, InstanceID: m.InstanceID, ClientID: m.ClientID, Topics: m.Topics,
		SessionTimeoutMs: m.SessionTimeoutMs, AutoOffsetReset: m.AutoOffsetReset, Generation: m.Generation,
		Assigned: toSet(m.Assigned), Revoking: toSet(m.Revoking), RevokingGeneration: m.RevokingGeneration,
	})
}

// EncodeOffset encodes an offset record.
func EncodeOffset(o Offset) ([]byte, error) {
	return encode(offsetRecord{Offset: o.Offset, Metadata: o.Metadata, TopicID: o.TopicID})
}

// Records is a group as stored: its meta record, its member records and its offset records.
type Records struct {
	Meta    []byte
	Members [][]byte
	Offsets map[Partition][]byte
}

// Decode rebuilds a group from its records. It fails with ErrCorrupt when a record does not
// decode, member ids repeat, or a partition is in two members' assigned or revoking sets.
func Decode(name string, cfg Config, r Records) (*Group, error) {
	g := New(name, cfg)
	g.Stored = true
	var meta metaRecord
	if err := json.Unmarshal(r.Meta, &meta); err != nil {
		return nil, fmt.Errorf("%w: group %s meta: %v", ErrCorrupt, name, err)
	}
	g.Assignor, g.Generation, g.Fenced = meta.Assignor, meta.Generation, meta.Fenced
	if meta.Topics != nil {
		g.Topics = meta.Topics
	}
	for id, s := range meta.Target {
		ps, err := fromSet(s)
		if err != nil {
			return nil, fmt.Errorf("group %s target of %s: %w", name, id, err)
		}
		g.Target[id] = ps
	}
	owner := map[Partition]string{}
	for _, b := range r.Members {
		var mr memberRecord
		if err := json.Unmarshal(b, &mr); err != nil {
			return nil, fmt.Errorf("%w: group %s member: %v", ErrCorrupt, name, err)
		}
		if mr.ID == "" || g.Members[mr.ID] != nil {
			return nil, fmt.Errorf("%w: group %s: member id %q empty or repeated", ErrCorrupt, name, mr.ID)
		}
		m := &Member{
			ID: mr.ID, InstanceID: mr.InstanceID, ClientID: mr.ClientID, Topics: mr.Topics,
			SessionTimeoutMs: mr.SessionTimeoutMs, AutoOffsetReset: mr.AutoOffsetReset,
			Generation: mr.Generation, RevokingGeneration: mr.RevokingGeneration,
		}
		var err error
		if m.Assigned, err = fromSet(mr.Assigned); err == nil {
			m.Revoking, err = fromSet(mr.Revoking)
		}
		if err != nil {
			return nil, fmt.Errorf("group %s member %s: %w", name, mr.ID, err)
		}
		for _, p := range append(slices.Clone(m.Assigned), m.Revoking...) {
			if prev, dup := owner[p]; dup {
				return nil, fmt.Errorf("%w: group %s: partition %s held by %s and %s", ErrCorrupt, name, p, prev, m.ID)
			}
			owner[p] = m.ID
		}
		g.Members[m.ID] = m
	}
	for _, p := range slices.SortedFunc(maps.Keys(r.Offsets), comparePartitions) {
		var or offsetRecord
		if err := json.Unmarshal(r.Offsets[p], &or); err != nil {
			return nil, fmt.Errorf("%w: group %s offset %s: %v", ErrCorrupt, name, p, err)
		}
		g.Offsets[p] = Offset{Offset: or.Offset, Metadata: or.Metadata, TopicID: or.TopicID}
	}
	return g, nil
}
