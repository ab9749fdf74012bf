package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jwtguard/jwtguard/telemetry"
)

// dashboard is the Grafana dashboard shipped beside the example; -check
// validates its queries against what /metrics served.
//
//go:embed grafana-dashboard.json
var dashboard []byte

// runCheck makes the requests of steps against base, then scrapes
// base/metrics and checks that each counter and the histogram moved by
// exactly what those requests should have caused. It prints one line per
// request and per check.
func runCheck(base, issuer string, steps []step) error {
	k := &checker{}
	client := &http.Client{Timeout: 5 * time.Second}

	// 1. The requests, all from this process: one client, 127.0.0.1.
	width := 0
	for _, s := range steps {
		width = max(width, len(s.what))
	}
	for _, s := range steps {
		req, err := http.NewRequest(http.MethodGet, base+"/api/hello", nil)
		if err != nil {
			return err
		}
		if s.token != "" {
			req.Header.Set("Authorization", "Bearer "+s.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ok := resp.StatusCode == s.want
		detail := strings.TrimSpace(string(body))
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			detail = "WWW-Authenticate: " + c
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			// A 429 tells the client when to come back.
			ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			ok = ok && err == nil && ra >= 1
			detail = fmt.Sprintf("Retry-After: %s %s", resp.Header.Get("Retry-After"), detail)
		}
		k.line(ok, fmt.Sprintf("%-*s GET /api/hello → %d (want %d) %s", width, s.what, resp.StatusCode, s.want, detail))
	}

	// 2. The scrape: what a Prometheus server reads, in the text format.
	fams, err := scrapeMetrics(client, base+"/metrics")
	if err != nil {
		k.line(false, "GET /metrics: "+err.Error())
		return k.result()
	}
	k.line(true, fmt.Sprintf("GET /metrics: %d metric families in the Prometheus text format", len(fams)))

	// 3. The counts. The requests above made 9 decisions: 3 accepted
	//    (alice three times: a cache miss, then two hits, the last while
	//    throttled), 4 refused (no token, and the three failures: their
	//    tokens were looked up in the cache and missed), 2 throttled (no
	//    cache lookup, no signature work; no entry judged them, so their
	//    issuer is "unknown", as for the request without a token).
	iss := strconv.Quote(issuer)
	for _, w := range []struct {
		series string // a PromQL-style selector: name{label="value",...}
		op     string // "==", ">=" or ">"
		n      float64
	}{
		{`jwtguard_verifications_total{jwtguard_outcome="accepted",jwtguard_reason="",jwtguard_issuer=` + iss + `}`, "==", 3},
		{`jwtguard_verifications_total{jwtguard_outcome="refused",jwtguard_reason="no_token",jwtguard_issuer="unknown"}`, "==", 1},
		{`jwtguard_verifications_total{jwtguard_outcome="refused",jwtguard_reason="invalid_signature"}`, "==", 1},
		{`jwtguard_verifications_total{jwtguard_outcome="refused",jwtguard_reason="token_expired"}`, "==", 1},
		{`jwtguard_verifications_total{jwtguard_outcome="refused",jwtguard_reason="invalid_audience"}`, "==", 1},
		{`jwtguard_verifications_total{jwtguard_outcome="throttled",jwtguard_reason="throttled",jwtguard_issuer="unknown"}`, "==", 2},
		{`jwtguard_verifications_total{jwtguard_outcome="unavailable"}`, "==", 0},
		{`jwtguard_verifications_total`, "==", 9},
		{`jwtguard_verification_duration_seconds_count`, "==", 9},
		{`jwtguard_verification_duration_seconds_count{jwtguard_cache_hit="true"}`, "==", 2},
		{`jwtguard_verification_duration_seconds_count{jwtguard_outcome="throttled",jwtguard_cache_hit="false"}`, "==", 2},
		{`jwtguard_verification_duration_seconds_sum`, ">", 0},
		{`jwtguard_cache_lookups_total{jwtguard_cache_hit="true"}`, "==", 2},
		{`jwtguard_cache_lookups_total{jwtguard_cache_hit="false"}`, "==", 4},
		{`jwtguard_keys_fetches_total{jwtguard_issuer=` + iss + `,jwtguard_fetch_kind="discovery",jwtguard_fetch_result="success"}`, ">=", 1},
		{`jwtguard_keys_fetches_total{jwtguard_issuer=` + iss + `,jwtguard_fetch_kind="jwks",jwtguard_fetch_result="success"}`, ">=", 1},
		{`jwtguard_keys_fetches_total{jwtguard_fetch_result="failure"}`, "==", 0},
		{`jwtguard_keys_age_seconds{jwtguard_issuer=` + iss + `}`, ">=", 0},
	} {
		got, n := fams.sum(w.series)
		ok := n > 0 || (w.op == "==" && w.n == 0) // a series that must count something must be there
		switch w.op {
		case "==":
			ok = ok && got == w.n
		case ">=":
			ok = ok && got >= w.n
		case ">":
			ok = ok && got > w.n
		}
		k.line(ok, fmt.Sprintf("%s = %g (want %s %g; %d series)", w.series, got, w.op, w.n, n))
	}
	// The exporter labels every series with the instrumentation scope.
	scoped := true
	for name, f := range fams {
		if strings.HasPrefix(name, "jwtguard_") {
			for _, m := range f.GetMetric() {
				scoped = scoped && label(m, "otel_scope_name") == telemetry.ScopeName
			}
		}
	}
	k.line(scoped, fmt.Sprintf(`every jwtguard_* series has otel_scope_name=%q`, telemetry.ScopeName))

	// 4. The Grafana dashboard's queries (README's PromQL among them) name
	//    only metrics and labels that were served.
	n, unknown, err := checkDashboard(dashboard, fams)
	switch {
	case err != nil:
		k.line(false, "grafana-dashboard.json: "+err.Error())
	case len(unknown) > 0:
		k.line(false, fmt.Sprintf("grafana-dashboard.json: %d queries; names /metrics did not serve: %s", n, strings.Join(unknown, ", ")))
	default:
		k.line(true, fmt.Sprintf("grafana-dashboard.json: %d queries, every metric and label they name was served", n))
	}
	return k.result()
}

// checker counts failed checks.
type checker struct{ failed int }

// line prints one check: ok or FAIL, then what.
func (k *checker) line(ok bool, what string) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		k.failed++
	}
	fmt.Printf("%s %s\n", mark, what)
}

