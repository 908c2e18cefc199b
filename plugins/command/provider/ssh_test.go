package provider

import (
	"context"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func strp(s string) *string { return &s }

// run1 runs one command on s with connection c (defaults for what c leaves zero).
func run1(t *testing.T, c connection, cmd string) (string, string, error) {
	t.Helper()
	if c.User == "" {
		c.User = "tester"
	}
	props := &commandProps{Connection: &c}
	return runCommand(context.Background(), props, cmd, nopLog{})
}

type nopLog struct{}

func (nopLog) status(string)  {}
func (nopLog) warning(string) {}
func (nopLog) error(string)   {}

func direct(s *testServer) connection {
	return connection{Host: s.host, Port: float64(s.port), DialErrorLimit: 0, PerDialTimeout: 5}
}

var officialRetry = struct {
	delay, max time.Duration
	backoff    float64
}{retryDelay, retryMaxDelay, retryBackoff}

func TestMain(m *testing.M) {
	// Keep retry tests fast but with the official proportions (x1.5 per retry).
	retryDelay = 20 * time.Millisecond
	m.Run()
}

func TestOfficialRetryTiming(t *testing.T) {
	if officialRetry.delay != 100*time.Millisecond || officialRetry.backoff != 1.5 || officialRetry.max != 5*time.Second {
		t.Fatalf("retry timing %+v, want 100ms x1.5 up to 5s", officialRetry)
	}
}

func noAgent(t *testing.T) { t.Setenv("SSH_AUTH_SOCK", "") }

func TestAuthPrivateKey(t *testing.T) {
	noAgent(t)
	key := newKey(t, "ed25519")
	s := newTestServer(t)
	s.acceptKeys = []ssh.PublicKey{key.signer.PublicKey()}
	c := direct(s)
	c.PrivateKey = strp(key.pem(t))
	out, _, err := run1(t, c, "echo key-ok")
	if err != nil || out != "key-ok" {
		t.Fatalf("got %q, %v", out, err)
	}
	if got := s.auths(); !reflect.DeepEqual(got, []string{"none", "publickey"}) {
		t.Fatalf("auth attempts %v", got)
	}
}

func TestAuthEncryptedPrivateKey(t *testing.T) {
	noAgent(t)
	key := newKey(t, "ecdsa")
	s := newTestServer(t)
	s.acceptKeys = []ssh.PublicKey{key.signer.PublicKey()}
	c := direct(s)
	c.PrivateKey = strp(key.encryptedPEM(t, "s3cret"))
	c.PrivateKeyPassword = strp("s3cret")
	if out, _, err := run1(t, c, "echo enc-ok"); err != nil || out != "enc-ok" {
		t.Fatalf("got %q, %v", out, err)
	}
	c.PrivateKeyPassword = nil
	if _, _, err := run1(t, c, "true"); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("an encrypted key without privateKeyPassword must fail on the passphrase, got %v", err)
	}
	c.PrivateKeyPassword = strp("wrong")
	if _, _, err := run1(t, c, "true"); err == nil {
		t.Fatal("a wrong privateKeyPassword must fail")
	}
}

