package main

import "testing"

// TestCheck runs the example's -check under go test (and -race): the
// back-channel logout on A ends the session's next request and its open
// server-sent-events stream on B, key revocation and refresh included.
func TestCheck(t *testing.T) {
	if err := run("127.0.0.1:0", true); err != nil {
		t.Fatal(err)
	}
}
