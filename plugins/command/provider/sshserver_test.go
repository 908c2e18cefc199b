package provider

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// testKey is a client or host key pair in the encodings the provider takes.
type testKey struct {
	signer        ssh.Signer
	private       any
	authorizedKey string // "ssh-ed25519 AAAA..."
}

func (k testKey) pem(t *testing.T) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(k.private, "test")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func (k testKey) encryptedPEM(t *testing.T, passphrase string) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKeyWithPassphrase(k.private, "test", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func newKey(t *testing.T, kind string) testKey {
	t.Helper()
	var priv any
	var err error
	switch kind {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown key kind %s", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{signer: signer, private: priv, authorizedKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))}
}

// execRecord is one command the test server ran.
type execRecord struct {
	cmd   string
	env   map[string]string
	stdin string
}

// testServer is an in-process SSH server on 127.0.0.1 (random port) that runs exec requests
// with /bin/sh on this machine, records what it was sent, and can forward (direct-tcpip) for
// proxy tests. Authentication offers publickey, password and keyboard-interactive and accepts
// only what the test configured.
type testServer struct {
	t        *testing.T
	addr     string
	host     string
	port     int
	listener net.Listener

	acceptKeys     []ssh.PublicKey
	acceptPassword string // password method
	acceptKbd      string // keyboard-interactive answer
	refuseEnv      map[string]bool
	allowForward   bool
	hostKeysSet    bool

	mu      sync.Mutex
	authLog []string
	conns   int
	execs   []execRecord
}

type serverOption func(*testServer, *ssh.ServerConfig)

func withHostKeys(keys ...ssh.Signer) serverOption {
	return func(s *testServer, c *ssh.ServerConfig) {
		s.hostKeysSet = true
		for _, k := range keys {
			c.AddHostKey(k)
		}
	}
}

func newTestServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	s := &testServer{t: t, refuseEnv: map[string]bool{}}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range s.acceptKeys {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return &ssh.Permissions{}, nil
				}
			}
			return nil, errors.New("key refused")
		},
		PasswordCallback: func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if s.acceptPassword != "" && string(pw) == s.acceptPassword {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("password refused")
		},
		KeyboardInteractiveCallback: func(_ ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := challenge("", "", []string{"Password: ", "Again: "}, []bool{false, false})
			if err != nil {
				return nil, err
			}
			if s.acceptKbd != "" && len(answers) == 2 && answers[0] == s.acceptKbd && answers[1] == s.acceptKbd {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("keyboard-interactive refused")
		},
		AuthLogCallback: func(_ ssh.ConnMetadata, method string, _ error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if n := len(s.authLog); n == 0 || s.authLog[n-1] != method {
				s.authLog = append(s.authLog, method)
			}
		},
	}
	for _, o := range opts {
		o(s, cfg)
	}
	if !s.hostKeysSet {
		cfg.AddHostKey(newKey(t, "ed25519").signer)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.listener = l
	s.addr = l.Addr().String()
	s.host = "127.0.0.1"
	s.port = l.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go s.serve(conn, cfg)
		}
	}()
	return s
}

func (s *testServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *testServer) auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authLog...)
}

func (s *testServer) ran() []execRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]execRecord(nil), s.execs...)
}

func (s *testServer) serve(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			go s.session(ch, creqs)
		case "direct-tcpip":
			if !s.allowForward {
				nc.Reject(ssh.Prohibited, "forwarding refused")
				continue
			}
			var target struct {
				Host     string
				Port     uint32
				OrigHost string
				OrigPort uint32
			}
			if err := ssh.Unmarshal(nc.ExtraData(), &target); err != nil {
				nc.Reject(ssh.ConnectionFailed, err.Error())
				continue
			}
			up, err := net.Dial("tcp", net.JoinHostPort(target.Host, fmt.Sprint(target.Port)))
			if err != nil {
				nc.Reject(ssh.ConnectionFailed, err.Error())
				continue
			}
			ch, creqs, err := nc.Accept()
			if err != nil {
				up.Close()
				continue
			}
			go ssh.DiscardRequests(creqs)
			go func() {
				defer ch.Close()
				defer up.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(ch, up); done <- struct{}{} }()
				go func() { _, _ = io.Copy(up, ch); done <- struct{}{} }()
				<-done
			}()
		default:
			nc.Reject(ssh.UnknownChannelType, "unsupported")
		}
	}
}

func (s *testServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	env := map[string]string{}
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if err := ssh.Unmarshal(req.Payload, &kv); err != nil || s.refuseEnv[kv.Name] || s.refuseEnv["*"] {
				req.Reply(false, nil)
				continue
			}
			env[kv.Name] = kv.Value
			req.Reply(true, nil)
		case "exec":
			var cmd struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			var stdin bytes.Buffer
			c := exec.Command("/bin/sh", "-c", cmd.Command)
			c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
			for k, v := range env {
				c.Env = append(c.Env, k+"="+v)
			}
			c.Stdin = io.TeeReader(ch, &stdin)
			c.Stdout = ch
			c.Stderr = ch.Stderr()
			status := uint32(0)
			if err := c.Run(); err != nil {
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					status = uint32(exit.ExitCode())
				} else {
					status = 255
				}
			}
			s.mu.Lock()
			s.execs = append(s.execs, execRecord{cmd: cmd.Command, env: env, stdin: stdin.String()})
			s.mu.Unlock()
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// startAgent serves an SSH agent holding keys on a unix socket in a temp dir.
func startAgent(t *testing.T, keys ...testKey) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k.private}); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = agent.ServeAgent(keyring, c) }()
		}
	}()
	return sock
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
