package provider

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// Serve starts the provider's gRPC server on a loopback port chosen by the kernel and calls
// ready with that port. It returns when ctx ends (or on SIGINT/SIGTERM when signals is true).
func Serve(ctx context.Context, engineAddress string, signals bool, ready func(port int)) error {
	if signals {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, err := NewServer(engineAddress)
	if err != nil {
		return err
	}
	defer srv.Close()
	if engineAddress != "" {
		// Stop once the engine is gone, as plugins built on the Pulumi SDK do.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			return fmt.Errorf("could not start the engine health check: %w", err)
		}
	}
	stopped := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stopped)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopped,
		Init: func(g *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(g, srv)
			return nil
		},
	})
	if err != nil {
		return err
	}
	ready(handle.Port)
	return <-handle.Done
}

// Main is the plugin's entry point. Arguments as the Pulumi engine passes them:
// [--logtostderr] [-v=N] [--tracing ENDPOINT] [ENGINE_ADDRESS]; --version/--about print the label.
// Nothing but the port goes to stdout.
func Main(args []string, stdout, stderr io.Writer) int {
	engine := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--version" || a == "-version" || a == "--about" || a == "-about":
			fmt.Fprintln(stdout, Label)
			return 0
		case a == "--tracing" || a == "-tracing":
			i++ // its value
		case strings.HasPrefix(a, "-"):
			// --logtostderr, -v=N, --tracing=X and any other flag: accepted and ignored.
		case engine == "":
			engine = a
		default:
			fmt.Fprintf(stderr, "pulumi-resource-command (offline stand-in): unexpected argument %q\n", a)
			return 2
		}
	}
	err := Serve(context.Background(), engine, true, func(port int) {
		fmt.Fprintf(stdout, "%d\n", port)
	})
	if err != nil {
		fmt.Fprintf(stderr, "pulumi-resource-command (offline stand-in): %v\n", err)
		return 1
	}
	return 0
}
