package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Server implements pulumirpc.ResourceProviderServer for command:remote:Command.
type Server struct {
	pulumirpc.UnimplementedResourceProviderServer

	mu        sync.Mutex
	engine    pulumirpc.EngineClient // nil: log nowhere
	engineCon *grpc.ClientConn
	oldInputs bool // the engine sends old inputs (Configure)

	ctx    context.Context // cancelled by Cancel
	cancel context.CancelFunc
}

// NewServer makes a provider that logs to the engine at engineAddress ("" for none).
func NewServer(engineAddress string) (*Server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{ctx: ctx, cancel: cancel}
	if engineAddress != "" {
		if err := s.connectEngine(engineAddress); err != nil {
			cancel()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) connectEngine(addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("could not connect to the engine at %s: %w", addr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engineCon != nil {
		s.engineCon.Close()
	}
	s.engineCon, s.engine = conn, pulumirpc.NewEngineClient(conn)
	return nil
}

// Close releases the engine connection.
func (s *Server) Close() {
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engineCon != nil {
		s.engineCon.Close()
	}
}

// resourceLog sends a run's messages to the engine for one resource.
type resourceLog struct {
	ctx    context.Context
	engine pulumirpc.EngineClient
	urn    string
}

func (l resourceLog) send(sev pulumirpc.LogSeverity, msg string, ephemeral bool) {
	if l.engine == nil {
		return
	}
	_, _ = l.engine.Log(l.ctx, &pulumirpc.LogRequest{
		Severity: sev, Message: strings.ToValidUTF8(msg, "\uFFFD"), Urn: l.urn, Ephemeral: ephemeral,
	})
}

func (l resourceLog) status(msg string)  { l.send(pulumirpc.LogSeverity_INFO, msg, true) }
func (l resourceLog) warning(msg string) { l.send(pulumirpc.LogSeverity_WARNING, msg, false) }
func (l resourceLog) error(msg string)   { l.send(pulumirpc.LogSeverity_ERROR, msg, false) }

func (s *Server) logFor(ctx context.Context, urn string) resourceLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return resourceLog{ctx: ctx, engine: s.engine, urn: urn}
}

// opContext ends when either the request or the provider (Cancel) ends.
func (s *Server) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

var (
	unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}
	marshalOpts   = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}
)

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, unmarshalOpts)
}

// oldsAndNews checks that the request is for a remote Command and decodes its old and new properties (Diff, Update).
func oldsAndNews(urn, typ string, oldStruct, newStruct *structpb.Struct) (resource.PropertyMap, resource.PropertyMap, error) {
	if err := requireRemoteCommand(urn, typ); err != nil {
		return nil, nil, err
	}
	olds, err := unmarshal(oldStruct)
	if err != nil {
		return nil, nil, err
	}
	news, err := unmarshal(newStruct)
	if err != nil {
		return nil, nil, err
	}
	return olds, news, nil
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOpts)
}

// requireRemoteCommand refuses every token but command:remote:Command.
func requireRemoteCommand(urn, typ string) error {
	if typ == "" && urn != "" {
		typ = string(resource.URN(urn).Type())
	}
	if typ != RemoteCommand {
		return status.Error(codes.Unimplemented, notImplementedMessage(typ))
	}
	return nil
}

// ---- plugin metadata and provider configuration ------------------------------------------

func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: PluginInfoVersion}, nil
}

func (s *Server) GetSchema(_ context.Context, req *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	if req.GetSubpackageName() != "" {
		return nil, status.Errorf(codes.NotFound, "the command package has no subpackage %q", req.GetSubpackageName())
	}
	return &pulumirpc.GetSchemaResponse{Schema: schemaJSON()}, nil
}

// CheckConfig accepts any configuration: the command provider has none of its own.
func (s *Server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig: no configuration, so never a change that matters.
func (s *Server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	s.mu.Lock()
	s.oldInputs = req.GetSendsOldInputs() && req.GetSendsOldInputsToDelete()
	s.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (s *Server) Attach(_ context.Context, req *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	if err := s.connectEngine(req.GetAddress()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	s.cancel()
	return &emptypb.Empty{}, nil
}

// ---- what the stand-in does not implement --------------------------------------------------

func (s *Server) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, status.Error(codes.Unimplemented, notImplementedMessage(req.GetTok()))
}

func (s *Server) Call(_ context.Context, req *pulumirpc.CallRequest) (*pulumirpc.CallResponse, error) {
	return nil, status.Error(codes.Unimplemented, notImplementedMessage(req.GetTok()))
}

func (s *Server) Construct(_ context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	return nil, status.Error(codes.Unimplemented, notImplementedMessage(req.GetType()))
}

func (s *Server) Parameterize(context.Context, *pulumirpc.ParameterizeRequest) (*pulumirpc.ParameterizeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "the command provider cannot be parameterized")
}

// ---- command:remote:Command ------------------------------------------------------------

func checkFailures(fs []checkFailure) []*pulumirpc.CheckFailure {
	out := make([]*pulumirpc.CheckFailure, len(fs))
	for i, f := range fs {
		out[i] = &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason}
	}
	return out
}

