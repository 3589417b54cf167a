package cli

import (
	"bytes"
	"strings"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"
)

func TestGroupCommands(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t", "-p", "2")
	mustRun(t, g.addr, lines("a", 4), "produce", "t")
	mustRun(t, g.addr, "", "consume", "t", "--group", "g", "--max", "3")

	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stdout (code 0) or stderr
	}{
		{"list", []string{"group", "list"}, 0, []string{"GROUP  STATE  MEMBERS  GENERATION  ASSIGNOR\ng      Empty  0        1           sticky\n"}},
		{"describe", []string{"group", "describe", "g"}, 0, []string{
			"Group: g  State: Empty  Generation: 1  Assignor: sticky  Members: 0\n",
			"TOPIC  PARTITION  CURRENT-OFFSET  LOG-END(HW)  LAG  OWNER\n",
			"t      0          2               2            0    -\n",
			"t      1          1               2            1    -\n",
			"Total lag: 1\n",
		}},
		{"describe json", []string{"group", "describe", "g", "--format", "json"}, 0, []string{`"state": "Empty"`, `"high_watermark": "2"`}},
		{"describe unknown", []string{"group", "describe", "nope"}, 1, []string{
			"GROUP_ID_NOT_FOUND: group \"nope\" does not exist\nhint: check the group name (runnel group list)\n"}},
		{"reset dry run", []string{"group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--dry-run"}, 0, []string{
			"TOPIC  PARTITION  NEW-OFFSET  LOG-END(HW)  LAG\nt      0          0           2            2\nt      1          0           2            2\n"}},
		{"unchanged by the dry run", []string{"group", "describe", "g"}, 0, []string{"Total lag: 1\n"}},
		{"reset to latest", []string{"group", "reset-offsets", "g", "--all-topics", "--to", "latest"}, 0, []string{"t      1          2           2            0\n"}},
		{"reset to an offset", []string{"group", "reset-offsets", "g", "--topic", "t", "--to-offset", "1", "-o", "json"}, 0, []string{`"offset": "1"`}},
		{"delete", []string{"group", "delete", "g"}, 0, nil},
		{"delete again", []string{"group", "delete", "g"}, 1, []string{"GROUP_ID_NOT_FOUND: group \"g\" does not exist\n"}},
		{"list empty", []string{"group", "list"}, 0, []string{"GROUP  STATE  MEMBERS  GENERATION  ASSIGNOR\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, t.Context(), nil, g.addr, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.err)
			}
			got := r.stdout
			if tc.code != 0 {
				got = r.err
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
		})
	}
	if len(g.resets) != 3 || !g.resets[0].GetDryRun() || g.resets[0].GetTo() != "earliest" || len(g.resets[1].GetTopics()) != 0 ||
		g.resets[2].GetOffset() != 1 {
		t.Errorf("reset requests %v", g.resets)
	}
}

func TestGroupNonEmpty(t *testing.T) {
	g := startFakeGateway(t)
	mustRun(t, g.addr, "", "topic", "create", "t")
	mustRun(t, g.addr, "x\n", "produce", "t")
	mustRun(t, g.addr, "", "consume", "t", "--group", "g", "--instance-id", "i", "--max", "1") // stays a member
	for _, args := range [][]string{
		{"group", "delete", "g"},
		{"group", "reset-offsets", "g", "--topic", "t", "--to-earliest"},
	} {
		r := runCLI(t, t.Context(), nil, g.addr, args...)
		if r.code != exitError || !strings.Contains(r.err, "NON_EMPTY_GROUP: group \"g\" has 1 members\nhint: stop the group's members first\n") {
			t.Errorf("%q: exit %d, stderr %q; want NON_EMPTY_GROUP with its hint", args, r.code, r.err)
		}
	}
}