// The official order: privateKey, password, keyboard-interactive (answering every prompt with
// the password), agent.
func TestAuthOrder(t *testing.T) {
	noAgent(t)
	key := newKey(t, "ed25519")
	agentKey := newKey(t, "ed25519")
	sock := startAgent(t, agentKey)

	t.Run("keyboard-interactive after refused key and password", func(t *testing.T) {
		s := newTestServer(t)
		s.acceptKbd = "pw"
		c := direct(s)
		c.PrivateKey = strp(key.pem(t))
		c.Password = strp("pw")
		c.AgentSocketPath = strp(sock)
		out, _, err := run1(t, c, "echo kbd-ok")
		if err != nil || out != "kbd-ok" {
			t.Fatalf("got %q, %v", out, err)
		}
		want := []string{"none", "publickey", "password", "keyboard-interactive"}
		if got := s.auths(); !reflect.DeepEqual(got, want) {
			t.Fatalf("auth attempts %v, want %v", got, want)
		}
	})
	t.Run("password before keyboard-interactive", func(t *testing.T) {
		s := newTestServer(t)
		s.acceptPassword = "pw"
		s.acceptKbd = "pw"
		c := direct(s)
		c.Password = strp("pw")
		if _, _, err := run1(t, c, "true"); err != nil {
			t.Fatal(err)
		}
		if got := s.auths(); !reflect.DeepEqual(got, []string{"none", "password"}) {
			t.Fatalf("auth attempts %v", got)
		}
	})
	t.Run("agent after password methods", func(t *testing.T) {
		s := newTestServer(t)
		s.acceptKeys = []ssh.PublicKey{agentKey.signer.PublicKey()}
		c := direct(s)
		c.Password = strp("not-this")
		c.AgentSocketPath = strp(sock)
		if out, _, err := run1(t, c, "echo agent-ok"); err != nil || out != "agent-ok" {
			t.Fatalf("got %q, %v", out, err)
		}
		want := []string{"none", "password", "keyboard-interactive", "publickey"}
		if got := s.auths(); !reflect.DeepEqual(got, want) {
			t.Fatalf("auth attempts %v, want %v", got, want)
		}
	})
	t.Run("agent from SSH_AUTH_SOCK", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", sock)
		s := newTestServer(t)
		s.acceptKeys = []ssh.PublicKey{agentKey.signer.PublicKey()}
		if out, _, err := run1(t, direct(s), "echo env-agent-ok"); err != nil || out != "env-agent-ok" {
			t.Fatalf("got %q, %v", out, err)
		}
	})
	t.Run("agentSocketPath that cannot be dialled is an error", func(t *testing.T) {
		s := newTestServer(t)
		c := direct(s)
		c.AgentSocketPath = strp(sock + ".missing")
		_, _, err := run1(t, c, "true")
		if err == nil || !strings.Contains(err.Error(), "agent.sock.missing") {
			t.Fatalf("got %v", err)
		}
		if s.connections() != 0 {
			t.Fatal("the host must not be dialled when the agent socket fails")
		}
	})
	// golang.org/x/crypto/ssh tries each method name once: with a refused privateKey, the agent
	// (also "publickey") is never offered - as with the official plugin.
	t.Run("refused privateKey hides the agent", func(t *testing.T) {
		s := newTestServer(t)
		s.acceptKeys = []ssh.PublicKey{agentKey.signer.PublicKey()}
		c := direct(s)
		c.PrivateKey = strp(key.pem(t))
		c.AgentSocketPath = strp(sock)
		_, _, err := run1(t, c, "true")
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("got %v", err)
		}
		if got := s.auths(); !reflect.DeepEqual(got, []string{"none", "publickey"}) {
			t.Fatalf("auth attempts %v", got)
		}
	})
}

func TestHostKeyPinned(t *testing.T) {
	noAgent(t)
	client := newKey(t, "ed25519")
	host := newKey(t, "ed25519")
	s := newTestServer(t, withHostKeys(host.signer))
	s.acceptKeys = []ssh.PublicKey{client.signer.PublicKey()}
	c := direct(s)
	c.PrivateKey = strp(client.pem(t))

	c.HostKey = strp(host.authorizedKey + " comment@host")
	if out, _, err := run1(t, c, "echo pinned-ok"); err != nil || out != "pinned-ok" {
		t.Fatalf("got %q, %v", out, err)
	}
	execs := len(s.ran())

	c.HostKey = strp(newKey(t, "ed25519").authorizedKey)
	_, _, err := run1(t, c, "echo must-not-run")
	if err == nil || !strings.Contains(err.Error(), "after 0 failed attempts") || !strings.Contains(err.Error(), "host key mismatch") {
		t.Fatalf("a wrong host key must be refused, got %v", err)
	}
	if len(s.ran()) != execs {
		t.Fatal("a command ran on a host whose key does not match")
	}

	c.HostKey = strp("ssh-ed25519 not-base64!")
	if _, _, err := run1(t, c, "true"); err == nil || !strings.Contains(err.Error(), "failed to parse host key") {
		t.Fatalf("got %v", err)
	}

	c.HostKey = nil // any host key is accepted
	if out, _, err := run1(t, c, "echo any-ok"); err != nil || out != "any-ok" {
		t.Fatalf("got %q, %v", out, err)
	}
}

