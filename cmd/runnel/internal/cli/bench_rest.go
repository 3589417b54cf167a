package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// restSender produces through the gateway's REST API: POST {rest}/v1/topics/{topic}/records with
// the values as printable text of the same size as the gRPC payload. The JSON bodies are built once
// per worker, so the figure measures the gateway, not the client's encoder.
func restSender(o benchProduceOptions, payload []byte) sender {
	text := make([]byte, len(payload))
	for i, b := range payload {
		text[i] = 'a' + b%26
	}
	bodies := map[int][]byte{}
	body := func(n int) []byte {
		if b, ok := bodies[n]; ok {
			return b
		}
		type rec struct {
			Value string `json:"value"`
		}
		req := struct {
			Acks    any   `json:"acks"`
			Records []rec `json:"records"`
		}{Acks: o.acksText, Records: make([]rec, n)}
		for i := range req.Records {
			req.Records[i].Value = string(text)
		}
		b, _ := json.Marshal(req)
		bodies[n] = b
		return b
	}
	endpoint := strings.TrimRight(o.rest, "/") + "/v1/topics/" + url.PathEscape(o.topic) + "/records"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}
	return func(ctx context.Context, n int) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body(n)))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("cannot reach the gateway's REST API at %s: %w", o.rest, err)
		}
		defer resp.Body.Close()
		var out struct {
			Message string `json:"message"`
			Results []struct {
				Error *string `json:"error"`
			} `json:"results"`
		}
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, err
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return 0, fmt.Errorf("REST answer %d is not JSON: %.200s", resp.StatusCode, raw)
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%s (HTTP %d)", out.Message, resp.StatusCode)
		}
		failed := 0
		for _, r := range out.Results {
			if r.Error != nil {
				failed++
			}
		}
		return failed, nil
	}
}
