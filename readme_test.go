package jwtguard_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard"
)

// TestREADMENewError: the error README's first snippet quotes for a
// missing audience is the one New returns.
func TestREADMENewError(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, err = jwtguard.New(
		jwtguard.WithIssuer("https://login.example.com/", jwtguard.Discovery()),
		jwtguard.WithAlgorithms("RS256"),
	)
	if err == nil {
		t.Fatal("New without an audience succeeded")
	}
	if want := "log.Fatal(err) // e.g. " + err.Error() + "\n"; !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not quote New's error; want the line\n%s", want)
	}
}

// TestREADMEPromQL: every query of README's PromQL block (section
// "Observability") is a query of examples/observability's Grafana
// dashboard, whose -check verifies each metric and label name against
// what the OpenTelemetry Prometheus exporter serves.
func TestREADMEPromQL(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Observability: metrics, traces, audit events\n")
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```promql\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok {
		t.Fatal("README.md, section Observability: no ```promql block")
	}
	var queries []string
	for line := range strings.Lines(block) {
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case (line[0] == ' ' || line[0] == '\t') && len(queries) > 0: // a query's continuation
			queries[len(queries)-1] += " " + line
		default:
			queries = append(queries, line)
		}
	}
	data, err := os.ReadFile("examples/observability/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dashboard struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dashboard); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	exprs := map[string]bool{}
	for _, p := range dashboard.Panels {
		for _, target := range p.Targets {
			exprs[strings.Join(strings.Fields(target.Expr), " ")] = true
		}
	}
	if len(queries) < 5 {
		t.Errorf("README's PromQL block has %d queries; want the four questions' (at least 5)", len(queries))
	}
	for _, q := range queries {
		if q = strings.Join(strings.Fields(q), " "); !exprs[q] {
			t.Errorf("README's query is not in examples/observability/grafana-dashboard.json:\n%s", q)
		}
	}
}
