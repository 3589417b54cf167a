package coordinator

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/runnel/runnel/services/metadata/internal/group"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

// Keys of one group (see the package doc).
func groupPrefix(g string) string          { return store.GroupsPrefix + g + "/" }
func metaKey(g string) string              { return groupPrefix(g) + "meta" }
func memberKey(g, id string) string        { return groupPrefix(g) + "members/" + id }
func offsetTopicPrefix(g, t string) string { return groupPrefix(g) + "offsets/" + t + "/" }
func offsetKey(g string, p group.Partition) string {
	return fmt.Sprintf("%s%05d", offsetTopicPrefix(g, p.Topic), p.Partition)
}

// updateOps turns an update of group g into the etcd operations that make it durable.
func updateOps(g string, u *group.Update) ([]clientv3.Op, error) {
	if u.Delete {
		return []clientv3.Op{clientv3.OpDelete(groupPrefix(g), clientv3.WithPrefix())}, nil
	}
	var ops []clientv3.Op
	if u.Meta {
		b, err := group.EncodeMeta(u.Group())
		if err != nil {
			return nil, err
		}
		ops = append(ops, clientv3.OpPut(metaKey(g), string(b)))
	}
	for _, m := range u.Put {
		b, err := group.EncodeMember(m)
		if err != nil {
			return nil, err
		}
		ops = append(ops, clientv3.OpPut(memberKey(g, m.ID), string(b)))
	}
	for _, id := range u.Del {
		ops = append(ops, clientv3.OpDelete(memberKey(g, id)))
	}
	for _, t := range u.DropTopics {
		ops = append(ops, clientv3.OpDelete(offsetTopicPrefix(g, t), clientv3.WithPrefix()))
	}
	for _, p := range u.DropOffsets {
		ops = append(ops, clientv3.OpDelete(offsetKey(g, p)))
	}
	for _, w := range u.Offsets {
		b, err := group.EncodeOffset(w.Offset)
		if err != nil {
			return nil, err
		}
		ops = append(ops, clientv3.OpPut(offsetKey(g, w.Partition), string(b)))
	}
	return ops, nil
}

// parsed is a group key taken apart.
type parsed struct {
	group, kind string // kind: "meta", "members" or "offsets"
	partition   group.Partition
}

func parseKey(key string) (parsed, bool) {
	rest, ok := strings.CutPrefix(key, store.GroupsPrefix)
	if !ok {
		return parsed{}, false
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[1] == "meta":
		return parsed{group: parts[0], kind: "meta"}, true
	case len(parts) == 3 && parts[1] == "members" && parts[2] != "":
		return parsed{group: parts[0], kind: "members"}, true
	case len(parts) == 4 && parts[1] == "offsets" && parts[2] != "":
		n, err := strconv.ParseInt(parts[3], 10, 32)
		if err != nil || n < 0 {
			return parsed{}, false
		}
		return parsed{group: parts[0], kind: "offsets", partition: group.Partition{Topic: parts[2], Partition: int32(n)}}, true
	}
	return parsed{}, false
}

// decodeGroups rebuilds every group from its keys. Keys that do not follow the layout, groups
// without a meta record and groups whose records are corrupt are logged and left out.
func decodeGroups(kvs []*mvccpb.KeyValue, cfg group.Config, log *slog.Logger) map[string]*group.Group {
	recs := map[string]*group.Records{}
	get := func(g string) *group.Records {
		r := recs[g]
		if r == nil {
			r = &group.Records{Offsets: map[group.Partition][]byte{}}
			recs[g] = r
		}
		return r
	}
	for _, kv := range kvs {
		k, ok := parseKey(string(kv.Key))
		if !ok {
			log.Warn("group key does not follow the layout; ignored", "key", string(kv.Key))
			continue
		}
		r := get(k.group)
		switch k.kind {
		case "meta":
			r.Meta = kv.Value
		case "members":
			r.Members = append(r.Members, kv.Value)
		case "offsets":
			r.Offsets[k.partition] = kv.Value
		}
	}
	out := make(map[string]*group.Group, len(recs))
	for name, r := range recs {
		if r.Meta == nil {
			log.Warn("group records without a meta record; ignored", "group", name)
			continue
		}
		g, err := group.Decode(name, cfg, *r)
		if err != nil {
			log.Error("group records do not decode; the group is left out", "group", name, "err", err)
			continue
		}
		out[name] = g
	}
	return out
}
