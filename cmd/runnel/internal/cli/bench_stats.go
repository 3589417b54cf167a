package cli

import (
	"math"
	"slices"
	"time"
)

// latencyStats summarises request latencies.
type latencyStats struct {
	P50, P99, P999, Max time.Duration
}

// summarize sorts lat in place and returns its percentiles (nearest rank). No latencies give zeros.
func summarize(lat []time.Duration) latencyStats {
	if len(lat) == 0 {
		return latencyStats{}
	}
	slices.Sort(lat)
	return latencyStats{
		P50:  percentile(lat, 0.50),
		P99:  percentile(lat, 0.99),
		P999: percentile(lat, 0.999),
		Max:  lat[len(lat)-1],
	}
}

// percentile is the nearest-rank q-quantile of sorted (0 < q ≤ 1): the smallest value with at
// least q of the values at or below it.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// rate is n per second over d, 0 for a zero d.
func rate(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
