package provider

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const testURN = "urn:pulumi:dev::proj::command:remote:Command::node1-ohm0"

// fakeEngine records what the provider logs, as the Pulumi engine's Engine service would receive it.
type fakeEngine struct {
	pulumirpc.UnimplementedEngineServer
	mu   sync.Mutex
	logs []*pulumirpc.LogRequest
}

func (e *fakeEngine) Log(_ context.Context, req *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, req)
	return &emptypb.Empty{}, nil
}

func (e *fakeEngine) messages() []*pulumirpc.LogRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*pulumirpc.LogRequest(nil), e.logs...)
}

func (e *fakeEngine) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = nil
}

// rig is a provider served over gRPC on 127.0.0.1, as the engine would reach it.
type rig struct {
	t      *testing.T
	engine *fakeEngine
	client pulumirpc.ResourceProviderClient
}

func newRig(t *testing.T) *rig {
	t.Helper()
	eng := &fakeEngine{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	pulumirpc.RegisterEngineServer(gs, eng)
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)

	ctx, cancel := context.WithCancel(context.Background())
	ports := make(chan int, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l.Addr().String(), false, func(p int) { ports <- p }) }()
	var port int
	select {
	case port = <-ports:
	case err := <-done:
		t.Fatalf("provider did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("provider did not start within 10 s")
	}
	conn, err := grpc.NewClient(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		<-done
	})
	r := &rig{t: t, engine: eng, client: pulumirpc.NewResourceProviderClient(conn)}
	if _, err := r.client.Configure(context.Background(), &pulumirpc.ConfigureRequest{
		AcceptSecrets: true, AcceptResources: true, SendsOldInputs: true, SendsOldInputsToDelete: true,
	}); err != nil {
		t.Fatal(err)
	}
	return r
}

func toStruct(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fromStruct(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// check runs Check and returns the checked inputs (failing the test on failures).
func (r *rig) check(inputs resource.PropertyMap) resource.PropertyMap {
	r.t.Helper()
	resp, err := r.client.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: testURN, Type: RemoteCommand, Name: "node1-ohm0", News: toStruct(r.t, inputs),
	})
	if err != nil {
		r.t.Fatalf("Check: %v", err)
	}
	if len(resp.GetFailures()) > 0 {
		r.t.Fatalf("Check failures: %v", resp.GetFailures())
	}
	return fromStruct(r.t, resp.GetInputs())
}

func (r *rig) create(inputs resource.PropertyMap, preview bool) (*pulumirpc.CreateResponse, error) {
	return r.client.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: testURN, Type: RemoteCommand, Name: "node1-ohm0", Properties: toStruct(r.t, inputs), Preview: preview,
	})
}

func (r *rig) update(olds, news resource.PropertyMap, preview bool) (*pulumirpc.UpdateResponse, error) {
	return r.client.Update(context.Background(), &pulumirpc.UpdateRequest{
		Id: "node1-ohm0deadbeef", Urn: testURN, Type: RemoteCommand, Name: "node1-ohm0",
		Olds: toStruct(r.t, olds), News: toStruct(r.t, news), OldInputs: toStruct(r.t, inputsOf(olds)), Preview: preview,
	})
}

func (r *rig) delete(state resource.PropertyMap) error {
	_, err := r.client.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Id: "node1-ohm0deadbeef", Urn: testURN, Type: RemoteCommand, Name: "node1-ohm0",
		Properties: toStruct(r.t, state), OldInputs: toStruct(r.t, inputsOf(state)),
	})
	return err
}

func (r *rig) diff(olds, news resource.PropertyMap, ignore ...string) *pulumirpc.DiffResponse {
	r.t.Helper()
	resp, err := r.client.Diff(context.Background(), &pulumirpc.DiffRequest{
		Id: "node1-ohm0deadbeef", Urn: testURN, Type: RemoteCommand, Name: "node1-ohm0",
		Olds: toStruct(r.t, olds), News: toStruct(r.t, news), OldInputs: toStruct(r.t, inputsOf(olds)), IgnoreChanges: ignore,
	})
	if err != nil {
		r.t.Fatalf("Diff: %v", err)
	}
	return resp
}

// pm builds a PropertyMap from plain Go values.
func pm(v map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(v) }

// connTo is a connection input to a test server: pinned host key, the given auth, small dial limits.
func connTo(s *testServer, fields map[string]any) resource.PropertyValue {
	m := map[string]any{"host": s.host, "port": float64(s.port), "user": "tester", "dialErrorLimit": 0.0, "perDialTimeout": 5.0}
	for k, v := range fields {
		m[k] = v
	}
	return resource.MakeSecret(resource.NewProperty(resource.NewPropertyMapFromMap(m)))
}
