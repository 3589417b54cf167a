package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Key prefixes.
const (
	Prefix          = "/runnel/"
	TopicsPrefix    = Prefix + "topics/"
	PartitionPrefix = Prefix + "partitions/"
	NodesPrefix     = Prefix + "nodes/"
)

// ErrBadKey reports a key that does not follow the layout.
var ErrBadKey = errors.New("store: key does not follow the layout")

// TopicKey is the key of a topic.
func TopicKey(topic string) string { return TopicsPrefix + topic }

// PartitionKey is the key of one partition's state.
func PartitionKey(topic string, partition int32) string {
	return fmt.Sprintf("%s%s/%05d", PartitionPrefix, topic, partition)
}

// partitionsOf is the prefix of all partition keys of a topic.
func partitionsOf(topic string) string { return PartitionPrefix + topic + "/" }

// NodeKey is the key of a storage node.
func NodeKey(id int32) string { return NodesPrefix + strconv.FormatInt(int64(id), 10) }

// watchRange is the key range the watch covers: from the first nodes key to the end of the topics
// prefix ("nodes" < "partitions" < "topics"). Keys in between that are none of the three are
// skipped when translating.
func watchRange() (start, end string) {
	return NodesPrefix, clientv3.GetPrefixRangeEnd(TopicsPrefix)
}

// Kind says which part of the layout a key belongs to.
type Kind int

// Key kinds.
const (
	KindOther Kind = iota
	KindTopic
	KindPartition
	KindNode
)

// ParsedKey is a key taken apart.
type ParsedKey struct {
	Kind      Kind
	Topic     string // KindTopic, KindPartition
	Partition int32  // KindPartition
	Node      int32  // KindNode
}

// ParseKey takes a key of the layout apart. A key outside the three known prefixes is KindOther
// with no error; a key under a known prefix that does not parse is ErrBadKey.
func ParseKey(key string) (ParsedKey, error) {
	switch {
	case strings.HasPrefix(key, TopicsPrefix):
		name := key[len(TopicsPrefix):]
		if name == "" || strings.Contains(name, "/") {
			return ParsedKey{}, fmt.Errorf("%w: %q", ErrBadKey, key)
		}
		return ParsedKey{Kind: KindTopic, Topic: name}, nil
	case strings.HasPrefix(key, PartitionPrefix):
		topic, p, ok := strings.Cut(key[len(PartitionPrefix):], "/")
		n, err := strconv.ParseInt(p, 10, 32)
		if !ok || topic == "" || err != nil || n < 0 {
			return ParsedKey{}, fmt.Errorf("%w: %q", ErrBadKey, key)
		}
		return ParsedKey{Kind: KindPartition, Topic: topic, Partition: int32(n)}, nil
	case strings.HasPrefix(key, NodesPrefix):
		n, err := strconv.ParseInt(key[len(NodesPrefix):], 10, 32)
		if err != nil || n <= 0 {
			return ParsedKey{}, fmt.Errorf("%w: %q", ErrBadKey, key)
		}
		return ParsedKey{Kind: KindNode, Node: int32(n)}, nil
	}
	return ParsedKey{Kind: KindOther}, nil
}
