// Package redistest starts a throwaway redis-server for tests: on a free
// loopback port, without persistence (unless asked), stopped when the test
// ends. When no redis-server binary is found the test is skipped with a
// message saying how to install it — except when the CI environment
// variable is set, where it fails: Redis tests must never be skipped
// silently in CI.
package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	// Addr is "127.0.0.1:port".
	Addr string

	bin     string
	port    int
	dir     string
	persist bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error
}

// Option configures Start.
type Option func(*Server)

// WithPersistence turns on the append-only file (fsync on every write), so
// data survives [Server.Restart].
func WithPersistence() Option { return func(s *Server) { s.persist = true } }

// Binary returns the path of redis-server, or "" if none is found. The
// REDIS_SERVER environment variable overrides the PATH lookup.
func Binary() string {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return ""
	}
	return p
}

// Start starts redis-server on a free loopback port and stops it when the
// test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "redistest: no redis-server binary on PATH; install it with scripts/install-redis.sh (apt-get install redis-server) or set REDIS_SERVER"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set: Redis tests must not be skipped)")
		}
		t.Skip(msg)
	}
	s := &Server{bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(s)
	}
	var err error
	for range 5 { // a free port can be taken between probing and binding
		s.port, err = freePort()
		if err != nil {
			continue
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	args := []string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--daemonize", "no", "--protected-mode", "yes", "--logfile", "",
	}
	if s.persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command(s.bin, args...)
	out := &lockedWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(s.Addr) == nil {
			break
		}
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server exited before answering PING (%v):\n%s", err, tail(out))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server did not answer PING within 10s:\n%s", tail(out))
		}
	}
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return nil
}

// Stop kills the server (as a crash would) and waits for it to exit. It is
// safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Restart stops the server and starts it again on the same port. Without
// [WithPersistence] the data is gone.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	var err error
	for range 50 { // the port may linger briefly
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("redistest: restart: %v", err)
}

// ping sends an inline PING and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func tail(l *lockedWriter) string {
	l.mu.Lock()
	s := l.w.String()
	l.mu.Unlock()
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// lockedWriter collects the server's output for error messages.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
