// Package demo holds what every runnable example shares: the -addr and
// -check flags, and the loop that either prints curl commands or makes the
// requests itself and compares each status. What users copy (the verifier,
// waiting for Ready, the routes) stays in each example's main.go.
package demo

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"
)

// Step is one example request: GET Path with Token (none if ""), expected
// to answer Want.
type Step struct {
	What, Path, Token string
	Want              int
}

// Get is the Step "GET path with token answers want".
func Get(what, path, token string, want int) Step {
	return Step{What: what, Path: path, Token: token, Want: want}
}

// Main parses -addr (default defaultAddr) and -check, then calls run. With
// -check and no explicit -addr, it listens on a free loopback port so the
// check never collides with a busy one. A run error ends the program with
// status 1.
func Main(defaultAddr string, run func(addr string, check bool) error) {
	addr := flag.String("addr", defaultAddr, "listen address of the protected API")
	check := flag.Bool("check", false, "make the example requests, print each status and exit 0 only if all are as expected")
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "addr" })
	if *check && !explicit {
		*addr = "127.0.0.1:0"
	}
	if err := run(*addr, *check); err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

// Serve listens on addr with h. Without check it prints a curl command per
// step and waits for Ctrl-C; with check it makes each request, prints the
// status next to the expected one, and fails if any differs.
func Serve(addr string, check bool, h http.Handler, name string, steps []Step) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	if !check {
		fmt.Printf("jwtguard %s example: API on %s\n\n", name, base)
		for _, s := range steps {
			fmt.Printf("# %s → expect %d\n", s.What, s.Want)
			if s.Token != "" {
				fmt.Printf("curl -i -H 'Authorization: Bearer %s' %s%s\n\n", s.Token, base, s.Path)
			} else {
				fmt.Printf("curl -i %s%s\n\n", base, s.Path)
			}
		}
		fmt.Println("Ctrl-C to stop.")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		return nil
	}
	whatWidth, pathWidth := 0, 0
	for _, s := range steps {
		whatWidth, pathWidth = max(whatWidth, len(s.What)), max(pathWidth, len(s.Path))
	}
	failed := 0
	for _, s := range steps {
		req, err := http.NewRequest(http.MethodGet, base+s.Path, nil)
		if err != nil {
			return err
		}
		if s.Token != "" {
			req.Header.Set("Authorization", "Bearer "+s.Token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mark := "ok  "
		if resp.StatusCode != s.Want {
			mark = "FAIL"
			failed++
		}
		fmt.Printf("%s %-*s GET %-*s → %d (want %d) %s\n", mark, whatWidth, s.What, pathWidth, s.Path,
			resp.StatusCode, s.Want, summary(string(body), resp.Header.Get("WWW-Authenticate")))
	}
	if failed > 0 {
		return errors.New(name + " example check failed")
	}
	fmt.Println(name + " example check passed")
	return nil
}

// summary is the challenge if there is one, else the body's first line.
func summary(body, challenge string) string {
	if challenge != "" {
		return "WWW-Authenticate: " + challenge
	}
	line, _, _ := strings.Cut(body, "\n")
	return strings.TrimSpace(line)
}