// HostKeyAlgorithms are limited to the pinned key's type: a server with an ed25519 and an ECDSA
// key must present the ECDSA one when that is pinned (the default preference would pick
// ed25519, which FixedHostKey refuses).
func TestHostKeyAlgorithmsLimited(t *testing.T) {
	noAgent(t)
	client := newKey(t, "ed25519")
	ed := newKey(t, "ed25519")
	ec := newKey(t, "ecdsa")
	s := newTestServer(t, withHostKeys(ed.signer, ec.signer))
	s.acceptKeys = []ssh.PublicKey{client.signer.PublicKey()}
	c := direct(s)
	c.PrivateKey = strp(client.pem(t))
	c.HostKey = strp(ec.authorizedKey)
	if out, _, err := run1(t, c, "echo ecdsa-ok"); err != nil || out != "ecdsa-ok" {
		t.Fatalf("got %q, %v", out, err)
	}
	cfg, closer, err := clientConfig(&c)
	if err != nil {
		t.Fatal(err)
	}
	closer.Close()
	if !reflect.DeepEqual(cfg.HostKeyAlgorithms, []string{"ecdsa-sha2-nistp256"}) {
		t.Fatalf("HostKeyAlgorithms %v", cfg.HostKeyAlgorithms)
	}

	// An RSA host key pins exactly "ssh-rsa", as the official plugin does (publicKey.Type()):
	// against a server that offers only rsa-sha2-256/512 signatures (OpenSSH >= 8.8 defaults)
	// there is no common algorithm.
	rsaKey := newKey(t, "rsa")
	c2 := direct(s)
	c2.HostKey = strp(rsaKey.authorizedKey)
	cfg, closer, err = clientConfig(&c2)
	if err != nil {
		t.Fatal(err)
	}
	closer.Close()
	if !reflect.DeepEqual(cfg.HostKeyAlgorithms, []string{"ssh-rsa"}) {
		t.Fatalf("HostKeyAlgorithms %v", cfg.HostKeyAlgorithms)
	}
	modern, err := ssh.NewSignerWithAlgorithms(rsaKey.signer.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256})
	if err != nil {
		t.Fatal(err)
	}
	rs := newTestServer(t, withHostKeys(modern))
	rs.acceptKeys = []ssh.PublicKey{client.signer.PublicKey()}
	c3 := direct(rs)
	c3.PrivateKey = strp(client.pem(t))
	c3.HostKey = strp(rsaKey.authorizedKey)
	if _, _, err := run1(t, c3, "true"); err == nil || !strings.Contains(err.Error(), "no common algorithm for host key") {
		t.Fatalf("got %v", err)
	}
}

func TestDialRetriesClosedPort(t *testing.T) {
	noAgent(t)
	port := closedPort(t)
	var mu sync.Mutex
	var statuses []string
	c := &connection{Host: "127.0.0.1", Port: float64(port), User: "x", DialErrorLimit: 3, PerDialTimeout: 2}
	start := time.Now()
	_, err := dial(context.Background(), c, func(m string) { mu.Lock(); statuses = append(statuses, m); mu.Unlock() })
	elapsed := time.Since(start)
	want := "after 3 failed attempts: dial tcp 127.0.0.1:" + strconv.Itoa(port) + ": connect: connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	wantStatus := []string{"Dial 1/3 failed: retrying", "Dial 2/3 failed: retrying", "Dial 3/3 failed: retrying"}
	if !reflect.DeepEqual(statuses, wantStatus) {
		t.Fatalf("statuses %v", statuses)
	}
	// Delays 20, 30, 45 ms (x1.5 from retryDelay).
	if min := 95 * time.Millisecond; elapsed < min {
		t.Fatalf("retried too fast: %v < %v", elapsed, min)
	}
}

// countingListener accepts and drops connections, recording when, so attempts can be counted.
func countingListener(t *testing.T, silent bool) (int, func() []time.Time) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var at []time.Time
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
			if silent {
				t.Cleanup(func() { c.Close() })
			} else {
				c.Close()
			}
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, func() []time.Time { mu.Lock(); defer mu.Unlock(); return append([]time.Time(nil), at...) }
}

