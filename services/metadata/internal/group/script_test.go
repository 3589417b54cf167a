package group

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// TestScripts runs the state-machine scripts in testdata/*.txt. Each line is a step:
//
//	config hb=1000 min=1000 max=300000 max-offsets=N max-bytes=N   (before any other step)
//	topic T partitions=N [id=X]        create or change a topic, then SyncTopics
//	deltopic T                         delete a topic, then SyncTopics
//	join M topics=A,B [instance=I] [assignor=S] [session=MS] [reset=R] [client=C] [group=G|@N]
//	heartbeat M gen=N | assignment M | leave M | expire M
//	commit M|- gen=N T-P=OFF[:META] ...  (META "@N" is N bytes; "-" is member id "")
//	alter T-P=OFF ... | delete
//	expect M gen=N assigned=T-P,... revoking=... rgen=N   (only the keys given are checked)
//	gone M                             M is not a member
//	reply gen=N assigned=... interval=DUR [reset=R] [session=MS]   the last step's answer
//	group state=S gen=N members=N assignor=S
//	target M=T-P,... ...
//	offsets T-P=OFF[:META] ...          what Fetch returns (nothing after "offsets": none)
//	writes meta put=M,.. del=M,.. offsets=T-P,.. drop=T-P,.. droptopics=T,.. delete | none
//
// An operation line ending in "-> CODE" must fail with that catalogue code and change nothing.
// Member ids are the names the script gives. After every step the invariant is checked: no
// partition in two members' assigned ∪ revoking, assigned and revoking disjoint and sorted.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScript(t, f) })
	}
}

type script struct {
	t      *testing.T
	cfg    Config
	g      *Group
	topics Topics
	nextID string
	last   *Update
	reply  *Reply
	line   int
}

func runScript(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &script{t: t, topics: Topics{}}
	s.cfg = Config{NewMemberID: func() string { return s.nextID }}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s.line++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		want := ""
		if op, code, ok := strings.Cut(line, "->"); ok {
			line, want = strings.TrimSpace(op), strings.TrimSpace(code)
		}
		if s.g == nil && !strings.HasPrefix(line, "config") {
			s.g = New("g", s.cfg)
		}
		s.step(strings.Fields(line), want)
		if s.g != nil {
			s.checkInvariant()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func (s *script) fatalf(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("line %d: "+format, append([]any{s.line}, args...)...)
}

// kv parses key=value words.
func kv(words []string) map[string]string {
	m := map[string]string{}
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		m[k] = v
	}
	return m
}

func (s *script) num(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		s.fatalf("bad number %q", v)
	}
	return n
}

func (s *script) partition(v string) Partition {
	i := strings.LastIndex(v, "-")
	if i <= 0 {
		s.fatalf("bad partition %q", v)
	}
	return Partition{Topic: v[:i], Partition: int32(s.num(v[i+1:]))}
}

func (s *script) partitions(v string) []Partition {
	var out []Partition
	for _, w := range strings.Split(v, ",") {
		if w != "" {
			out = append(out, s.partition(w))
		}
	}
	return out
}

// offsets parses T-P=OFF[:META] words.
func (s *script) offsets(words []string) []*runnelv1.OffsetCommit {
	var out []*runnelv1.OffsetCommit
	for _, w := range words {
		p, v, _ := strings.Cut(w, "=")
		off, meta, _ := strings.Cut(v, ":")
		if strings.HasPrefix(meta, "@") {
			meta = strings.Repeat("x", int(s.num(meta[1:])))
		}
		pt := s.partition(p)
		out = append(out, &runnelv1.OffsetCommit{Topic: pt.Topic, Partition: pt.Partition, Offset: s.num(off), Metadata: meta})
	}
	return out
}

