package provider

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Retry timing of the official plugin (the Pulumi SDK's retry defaults): the first retry after
// 100 ms, each delay 1.5 times the one before, no delay over 5 s. Variables so tests can shrink them.
var (
	retryDelay    = 100 * time.Millisecond
	retryBackoff  = 1.5
	retryMaxDelay = 5 * time.Second
)

// statusFunc receives ephemeral progress messages ("Dial 1/10 failed: retrying").
type statusFunc func(msg string)

// clientConfig builds the SSH client configuration of a connection, as the official plugin does:
//   - host key: pinned with ssh.FixedHostKey and the host key algorithms limited to the pinned key's
//     type (exactly publicKey.Type(), so an ssh-rsa key allows only the "ssh-rsa" algorithm); without
//     hostKey any host key is accepted;
//   - authentication methods in this order: privateKey (decrypted with privateKeyPassword if given),
//     password, keyboard-interactive answering every question with the password, then the SSH agent
//     at agentSocketPath or else $SSH_AUTH_SOCK. golang.org/x/crypto/ssh tries each method name once,
//     so when a privateKey is refused, the agent (also "publickey") is not tried;
//   - cfg.Timeout = perDialTimeout seconds (0: unbounded); dialSSH bounds the whole attempt with it.
//
// The returned closer releases the agent connection, if any.
func clientConfig(c *connection) (*ssh.ClientConfig, io.Closer, error) {
	cfg := &ssh.ClientConfig{
		User:    c.User,
		Timeout: time.Duration(c.PerDialTimeout) * time.Second,
	}
	if c.HostKey != nil {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*c.HostKey))
		if err != nil {
			return nil, nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(pub)
		cfg.HostKeyAlgorithms = []string{pub.Type()}
	} else {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // the official plugin's behaviour without hostKey
	}
	if c.PrivateKey != nil {
		var signer ssh.Signer
		var err error
		if c.PrivateKeyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*c.PrivateKey), []byte(*c.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*c.PrivateKey))
		}
		if err != nil {
			return nil, nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.Password != nil {
		password := *c.Password
		cfg.Auth = append(cfg.Auth,
			ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}
	socket := ""
	if c.AgentSocketPath != nil {
		socket = *c.AgentSocketPath
	} else if env := os.Getenv("SSH_AUTH_SOCK"); env != "" {
		socket = env
	}
	var closer io.Closer = nopCloser{}
	if socket != "" {
		conn, err := net.Dial("unix", socket)
		if err != nil {
			return nil, nil, err
		}
		closer = conn
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return cfg, closer, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// dialWithRetry calls f until it succeeds, the context ends, or it has failed more than limit
// times (limit -1: no limit). This is the official plugin's loop: the attempt numbered `try`
// (from 0) gives up once try+1 > limit, so a limit of N makes N+1 attempts and the error then
// reads "after N failed attempts: <last error>". Between attempts: "<what> <n>/<limit> failed:
// retrying" as a status message, and a delay growing from retryDelay by retryBackoff up to
// retryMaxDelay.
func dialWithRetry[T any](ctx context.Context, what string, limit int, status statusFunc, f func() (T, error)) (T, error) {
	var zero T
	delay := retryDelay
	for try := 0; ; try++ {
		if delay > retryMaxDelay {
			delay = retryMaxDelay
		}
		result, err := f()
		if err == nil {
			return result, nil
		}
		dials := try + 1
		if limit > -1 && dials > limit {
			return zero, fmt.Errorf("after %d failed attempts: %w", try, err)
		}
		max := "inf"
		if limit != -1 {
			max = strconv.Itoa(limit)
		}
		if status != nil {
			status(fmt.Sprintf("%s %d/%s failed: retrying", what, dials, max))
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		delay = time.Duration(float64(delay) * retryBackoff)
	}
}

// dial opens the SSH client of a connection, through its proxy (bastion) if it has one, with the
// official plugin's retries: "Dial" (direct), or "Dial proxy", "Dial from proxy" and "Dial"
// (the SSH handshake over the proxied connection), errors of the proxied path prefixed "proxy: ".
func dial(ctx context.Context, c *connection, status statusFunc) (*ssh.Client, error) {
	cfg, agentConn, err := clientConfig(c)
	if err != nil {
		return nil, err
	}
	defer agentConn.Close()
	endpoint := net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))
	if c.Proxy == nil {
		return dialWithRetry(ctx, "Dial", c.DialErrorLimit, status, func() (*ssh.Client, error) {
			return dialSSH(endpoint, cfg)
		})
	}

	pcfg, proxyAgentConn, err := clientConfig(c.Proxy)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	defer proxyAgentConn.Close()
	proxyEndpoint := net.JoinHostPort(c.Proxy.Host, strconv.Itoa(int(c.Proxy.Port)))
	proxyClient, err := dialWithRetry(ctx, "Dial proxy", c.Proxy.DialErrorLimit, status, func() (*ssh.Client, error) {
		return dialSSH(proxyEndpoint, pcfg)
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	tunnel, err := dialWithRetry(ctx, "Dial from proxy", c.DialErrorLimit, status, func() (net.Conn, error) {
		return proxyClient.Dial("tcp", endpoint)
	})
	if err != nil {
		proxyClient.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	client, err := dialWithRetry(ctx, "Dial", c.DialErrorLimit, status, func() (*ssh.Client, error) {
		return handshake(tunnel, endpoint, cfg)
	})
	if err != nil {
		tunnel.Close()
		proxyClient.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	go func() {
		// The proxy connection lives as long as the client through it.
		_ = client.Wait()
		proxyClient.Close()
	}()
	return client, nil
}

// dialSSH is ssh.Dial with the whole attempt bounded by cfg.Timeout: ssh.Dial bounds only the
// TCP connect, so a server that accepts and never speaks SSH would hold a dial forever.
func dialSSH(addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	conn, err := net.DialTimeout("tcp", addr, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	client, err := handshake(conn, addr, cfg)
	if err != nil {
		conn.Close()
	}
	return client, err
}

// handshake runs the SSH handshake and authentication over conn within cfg.Timeout (0: no bound).
func handshake(conn net.Conn, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	var timer *time.Timer
	if cfg.Timeout > 0 {
		timer = time.AfterFunc(cfg.Timeout, func() { conn.Close() })
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if timer != nil && !timer.Stop() {
		if err == nil {
			c.Close()
		}
		return nil, fmt.Errorf("ssh: handshake with %s did not finish within %v", addr, cfg.Timeout)
	}
	if err != nil {
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}
