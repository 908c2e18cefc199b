package provider

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// recLog records what a run logs.
type recLog struct {
	mu                         sync.Mutex
	statuses, warnings, errors []string
}

func (l *recLog) status(m string)  { l.mu.Lock(); l.statuses = append(l.statuses, m); l.mu.Unlock() }
func (l *recLog) warning(m string) { l.mu.Lock(); l.warnings = append(l.warnings, m); l.mu.Unlock() }
func (l *recLog) error(m string)   { l.mu.Lock(); l.errors = append(l.errors, m); l.mu.Unlock() }

// keyServer is a test server accepting one fresh client key, and a matching connection.
func keyServer(t *testing.T) (*testServer, *connection) {
	t.Helper()
	noAgent(t)
	key := newKey(t, "ed25519")
	host := newKey(t, "ed25519")
	s := newTestServer(t, withHostKeys(host.signer))
	s.acceptKeys = []ssh.PublicKey{key.signer.PublicKey()}
	c := direct(s)
	c.User = "tester"
	c.PrivateKey = strp(key.pem(t))
	c.HostKey = strp(host.authorizedKey)
	return s, &c
}

func TestPlanStdinOnlyWhenNotEmpty(t *testing.T) {
	if p := planSession(&commandProps{}); p.stdin != nil {
		t.Fatal("no stdin input must send no stdin")
	}
	if p := planSession(&commandProps{Stdin: strp("")}); p.stdin != nil {
		t.Fatal("an empty stdin must not be sent")
	}
	if p := planSession(&commandProps{Stdin: strp("x")}); p.stdin == nil || *p.stdin != "x" {
		t.Fatal("a non-empty stdin must be sent")
	}
}

func TestPlanEnvironment(t *testing.T) {
	f := false
	p := planSession(&commandProps{Environment: map[string]string{"B": "2", "A": "1"}, Stdout: "o", Stderr: "e"})
	want := []envVar{{"A", "1", true}, {"B", "2", true}, {envPreviousStdout, "o", false}, {envPreviousStderr, "e", false}}
	if !reflect.DeepEqual(p.env, want) {
		t.Fatalf("env %v", p.env)
	}
	p = planSession(&commandProps{Stdout: "o", Stderr: "e", AddPreviousOutputInEnv: &f})
	if len(p.env) != 0 {
		t.Fatalf("addPreviousOutputInEnv=false must set nothing: %v", p.env)
	}
	p = planSession(&commandProps{Stdout: "", Stderr: "e"})
	if !reflect.DeepEqual(p.env, []envVar{{envPreviousStderr, "e", false}}) {
		t.Fatalf("an empty previous output is not set: %v", p.env)
	}
}

func TestStdinOverTheWire(t *testing.T) {
	s, c := keyServer(t)
	props := &commandProps{Connection: c, Stdin: strp("line1\nline2\n")}
	out, _, err := runCommand(context.Background(), props, "cat", nopLog{})
	if err != nil || out != "line1\nline2" {
		t.Fatalf("got %q, %v", out, err)
	}
	props.Stdin = strp("")
	if out, _, err = runCommand(context.Background(), props, "cat; echo end", nopLog{}); err != nil || out != "end" {
		t.Fatalf("got %q, %v", out, err)
	}
	r := s.ran()
	if r[0].stdin != "line1\nline2\n" || r[1].stdin != "" {
		t.Fatalf("server saw stdin %q and %q", r[0].stdin, r[1].stdin)
	}
}

