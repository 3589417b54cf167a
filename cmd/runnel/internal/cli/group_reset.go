package cli

import (
	"strconv"
	"strings"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/spf13/pflag"
)

// resetFlags are the flags of `runnel group reset-offsets`.
type resetFlags struct {
	topics               []string
	allTopics            bool
	to                   string
	toEarliest, toLatest bool
	toOffset             int64
	toDatetime           string
	dryRun               bool
}

// resetTargets are the flags that choose the new offsets; exactly one is given.
var resetTargets = []string{"to", "to-earliest", "to-latest", "to-offset", "to-datetime"}

func (f *resetFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.topics, "topic", nil, "a topic to reset (repeatable)")
	fs.BoolVar(&f.allTopics, "all-topics", false, "reset every topic the group has offsets for")
	fs.StringVar(&f.to, "to", "", "earliest, latest or an offset")
	fs.BoolVar(&f.toEarliest, "to-earliest", false, "reset to the log start offset")
	fs.BoolVar(&f.toLatest, "to-latest", false, "reset to the high watermark")
	fs.Int64Var(&f.toOffset, "to-offset", 0, "reset to this offset")
	fs.StringVar(&f.toDatetime, "to-datetime", "", "reset to the first record at or after this time (RFC 3339, e.g. 2024-05-06T07:00:00Z)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the new offsets without writing them")
}

// request validates the flags (changed tells which were given) and builds the request.
func (f *resetFlags) request(group string, changed func(string) bool) (*runnelv1.ResetGroupOffsetsRequest, error) {
	req := &runnelv1.ResetGroupOffsetsRequest{Group: group, DryRun: f.dryRun}
	switch {
	case f.allTopics && len(f.topics) > 0:
		return nil, usagef("--topic and --all-topics exclude each other")
	case !f.allTopics && len(f.topics) == 0:
		return nil, usagef("say which topics to reset: --topic T (repeatable) or --all-topics")
	}
	for _, t := range f.topics {
		if strings.TrimSpace(t) == "" {
			return nil, usagef("--topic must not be empty")
		}
		req.Topics = append(req.Topics, t)
	}
	var given []string
	for _, name := range resetTargets {
		if changed(name) {
			given = append(given, "--"+name)
		}
	}
	if len(given) != 1 {
		what := "none"
		if len(given) > 1 {
			what = strings.Join(given, ", ")
		}
		return nil, usagef("give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime TIME or --to earliest|latest|N (got %s)", what)
	}
	switch given[0] {
	case "--to":
		switch strings.ToLower(strings.TrimSpace(f.to)) {
		case "earliest":
			req.To = "earliest"
		case "latest":
			req.To = "latest"
		default:
			n, err := strconv.ParseInt(strings.TrimSpace(f.to), 10, 64)
			if err != nil || n < 0 {
				return nil, usagef("--to %q: use earliest, latest or an offset (0 or more)", f.to)
			}
			req.Offset = &n
		}
	case "--to-earliest":
		if !f.toEarliest {
			return nil, usagef("--to-earliest=false chooses nothing; give one target")
		}
		req.To = "earliest"
	case "--to-latest":
		if !f.toLatest {
			return nil, usagef("--to-latest=false chooses nothing; give one target")
		}
		req.To = "latest"
	case "--to-offset":
		if f.toOffset < 0 {
			return nil, usagef("--to-offset %d: use an offset of 0 or more", f.toOffset)
		}
		n := f.toOffset
		req.Offset = &n
	case "--to-datetime":
		ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(f.toDatetime))
		if err != nil {
			return nil, usagef("--to-datetime %q: use RFC 3339, e.g. 2024-05-06T07:00:00Z or 2024-05-06T09:00:00+02:00", f.toDatetime)
		}
		ms := ts.UnixMilli()
		req.TimestampMs = &ms
	}
	return req, nil
}
