package client

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
)

// Acks is how many replicas must have a record before the gateway answers.
type Acks int

// The acks settings, as Kafka's acks=all, 1 and 0.
const (
	AcksAll    Acks = -1 // every in-sync replica (default)
	AcksLeader Acks = 1  // the partition leader only
	AcksNone   Acks = 0  // no wait: the offset is unknown (-1) and failures of the write are not seen
)

func (a Acks) value() *structpb.Value {
	switch a {
	case AcksLeader:
		return structpb.NewStringValue("1")
	case AcksNone:
		return structpb.NewStringValue("0")
	}
	return structpb.NewStringValue("all")
}

// ProducerOption configures a Producer.
type ProducerOption func(*producerConfig)

type producerConfig struct {
	acks            Acks
	linger          time.Duration
	batchRecords    int
	batchBytes      int
	deliveryTimeout time.Duration
	backoffMin      time.Duration
	backoffMax      time.Duration
	bufferBytes     int
	metadataMaxAge  time.Duration
}

func defaultProducerConfig() producerConfig {
	return producerConfig{
		acks:            AcksAll,
		linger:          5 * time.Millisecond,
		batchRecords:    10000,
		batchBytes:      1 << 20,
		deliveryTimeout: 30 * time.Second,
		backoffMin:      100 * time.Millisecond,
		backoffMax:      time.Second,
		bufferBytes:     64 << 20,
		metadataMaxAge:  5 * time.Minute,
	}
}

func (c *producerConfig) validate() error {
	switch {
	case c.acks != AcksAll && c.acks != AcksLeader && c.acks != AcksNone:
		return fmt.Errorf("%w: acks %d; use AcksAll, AcksLeader or AcksNone", ErrInvalidOption, c.acks)
	case c.linger < 0:
		return fmt.Errorf("%w: linger %s is negative", ErrInvalidOption, c.linger)
	case c.batchRecords < 1:
		return fmt.Errorf("%w: batch records %d; use at least 1", ErrInvalidOption, c.batchRecords)
	case c.batchBytes < 1 || c.batchBytes > 32<<20:
		return fmt.Errorf("%w: batch bytes %d; use 1..32 MiB", ErrInvalidOption, c.batchBytes)
	case c.deliveryTimeout < time.Millisecond:
		return fmt.Errorf("%w: delivery timeout %s; use at least 1ms", ErrInvalidOption, c.deliveryTimeout)
	case c.backoffMin <= 0 || c.backoffMax < c.backoffMin:
		return fmt.Errorf("%w: retry backoff %s..%s; use 0 < min <= max", ErrInvalidOption, c.backoffMin, c.backoffMax)
	case c.bufferBytes < c.batchBytes:
		return fmt.Errorf("%w: buffer bytes %d is below the batch bytes %d", ErrInvalidOption, c.bufferBytes, c.batchBytes)
	case c.metadataMaxAge <= 0:
		return fmt.Errorf("%w: metadata max age %s; use a positive duration", ErrInvalidOption, c.metadataMaxAge)
	}
	return nil
}

// WithAcks sets the acks of every request (default AcksAll).
func WithAcks(a Acks) ProducerOption { return func(c *producerConfig) { c.acks = a } }

// WithLinger sets how long a partition's batch waits for more records before it is sent (default
// 5 ms; 0 sends as soon as the partition has no request in flight).
func WithLinger(d time.Duration) ProducerOption { return func(c *producerConfig) { c.linger = d } }

// WithBatchRecords caps the records of one batch (default 10000).
func WithBatchRecords(n int) ProducerOption { return func(c *producerConfig) { c.batchRecords = n } }

// WithBatchBytes caps the approximate size of one batch (keys, values and headers; default 1 MiB,
// at most 32 MiB). A record larger than this goes alone.
func WithBatchBytes(n int) ProducerOption { return func(c *producerConfig) { c.batchBytes = n } }

// WithDeliveryTimeout bounds the time from Send until the outcome is known, retries included
// (default 30 s). A record not written by then fails with REQUEST_TIMED_OUT naming the last error.
func WithDeliveryTimeout(d time.Duration) ProducerOption {
	return func(c *producerConfig) { c.deliveryTimeout = d }
}

// WithRetryBackoff sets the wait between retries of a retriable failure, doubling from min to max
// (default 100 ms to 1 s).
func WithRetryBackoff(minWait, maxWait time.Duration) ProducerOption {
	return func(c *producerConfig) { c.backoffMin, c.backoffMax = minWait, maxWait }
}

// WithBufferBytes caps the bytes of records waiting to be delivered (default 64 MiB); Send and
// SendAsync block while the buffer is full, until their context ends.
func WithBufferBytes(n int) ProducerOption { return func(c *producerConfig) { c.bufferBytes = n } }

// WithMetadataMaxAge sets how long a topic's partition count is cached before it is asked again
// (default 5 minutes; an UNKNOWN_TOPIC_OR_PARTITION answer refreshes it at once).
func WithMetadataMaxAge(d time.Duration) ProducerOption {
	return func(c *producerConfig) { c.metadataMaxAge = d }
}