func TestEnvironmentAndRefusal(t *testing.T) {
	s, c := keyServer(t)
	props := &commandProps{Connection: c, Environment: map[string]string{"GREETING": "hi there"}}
	if out, _, err := runCommand(context.Background(), props, `printf '%s' "$GREETING"`, nopLog{}); err != nil || out != "hi there" {
		t.Fatalf("got %q, %v", out, err)
	}

	s.refuseEnv["GREETING"] = true
	log := &recLog{}
	_, _, err := runCommand(context.Background(), props, "echo must-not-run", log)
	want := `could not set environment variable "GREETING": ssh: setenv failed`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if len(log.errors) != 1 || !strings.HasPrefix(log.errors[0], "Unable to set 'GREETING'. This only works if your SSH server is configured to accept\n") {
		t.Fatalf("logged errors %q", log.errors)
	}
	if n := len(s.ran()); n != 1 {
		t.Fatalf("the command ran after a refused setenv (%d runs)", n)
	}

	// A refused PULUMI_COMMAND_STDOUT is only a warning.
	s.refuseEnv = map[string]bool{envPreviousStdout: true}
	log = &recLog{}
	props = &commandProps{Connection: c, Stdout: "old", Stderr: "olderr"}
	out, _, err := runCommand(context.Background(), props, `echo "[$PULUMI_COMMAND_STDOUT][$PULUMI_COMMAND_STDERR]"`, log)
	if err != nil || out != "[][olderr]" {
		t.Fatalf("got %q, %v", out, err)
	}
	if len(log.warnings) != 1 || !strings.HasPrefix(log.warnings[0], "Unable to set 'PULUMI_COMMAND_STDOUT'") || len(log.errors) != 0 {
		t.Fatalf("warnings %q errors %q", log.warnings, log.errors)
	}
}

func TestTrailingNewlineTrimmedOnce(t *testing.T) {
	_, c := keyServer(t)
	props := &commandProps{Connection: c}
	out, errOut, err := runCommand(context.Background(), props, `printf 'a\n\n'; printf 'b\n\n' >&2`, nopLog{})
	if err != nil || out != "a\n" || errOut != "b\n" {
		t.Fatalf("got %q %q, %v", out, errOut, err)
	}
	out, _, err = runCommand(context.Background(), props, `printf 'no-newline'`, nopLog{})
	if err != nil || out != "no-newline" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestFailureMessage(t *testing.T) {
	_, c := keyServer(t)
	props := &commandProps{Connection: c}
	cmd := `echo partial; echo "it's broken"; exit 3`
	_, _, err := runCommand(context.Background(), props, cmd, nopLog{})
	want := "Process exited with status 3: running \"echo partial; echo \\\"it's broken\\\"; exit 3\":\npartial\nit's broken\n"
	if err == nil || err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
	_, _, err = runCommand(context.Background(), props, `echo oops >&2; exit 1`, nopLog{})
	if err == nil || err.Error() != "Process exited with status 1: running \"echo oops >&2; exit 1\":\noops\n" {
		t.Fatalf("stderr must be in the failure output: %q", err)
	}
}

func TestLoggingModes(t *testing.T) {
	_, c := keyServer(t)
	cmd := `echo out1; echo out2; sleep 0.1; echo err1 >&2`
	cases := map[string][]string{
		"":                 {"err1", "out1", "out2"}, // unset: both
		logStdoutAndStderr: {"err1", "out1", "out2"},
		logStdout:          {"out1", "out2"},
		logStderr:          {"err1"},
		logNone:            nil,
		"bogus":            nil, // like the official: neither stream matches
	}
	for mode, want := range cases {
		props := &commandProps{Connection: c}
		if mode != "" {
			props.Logging = strp(mode)
		}
		log := &recLog{}
		out, errOut, err := runCommand(context.Background(), props, cmd, log)
		if err != nil || out != "out1\nout2" || errOut != "err1" {
			t.Fatalf("%s: outputs must not depend on logging: %q %q %v", mode, out, errOut, err)
		}
		got := append([]string(nil), log.statuses...)
		sortStrings(got)
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("logging %q logged %v, want %v", mode, got, want)
		}
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// An output line over bufio.Scanner's default 64 KiB must neither stall the command nor be lost.
func TestLongOutputLine(t *testing.T) {
	_, c := keyServer(t)
	log := &recLog{}
	out, _, err := runCommand(context.Background(), &commandProps{Connection: c}, `head -c 200000 /dev/zero | tr '\0' x; echo; echo after`, log)
	if err != nil || len(out) != 200000+len("\nafter") {
		t.Fatalf("got %d bytes, %v", len(out), err)
	}
	if len(log.statuses) != 2 || len(log.statuses[0]) != 200000 || log.statuses[1] != "after" {
		t.Fatalf("logged %d lines", len(log.statuses))
	}
}