func (s *script) step(w []string, want string) {
	s.t.Helper()
	args := kv(w[1:])
	var u *Update
	var err error
	if w[0] == "config" {
		s.cfg.HeartbeatInterval = time.Duration(s.num(or(args["hb"], "1000"))) * time.Millisecond
		s.cfg.MinSessionTimeout = time.Duration(s.num(or(args["min"], "1000"))) * time.Millisecond
		s.cfg.MaxSessionTimeout = time.Duration(s.num(or(args["max"], "300000"))) * time.Millisecond
		s.cfg.MaxCommitOffsets = int(s.num(or(args["max-offsets"], "0")))
		s.cfg.MaxCommitBytes = int(s.num(or(args["max-bytes"], "0")))
		return
	}
	before := fingerprint(s.g)
	switch w[0] {
	case "topic":
		s.topics = maps.Clone(s.topics)
		s.topics[w[1]] = Topic{ID: or(args["id"], w[1]), Partitions: int32(s.num(args["partitions"]))}
		u = s.g.SyncTopics(s.topics)
	case "deltopic":
		s.topics = maps.Clone(s.topics)
		delete(s.topics, w[1])
		u = s.g.SyncTopics(s.topics)
	case "join":
		s.nextID = w[1]
		group := "g"
		if v, ok := args["group"]; ok {
			group = v
			if strings.HasPrefix(v, "@") { // @N: N characters
				group = strings.Repeat("a", int(s.num(v[1:])))
			}
		}
		req := &runnelv1.JoinGroupRequest{
			Group: group, InstanceId: args["instance"], Assignor: args["assignor"],
			AutoOffsetReset: args["reset"], ClientId: args["client"],
		}
		if v, ok := args["topics"]; ok && v != "" {
			req.Topics = strings.Split(v, ",")
		}
		if v, ok := args["session"]; ok {
			req.SessionTimeoutMs = int32(s.num(v))
		}
		u, err = s.g.Join(s.topics, req)
	case "heartbeat":
		u, err = s.g.Heartbeat(w[1], int32(s.num(args["gen"])))
	case "assignment":
		s.reply, err = s.g.Assignment(w[1])
	case "leave":
		u, err = s.g.Leave(s.topics, w[1])
	case "expire":
		u, err = s.g.Expire(s.topics, w[1])
	case "commit":
		member := w[1]
		if member == "-" {
			member = ""
		}
		u, err = s.g.Commit(s.topics, &runnelv1.CommitOffsetsRequest{
			Group: "g", MemberId: member, Generation: int32(s.num(args["gen"])), Offsets: s.offsets(w[3:]),
		})
	case "alter":
		u, err = s.g.AlterOffsets(s.topics, s.offsets(w[1:]))
	case "delete":
		u, err = s.g.Delete()
	default:
		s.check(w, args)
		return
	}
	if want != "" {
		code, ok := rpcerr.Lookup(want)
		if !ok {
			s.fatalf("unknown code %q", want)
		}
		if rpcerr.CodeOf(err) != code {
			s.fatalf("%s: got %v, want %s", w[0], err, want)
		}
		if after := fingerprint(s.g); after != before {
			s.fatalf("%s failed but the state changed:\nbefore %s\nafter  %s", w[0], before, after)
		}
		return
	}
	if err != nil {
		s.fatalf("%s: %v", strings.Join(w, " "), err)
	}
	if u == nil {
		u = &Update{next: s.g}
	}
	s.last = u
	if u.Reply != nil {
		s.reply = u.Reply
	}
	if g := u.Apply(); g != nil {
		s.g = g
	} else {
		s.g = New("g", s.cfg)
	}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// fingerprint renders the whole state, to detect any change.
func fingerprint(g *Group) string {
	var b strings.Builder
	meta, _ := EncodeMeta(g)
	fmt.Fprintf(&b, "stored=%v meta=%s", g.Stored, meta)
	for _, id := range g.memberIDs() {
		m, _ := EncodeMember(g.Members[id])
		fmt.Fprintf(&b, " member=%s", m)
	}
	for _, p := range slices.SortedFunc(maps.Keys(g.Offsets), comparePartitions) {
		o, _ := EncodeOffset(g.Offsets[p])
		fmt.Fprintf(&b, " %s=%s", p, o)
	}
	return b.String()
}

func (s *script) checkInvariant() {
	s.t.Helper()
	owner := map[Partition]string{}
	for _, id := range s.g.memberIDs() {
		m := s.g.Members[id]
		if m.ID != id {
			s.fatalf("member %s stored under %s", m.ID, id)
		}
		if !slices.IsSortedFunc(m.Assigned, comparePartitions) || !slices.IsSortedFunc(m.Revoking, comparePartitions) {
			s.fatalf("member %s has unsorted sets: %v / %v", id, m.Assigned, m.Revoking)
		}
		if (len(m.Revoking) == 0) != (m.RevokingGeneration == 0) {
			s.fatalf("member %s: revoking %v with R=%d", id, m.Revoking, m.RevokingGeneration)
		}
		for _, p := range append(slices.Clone(m.Assigned), m.Revoking...) {
			if prev, dup := owner[p]; dup {
				s.fatalf("partition %s is held by %s and %s", p, prev, id)
			}
			owner[p] = id
		}
	}
}

func list(ps []Partition) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}

