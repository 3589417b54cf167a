package cli

import (
	"context"
	"errors"
	"fmt"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/structpb"
)

// ErrRecordsFailed is returned by produce when some records were not written.
var ErrRecordsFailed = errors.New("some records were not produced")

type produceOptions struct {
	topic        string
	acks         *structpb.Value
	acksText     string
	keySeparator string
	partition    *int32
}

func newProduceCmd(a *app) *cobra.Command {
	var (
		acks, keySep string
		partition    int32
	)
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce one record per line of stdin",
		Long: `produce reads stdin and writes one record per line to TOPIC (the line ending is not
part of the record). With --key-separator SEP the part of a line before the first SEP is
the record's key and the rest its value; a line without SEP has no key. Records are sent
in batches (up to 500 records or 1 MiB) as soon as stdin has no further line ready, so
typing lines sends them at once. A summary goes to stderr; the exit code is 1 if any
record failed.`,
		Example: `  echo hello | runnel produce orders
  printf 'user-1:hello\nuser-2:world\n' | runnel produce orders --key-separator :
  runnel produce orders --acks 1 --partition 2 < lines.txt`,
		Args: exactArgs("TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := produceOptions{topic: args[0], keySeparator: keySep, acksText: acks}
			var err error
			if opts.acks, err = parseAcks(acks); err != nil {
				return err
			}
			if cmd.Flags().Changed("partition") {
				if partition < 0 {
					return usagef("--partition %d: partitions are numbered from 0", partition)
				}
				opts.partition = &partition
			}
			if cmd.Flags().Changed("key-separator") && keySep == "" {
				return usagef("--key-separator must not be empty")
			}
			g, err := a.connect()
			if err != nil {
				return err
			}
			defer g.Close()
			return a.produce(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&acks, "acks", "all", "acknowledgement: all (or -1), 1 or 0")
	cmd.Flags().StringVar(&keySep, "key-separator", "", "split each line at the first SEP into key and value")
	cmd.Flags().Int32Var(&partition, "partition", 0, "write every record to this partition (default: by key, or round-robin)")
	return cmd
}

// produceStats counts the outcome of produce.
type produceStats struct {
	sent, failed int
	errs         map[string]*errorCount // by error name
	order        []string               // error names in order of first appearance
}

type errorCount struct {
	message   string
	records   int
	firstLine int
}

func (s *produceStats) fail(name, message string, lineNo int) {
	s.failed++
	if s.errs == nil {
		s.errs = map[string]*errorCount{}
	}
	c, ok := s.errs[name]
	if !ok {
		c = &errorCount{message: message, firstLine: lineNo}
		s.errs[name] = c
		s.order = append(s.order, name)
	}
	c.records++
}

// produce sends stdin to the gateway batch by batch, one call at a time.
func (a *app) produce(ctx context.Context, g *gatewayConn, opts produceOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends readLines when produce returns early
	lines := make(chan line, 2*maxBatchRecords)
	readErr := make(chan error, 1)
	go func() { readErr <- readLines(ctx, a.In, lines) }()

	b := batcher{in: lines, maxRecords: maxBatchRecords, maxBytes: maxBatchBytes}
	var st produceStats
	var stopErr error
	for open := true; open; {
		var batch []line
		var err error
		batch, open, err = b.next(ctx)
		if err != nil {
			stopErr = err
			break
		}
		if len(batch) == 0 {
			continue
		}
		if err := a.sendBatch(ctx, g, opts, batch, &st); err != nil {
			stopErr = err
			break
		}
	}
	if stopErr == nil {
		stopErr = <-readErr // lines is closed, so readLines has returned
		if stopErr != nil {
			stopErr = fmt.Errorf("reading stdin: %w", stopErr)
		}
	}
	interrupted := errors.Is(stopErr, context.Canceled) && ctx.Err() != nil
	a.printProduceSummary(opts, &st, stopErr, interrupted)
	switch {
	case stopErr != nil && !interrupted:
		return stopErr
	case st.failed > 0:
		return fmt.Errorf("%w: %d of %d records failed", ErrRecordsFailed, st.failed, st.failed+st.sent)
	}
	return nil
}

// sendBatch sends one batch and counts its results. It returns an error only when the call failed
// as a whole, which ends produce.
func (a *app) sendBatch(ctx context.Context, g *gatewayConn, opts produceOptions, batch []line, st *produceStats) error {
	req := &runnelv1.ProduceRequest{Topic: opts.topic, Acks: opts.acks, Records: make([]*runnelv1.ProduceRecord, len(batch))}
	for i, l := range batch {
		req.Records[i] = newRecord(l.data, opts.keySeparator, opts.partition)
	}
	resp, err := g.client.Produce(ctx, req)
	if err != nil {
		err = gatewayError(ctx, g.addr, err)
		if !errors.Is(err, ErrGatewayUnreachable) && ctx.Err() == nil {
			name, msg := errorParts(err)
			for _, l := range batch {
				st.fail(name, msg, l.n)
			}
		}
		return err
	}
	results := resp.GetResults()
	if len(results) != len(batch) {
		return fmt.Errorf("the gateway answered %d results for %d records", len(results), len(batch))
	}
	for i, r := range results {
		if r.Error != nil {
			st.fail(r.GetError(), r.GetMessage(), batch[i].n)
			continue
		}
		st.sent++
	}
	return nil
}

// printProduceSummary writes the outcome on stderr: counts, then each error with its first line.
func (a *app) printProduceSummary(opts produceOptions, st *produceStats, stopErr error, interrupted bool) {
	verb := "produced"
	if opts.acksText == "0" {
		verb = "sent (acks=0, not confirmed)"
	}
	fmt.Fprintf(a.Err, "%s %d records to %s", verb, st.sent, opts.topic)
	if st.failed > 0 {
		fmt.Fprintf(a.Err, ", %d failed", st.failed)
	}
	fmt.Fprintln(a.Err)
	for _, name := range st.order {
		c := st.errs[name]
		fmt.Fprintf(a.Err, "  %s: %s (%d records, first at line %d)\n", name, c.message, c.records, c.firstLine)
	}
	switch {
	case interrupted:
		fmt.Fprintln(a.Err, "interrupted")
	case stopErr != nil:
		fmt.Fprintln(a.Err, "stopped: the rest of stdin was not sent")
	}
}

// errorParts splits a catalogue error into its name and message.
func errorParts(err error) (name, message string) {
	var e *rpcerr.Error
	if errors.As(err, &e) {
		return e.Code.Name, e.Msg
	}
	return rpcerr.Unknown.Name, err.Error()
}