// Check validates the inputs, applies the connection defaults (user root, port 22,
// dialErrorLimit 10, perDialTimeout 15) and makes the connection secret.
func (s *Server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := requireRemoteCommand(req.GetUrn(), req.GetType()); err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	inputs, failures := checkInputs(news)
	out, err := marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out, Failures: checkFailures(failures)}, nil
}

// Diff: any change of triggers replaces the resource; any other change is an update in place.
func (s *Server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news, err := oldsAndNews(req.GetUrn(), req.GetType(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	var oldInputs resource.PropertyMap
	s.mu.Lock()
	useOldInputs := s.oldInputs && req.GetOldInputs() != nil
	s.mu.Unlock()
	if useOldInputs {
		if oldInputs, err = unmarshal(req.GetOldInputs()); err != nil {
			return nil, err
		}
	} else {
		oldInputs = inputsOf(olds)
	}
	return diffCommand(oldInputs, olds, news, req.GetIgnoreChanges()), nil
}

// newID is the official id: the resource name and 8 random hex digits, no separator.
func newID(name string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return name + hex.EncodeToString(b), nil
}

// Create runs `create` (if set). In a preview nothing runs and stdout/stderr are unknown.
// A failed create returns only the error: no id, no state.
func (s *Server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := requireRemoteCommand(req.GetUrn(), req.GetType()); err != nil {
		return nil, err
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	name := req.GetName()
	if name == "" {
		name = resource.URN(req.GetUrn()).Name()
	}
	id, err := newID(name)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		unknown := resource.MakeComputed(resource.NewProperty(""))
		out, err := marshal(outputsOf(inputs, unknown, unknown))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
	}
	props, err := decodeCommand(inputs)
	if err != nil {
		return nil, err
	}
	stdout, stderr := "", ""
	if props.Create != nil {
		ctx, done := s.opContext(ctx)
		defer done()
		stdout, stderr, err = runCommand(ctx, props, *props.Create, s.logFor(ctx, req.GetUrn()))
		if err != nil {
			return nil, err
		}
	}
	out, err := marshal(outputsOf(inputs, resource.NewProperty(stdout), resource.NewProperty(stderr)))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// Update runs `update`, or else `create`, with the new inputs and the previous outputs in
// PULUMI_COMMAND_STDOUT/STDERR. With neither, the previous outputs stay. In a preview nothing
// runs; stdout/stderr are unknown when any input changed. A failed update returns only the
// error, so the engine keeps the old state.
func (s *Server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, news, err := oldsAndNews(req.GetUrn(), req.GetType(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	for _, path := range req.GetIgnoreChanges() {
		resetIgnored(olds, news, path)
	}
	prevStdout, prevStderr := olds[pStdout], olds[pStderr]
	if !prevStdout.IsString() {
		prevStdout = resource.NewProperty("")
	}
	if !prevStderr.IsString() {
		prevStderr = resource.NewProperty("")
	}
	if req.GetPreview() {
		stdout, stderr := prevStdout, prevStderr
		if inputsChanged(olds, news) {
			stdout = resource.MakeComputed(resource.NewProperty(""))
			stderr = stdout
		}
		out, err := marshal(outputsOf(news, stdout, stderr))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.UpdateResponse{Properties: out}, nil
	}
	props, err := decodeCommand(news)
	if err != nil {
		return nil, err
	}
	props.Stdout, props.Stderr = prevStdout.StringValue(), prevStderr.StringValue()
	cmd := props.Update
	if cmd == nil {
		cmd = props.Create
	}
	stdout, stderr := prevStdout, prevStderr
	if cmd != nil {
		ctx, done := s.opContext(ctx)
		defer done()
		o, e, err := runCommand(ctx, props, *cmd, s.logFor(ctx, req.GetUrn()))
		if err != nil {
			return nil, err
		}
		stdout, stderr = resource.NewProperty(o), resource.NewProperty(e)
	}
	out, err := marshal(outputsOf(news, stdout, stderr))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

// Delete runs `delete` (if set) with the stored state: the old connection, environment and
// stdin, and the last stdout/stderr in PULUMI_COMMAND_STDOUT/STDERR.
func (s *Server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if err := requireRemoteCommand(req.GetUrn(), req.GetType()); err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	props, err := decodeCommand(state)
	if err != nil {
		return nil, err
	}
	if props.Delete == nil {
		return &emptypb.Empty{}, nil
	}
	ctx, done := s.opContext(ctx)
	defer done()
	if _, _, err := runCommand(ctx, props, *props.Delete, s.logFor(ctx, req.GetUrn())); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Read (refresh, import) returns the state as it is, like the official plugin: a command has
// nothing to read back.
func (s *Server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if err := requireRemoteCommand(req.GetUrn(), req.GetType()); err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}
