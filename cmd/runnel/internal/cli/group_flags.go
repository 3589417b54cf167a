package cli

import (
	"math"
	"time"

	"github.com/spf13/pflag"
)

// groupFlags are consume's flags for reading as a member of a consumer group.
type groupFlags struct {
	group          string
	sessionTimeout time.Duration
	instanceID     string
	offsetReset    string
	assignor       string
}

// groupOnlyFlags need --group; partitionFlags cannot go with it.
var (
	groupOnlyFlags = []string{"session-timeout", "instance-id", "offset-reset", "assignor"}
	partitionFlags = map[string]string{
		"partition": "a group member reads the partitions the group assigns it",
		"offset":    "a group member starts at the group's committed offsets; use --offset-reset for partitions without one, or `runnel group reset-offsets`",
	}
)

func (g *groupFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.group, "group", "", "read as a member of this consumer group (commits offsets, shares partitions with the other members)")
	fs.DurationVar(&g.sessionTimeout, "session-timeout", 0, "with --group: the member leaves the group when it is silent this long (default: the coordinator's, 10s)")
	fs.StringVar(&g.instanceID, "instance-id", "", "with --group: static membership; a member that comes back with the same id within its session keeps its partitions (and does not leave on exit)")
	fs.StringVar(&g.offsetReset, "offset-reset", "earliest", "with --group: where to start in a partition with no committed offset: earliest, latest or none (an error)")
	fs.StringVar(&g.assignor, "assignor", "", "with --group: sticky (default), range or roundrobin; fixed by the group's first member")
}

// validate checks the group flags against each other and against the partition flags.
func (g *groupFlags) validate(fs *pflag.FlagSet) error {
	if g.group == "" {
		if fs.Changed("group") {
			return usagef("--group must not be empty")
		}
		for _, name := range groupOnlyFlags {
			if fs.Changed(name) {
				return usagef("--%s needs --group", name)
			}
		}
		return nil
	}
	for _, name := range []string{"partition", "offset"} {
		if fs.Changed(name) {
			return usagef("--%s cannot be used with --group: %s", name, partitionFlags[name])
		}
	}
	if g.sessionTimeout < 0 || g.sessionTimeout%time.Millisecond != 0 || g.sessionTimeout.Milliseconds() > math.MaxInt32 {
		return usagef("--session-timeout %s: use a positive duration in whole milliseconds, e.g. 10s", g.sessionTimeout)
	}
	switch g.offsetReset {
	case "earliest", "latest", "none":
	default:
		return usagef("--offset-reset %q: use earliest, latest or none", g.offsetReset)
	}
	switch g.assignor {
	case "", "sticky", "range", "roundrobin":
	default:
		return usagef("--assignor %q: use sticky, range or roundrobin", g.assignor)
	}
	return nil
}

// options is the member configuration for topic.
func (g *groupFlags) options(topic string, max int64) memberOptions {
	return memberOptions{
		group:          g.group,
		topic:          topic,
		max:            max,
		sessionTimeout: g.sessionTimeout,
		instanceID:     g.instanceID,
		offsetReset:    g.offsetReset,
		assignor:       g.assignor,
	}
}
