package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/runnel/runnel/pkg/client"
)

// The quick start: produce a record, then read it back as a member of a consumer group. It needs
// a running cluster (`runnel dev`), so it has no Output and is compiled, not run.
func Example() {
	ctx := context.Background()
	cl, err := client.New("127.0.0.1:9090")
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()

	p, err := cl.NewProducer(client.WithLinger(5 * time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	d, err := p.Send(ctx, &client.Record{Topic: "orders", Key: []byte("customer-42"), Value: []byte(`{"total":12}`)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("written to %s/%d at offset %d\n", d.Topic, d.Partition, d.Offset)
	if err := p.Close(ctx); err != nil {
		log.Fatal(err)
	}

	g, err := cl.NewGroupConsumer("billing")
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close(ctx)
	if err := g.Subscribe(ctx, "orders"); err != nil {
		log.Fatal(err)
	}
	recs, err := g.Poll(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Printf("%s@%d %s=%s\n", r.TopicPartition(), r.Offset, r.Key, r.Value)
	}
}

// Sending without waiting: the callback gets the outcome; Flush waits for all of them.
func ExampleProducer_SendAsync() {
	ctx := context.Background()
	cl, err := client.New("127.0.0.1:9090")
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	p, err := cl.NewProducer(client.WithAcks(client.AcksAll), client.WithDeliveryTimeout(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)
	for i := range 100 {
		r := &client.Record{Topic: "events", Value: fmt.Appendf(nil, "event %d", i)}
		err := p.SendAsync(ctx, r, func(d client.Delivery, err error) {
			if err != nil {
				log.Printf("event %d failed: %v", i, err)
			}
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		log.Fatal(err)
	}
}

// Reading chosen partitions from chosen offsets, outside any group.
func ExampleConsumer() {
	ctx := context.Background()
	cl, err := client.New("127.0.0.1:9090")
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	c, err := cl.NewConsumer(client.WithOffsetReset(client.ResetEarliest))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	tp := client.TopicPartition{Topic: "orders", Partition: 0}
	if err := c.Assign(ctx, []client.TopicPartition{tp}); err != nil {
		log.Fatal(err)
	}
	if err := c.Seek(tp, 100); err != nil {
		log.Fatal(err)
	}
	recs, err := c.Poll(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(recs), "records from offset 100")
}

// A group member with explicit commits and rebalance callbacks.
func ExampleGroupConsumer() {
	ctx := context.Background()
	cl, err := client.New("127.0.0.1:9090")
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	var g *client.GroupConsumer
	g, err = cl.NewGroupConsumer("billing",
		client.WithAutoCommit(false),
		client.WithOnRevoked(func(ctx context.Context, tps []client.TopicPartition) {
			// Commit what was processed before the partitions move (pass this ctx).
			if err := g.CommitSync(ctx); err != nil {
				log.Printf("commit on revoke: %v", err)
			}
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close(ctx)
	if err := g.Subscribe(ctx, "orders"); err != nil {
		log.Fatal(err)
	}
	for range 10 {
		recs, err := g.Poll(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(recs), "records")
		if err := g.CommitSync(ctx); err != nil {
			log.Print(err)
		}
	}
}

// Typed keys and values with serializers.
func ExampleNewRecord() {
	type order struct {
		ID    string `json:"id"`
		Total int    `json:"total"`
	}
	r, err := client.NewRecord("orders", "customer-42", order{ID: "o-1", Total: 12}, client.String(), client.JSON[order]())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s\n", r.Key, r.Value)

	v, err := client.DecodeValue(r, client.JSON[order]())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.ID, v.Total)
	// Output:
	// customer-42 {"id":"o-1","total":12}
	// o-1 12
}

// Errors carry the catalogue code and whether a retry may help.
func ExampleFromStatus() {
	// An error as the gateway's gRPC API returns it.
	err := client.FromStatus(status.Error(codes.Unavailable, "NOT_ENOUGH_REPLICAS: 1 of 3 replicas in sync"))

	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Retriable())
	}
	fmt.Println(client.CodeOf(err) == client.CodeNotEnoughReplicas)
	fmt.Println(errors.Is(err, &client.Error{Code: client.CodeNotEnoughReplicas}))
	// Output:
	// NOT_ENOUGH_REPLICAS true
	// true
	// true
}

func ExampleTopicPartition() {
	fmt.Println(client.TopicPartition{Topic: "orders", Partition: 3})
	// Output: orders/3
}
