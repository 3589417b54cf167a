package client

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

type order struct {
	ID    string  `json:"id"`
	Total float64 `json:"total"`
}

func TestSerdes(t *testing.T) {
	t.Run("bytes", func(t *testing.T) {
		s := Bytes()
		for _, in := range [][]byte{nil, {}, []byte("x\x00\xff")} {
			b, _ := s.Serialize("t", in)
			out, _ := s.Deserialize("t", b)
			if !bytes.Equal(out, in) || (in == nil) != (out == nil) {
				t.Fatalf("%q round-tripped to %q", in, out)
			}
		}
	})
	t.Run("string", func(t *testing.T) {
		s := String()
		b, _ := s.Serialize("t", "")
		if b == nil {
			t.Fatal(`"" must serialize to an empty, non-nil key`)
		}
		out, _ := s.Deserialize("t", []byte("héllo"))
		if out != "héllo" {
			t.Fatalf("got %q", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		s := JSON[order]()
		b, err := s.Serialize("t", order{ID: "o1", Total: 12.5})
		if err != nil || string(b) != `{"id":"o1","total":12.5}` {
			t.Fatalf("got %s %v", b, err)
		}
		out, err := s.Deserialize("t", b)
		if err != nil || out != (order{ID: "o1", Total: 12.5}) {
			t.Fatalf("got %+v %v", out, err)
		}
		if z, err := s.Deserialize("t", nil); err != nil || z != (order{}) {
			t.Fatalf("nil value: %+v %v", z, err)
		}
		if _, err := s.Deserialize("t", []byte("{")); err == nil {
			t.Fatal("bad JSON must fail")
		}
		if _, err := JSON[func()]().Serialize("t", func() {}); err == nil {
			t.Fatal("a func cannot be JSON")
		}
	})
	t.Run("proto", func(t *testing.T) {
		s := Proto[*runnelv1.TopicPartitions]()
		in := &runnelv1.TopicPartitions{Topic: "orders", Partitions: []int32{1, 2}}
		b, err := s.Serialize("t", in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Deserialize("t", b)
		if err != nil || !proto.Equal(in, out) {
			t.Fatalf("got %v %v", out, err)
		}
		if b, _ := s.Serialize("t", nil); b != nil {
			t.Fatal("a nil message must serialize to nil")
		}
		if e, err := s.Deserialize("t", nil); err != nil || e == nil || e.GetTopic() != "" {
			t.Fatalf("nil value: %v %v", e, err)
		}
		if _, err := s.Deserialize("t", []byte{0xff}); err == nil {
			t.Fatal("bad protobuf must fail")
		}
		if _, err := Proto[proto.Message]().Deserialize("t", nil); err == nil {
			t.Fatal("an interface type must fail, not panic")
		}
	})
	t.Run("record helpers", func(t *testing.T) {
		r, err := NewRecord("orders", "k1", order{ID: "o1"}, String(), JSON[order]())
		if err != nil || r.Topic != "orders" || string(r.Key) != "k1" {
			t.Fatalf("got %+v %v", r, err)
		}
		k, _ := DecodeKey(r, String())
		v, _ := DecodeValue(r, JSON[order]())
		if k != "k1" || v.ID != "o1" {
			t.Fatalf("decoded %q %+v", k, v)
		}
	})
}

// FuzzDeserialize: the JSON and protobuf deserializers never panic on any record bytes, and what
// the protobuf one accepts serializes again.
func FuzzDeserialize(f *testing.F) {
	f.Add([]byte(`{"id":"o1","total":1}`))
	f.Add([]byte{0x0a, 0x01, 'a', 0x10, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = JSON[order]().Deserialize("t", data)
		_, _ = JSON[map[string]any]().Deserialize("t", data)
		p := Proto[*runnelv1.TopicPartitions]()
		if m, err := p.Deserialize("t", data); err == nil {
			if _, err := p.Serialize("t", m); err != nil {
				t.Fatalf("accepted message does not serialize: %v", err)
			}
		}
	})
}
