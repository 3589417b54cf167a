package produce

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

func TestParseAcks(t *testing.T) {
	list, _ := structpb.NewList([]any{"all"})
	tests := []struct {
		name string
		in   *structpb.Value
		want runnelv1.Acks
		err  bool
	}{
		{"absent", nil, runnelv1.Acks_ACKS_ALL, false},
		{"null", structpb.NewNullValue(), runnelv1.Acks_ACKS_ALL, false},
		{"all", structpb.NewStringValue("all"), runnelv1.Acks_ACKS_ALL, false},
		{"ALL", structpb.NewStringValue("ALL"), runnelv1.Acks_ACKS_ALL, false},
		{"-1 text", structpb.NewStringValue("-1"), runnelv1.Acks_ACKS_ALL, false},
		{"1 text", structpb.NewStringValue("1"), runnelv1.Acks_ACKS_LEADER, false},
		{"0 text", structpb.NewStringValue("0"), runnelv1.Acks_ACKS_NONE, false},
		{"-1 number", structpb.NewNumberValue(-1), runnelv1.Acks_ACKS_ALL, false},
		{"1 number", structpb.NewNumberValue(1), runnelv1.Acks_ACKS_LEADER, false},
		{"0 number", structpb.NewNumberValue(0), runnelv1.Acks_ACKS_NONE, false},
		{"2 text", structpb.NewStringValue("2"), 0, true},
		{"2 number", structpb.NewNumberValue(2), 0, true},
		{"fraction", structpb.NewNumberValue(0.5), 0, true},
		{"empty text", structpb.NewStringValue(""), 0, true},
		{"leader", structpb.NewStringValue("leader"), 0, true},
		{"bool", structpb.NewBoolValue(true), 0, true},
		{"list", structpb.NewListValue(list), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAcks(tt.in)
			if tt.err {
				if !errors.Is(err, rpcerr.InvalidRequiredAcks) {
					t.Fatalf("err = %v, want INVALID_REQUIRED_ACKS", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAcks = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
