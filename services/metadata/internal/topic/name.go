package topic

import (
	"github.com/runnel/runnel/pkg/rpcerr"
)

// MaxNameLen is Kafka's limit on a topic name's length.
const MaxNameLen = 249

// ValidateName checks a topic name against Kafka's rules.
func ValidateName(name string) error {
	switch {
	case name == "":
		return rpcerr.New(rpcerr.InvalidTopic, "the topic name is empty; topic names are 1-%d characters of [a-zA-Z0-9._-]", MaxNameLen)
	case name == "." || name == "..":
		return rpcerr.New(rpcerr.InvalidTopic, "the topic name %q is not allowed; pick a name other than \".\" or \"..\"", name)
	case len(name) > MaxNameLen:
		return rpcerr.New(rpcerr.InvalidTopic, "the topic name is %d characters long; the limit is %d", len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !legal(name[i]) {
			return rpcerr.New(rpcerr.InvalidTopic, "the topic name %q has the illegal character %q at byte %d; use only [a-zA-Z0-9._-]", name, name[i:i+1], i)
		}
	}
	return nil
}

func legal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}
