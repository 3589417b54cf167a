package client

import (
	"encoding/json"
	"fmt"
	"reflect"

	"google.golang.org/protobuf/proto"
)

// Serializer turns a T into record bytes. A nil result means "no key" / "no value".
type Serializer[T any] interface {
	Serialize(topic string, v T) ([]byte, error)
}

// Deserializer turns record bytes into a T. data is nil for a record without key / value.
type Deserializer[T any] interface {
	Deserialize(topic string, data []byte) (T, error)
}

// Serde is both.
type Serde[T any] interface {
	Serializer[T]
	Deserializer[T]
}

// Bytes passes bytes through unchanged (nil stays nil: no key / no value).
func Bytes() Serde[[]byte] { return bytesSerde{} }

type bytesSerde struct{}

func (bytesSerde) Serialize(_ string, v []byte) ([]byte, error)      { return v, nil }
func (bytesSerde) Deserialize(_ string, data []byte) ([]byte, error) { return data, nil }

// String encodes strings as their UTF-8 bytes. "" serializes to an empty, non-nil key or value;
// a missing key or value deserializes to "".
func String() Serde[string] { return stringSerde{} }

type stringSerde struct{}

func (stringSerde) Serialize(_ string, v string) ([]byte, error)      { return []byte(v), nil }
func (stringSerde) Deserialize(_ string, data []byte) (string, error) { return string(data), nil }

// JSON encodes any T with encoding/json. A missing key or value deserializes to T's zero value.
func JSON[T any]() Serde[T] { return jsonSerde[T]{} }

type jsonSerde[T any] struct{}

func (jsonSerde[T]) Serialize(topic string, v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("client: json for topic %q: %w", topic, err)
	}
	return b, nil
}

func (jsonSerde[T]) Deserialize(topic string, data []byte) (T, error) {
	var v T
	if data == nil {
		return v, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("client: json from topic %q: %w", topic, err)
	}
	return v, nil
}

// Proto encodes a protobuf message type T (a pointer to a generated message, e.g.
// Proto[*mypb.Order]()) in the protobuf wire format. A nil message serializes to nil; a missing key
// or value deserializes to an empty message.
func Proto[T proto.Message]() Serde[T] { return protoSerde[T]{} }

type protoSerde[T proto.Message] struct{}

func (protoSerde[T]) Serialize(topic string, v T) ([]byte, error) {
	if rv := reflect.ValueOf(v); !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		return nil, nil
	}
	b, err := proto.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("client: protobuf for topic %q: %w", topic, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func (protoSerde[T]) Deserialize(topic string, data []byte) (T, error) {
	var zero T
	if !reflect.ValueOf(zero).IsValid() {
		return zero, fmt.Errorf("client: Proto needs a concrete message type, not an interface")
	}
	v, ok := zero.ProtoReflect().New().Interface().(T)
	if !ok {
		return zero, fmt.Errorf("client: protobuf type %T cannot be created", zero)
	}
	if err := proto.Unmarshal(data, v); err != nil {
		return zero, fmt.Errorf("client: protobuf from topic %q: %w", topic, err)
	}
	return v, nil
}

// NewRecord serializes key and value into a record for topic.
func NewRecord[K, V any](topic string, key K, value V, ks Serializer[K], vs Serializer[V]) (*Record, error) {
	k, err := ks.Serialize(topic, key)
	if err != nil {
		return nil, err
	}
	v, err := vs.Serialize(topic, value)
	if err != nil {
		return nil, err
	}
	return &Record{Topic: topic, Key: k, Value: v}, nil
}

// DecodeKey deserializes a record's key.
func DecodeKey[K any](r *Record, d Deserializer[K]) (K, error) { return d.Deserialize(r.Topic, r.Key) }

// DecodeValue deserializes a record's value.
func DecodeValue[V any](r *Record, d Deserializer[V]) (V, error) {
	return d.Deserialize(r.Topic, r.Value)
}
