package provider

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Environment variables that carry the previous create/update outputs into the next run.
const (
	envPreviousStdout = "PULUMI_COMMAND_STDOUT"
	envPreviousStderr = "PULUMI_COMMAND_STDERR"
)

// logSink receives what a run reports to the engine for the resource being worked on.
type logSink interface {
	// status: an ephemeral info message (the official plugin's InfoStatus: command output lines
	// and dial retries).
	status(msg string)
	warning(msg string)
	error(msg string)
}

// sessionPlan is what is sent on the SSH session before the command: environment variables in
// order (with whether a refusal is fatal), and stdin (nil: none).
type sessionPlan struct {
	env   []envVar
	stdin *string
}

type envVar struct {
	name, value string
	required    bool // a refusal by the server fails the run (else: a warning)
}

// planSession decides the session setup as the official plugin does: every `environment` entry
// (a refusal is an error), then, unless addPreviousOutputInEnv is false, PULUMI_COMMAND_STDOUT and
// PULUMI_COMMAND_STDERR with the previous outputs when those are not empty (a refusal is only a
// warning); stdin only when it is not empty.
func planSession(c *commandProps) sessionPlan {
	var p sessionPlan
	names := make([]string, 0, len(c.Environment))
	for k := range c.Environment {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p.env = append(p.env, envVar{k, c.Environment[k], true})
	}
	if c.addPreviousOutput() {
		if c.Stdout != "" {
			p.env = append(p.env, envVar{envPreviousStdout, c.Stdout, false})
		}
		if c.Stderr != "" {
			p.env = append(p.env, envVar{envPreviousStderr, c.Stderr, false})
		}
	}
	if c.Stdin != nil && len(*c.Stdin) > 0 {
		p.stdin = c.Stdin
	}
	return p
}

func setenvMessage(name string) string {
	// The official plugin's wording, line breaks and indentation included.
	return fmt.Sprintf(`Unable to set '%s'. This only works if your SSH server is configured to accept
	these variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote host, you could
	prefix the command itself with the variables in the form 'VAR=value command'`, name)
}

// lockedBuffer is a bytes.Buffer safe for the concurrent stdout and stderr copiers.
type lockedBuffer struct {
	mu  *sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// runCommand runs cmd over SSH with the connection, environment and stdin of c, with c's
// previous stdout/stderr as PULUMI_COMMAND_STDOUT/STDERR. It returns the new stdout and stderr,
// each without one trailing newline. A failed command's error reads
// `<err>: running "<cmd>":\n<stdout and stderr as they interleaved>`.
func runCommand(ctx context.Context, c *commandProps, cmd string, log logSink) (string, string, error) {
	if c.Connection == nil {
		return "", "", fmt.Errorf("the connection is not known")
	}
	client, err := dial(ctx, c.Connection, log.status)
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", "", err
	}
	defer session.Close()

	plan := planSession(c)
	for _, e := range plan.env {
		if err := session.Setenv(e.name, e.value); err != nil {
			if e.required {
				log.error(setenvMessage(e.name))
				return "", "", fmt.Errorf("could not set environment variable %q: %w", e.name, err)
			}
			log.warning(setenvMessage(e.name))
		}
	}
	if plan.stdin != nil {
		session.Stdin = strings.NewReader(*plan.stdin)
	}

	var mu sync.Mutex
	stdout := &lockedBuffer{mu: &mu}
	stderr := &lockedBuffer{mu: &mu}
	combined := &lockedBuffer{mu: new(sync.Mutex)}
	pr, pw := io.Pipe()
	outWriters := []io.Writer{stdout, combined}
	if c.logStdout() {
		outWriters = append(outWriters, pw)
	}
	errWriters := []io.Writer{stderr, combined}
	if c.logStderr() {
		errWriters = append(errWriters, pw)
	}
	session.Stdout = io.MultiWriter(outWriters...)
	session.Stderr = io.MultiWriter(errWriters...)

	logged := make(chan struct{})
	go func() {
		defer close(logged)
		scanner := bufio.NewScanner(pr)
		scanner.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for scanner.Scan() {
			log.status(scanner.Text())
		}
		// Never leave the writers blocked (an over-long line ends the scanner).
		_, _ = io.Copy(io.Discard, pr)
	}()

	err = session.Run(cmd)
	pw.Close()
	<-logged

	if err != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s", err, cmd, combined.buf.String())
	}
	return strings.TrimSuffix(stdout.buf.String(), "\n"), strings.TrimSuffix(stderr.buf.String(), "\n"), nil
}