func TestResetRequest(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		name string
		args []string
		want *runnelv1.ResetGroupOffsetsRequest
		err  string
	}{
		{"earliest", []string{"--topic", "a", "--topic", "b", "--to-earliest"}, &runnelv1.ResetGroupOffsetsRequest{Group: "g", Topics: []string{"a", "b"}, To: "earliest"}, ""},
		{"latest dry", []string{"--all-topics", "--to-latest", "--dry-run"}, &runnelv1.ResetGroupOffsetsRequest{Group: "g", To: "latest", DryRun: true}, ""},
		{"offset", []string{"--topic", "a", "--to-offset", "0"}, &runnelv1.ResetGroupOffsetsRequest{Group: "g", Topics: []string{"a"}, Offset: i64(0)}, ""},
		{"to N", []string{"--topic", "a", "--to", "42"}, &runnelv1.ResetGroupOffsetsRequest{Group: "g", Topics: []string{"a"}, Offset: i64(42)}, ""},
		{"to Latest", []string{"--topic", "a", "--to", "Latest"}, &runnelv1.ResetGroupOffsetsRequest{Group: "g", Topics: []string{"a"}, To: "latest"}, ""},
		{"datetime", []string{"--topic", "a", "--to-datetime", "2024-05-06T09:00:00.5+02:00"},
			&runnelv1.ResetGroupOffsetsRequest{Group: "g", Topics: []string{"a"}, TimestampMs: i64(1714978800500)}, ""},
		{"no topic", []string{"--to-earliest"}, nil, "--topic T (repeatable) or --all-topics"},
		{"both topic forms", []string{"--topic", "a", "--all-topics", "--to-earliest"}, nil, "--topic and --all-topics exclude each other"},
		{"empty topic", []string{"--topic", "", "--to-earliest"}, nil, "--topic must not be empty"},
		{"no target", []string{"--topic", "a"}, nil, "give exactly one of"},
		{"two targets", []string{"--topic", "a", "--to-earliest", "--to-offset", "3"}, nil, "(got --to-earliest, --to-offset)"},
		{"negative offset", []string{"--topic", "a", "--to-offset", "-1"}, nil, "--to-offset -1"},
		{"bad to", []string{"--topic", "a", "--to", "soon"}, nil, "--to \"soon\""},
		{"negative to", []string{"--topic", "a", "--to", "-5"}, nil, "--to \"-5\""},
		{"bad datetime", []string{"--topic", "a", "--to-datetime", "yesterday"}, nil, "--to-datetime \"yesterday\": use RFC 3339"},
		{"false flag", []string{"--topic", "a", "--to-earliest=false"}, nil, "--to-earliest=false chooses nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f resetFlags
			fs := pflag.NewFlagSet("reset-offsets", pflag.ContinueOnError)
			f.register(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := f.request("g", fs.Changed)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, tc.want) {
				t.Errorf("request %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGroupOutput(t *testing.T) {
	tps := func(topic string, ps ...int32) *runnelv1.TopicPartitions {
		return &runnelv1.TopicPartitions{Topic: topic, Partitions: ps}
	}
	t.Run("assignment", func(t *testing.T) {
		for _, tc := range []struct {
			in   []*runnelv1.TopicPartitions
			want string
		}{
			{nil, "-"},
			{[]*runnelv1.TopicPartitions{tps("a")}, "-"},
			{[]*runnelv1.TopicPartitions{tps("a", 3)}, "a:3"},
			{[]*runnelv1.TopicPartitions{tps("b", 5, 0, 1, 2, 7, 8, 1)}, "b:0-2,5,7-8"},
			{[]*runnelv1.TopicPartitions{tps("b", 1), tps("a", 0, 2), tps("b", 0)}, "a:0,2 b:0-1"},
		} {
			if got := formatAssignment(tc.in); got != tc.want {
				t.Errorf("formatAssignment(%v) = %q, want %q", tc.in, got, tc.want)
			}
		}
	})
	t.Run("describe", func(t *testing.T) {
		var buf bytes.Buffer
		err := printGroup(&buf, &runnelv1.DescribeGroupResponse{
			Group: "billing", State: "Reconciling", Generation: 5, Assignor: "sticky", Lag: 17,
			Members: []*runnelv1.GroupMember{
				{MemberId: "m-b", ClientId: "runnel-cli", Generation: 2, Assignment: []*runnelv1.TopicPartitions{tps("orders", 2)}},
				{MemberId: "m-a", InstanceId: "host-1", ClientId: "sdk", Generation: 3,
					Assignment: []*runnelv1.TopicPartitions{tps("orders", 0)}, Revoking: []*runnelv1.TopicPartitions{tps("orders", 1)}},
			},
			Offsets: []*runnelv1.GroupOffset{
				{Topic: "orders", Partition: 1, Offset: -1, HighWatermark: 7, Lag: 7},
				{Topic: "orders", Partition: 0, Offset: 40, HighWatermark: 50, Lag: 10, MemberId: "m-a"},
				{Topic: "orders", Partition: 2, Offset: 0, HighWatermark: 0, Lag: 0, MemberId: "m-b"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := `Group: billing  State: Reconciling  Generation: 5  Assignor: sticky  Members: 2

MEMBER  INSTANCE  CLIENT      GENERATION  ASSIGNED  REVOKING
m-a     host-1    sdk         3           orders:0  orders:1
m-b     -         runnel-cli  2           orders:2  -

TOPIC   PARTITION  CURRENT-OFFSET  LOG-END(HW)  LAG  OWNER
orders  0          40              50           10   m-a
orders  1          -               7            7    -
orders  2          0               0            0    m-b

Total lag: 17
`
		if buf.String() != want {
			t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
		}
	})
	t.Run("empty group", func(t *testing.T) {
		var buf bytes.Buffer
		if err := printGroup(&buf, &runnelv1.DescribeGroupResponse{Group: "g", State: "Empty"}); err != nil {
			t.Fatal(err)
		}
		if want := "Group: g  State: Empty  Generation: 0  Assignor: -  Members: 0\n\nTotal lag: 0\n"; buf.String() != want {
			t.Errorf("got %q, want %q", buf.String(), want)
		}
	})
}
