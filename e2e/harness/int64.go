package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Int64 is an int64 that decodes from a JSON number or a JSON string holding one (protojson
// writes int64 as strings); it encodes as a number.
type Int64 int64

// UnmarshalJSON accepts 42 and "42".
func (v *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("int64 %s: %w", b, err)
	}
	*v = Int64(n)
	return nil
}
