package group

import (
	"errors"
	"maps"
	"slices"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// records encodes a group as the coordinator stores it.
func records(t testing.TB, g *Group) Records {
	t.Helper()
	meta, err := EncodeMeta(g)
	if err != nil {
		t.Fatal(err)
	}
	r := Records{Meta: meta, Offsets: map[Partition][]byte{}}
	for _, id := range g.memberIDs() {
		b, err := EncodeMember(g.Members[id])
		if err != nil {
			t.Fatal(err)
		}
		r.Members = append(r.Members, b)
	}
	for p, o := range g.Offsets {
		if r.Offsets[p], err = EncodeOffset(o); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestRecordsRoundTrip(t *testing.T) {
	n := 0
	cfg := Config{NewMemberID: func() string { n++; return string(rune('a' + n)) }}
	topics := Topics{"t": {ID: "x", Partitions: 4}, "u": {ID: "y", Partitions: 2}}
	g := New("g", cfg)
	apply := func(u *Update, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		g = u.Apply()
	}
	apply(g.Join(topics, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t", "u"}, InstanceId: "i", ClientId: "c"}))
	apply(g.Join(topics, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}, AutoOffsetReset: "none"}))
	apply(g.Heartbeat("b", 1))
	apply(g.Join(topics, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t", "u"}, InstanceId: "i"}))
	apply(g.Commit(topics, &runnelv1.CommitOffsetsRequest{MemberId: "d", Generation: 3,
		Offsets: []*runnelv1.OffsetCommit{{Topic: "t", Partition: 0, Offset: 7, Metadata: "m"}}}))
	back, err := Decode("g", cfg, records(t, g))
	if err != nil {
		t.Fatal(err)
	}
	if fingerprint(back) != fingerprint(g) {
		t.Fatalf("round trip:\n got %s\nwant %s", fingerprint(back), fingerprint(g))
	}
	if len(back.Fenced) != 1 || len(back.Members["d"].Revoking) == 0 || back.Offsets[pt("t", 0)].TopicID != "x" {
		t.Fatalf("decoded group lacks state: %s", fingerprint(back))
	}
}

func TestDecodeRefusesBrokenInvariant(t *testing.T) {
	a, _ := EncodeMember(&Member{ID: "a", Topics: []string{"t"}, Assigned: []Partition{pt("t", 0)}})
	b, _ := EncodeMember(&Member{ID: "b", Topics: []string{"t"}, Revoking: []Partition{pt("t", 0)}, RevokingGeneration: 1})
	for name, r := range map[string]Records{
		"partition twice": {Meta: []byte(`{}`), Members: [][]byte{a, b}},
		"member twice":    {Meta: []byte(`{}`), Members: [][]byte{a, a}},
		"bad meta":        {Meta: []byte(`{`)},
		"bad offset":      {Meta: []byte(`{}`), Offsets: map[Partition][]byte{pt("t", 0): []byte(`"x"`)}},
		"negative":        {Meta: []byte(`{"target":{"a":{"t":[-1]}}}`)},
	} {
		if _, err := Decode("g", Config{}, r); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzDecode: Decode never panics; what it accepts satisfies the invariant and encodes again
// to records that decode to the same group.
func FuzzDecode(f *testing.F) {
	m, _ := EncodeMember(&Member{ID: "a", Topics: []string{"t"}, Assigned: []Partition{pt("t", 1)}, Generation: 2})
	f.Add([]byte(`{"assignor":"sticky","generation":3,"target":{"a":{"t":[0,1]}},"topics":{"t":{"id":"x","partitions":2}}}`), m, []byte(`{"offset":5,"topic_id":"x"}`))
	f.Add([]byte(`{}`), []byte(`{"id":"b","assigned":{"t":[0,0]}}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, meta, member, offset []byte) {
		g, err := Decode("g", Config{}, Records{Meta: meta, Members: [][]byte{member}, Offsets: map[Partition][]byte{pt("t", 0): offset}})
		if err != nil {
			return
		}
		owner := map[Partition]bool{}
		for _, id := range slices.Sorted(maps.Keys(g.Members)) {
			for _, p := range append(slices.Clone(g.Members[id].Assigned), g.Members[id].Revoking...) {
				if owner[p] {
					t.Fatalf("partition %s twice", p)
				}
				owner[p] = true
			}
		}
		again, err := Decode("g", Config{}, records(t, g))
		if err != nil || fingerprint(again) != fingerprint(g) {
			t.Fatalf("re-encoded group does not decode the same: %v", err)
		}
	})
}

func pt(topic string, p int32) Partition { return Partition{Topic: topic, Partition: p} }
