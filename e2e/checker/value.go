package checker

import (
	"strconv"
	"strings"
)

// valuePrefix starts every workload value; other values in a log (a test's own writes) are ignored
// by the "never sent" check.
const valuePrefix = "w"

// Value is the value of producer's record seq: "w<producer>-<seq>".
func Value(producer int, seq int64) string {
	return valuePrefix + strconv.Itoa(producer) + "-" + strconv.FormatInt(seq, 10)
}

// Key is the key of producer's record seq among keys keys: "k<producer>-<seq mod keys>".
func Key(producer int, seq int64, keys int) string {
	return "k" + strconv.Itoa(producer) + "-" + strconv.FormatInt(seq%int64(max(keys, 1)), 10)
}

// ParseValue splits a workload value into producer and sequence number; ok is false for any other
// string (including non-canonical numbers such as "w01-2" or "w1-+2").
func ParseValue(v string) (producer int, seq int64, ok bool) {
	rest, found := strings.CutPrefix(v, valuePrefix)
	if !found {
		return 0, 0, false
	}
	ps, ss, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, false
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p < 1 || strconv.Itoa(p) != ps {
		return 0, 0, false
	}
	s, err := strconv.ParseInt(ss, 10, 64)
	if err != nil || s < 0 || strconv.FormatInt(s, 10) != ss {
		return 0, 0, false
	}
	return p, s, true
}
