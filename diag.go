package jwtguard

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Operator diagnostics: the Detail of an *Error says what the token held
// and what the configuration wanted. Values from the token come from
// whoever sent it, so they are bounded and escaped before they reach a
// log line or an error text; configured values are the operator's own,
// but lists of them are capped too, and template entries are shown as
// written (their expansions, like a resolver's tenants, are a customer
// list).

// maxShown bounds one value from a token in a Detail, in bytes.
const maxShown = 96

// maxListed bounds the values of one list in a Detail.
const maxListed = 8

// shown quotes a value from a token for an operator: at most maxShown
// bytes (cut at a rune boundary, marked with …), escaped to printable
// ASCII so that it cannot forge log lines or terminal sequences.
func shown(s string) string {
	if len(s) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.QuoteToASCII(s[:cut]) + "…"
	}
	return strconv.QuoteToASCII(s)
}

// shownList quotes at most maxListed values, saying how many more there
// are.
func shownList(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, s := range l {
		if i == maxListed {
			fmt.Fprintf(&b, ", … (%d more)", len(l)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(shown(s))
	}
	return b.String()
}

// nearMiss says how got differs from want when it is almost the same
// value — the mistakes people make when they copy an issuer or audience:
// a trailing slash, letter case, the scheme. "" when they differ more (or
// not at all).
func nearMiss(got, want string) string {
	if got == want || got == "" || want == "" {
		return ""
	}
	switch {
	case strings.TrimSuffix(got, "/") == strings.TrimSuffix(want, "/"):
		return "they differ only by a trailing slash"
	case strings.EqualFold(got, want):
		return "they differ only by letter case"
	case schemeless(got) == schemeless(want):
		return "they differ only by the scheme"
	case strings.EqualFold(strings.TrimSuffix(schemeless(got), "/"), strings.TrimSuffix(schemeless(want), "/")):
		return "they differ only by the scheme, letter case or a trailing slash"
	}
	return ""
}

func schemeless(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		return s[i+3:]
	}
	return s
}

// nearMissOf finds the first of wants that got nearly equals, and says
// how they differ.
func nearMissOf(got string, wants []string) (want, hint string) {
	for _, w := range wants {
		if h := nearMiss(got, w); h != "" {
			return w, h
		}
	}
	return "", ""
}

// label names an entry for an operator: its ID as configured (a template
// as written), or its subject prefix.
func (e *entry) label() string {
	switch {
	case e.id != "":
		return "issuer " + strconv.Quote(e.id)
	case e.subjectPrefix != "":
		return "issuer for subjects " + strconv.Quote(e.subjectPrefix)
	}
	return "the issuer entry"
}

// unknownIssuer is the error of a token whose iss no entry has: the
// client sees the generic description; Detail names the token's iss, the
// configured issuers and, for a near miss, how they differ.
func (t *trustTable) unknownIssuer(iss string) *Error {
	var b strings.Builder
	fmt.Fprintf(&b, "iss %s is not a configured issuer; configured: %s", shown(iss), t.configured())
	if t.resolver != nil {
		b.WriteString(", and an issuer resolver, which refused it")
	}
	if want, hint := nearMissOf(iss, t.exact); hint != "" {
		fmt.Fprintf(&b, " (hint: %s and the configured %s: %s)", shown(iss), strconv.Quote(want), hint)
	}
	return unverified(ErrInvalidIssuer, b.String())
}

// noIssuer is the error of a token without iss that no subject space
// takes.
func (t *trustTable) noIssuer(sub string) *Error {
	detail := "the token has no iss"
	if len(t.bySubject) > 0 {
		prefixes := make([]string, len(t.bySubject))
		for i, e := range t.bySubject {
			prefixes[i] = e.subjectPrefix
		}
		detail += fmt.Sprintf(" and its sub %s is under none of the subject prefixes %s", shown(sub), shownList(prefixes))
	}
	e := unverified(ErrInvalidIssuer, detail)
	return e
}

// configured lists the static entries for an operator: IDs and aliases as
// written (templates included, never their expansions), subject
// prefixes.
func (t *trustTable) configured() string {
	var all []string
	for _, e := range t.static {
		all = append(all, e.configuredIDs...)
		if e.subjectPrefix != "" {
			all = append(all, "sub under "+e.subjectPrefix)
		}
	}
	if len(all) == 0 {
		return "none"
	}
	return shownList(all)
}