func (k *checker) result() error {
	if k.failed > 0 {
		return fmt.Errorf("observability example check failed: %d unexpected result(s)", k.failed)
	}
	fmt.Println("observability example check passed")
	return nil
}

// families is a scrape: metric families by name.
type families map[string]*dto.MetricFamily

// scrapeMetrics reads url in the Prometheus text format (version 0.0.4,
// what every Prometheus server reads) and parses it.
func scrapeMetrics(client *http.Client, url string) (families, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/plain" {
		return nil, fmt.Errorf("Content-Type %q, want text/plain", resp.Header.Get("Content-Type"))
	}
	// Legacy validation: every name must be a classic Prometheus name
	// ([a-zA-Z_:][a-zA-Z0-9_:]*), usable in PromQL without quoting.
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, err
	}
	return families(fams), nil
}

var (
	selectorRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"`)
)

// sum adds the samples of the series that selector selects, and says how
// many there were. selector is name{label="value",...}, where a label
// that is absent matches "" (as in PromQL); for a histogram, name is
// name_count or name_sum.
func (fams families) sum(selector string) (total float64, series int) {
	m := selectorRE.FindStringSubmatch(selector)
	if m == nil {
		return 0, 0
	}
	name, matchers := m[1], matcherRE.FindAllStringSubmatch(m[2], -1)
	f, value := fams[name], func(x *dto.Metric) float64 { return x.GetCounter().GetValue() + x.GetGauge().GetValue() }
	if f == nil { // a histogram's name_count or name_sum
		if base, ok := strings.CutSuffix(name, "_count"); ok && fams[base].GetType() == dto.MetricType_HISTOGRAM {
			f, value = fams[base], func(x *dto.Metric) float64 { return float64(x.GetHistogram().GetSampleCount()) }
		} else if base, ok := strings.CutSuffix(name, "_sum"); ok && fams[base].GetType() == dto.MetricType_HISTOGRAM {
			f, value = fams[base], func(x *dto.Metric) float64 { return x.GetHistogram().GetSampleSum() }
		}
	}
	for _, x := range f.GetMetric() {
		if slices.ContainsFunc(matchers, func(mt []string) bool { return label(x, mt[1]) != mt[2] }) {
			continue
		}
		total += value(x)
		series++
	}
	return total, series
}

// label is the value of m's label name ("" when absent).
func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

var (
	groupingRE  = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	vectorRE    = regexp.MustCompile(`\b(jwtguard_[a-zA-Z0-9_]*)\s*(?:\{([^}]*)\})?`)
	labelNameRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
)

// checkDashboard reads a Grafana dashboard and returns how many queries
// (panels[].targets[].expr) it has and the names they use that fams does
// not serve: every jwtguard_* series name (histograms as _bucket, _count,
// _sum), each label of its matchers, and the labels of by (...) and
// without (...) among those of the query's series (plus le for buckets).
func checkDashboard(data []byte, fams families) (queries int, unknown []string, err error) {
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, nil, fmt.Errorf("not valid JSON: %w", err)
	}
	// The label names of every served series name.
	labels := map[string]map[string]bool{}
	for name, f := range fams {
		names := []string{name}
		if f.GetType() == dto.MetricType_HISTOGRAM {
			names = []string{name + "_bucket", name + "_count", name + "_sum"}
		}
		for _, n := range names {
			set := map[string]bool{}
			if strings.HasSuffix(n, "_bucket") {
				set["le"] = true
			}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					set[l.GetName()] = true
				}
			}
			labels[n] = set
		}
	}
	bad := func(what string) {
		if !slices.Contains(unknown, what) {
			unknown = append(unknown, what)
		}
	}
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			if strings.TrimSpace(t.Expr) == "" {
				bad(fmt.Sprintf("an empty query in panel %q", p.Title))
				continue
			}
			queries++
			var grouping []string
			expr := groupingRE.ReplaceAllStringFunc(t.Expr, func(g string) string {
				inner := groupingRE.FindStringSubmatch(g)[1]
				for l := range strings.SplitSeq(inner, ",") {
					if l = strings.TrimSpace(l); l != "" {
						grouping = append(grouping, l)
					}
				}
				return ""
			})
			used := map[string]bool{} // the labels of the query's series
			series := vectorRE.FindAllStringSubmatch(expr, -1)
			if len(series) == 0 {
				bad(fmt.Sprintf("no jwtguard_* metric in panel %q", p.Title))
			}
			for _, s := range series {
				set, ok := labels[s[1]]
				if !ok {
					bad(s[1])
					continue
				}
				for l := range set {
					used[l] = true
				}
				for _, l := range labelNameRE.FindAllStringSubmatch(s[2], -1) {
					if !set[l[1]] {
						bad(s[1] + "{" + l[1] + "}")
					}
				}
			}
			for _, l := range grouping {
				if !used[l] {
					bad(fmt.Sprintf("by (%s) in panel %q", l, p.Title))
				}
			}
		}
	}
	if queries == 0 {
		return 0, nil, fmt.Errorf("no queries (panels[].targets[].expr)")
	}
	return queries, unknown, nil
}
