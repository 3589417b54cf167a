package group

import (
	"slices"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Join adds a member, or replaces the static member holding the request's instance id (see the
// package doc). Nothing changes on error.
func (g *Group) Join(topics Topics, req *runnelv1.JoinGroupRequest) (*Update, error) {
	j, err := validateJoin(*g.cfg, topics, req)
	if err != nil {
		return nil, err
	}
	if len(g.Members) > 0 && g.Assignor != j.assignor {
		return nil, rpcerr.New(rpcerr.InconsistentGroupProtocol,
			"group %q uses the assignor %q; this member asked for %q", g.Name, g.Assignor, j.assignor)
	}
	id := g.newID()
	o := g.begin()
	changed := o.fixTopics(topics)
	if j.instance != "" {
		for _, x := range o.g.Members {
			if x.InstanceID == j.instance {
				o.takeover(topics, x, id, j, changed)
				return o.finish(), nil
			}
		}
	}
	o.g.Assignor = j.assignor
	o.g.Members[id] = &Member{
		ID: id, InstanceID: j.instance, ClientID: j.client, Topics: j.topics,
		SessionTimeoutMs: j.sessionMs, AutoOffsetReset: j.reset, Generation: 1,
	}
	o.touched[id] = true
	o.u.Joined = []string{id}
	o.rebalance(topics)
	o.reconcile(id, false)
	o.reply(id)
	return o.finish(), nil
}

// newID returns a member id the group has not used (bounded tries: ids are random).
func (g *Group) newID() string {
	id := g.cfg.NewMemberID()
	for range 16 {
		if g.Members[id] == nil && !slices.Contains(g.Fenced, id) {
			break
		}
		id = g.cfg.NewMemberID()
	}
	return id
}

// takeover replaces static member x by a new member id: it gets x's assigned and revoking
// partitions and generation + 1, x's id is fenced, the target moves to the new id and the group
// generation stays (unless the subscriptions differ or their topics changed: then it is a
// rebalance).
func (o *op) takeover(topics Topics, x *Member, id string, j join, topicsChanged bool) {
	g := o.g
	n := x.clone()
	n.ID, n.ClientID, n.Topics = id, j.client, j.topics
	n.SessionTimeoutMs, n.AutoOffsetReset = j.sessionMs, j.reset
	n.Generation = x.Generation + 1
	delete(g.Members, x.ID)
	g.Members[id] = n
	o.touched[id] = true
	target := make(map[string][]Partition, len(g.Target))
	for mid, ps := range g.Target {
		if mid == x.ID {
			mid = id
		}
		target[mid] = ps
	}
	g.Target = target
	g.Fenced = append(slices.Clone(g.Fenced), x.ID)
	if len(g.Fenced) > maxFenced {
		g.Fenced = g.Fenced[len(g.Fenced)-maxFenced:]
	}
	o.u.Joined, o.u.Left = []string{id}, []string{x.ID}
	if topicsChanged || !slices.Equal(x.Topics, j.topics) {
		o.rebalance(topics)
	}
	o.reply(id)
}

// Heartbeat acknowledges the responses up to generation gen (0: all) and moves the member
// toward its target (see the package doc). Nothing changes on error.
func (g *Group) Heartbeat(id string, gen int32) (*Update, error) {
	m, err := g.lookup(id)
	if err != nil {
		return nil, err
	}
	if gen < 0 || gen > m.Generation {
		return nil, rpcerr.New(rpcerr.IllegalGeneration,
			"generation %d of member %q is not one the coordinator gave it (current %d); heartbeat with the generation of the last answer you acted on, or 0", gen, id, m.Generation)
	}
	o := g.begin()
	if len(m.Revoking) > 0 && (gen == 0 || gen >= m.RevokingGeneration) {
		mm := o.member(id)
		mm.Revoking, mm.RevokingGeneration = nil, 0
	}
	o.reconcile(id, true)
	o.reply(id)
	return o.finish(), nil
}

// Assignment returns a member's current generation and assigned partitions without changing
// anything.
func (g *Group) Assignment(id string) (*Reply, error) {
	m, err := g.lookup(id)
	if err != nil {
		return nil, err
	}
	return &Reply{
		MemberID: id, Generation: m.Generation, Assigned: slices.Clone(m.Assigned),
		HeartbeatInterval: g.interval(m), SessionTimeoutMs: m.SessionTimeoutMs, AutoOffsetReset: m.AutoOffsetReset,
	}, nil
}

// Leave removes a member: its partitions are free at once and the group rebalances.
func (g *Group) Leave(topics Topics, id string) (*Update, error) {
	if _, err := g.lookup(id); err != nil {
		return nil, err
	}
	return g.remove(topics, id), nil
}

// Expire removes a member whose session ended, as Leave does; UNKNOWN_MEMBER_ID when it is no
// longer a member.
func (g *Group) Expire(topics Topics, id string) (*Update, error) {
	if g.Members[id] == nil {
		return nil, rpcerr.New(rpcerr.UnknownMemberID, "member %q is not in group %q (it left or its session expired); join again", id, g.Name)
	}
	return g.remove(topics, id), nil
}

func (g *Group) remove(topics Topics, id string) *Update {
	o := g.begin()
	delete(o.g.Members, id)
	o.u.Left = []string{id}
	o.fixTopics(topics)
	o.rebalance(topics)
	return o.finish()
}
