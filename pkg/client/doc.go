// Package client is the Go SDK of Runnel: a Producer, a Consumer of assigned partitions and a
// GroupConsumer, talking to a gateway's gRPC API (runnel.v1.GatewayService).
//
// # Quick start
//
//	cl, err := client.New("127.0.0.1:9090")
//	if err != nil { ... }
//	defer cl.Close()
//
//	p, err := cl.NewProducer(client.WithLinger(5 * time.Millisecond))
//	d, err := p.Send(ctx, &client.Record{Topic: "orders", Key: []byte("customer-42"), Value: []byte(`{"total":12}`)})
//	// d.Partition, d.Offset: where it was written
//	p.Close(ctx)
//
//	g, err := cl.NewGroupConsumer("billing")
//	err = g.Subscribe(ctx, "orders")
//	for {
//		recs, err := g.Poll(ctx) // records of the partitions the group gave this member
//		...
//	}
//	g.Close(ctx) // commits what was returned, leaves the group
//
// # Contract
//
//   - Producer: Send waits for the outcome, SendAsync calls back. Records are batched per
//     partition (linger, batch records, batch bytes), one request per partition in flight, retried
//     on retriable errors until the delivery timeout. Keyed records go to
//     toPositive(murmur2(key)) % partitions (Kafka's and the gateway's partitioner); records
//     without a key go round-robin per topic, as the gateway does; the chosen partition is sent
//     explicitly. Flush and Close deliver or fail everything pending and never hang: every record
//     has a delivery deadline.
//   - Consumer: Assign, Seek, SeekToBeginning/End, Poll, Commit (to a group with no members,
//     generation -1). Partitions are read ahead with the Consume RPC's long poll.
//   - GroupConsumer: Subscribe (JoinGroup), background heartbeats that acknowledge revoked
//     partitions with the generation last acted on, rebalance callbacks, auto-commit (5 s) or
//     CommitSync/CommitAsync/CommitOffsets with the current generation, static membership
//     (WithInstanceID), Close that leaves the group. See GroupConsumer for the protocol.
//   - Errors: calls return *Error (Code is the catalogue name, e.g. "NOT_ENOUGH_REPLICAS";
//     Retriable tells whether to try again), context errors, or this package's sentinels
//     (ErrClosed …). FromStatus parses any gateway gRPC error.
//   - Serializers: Bytes, String, JSON[T], Proto[T] with NewRecord, DecodeKey and DecodeValue.
//   - Tracing: spans "send <topic>" (producer) and "poll" (consumer, with a span link to the
//     producer span of each record that carries one, at most 128) from the global OpenTelemetry
//     tracer provider or WithTracerProvider; the producer writes the W3C trace context into the
//     record header "traceparent" (WithPropagator to change), and Client.ExtractContext reads it
//     back from a record.
//
// Imports: gen, gRPC, protobuf and the OpenTelemetry API only.
package client
