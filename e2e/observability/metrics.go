package observability

import (
	"context"
	"fmt"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is a parsed /metrics page: metric families by name.
type Metrics map[string]*dto.MetricFamily

// Scrape GETs http://addr/metrics (bounded by ctx and 5 s) and parses it.
func Scrape(ctx context.Context, addr string) (Metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", addr, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s/metrics: not the Prometheus text format: %w", addr, err)
	}
	return Metrics(fams), nil
}

// Value sums the samples of family name whose labels include want: a counter's or gauge's value,
// a histogram's sample count. ok is false when no sample matches.
func (m Metrics) Value(name string, want map[string]string) (sum float64, ok bool) {
	fam := m[name]
	if fam == nil {
		return 0, false
	}
	for _, mt := range fam.GetMetric() {
		if !hasLabels(mt, want) {
			continue
		}
		ok = true
		switch {
		case mt.GetCounter() != nil:
			sum += mt.GetCounter().GetValue()
		case mt.GetGauge() != nil:
			sum += mt.GetGauge().GetValue()
		case mt.GetHistogram() != nil:
			sum += float64(mt.GetHistogram().GetSampleCount())
		case mt.GetUntyped() != nil:
			sum += mt.GetUntyped().GetValue()
		}
	}
	return sum, ok
}

func hasLabels(mt *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, lp := range mt.GetLabel() {
			if lp.GetName() == k && lp.GetValue() == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
