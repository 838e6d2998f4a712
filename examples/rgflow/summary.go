package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/rsmi-go/rsmi/examples/internal/plots"
	"github.com/rsmi-go/rsmi/exponent"
)

// Summary is the -json line (a map, so that the learned estimates sit at
// the top level beside "baseline"): "nu", "yt" from the learned rule
// chosen for y_t, "yh", "eta" from the one chosen for y_h ("rule" names
// both, "levels" lists both), each with "_err" (statistical), "_sys"
// (systematic) and "_drift"; "baseline", "rules" (every learned rule),
// "filters" (per level) and "flow" (K_nn per level).
type Summary map[string]any

// exponents returns a rule's estimates as JSON fields.
func exponents(rr exponent.RuleResult) Summary {
	m := Summary{"rule": rr.Name, "level": rr.Yt.Level, "ops": rr.Yt.Ops}
	for key, e := range map[string]exponent.Estimate{"nu": rr.Nu, "yt": rr.Yt, "yh": rr.Yh, "eta": rr.Eta} {
		m[key], m[key+"_err"], m[key+"_sys"], m[key+"_drift"] = e.Value, e.Stat, e.Sys, e.Drift
	}
	if !math.IsNaN(rr.Weight) && !math.IsInf(rr.Weight, 0) {
		m["w"] = rr.Weight
	}
	if !math.IsNaN(rr.MI) {
		m["mi_bits"] = rr.MI
	}
	if rr.MCRG != nil {
		m["levels"] = levels(rr, rr, rr.Yt.Ops)
	}
	return m
}

// levels lists the levels of t (y_t) and h (y_h) at k operators.
func levels(t, h exponent.RuleResult, k int) (out []Summary) {
	for i, lv := range t.MCRG.Levels {
		et, oh := lv.Even[min(k, len(lv.Even))-1], h.MCRG.Levels[i].Odd[min(k, len(h.MCRG.Levels[i].Odd))-1]
		out = append(out, Summary{"n": lv.Level, "side": lv.Extents[0], "yt": et.Y, "yt_err": et.YErr, "yh": oh.Y, "yh_err": oh.YErr})
	}
	return out
}

// knn returns the levels, the nearest-neighbour couplings and their errors
// of a flow.
func knn(fl exponent.FlowLine) (n, k, e []float64) {
	for i := range fl.K {
		n, k, e = append(n, float64(i)), append(k, fl.K[i][0]), append(e, fl.KErr[i][0])
	}
	return n, k, e
}

func summarize(res *exponent.PipelineResult) Summary {
	t, h := res.Rules[res.YtRule], res.Rules[res.YhRule]
	learned := t // y_t and ν from t, y_h and η from h
	learned.Name = t.Name + " (y_t), " + h.Name + " (y_h)"
	learned.Yh, learned.Eta, learned.MI, learned.Weight, learned.MCRG = h.Yh, h.Eta, math.NaN(), math.NaN(), nil
	s := exponents(learned)
	s["dim"], s["L"], s["N"], s["N_match"] = res.Dim, res.L, res.N, res.NMatch
	s["levels"], s["baseline"] = levels(t, h, res.Yt.Ops), exponents(res.Rules[res.Baseline])
	var rules, filters, flows []Summary
	for _, rr := range res.Rules[:res.Baseline] {
		rules = append(rules, exponents(rr))
	}
	for _, f := range res.Filters {
		filters = append(filters, Summary{"n": f.Level, "side": f.Side, "weights": f.Weights, "mi_bits": f.MI, "visible_mi_bits": f.VisibleMI})
	}
	for _, fl := range res.Flow {
		_, k, e := knn(fl)
		flows = append(flows, Summary{"T": fl.T, "K_nn": k, "K_nn_err": e})
	}
	s["rules"], s["filters"], s["flow"] = rules, filters, flows
	return s
}

