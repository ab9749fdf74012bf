package introspect_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/introspect"
)

func TestNewValidation(t *testing.T) {
	t.Parallel()
	auth := introspect.ClientSecretBasic("c", "s")
	const ep = "https://as.test/introspect"
	cases := []struct {
		name     string
		endpoint string
		auth     introspect.ClientAuth
		opts     []introspect.Option
		want     []string // substrings of the error; nil: valid
	}{
		{"https", ep, auth, nil, nil},
		{"loopback IPv4 http", "http://127.0.0.1:9/introspect", auth, nil, nil},
		{"loopback IPv6 http", "http://[::1]:9/introspect", auth, nil, nil},
		{"localhost http", "http://localhost:9/introspect", auth, nil, nil},
		{"plain http", "http://as.test/introspect", auth, nil, []string{"endpoint", "WithInsecureHTTP"}},
		{"subdomain of localhost over http", "http://as.localhost/introspect", auth, nil, []string{"endpoint"}},
		{"plain http, insecure", "http://as.test/introspect", auth, []introspect.Option{introspect.WithInsecureHTTP()}, nil},
		{"other scheme", "ftp://as.test/introspect", auth, nil, []string{"endpoint", "not https"}},
		{"credentials in URL", "https://u:p@as.test/introspect", auth, nil, []string{"endpoint", "credentials"}},
		{"empty endpoint", "", auth, nil, []string{"endpoint", "empty"}},
		{"no host", "https:///introspect", auth, nil, []string{"endpoint", "no host"}},
		{"nil auth", ep, nil, nil, []string{"auth", "ClientSecretBasic"}},
		{"all options", ep, auth, []introspect.Option{
			introspect.WithJWTs(), introspect.WithCache(time.Minute, time.Second, 100),
			introspect.WithTimeout(time.Second), introspect.WithHTTPClient(&http.Client{}),
			introspect.WithClock(time.Now), introspect.WithLimits(4, time.Second), introspect.WithInsecureHTTP(),
		}, nil},
		{"cache off", ep, auth, []introspect.Option{introspect.WithCache(0, 0, 0)}, nil},
		{"negative TTL", ep, auth, []introspect.Option{introspect.WithCache(-1, 0, 1)}, []string{"WithCache", "TTL"}},
		{"TTL above an hour", ep, auth, []introspect.Option{introspect.WithCache(2*time.Hour, 0, 1)}, []string{"WithCache", "TTL"}},
		{"negative size", ep, auth, []introspect.Option{introspect.WithCache(time.Second, time.Second, -1)}, []string{"WithCache", "size"}},
		{"zero timeout", ep, auth, []introspect.Option{introspect.WithTimeout(0)}, []string{"WithTimeout"}},
		{"long timeout", ep, auth, []introspect.Option{introspect.WithTimeout(time.Hour)}, []string{"WithTimeout"}},
		{"nil HTTP client", ep, auth, []introspect.Option{introspect.WithHTTPClient(nil)}, []string{"WithHTTPClient", "nil"}},
		{"nil clock", ep, auth, []introspect.Option{introspect.WithClock(nil)}, []string{"WithClock", "nil"}},
		{"nil option", ep, auth, []introspect.Option{nil}, []string{"option 0 is nil"}},
		{"option twice", ep, auth, []introspect.Option{introspect.WithTimeout(time.Second), introspect.WithTimeout(2 * time.Second)}, []string{"WithTimeout: given twice"}},
		{"flag twice", ep, auth, []introspect.Option{introspect.WithJWTs(), introspect.WithJWTs()}, []string{"WithJWTs: given twice"}},
		{"limits", ep, auth, []introspect.Option{introspect.WithLimits(1, 0)}, nil},
		{"limits, largest", ep, auth, []introspect.Option{introspect.WithLimits(1024, 10*time.Second)}, nil},
		{"no concurrent requests", ep, auth, []introspect.Option{introspect.WithLimits(0, time.Second)}, []string{"WithLimits", "concurrent"}},
		{"too many concurrent requests", ep, auth, []introspect.Option{introspect.WithLimits(1025, time.Second)}, []string{"WithLimits", "concurrent"}},
		{"negative queue wait", ep, auth, []introspect.Option{introspect.WithLimits(4, -1)}, []string{"WithLimits", "queue wait"}},
		{"long queue wait", ep, auth, []introspect.Option{introspect.WithLimits(4, time.Minute)}, []string{"WithLimits", "queue wait"}},
		{"limits twice", ep, auth, []introspect.Option{introspect.WithLimits(4, 0), introspect.WithLimits(8, 0)}, []string{"WithLimits: given twice"}},
		{"every problem at once", "http://as.test/x", nil, []introspect.Option{introspect.WithTimeout(0), introspect.WithCache(-1, 0, -1)},
			[]string{"endpoint", "auth", "WithTimeout", "WithCache: TTL", "WithCache: size"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := introspect.New(tc.endpoint, tc.auth, tc.opts...)
			if tc.want == nil {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || c != nil {
				t.Fatalf("New accepted it (client %v, err %v)", c, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "introspect: ") {
				t.Errorf("error %q does not name the package", err)
			}
		})
	}
}
