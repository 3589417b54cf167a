package harness

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestLineWriterSplitsLines(t *testing.T) {
	p := &CLIProcess{}
	w := lineWriter{p}
	for _, chunk := range []string{"a", "b\nc", "\n", "\n\nd", "e\n", "partial"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if got, want := p.Lines(), []string{"ab", "c", "", "", "de"}; !slices.Equal(got, want) || p.LineCount() != 5 {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestParseRecords(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		offsets []Int64
		bad     bool
	}{
		{"empty", "", nil, false},
		{"two", `{"topic":"t","partition":1,"offset":5,"value":"x"}` + "\n" + `{"topic":"t","partition":0,"offset":"6"}` + "\n", []Int64{5, 6}, false},
		{"no final newline", `{"topic":"t","partition":1,"offset":7}`, []Int64{7}, false},
		{"not json", "hello\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := ParseRecords(tc.in)
			if tc.bad != (err != nil) {
				t.Fatalf("error %v, want error: %v", err, tc.bad)
			}
			var got []Int64
			for _, r := range recs {
				got = append(got, r.Offset)
			}
			if !slices.Equal(got, tc.offsets) {
				t.Errorf("offsets %v, want %v", got, tc.offsets)
			}
		})
	}
}

func TestGroupDescriptionHolders(t *testing.T) {
	var d GroupDescription
	body := `{"group":"g","state":"Reconciling","generation":4,"lag":"12","members":[
		{"member_id":"a","assignment":[{"topic":"t","partitions":[0,1]}],"revoking":[{"topic":"t","partitions":[2]}]},
		{"member_id":"b","assignment":[{"topic":"t","partitions":[2,3]},{"topic":"u","partitions":[0]}]}],
		"offsets":[{"topic":"t","partition":0,"offset":"-1","high_watermark":"12","lag":"12"}]}`
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	h := d.Holders()
	if got := h[TopicPartition{"t", 2}]; !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("t/2 held by %v, want a (revoking) and b", got)
	}
	if got := h[TopicPartition{"u", 0}]; !slices.Equal(got, []string{"b"}) {
		t.Errorf("u/0 held by %v", got)
	}
	if d.Lag != 12 || d.Offsets[0].Offset != -1 {
		t.Errorf("decoded %+v", d)
	}
	if m, ok := d.Member("b"); !ok || len(Flatten(m.Assignment)) != 3 {
		t.Errorf("member b: %+v %v", m, ok)
	}
}