func (s *script) check(w []string, args map[string]string) {
	s.t.Helper()
	eq := func(what, got, want string) {
		s.t.Helper()
		if got != want {
			s.fatalf("%s: got %q, want %q", what, got, want)
		}
	}
	switch w[0] {
	case "expect":
		m := s.g.Members[w[1]]
		if m == nil {
			s.fatalf("%s is not a member", w[1])
		}
		for k, v := range args {
			switch k {
			case "gen":
				eq(w[1]+" generation", fmt.Sprint(m.Generation), v)
			case "assigned":
				eq(w[1]+" assigned", list(m.Assigned), list(s.partitions(v)))
			case "revoking":
				eq(w[1]+" revoking", list(m.Revoking), list(s.partitions(v)))
			case "rgen":
				eq(w[1]+" revoking generation", fmt.Sprint(m.RevokingGeneration), v)
			case "instance":
				eq(w[1]+" instance", m.InstanceID, v)
			}
		}
	case "gone":
		if s.g.Members[w[1]] != nil {
			s.fatalf("%s is still a member", w[1])
		}
	case "reply":
		r := s.reply
		if r == nil {
			s.fatalf("no reply yet")
		}
		for k, v := range args {
			switch k {
			case "member":
				eq("reply member", r.MemberID, v)
			case "gen":
				eq("reply generation", fmt.Sprint(r.Generation), v)
			case "assigned":
				eq("reply assigned", list(r.Assigned), list(s.partitions(v)))
			case "interval":
				eq("reply interval", r.HeartbeatInterval.String(), v)
			case "session":
				eq("reply session", fmt.Sprint(r.SessionTimeoutMs), v)
			case "reset":
				eq("reply reset", r.AutoOffsetReset, v)
			}
		}
	case "group":
		sum := s.g.Summary()
		for k, v := range args {
			switch k {
			case "state":
				eq("state", sum.GetState(), v)
			case "gen":
				eq("group generation", fmt.Sprint(sum.GetGeneration()), v)
			case "members":
				eq("members", fmt.Sprint(sum.GetMemberCount()), v)
			case "assignor":
				eq("assignor", sum.GetAssignor(), v)
			case "stored":
				eq("stored", fmt.Sprint(s.g.Stored), v)
			}
		}
	case "target":
		got := map[string]string{}
		for id, ps := range s.g.Target {
			got[id] = list(ps)
		}
		want := map[string]string{}
		for k, v := range args {
			want[k] = list(s.partitions(v))
		}
		eq("target", fmt.Sprint(got), fmt.Sprint(want))
	case "offsets":
		var got []string
		for _, c := range s.g.Fetch(nil) {
			e := fmt.Sprintf("%s-%d=%d", c.GetTopic(), c.GetPartition(), c.GetOffset())
			if c.GetMetadata() != "" {
				e += ":" + c.GetMetadata()
			}
			got = append(got, e)
		}
		eq("offsets", strings.Join(got, " "), strings.Join(w[1:], " "))
	case "writes":
		eq("writes", summary(s.last), strings.Join(w[1:], " "))
	default:
		s.fatalf("unknown step %q", w[0])
	}
}

// summary renders an update's writes as the "writes" step spells them.
func summary(u *Update) string {
	if u == nil || u.Empty() {
		return "none"
	}
	var parts []string
	if u.Delete {
		return "delete"
	}
	if u.Meta {
		parts = append(parts, "meta")
	}
	var ids []string
	for _, m := range u.Put {
		ids = append(ids, m.ID)
	}
	add := func(k string, vs []string) {
		if len(vs) > 0 {
			parts = append(parts, k+"="+strings.Join(vs, ","))
		}
	}
	add("put", ids)
	add("del", u.Del)
	var offs []string
	for _, o := range u.Offsets {
		offs = append(offs, o.Partition.String())
	}
	add("offsets", offs)
	var drops []string
	for _, p := range u.DropOffsets {
		drops = append(drops, p.String())
	}
	add("drop", drops)
	add("droptopics", u.DropTopics)
	return strings.Join(parts, " ")
}