func TestDialRetryCountAndBackoff(t *testing.T) {
	noAgent(t)
	old := retryMaxDelay
	retryMaxDelay = 50 * time.Millisecond
	defer func() { retryMaxDelay = old }()
	port, attempts := countingListener(t, false)
	c := &connection{Host: "127.0.0.1", Port: float64(port), User: "x", DialErrorLimit: 4, PerDialTimeout: 2}
	_, err := dial(context.Background(), c, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "after 4 failed attempts: ") {
		t.Fatalf("got %v", err)
	}
	at := attempts()
	// The official loop: a dialErrorLimit of N makes N+1 attempts.
	if len(at) != 5 {
		t.Fatalf("%d attempts, want 5", len(at))
	}
	// Gaps: 20, 30, 45, then capped at 50 ms.
	wantGaps := []time.Duration{20, 30, 45, 50}
	for i, w := range wantGaps {
		gap := at[i+1].Sub(at[i])
		if gap < w*time.Millisecond*9/10 || gap > w*time.Millisecond+400*time.Millisecond {
			t.Fatalf("gap %d is %v, want about %v ms", i, gap, w)
		}
	}
}

func TestDialLimitZeroAndUnlimited(t *testing.T) {
	noAgent(t)
	port, attempts := countingListener(t, false)
	c := &connection{Host: "127.0.0.1", Port: float64(port), User: "x", DialErrorLimit: 0, PerDialTimeout: 2}
	if _, err := dial(context.Background(), c, nil); err == nil || !strings.HasPrefix(err.Error(), "after 0 failed attempts: ") {
		t.Fatalf("got %v", err)
	}
	if n := len(attempts()); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
	// -1: no limit; the context bounds it.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c.DialErrorLimit = -1
	var statuses []string
	_, err := dial(ctx, c, func(m string) { statuses = append(statuses, m) })
	if err != context.DeadlineExceeded {
		t.Fatalf("got %v", err)
	}
	if len(statuses) < 3 || statuses[0] != "Dial 1/inf failed: retrying" {
		t.Fatalf("statuses %v", statuses)
	}
}

// Each attempt, SSH handshake included, is bounded by perDialTimeout.
func TestPerDialTimeoutBoundsHandshake(t *testing.T) {
	noAgent(t)
	port, attempts := countingListener(t, true)
	c := &connection{Host: "127.0.0.1", Port: float64(port), User: "x", DialErrorLimit: 1, PerDialTimeout: 1}
	start := time.Now()
	_, err := dial(context.Background(), c, nil)
	if err == nil || !strings.Contains(err.Error(), "after 1 failed attempts: ssh: handshake with 127.0.0.1:") ||
		!strings.Contains(err.Error(), "did not finish within 1s") {
		t.Fatalf("got %v", err)
	}
	if el := time.Since(start); el < 2*time.Second || el > 5*time.Second {
		t.Fatalf("two 1 s attempts took %v", el)
	}
	if n := len(attempts()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
}

func TestProxy(t *testing.T) {
	noAgent(t)
	client := newKey(t, "ed25519")
	bastionKey := newKey(t, "ed25519")
	bastion := newTestServer(t, withHostKeys(bastionKey.signer))
	bastion.acceptPassword = "bastion-pw"
	bastion.allowForward = true
	target := newTestServer(t)
	target.acceptKeys = []ssh.PublicKey{client.signer.PublicKey()}

	c := direct(target)
	c.PrivateKey = strp(client.pem(t))
	c.Proxy = &connection{Host: bastion.host, Port: float64(bastion.port), User: "jump", Password: strp("bastion-pw"),
		HostKey: strp(bastionKey.authorizedKey), DialErrorLimit: 0, PerDialTimeout: 5}
	out, _, err := run1(t, c, "echo via-proxy")
	if err != nil || out != "via-proxy" {
		t.Fatalf("got %q, %v", out, err)
	}
	if len(target.ran()) != 1 || len(bastion.ran()) != 0 {
		t.Fatalf("the command must run on the target only: target %d, bastion %d", len(target.ran()), len(bastion.ran()))
	}

	c.Proxy.HostKey = strp(newKey(t, "ed25519").authorizedKey)
	if _, _, err := run1(t, c, "true"); err == nil || !strings.HasPrefix(err.Error(), "proxy: after 0 failed attempts: ") {
		t.Fatalf("got %v", err)
	}
	c.Proxy.HostKey = strp(bastionKey.authorizedKey)
	bastion.allowForward = false
	if _, _, err := run1(t, c, "true"); err == nil || !strings.HasPrefix(err.Error(), "proxy: after 0 failed attempts: ") ||
		!strings.Contains(err.Error(), "forwarding refused") {
		t.Fatalf("got %v", err)
	}
}
