package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// preciseTicks are gonum's default ticks labelled with as many decimals as
// their spacing needs: a y axis spanning 1.86–1.90 reads 1.86, 1.87, …,
// not 1.9 five times.
type preciseTicks struct{}

// Ticks implements plot.Ticker.
func (preciseTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	step := math.Inf(1)
	prev := math.NaN()
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		if !math.IsNaN(prev) {
			step = math.Min(step, t.Value-prev)
		}
		prev = t.Value
	}
	digits := 0
	if step > 0 && !math.IsInf(step, 1) {
		digits = max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	}
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', digits, 64)
		}
	}
	return ticks
}
