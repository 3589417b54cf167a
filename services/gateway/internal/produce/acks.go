package produce

import (
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// ParseAcks reads the acks of a request: "all", "-1", "1", "0" (any case) or the numbers -1, 1, 0;
// absent or null means all. Anything else is INVALID_REQUIRED_ACKS.
func ParseAcks(v *structpb.Value) (runnelv1.Acks, error) {
	if v == nil {
		return runnelv1.Acks_ACKS_ALL, nil
	}
	switch k := v.GetKind().(type) {
	case nil, *structpb.Value_NullValue:
		return runnelv1.Acks_ACKS_ALL, nil
	case *structpb.Value_StringValue:
		switch strings.ToLower(strings.TrimSpace(k.StringValue)) {
		case "all", "-1":
			return runnelv1.Acks_ACKS_ALL, nil
		case "1":
			return runnelv1.Acks_ACKS_LEADER, nil
		case "0":
			return runnelv1.Acks_ACKS_NONE, nil
		}
	case *structpb.Value_NumberValue:
		switch k.NumberValue {
		case -1:
			return runnelv1.Acks_ACKS_ALL, nil
		case 1:
			return runnelv1.Acks_ACKS_LEADER, nil
		case 0:
			return runnelv1.Acks_ACKS_NONE, nil
		}
	}
	shown, _ := protojson.Marshal(v)
	return 0, rpcerr.New(rpcerr.InvalidRequiredAcks,
		"acks %s is not valid; use \"all\" (or -1), 1 or 0", shown)
}

// AcksName is the Kafka spelling of acks ("all", "1", "0"), used as a metric attribute.
func AcksName(a runnelv1.Acks) string {
	switch a {
	case runnelv1.Acks_ACKS_LEADER:
		return "1"
	case runnelv1.Acks_ACKS_NONE:
		return "0"
	}
	return "all"
}
