package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkRESTProduce posts requests of 500 records of 1 KiB with acks=1 over REST, from
// several clients at once, to a gateway over a fake storage node that keeps nothing. It reports
// records/s through the whole gateway (JSON decoding, validation, batching, one encode per batch,
// gRPC Append, JSON answer).
func BenchmarkRESTProduce(b *testing.B) {
	e := start(b, 1, nil)
	e.stores[0].Discard(true)
	e.createTopic(b, "bench", 4, 1)
	value := strings.Repeat("v", 1024)
	var sb strings.Builder
	sb.WriteString(`{"acks":"1","records":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"key":"key-%d","value":%q}`, i, value)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	url := e.base + "/v1/topics/bench/records"
	b.SetBytes(int64(len(body)))
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		client := &http.Client{}
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			var out struct {
				Results []json.RawMessage `json:"results"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || len(out.Results) != 500 {
				b.Errorf("status %d, %d results, %v", resp.StatusCode, len(out.Results), err)
				return
			}
		}
	})
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(0, "ns/op")
}
