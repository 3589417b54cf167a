package cli

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// printGroupList writes one row per group, sorted by name.
func printGroupList(w io.Writer, groups []*runnelv1.GroupSummary) error {
	groups = slices.Clone(groups)
	slices.SortFunc(groups, func(x, y *runnelv1.GroupSummary) int { return strings.Compare(x.GetGroup(), y.GetGroup()) })
	tw := newTable(w)
	fmt.Fprintln(tw, "GROUP\tSTATE\tMEMBERS\tGENERATION\tASSIGNOR")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", g.GetGroup(), g.GetState(), g.GetMemberCount(), g.GetGeneration(), orDash(g.GetAssignor()))
	}
	return tw.Flush()
}

// printGroup writes a group description: a header, the members, the partitions with lag, the
// total lag.
func printGroup(w io.Writer, g *runnelv1.DescribeGroupResponse) error {
	members := slices.Clone(g.GetMembers())
	slices.SortFunc(members, func(x, y *runnelv1.GroupMember) int { return strings.Compare(x.GetMemberId(), y.GetMemberId()) })
	fmt.Fprintf(w, "Group: %s  State: %s  Generation: %d  Assignor: %s  Members: %d\n",
		g.GetGroup(), g.GetState(), g.GetGeneration(), orDash(g.GetAssignor()), len(members))
	if len(members) > 0 {
		fmt.Fprintln(w)
		tw := newTable(w)
		fmt.Fprintln(tw, "MEMBER\tINSTANCE\tCLIENT\tGENERATION\tASSIGNED\tREVOKING")
		for _, m := range members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", m.GetMemberId(), orDash(m.GetInstanceId()), orDash(m.GetClientId()),
				m.GetGeneration(), formatAssignment(m.GetAssignment()), formatAssignment(m.GetRevoking()))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	offsets := slices.Clone(g.GetOffsets())
	slices.SortFunc(offsets, func(x, y *runnelv1.GroupOffset) int {
		return cmp.Or(strings.Compare(x.GetTopic(), y.GetTopic()), cmp.Compare(x.GetPartition(), y.GetPartition()))
	})
	if len(offsets) > 0 {
		fmt.Fprintln(w)
		tw := newTable(w)
		fmt.Fprintln(tw, "TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END(HW)\tLAG\tOWNER")
		for _, o := range offsets {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%s\n", o.GetTopic(), o.GetPartition(), formatOffset(o.GetOffset()),
				o.GetHighWatermark(), o.GetLag(), orDash(o.GetMemberId()))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\nTotal lag: %d\n", g.GetLag())
	return err
}

// printResetOffsets writes the offsets a reset set (or would set).
func printResetOffsets(w io.Writer, offsets []*runnelv1.GroupOffset) error {
	offsets = slices.Clone(offsets)
	slices.SortFunc(offsets, func(x, y *runnelv1.GroupOffset) int {
		return cmp.Or(strings.Compare(x.GetTopic(), y.GetTopic()), cmp.Compare(x.GetPartition(), y.GetPartition()))
	})
	tw := newTable(w)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tNEW-OFFSET\tLOG-END(HW)\tLAG")
	for _, o := range offsets {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\n", o.GetTopic(), o.GetPartition(), formatOffset(o.GetOffset()), o.GetHighWatermark(), o.GetLag())
	}
	return tw.Flush()
}

// formatAssignment writes partitions as "orders:0-2,5 audit:1", topics sorted; "-" for none.
func formatAssignment(a []*runnelv1.TopicPartitions) string {
	byTopic := map[string][]int32{}
	for _, tp := range a {
		byTopic[tp.GetTopic()] = append(byTopic[tp.GetTopic()], tp.GetPartitions()...)
	}
	var parts []string
	for _, topic := range slices.Sorted(maps.Keys(byTopic)) {
		ps := byTopic[topic]
		if len(ps) == 0 {
			continue
		}
		parts = append(parts, topic+":"+formatRanges(ps))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// formatRanges writes partition numbers as sorted ranges: 0-2,5.
func formatRanges(ps []int32) string {
	ps = slices.Compact(slices.Sorted(slices.Values(ps)))
	var b strings.Builder
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(ps[i])))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(ps[j])))
		}
		i = j + 1
	}
	return b.String()
}

func formatOffset(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