// report prints the text summary.
func report(w io.Writer, res *exponent.PipelineResult, yt, yh float64, outdir string) {
	fmt.Fprintf(w, "\n%dD Ising, L = %d (%d configurations) matched with L = %d (%d); estimates at level %d, %d operators per sector\n",
		res.Dim, res.L, res.N, res.L/res.B, res.NMatch, res.Yt.Level, res.Yt.Ops)
	fmt.Fprintf(w, "learned filter λ = %.3f (‖λ‖ = 1), I(H:E) = %.4f bit of I(V:E) = %.4f\n", res.Filter.W, res.FilterMI, res.VisibleMI)
	fmt.Fprintf(w, "  %-15s %8s %26s %8s %26s %8s\n", "rule", "MI bits", "y_t ± stat ± sys", "drift", "y_h ± stat ± sys", "drift")
	for _, rr := range res.Rules {
		fmt.Fprintf(w, "  %-15s %8.4f %9.4f ± %.4f ± %.4f %8.4f %9.5f ± %.5f ± %.5f %8.5f\n", rr.Name, rr.MI,
			rr.Yt.Value, rr.Yt.Stat, rr.Yt.Sys, rr.Yt.Drift, rr.Yh.Value, rr.Yh.Stat, rr.Yh.Sys, rr.Yh.Drift)
	}
	b := res.Rules[res.Baseline]
	fmt.Fprintf(w, "learned (%s for y_t, %s for y_h): ν = %.4f ± %.4f (stat) ± %.4f (sys), y_h = %.5f ± %.5f ± %.5f\n",
		res.Rules[res.YtRule].Name, res.Rules[res.YhRule].Name, res.Nu.Value, res.Nu.Stat, res.Nu.Sys, res.Yh.Value, res.Yh.Stat, res.Yh.Sys)
	fmt.Fprintf(w, "%s: ν = %.4f ± %.4f ± %.4f, y_h = %.5f ± %.5f ± %.5f\n", b.Name, b.Nu.Value, b.Nu.Stat, b.Nu.Sys, b.Yh.Value, b.Yh.Stat, b.Yh.Sys)
	fmt.Fprintf(w, "exact: ν = %.6g, y_h = %.7g\nfigures: %s, %s\n", 1/yt, yh, filepath.Join(outdir, "rgflow_flow.png"), filepath.Join(outdir, "rgflow_y[th].png"))
}

// figures draws the flow of K_nn and y_t, y_h against the strength w.
func figures(c config, res *exponent.PipelineResult) error {
	ref := exact[c.dim]
	if len(res.Flow) > 0 {
		var series []plots.Series
		last := 0.0
		for _, fl := range res.Flow {
			x, y, e := knn(fl)
			last = math.Max(last, float64(len(fl.K)-1))
			series = append(series, plots.Series{Name: fmt.Sprintf("T = %.4g T_c", fl.T/ref.Tc), X: x, Y: y, Err: e})
		}
		series = append(series, plots.Ref(fmt.Sprintf("K_c = %.4f", 1/ref.Tc), 1/ref.Tc, 0, last))
		title := fmt.Sprintf("RG flow of K_nn, %dD Ising L = %d, rule: %s", c.dim, res.L, res.Rules[res.YtRule].Name)
		if err := plots.Lines(filepath.Join(c.outdir, "rgflow_flow.png"), title, "RG level n (lattice side L/2^n)",
			"nearest-neighbour coupling K_nn (pseudo-likelihood)", series); err != nil {
			return err
		}
	}
	wmin, wmax := math.Inf(1), 0.0
	for _, rr := range res.Rules[:res.Baseline] {
		if !math.IsInf(rr.Weight, 1) {
			wmin, wmax = math.Min(wmin, rr.Weight), math.Max(wmax, rr.Weight)
		}
	}
	if wmin > wmax { // the sharp rule alone
		wmin, wmax = 0, 1
	}
	wsharp := wmax + max(wmax-wmin, 0.1)/4 // where the sharp rule is drawn
	for _, sec := range []struct {
		name, file string
		pick       func(exponent.RuleResult) exponent.Estimate
		exact      float64
	}{{"y_t", "rgflow_yt.png", func(r exponent.RuleResult) exponent.Estimate { return r.Yt }, ref.Yt},
		{"y_h", "rgflow_yh.png", func(r exponent.RuleResult) exponent.Estimate { return r.Yh }, ref.Yh}} {
		var x, y, e []float64
		for _, rr := range res.Rules[:res.Baseline] {
			est, w := sec.pick(rr), rr.Weight
			if math.IsInf(w, 1) {
				w = wsharp
			}
			x, y, e = append(x, w), append(y, est.Value), append(e, est.Total())
		}
		b := sec.pick(res.Rules[res.Baseline])
		title := fmt.Sprintf("%s at level %d, %dD Ising L = %d (error bars: stat and sys)", sec.name, res.Yt.Level, c.dim, res.L)
		err := plots.Lines(filepath.Join(c.outdir, sec.file), title, "strength w of the learned rule (rightmost: sharp rule)", sec.name, []plots.Series{
			{Name: "learned rules", X: x, Y: y, Err: e, Points: true},
			{Name: fmt.Sprintf("majority: %.4f ± %.4f", b.Value, b.Total()), X: []float64{wmin, wsharp}, Y: []float64{b.Value, b.Value}},
			plots.Ref(fmt.Sprintf("exact %.6g", sec.exact), sec.exact, wmin, wsharp)})
		if err != nil {
			return err
		}
	}
	return nil
}
