package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// grpcServer is a test SSH server plus the connection input reaching it with a key.
func grpcServer(t *testing.T) (*testServer, resource.PropertyValue) {
	t.Helper()
	noAgent(t)
	key := newKey(t, "ed25519")
	host := newKey(t, "ed25519")
	s := newTestServer(t, withHostKeys(host.signer))
	s.acceptKeys = []ssh.PublicKey{key.signer.PublicKey()}
	return s, connTo(s, map[string]any{"privateKey": key.pem(t), "hostKey": host.authorizedKey})
}

func connField(t *testing.T, m resource.PropertyMap, k string) resource.PropertyValue {
	t.Helper()
	c := m[pConnection]
	if !c.IsSecret() {
		t.Fatalf("connection is not secret: %v", c)
	}
	return c.SecretValue().Element.ObjectValue()[resource.PropertyKey(k)]
}

func TestCheckDefaultsAndSecrets(t *testing.T) {
	r := newRig(t)
	in := pm(map[string]any{
		"connection": map[string]any{"host": "10.0.0.1", "password": "pw", "proxy": map[string]any{"host": "bastion", "privateKey": "k"}},
		"create":     "echo hi",
		"ignored":    "not an input of remote:Command",
		"__internal": "kept",
	})
	out := r.check(in)
	for k, want := range map[string]any{"user": "root", "port": 22.0, "dialErrorLimit": 10.0, "perDialTimeout": 15.0, "host": "10.0.0.1"} {
		if got := connField(t, out, k); !got.DeepEquals(resource.NewPropertyValue(want)) {
			t.Fatalf("connection.%s = %v, want %v", k, got, want)
		}
	}
	if pw := connField(t, out, "password"); !pw.IsSecret() {
		t.Fatal("connection.password must be secret inside the secret connection")
	}
	proxy := connField(t, out, "proxy").ObjectValue()
	if proxy["user"].StringValue() != "root" || proxy["port"].NumberValue() != 22 || proxy["dialErrorLimit"].NumberValue() != 10 ||
		proxy["perDialTimeout"].NumberValue() != 15 || !proxy["privateKey"].IsSecret() {
		t.Fatalf("proxy defaults/secrets: %v", proxy)
	}
	if _, ok := out["ignored"]; ok {
		t.Fatal("unknown properties must be dropped")
	}
	if out["__internal"].StringValue() != "kept" {
		t.Fatal("engine-internal keys must be kept")
	}
	// Explicit values win over defaults.
	out = r.check(pm(map[string]any{"connection": map[string]any{"host": "h", "user": "stack", "port": 2222.0, "dialErrorLimit": 3.0, "perDialTimeout": 10.0}}))
	if connField(t, out, "user").StringValue() != "stack" || connField(t, out, "port").NumberValue() != 2222 ||
		connField(t, out, "dialErrorLimit").NumberValue() != 3 || connField(t, out, "perDialTimeout").NumberValue() != 10 {
		t.Fatalf("explicit connection values changed: %v", out[pConnection])
	}
	// A secret stdin stays secret; an unknown connection (preview) stays unknown.
	out = r.check(resource.PropertyMap{
		"connection": resource.MakeComputed(resource.NewProperty("")),
		"stdin":      resource.MakeSecret(resource.NewProperty("s")),
	})
	if !out["stdin"].IsSecret() || !(out[pConnection].IsComputed() || (out[pConnection].IsSecret() && out[pConnection].SecretValue().Element.IsComputed())) {
		t.Fatalf("got %v", out)
	}
}

func TestCheckFailures(t *testing.T) {
	r := newRig(t)
	resp, err := r.client.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: testURN, Type: RemoteCommand, News: toStruct(t, pm(map[string]any{
			"create": 3.0, "environment": map[string]any{"A": true}, "triggers": "x", "logging": 1.0,
			"connection": map[string]any{"port": "22", "dialErrorLimit": 2.5},
		})),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range resp.GetFailures() {
		got[f.GetProperty()] = true
	}
	for _, p := range []string{"create", "environment.A", "triggers", "logging", "connection.host", "connection.port", "connection.dialErrorLimit"} {
		if !got[p] {
			t.Fatalf("no failure for %s: %v", p, resp.GetFailures())
		}
	}
	resp, _ = r.client.Check(context.Background(), &pulumirpc.CheckRequest{Urn: testURN, Type: RemoteCommand, News: toStruct(t, pm(map[string]any{"create": "x"}))})
	if len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetProperty() != "connection" {
		t.Fatalf("a missing connection must fail: %v", resp.GetFailures())
	}
}

func TestOtherTokensAreRefused(t *testing.T) {
	r := newRig(t)
	wantMsg := func(tok string) string {
		return tok + " is not implemented by the offline stand-in of pulumi-resource-command; install the official plugin: pulumi plugin install resource command 1.2.1"
	}
	for _, tok := range []string{"command:local:Command", "command:remote:CopyToRemote", "command:remote:CopyFile"} {
		urn := "urn:pulumi:dev::proj::" + tok + "::x"
		_, err := r.client.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, Type: tok, News: toStruct(t, pm(map[string]any{}))})
		if status.Convert(err).Message() != wantMsg(tok) || status.Code(err) != codes.Unimplemented {
			t.Fatalf("%s: got %v", tok, err)
		}
		_, err = r.client.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: toStruct(t, pm(map[string]any{}))})
		if status.Convert(err).Message() != wantMsg(tok) {
			t.Fatalf("%s create (type from the URN): got %v", tok, err)
		}
	}
	_, err := r.client.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "command:local:run"})
	if status.Convert(err).Message() != wantMsg("command:local:run") {
		t.Fatalf("invoke: got %v", err)
	}
}

func TestPluginInfoSchemaAndConfig(t *testing.T) {
	r := newRig(t)
	info, err := r.client.GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil || !strings.HasPrefix(info.GetVersion(), "1.2.1+offline") {
		t.Fatalf("plugin info %v, %v", info, err)
	}
	sch, err := r.client.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Name, Version, Description string
		Resources                  map[string]struct {
			InputProperties map[string]struct {
				ReplaceOnChanges bool
				Secret           bool
			}
		}
	}
	if err := json.Unmarshal([]byte(sch.GetSchema()), &spec); err != nil {
		t.Fatal(err)
	}
	rc := spec.Resources[RemoteCommand]
	if spec.Name != "command" || spec.Version != "1.2.1" || !strings.Contains(spec.Description, "offline stand-in") ||
		!rc.InputProperties["triggers"].ReplaceOnChanges || !rc.InputProperties["connection"].Secret || len(spec.Resources) != 1 {
		t.Fatalf("schema %+v", spec)
	}
	cfg := toStruct(t, pm(map[string]any{"version": "1.2.1", "anything": "goes"}))
	cc, err := r.client.CheckConfig(context.Background(), &pulumirpc.CheckRequest{Urn: "urn:pulumi:dev::proj::pulumi:providers:command::default", News: cfg})
	if err != nil || len(cc.GetFailures()) != 0 || cc.GetInputs().GetFields()["anything"].GetStringValue() != "goes" {
		t.Fatalf("CheckConfig %v %v", cc, err)
	}
	dc, err := r.client.DiffConfig(context.Background(), &pulumirpc.DiffRequest{Olds: cfg, News: toStruct(t, pm(map[string]any{"other": "x"}))})
	if err != nil || dc.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("DiffConfig %v %v", dc, err)
	}
}

func TestMainVersionFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"--version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out.String() != "pulumi-resource-command 1.2.1 (offline stand-in of the official plugin, tricircle-lbaas)\n" {
		t.Fatalf("--version printed %q", out.String())
	}
	out.Reset()
	if code := Main([]string{"a", "b"}, &out, &errOut); code != 2 || out.Len() != 0 {
		t.Fatalf("two engine addresses: exit %d, stdout %q", code, out.String())
	}
}

func TestDiff(t *testing.T) {
	r := newRig(t)
	conn := resource.MakeSecret(resource.NewProperty(pm(map[string]any{"host": "h", "user": "root", "port": 22.0})))
	base := resource.PropertyMap{
		"connection": conn, "create": resource.NewProperty("echo 1"),
		"triggers": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("a"), resource.NewProperty(1.0)}),
	}
	olds := base.Copy()
	olds["stdout"], olds["stderr"] = resource.NewProperty("out"), resource.NewProperty("")

	if d := r.diff(olds, base.Copy()); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE || len(d.GetDiffs()) != 0 || len(d.GetReplaces()) != 0 {
		t.Fatalf("no change must be no diff: %v", d)
	}

	news := base.Copy()
	news["create"] = resource.NewProperty("echo 2")
	news["stdin"] = resource.NewProperty("new")
	d := r.diff(olds, news)
	if d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || !reflect.DeepEqual(d.GetDiffs(), []string{"create", "stdin"}) || len(d.GetReplaces()) != 0 {
		t.Fatalf("other changes must be updates: %v", d)
	}
	if d.GetDetailedDiff()["create"].GetKind() != pulumirpc.PropertyDiff_UPDATE || d.GetDetailedDiff()["stdin"].GetKind() != pulumirpc.PropertyDiff_ADD {
		t.Fatalf("detailed %v", d.GetDetailedDiff())
	}

	news = base.Copy()
	news["connection"] = resource.MakeSecret(resource.NewProperty(pm(map[string]any{"host": "h2", "user": "root", "port": 22.0})))
	if d := r.diff(olds, news); !reflect.DeepEqual(d.GetDiffs(), []string{"connection"}) || len(d.GetReplaces()) != 0 {
		t.Fatalf("a connection change is an update: %v", d)
	}

	news = base.Copy()
	news["triggers"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty("b"), resource.NewProperty(1.0)})
	d = r.diff(olds, news)
	if !reflect.DeepEqual(d.GetReplaces(), []string{"triggers"}) || d.GetDetailedDiff()["triggers[0]"].GetKind() != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Fatalf("a triggers change must replace: %v", d)
	}
	news = base.Copy()
	delete(news, "triggers")
	if d := r.diff(olds, news); !reflect.DeepEqual(d.GetReplaces(), []string{"triggers"}) || d.GetDetailedDiff()["triggers"].GetKind() != pulumirpc.PropertyDiff_DELETE_REPLACE {
		t.Fatalf("removing triggers must replace: %v", d)
	}
	news = base.Copy()
	news["triggers"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty("a"), resource.NewProperty(1.0), resource.NewProperty(true)})
	if d := r.diff(olds, news); !reflect.DeepEqual(d.GetReplaces(), []string{"triggers"}) {
		t.Fatalf("a new trigger must replace: %v", d)
	}

	// ignoreChanges and the engine's internal keys take no part.
	news = base.Copy()
	news["create"] = resource.NewProperty("echo 2")
	news["__meta"] = resource.NewProperty("x")
	if d := r.diff(olds, news, "create"); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("ignored change: %v", d)
	}
}

var idPattern = regexp.MustCompile(`^node1-ohm0[0-9a-f]{8}$`)

func TestCreatePreviewRunsNothing(t *testing.T) {
	r := newRig(t)
	s, conn := grpcServer(t)
	in := r.check(resource.PropertyMap{"connection": conn, "create": resource.NewProperty("touch /should-not-exist")})
	resp, err := r.create(in, true)
	if err != nil {
		t.Fatal(err)
	}
	out := fromStruct(t, resp.GetProperties())
	if !out["stdout"].IsComputed() || !out["stderr"].IsComputed() {
		t.Fatalf("preview stdout/stderr must be unknown: %v", out)
	}
	if out["create"].StringValue() != "touch /should-not-exist" || !out["connection"].IsSecret() {
		t.Fatalf("preview must mirror the inputs: %v", out)
	}
	if s.connections() != 0 {
		t.Fatal("a preview dialled the host")
	}
}

func TestCreateUpdateDelete(t *testing.T) {
	r := newRig(t)
	s, conn := grpcServer(t)
	dir := t.TempDir()
	in := r.check(resource.PropertyMap{
		"connection":  conn,
		"create":      resource.NewProperty(`echo created; echo warn >&2; cat > ` + filepath.Join(dir, "stdin")),
		"update":      resource.NewProperty(`echo "updated prev=[$PULUMI_COMMAND_STDOUT|$PULUMI_COMMAND_STDERR] v=$V"`),
		"delete":      resource.NewProperty(`echo "$PULUMI_COMMAND_STDOUT|$PULUMI_COMMAND_STDERR|$V|$(cat)" > ` + filepath.Join(dir, "deleted")),
		"stdin":       resource.MakeSecret(resource.NewProperty("secret-input")),
		"environment": resource.NewProperty(pm(map[string]any{"V": "1"})),
		"logging":     resource.NewProperty("stdout"),
	})
	resp, err := r.create(in, false)
	if err != nil {
		t.Fatal(err)
	}
	if !idPattern.MatchString(resp.GetId()) {
		t.Fatalf("id %q is not the name and 8 hex digits", resp.GetId())
	}
	state := fromStruct(t, resp.GetProperties())
	if state["stdout"].StringValue() != "created" || state["stderr"].StringValue() != "warn" {
		t.Fatalf("create outputs %v", state)
	}
	if state["stdout"].IsSecret() || !state["stdin"].IsSecret() || !state["connection"].IsSecret() {
		t.Fatalf("secretness: stdout %v stdin %v", state["stdout"], state["stdin"])
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "stdin")); string(b) != "secret-input" {
		t.Fatalf("stdin received %q", b)
	}
	// logging: stdout -> ephemeral info lines for stdout only, on the resource's URN.
	var lines []string
	for _, l := range r.engine.messages() {
		if l.GetEphemeral() && l.GetSeverity() == pulumirpc.LogSeverity_INFO && l.GetUrn() == testURN {
			lines = append(lines, l.GetMessage())
		}
	}
	if !reflect.DeepEqual(lines, []string{"created"}) {
		t.Fatalf("logged %v", r.engine.messages())
	}

	// Update: `update` runs (not create) with the new environment and the previous outputs.
	news := in.Copy()
	news["environment"] = resource.NewProperty(pm(map[string]any{"V": "2"}))
	uresp, err := r.update(state, news, false)
	if err != nil {
		t.Fatal(err)
	}
	state2 := fromStruct(t, uresp.GetProperties())
	if got := state2["stdout"].StringValue(); got != "updated prev=[created|warn] v=2" {
		t.Fatalf("update stdout %q", got)
	}
	if state2["environment"].ObjectValue()["V"].StringValue() != "2" {
		t.Fatal("the new inputs must be in the state")
	}

	// Update preview: nothing runs, stdout unknown because inputs changed.
	runs := len(s.ran())
	news2 := state2.Copy()
	news2["update"] = resource.NewProperty("echo other")
	p, err := r.update(state2, inputsOf(news2), true)
	if err != nil {
		t.Fatal(err)
	}
	if pv := fromStruct(t, p.GetProperties()); !pv["stdout"].IsComputed() || len(s.ran()) != runs {
		t.Fatalf("update preview: %v, runs %d->%d", pv, runs, len(s.ran()))
	}

	// Delete: the stored (old) environment and stdin, previous outputs in the environment.
	if err := r.delete(state2); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "deleted")); string(b) != "updated prev=[created|warn] v=2||2|secret-input\n" {
		t.Fatalf("delete saw %q", b)
	}

	// addPreviousOutputInEnv: false keeps PULUMI_COMMAND_* out.
	st := state2.Copy()
	st["addPreviousOutputInEnv"] = resource.NewProperty(false)
	if err := r.delete(st); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "deleted")); string(b) != "||2|secret-input\n" {
		t.Fatalf("delete without previous outputs saw %q", b)
	}
	last := s.ran()[len(s.ran())-1]
	if _, set := last.env[envPreviousStdout]; set {
		t.Fatal("PULUMI_COMMAND_STDOUT was sent although addPreviousOutputInEnv is false")
	}
}

func TestDeleteUsesOldConnection(t *testing.T) {
	r := newRig(t)
	oldHost, oldConn := grpcServer(t)
	state := r.check(resource.PropertyMap{"connection": oldConn, "delete": resource.NewProperty("echo bye")})
	state["stdout"], state["stderr"] = resource.NewProperty(""), resource.NewProperty("")
	if err := r.delete(state); err != nil {
		t.Fatal(err)
	}
	if len(oldHost.ran()) != 1 || oldHost.ran()[0].cmd != "echo bye" {
		t.Fatalf("delete did not run on the stored host: %v", oldHost.ran())
	}
	delete(state, "delete")
	if err := r.delete(state); err != nil || oldHost.connections() != 1 {
		t.Fatalf("without delete nothing may run: %v, %d connections", err, oldHost.connections())
	}
}

func TestUpdateFallsBackToCreate(t *testing.T) {
	r := newRig(t)
	s, conn := grpcServer(t)
	olds := r.check(resource.PropertyMap{"connection": conn, "create": resource.NewProperty("echo c1")})
	olds["stdout"], olds["stderr"] = resource.NewProperty("c1"), resource.NewProperty("")
	news := olds.Copy()
	news["create"] = resource.NewProperty(`echo "c2 after $PULUMI_COMMAND_STDOUT"`)
	resp, err := r.update(olds, inputsOf(news), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := fromStruct(t, resp.GetProperties())["stdout"].StringValue(); got != "c2 after c1" {
		t.Fatalf("stdout %q", got)
	}
	// Neither update nor create: nothing runs, the previous outputs stay.
	n := len(s.ran())
	news = inputsOf(olds)
	delete(news, "create")
	news["stdin"] = resource.NewProperty("x")
	resp, err = r.update(olds, news, false)
	if err != nil || fromStruct(t, resp.GetProperties())["stdout"].StringValue() != "c1" || len(s.ran()) != n {
		t.Fatalf("got %v %v, runs %d->%d", resp, err, n, len(s.ran()))
	}
}

func TestFailedCreateSavesNothing(t *testing.T) {
	r := newRig(t)
	_, conn := grpcServer(t)
	in := r.check(resource.PropertyMap{"connection": conn, "create": resource.NewProperty("echo half-done; exit 4")})
	resp, err := r.create(in, false)
	if err == nil || resp != nil {
		t.Fatalf("a failed create must return only an error, got %v", resp)
	}
	st := status.Convert(err)
	if st.Message() != "Process exited with status 4: running \"echo half-done; exit 4\":\nhalf-done\n" || len(st.Details()) != 0 {
		t.Fatalf("error %q details %v", st.Message(), st.Details())
	}
}

func TestFailedUpdateKeepsOldState(t *testing.T) {
	r := newRig(t)
	_, conn := grpcServer(t)
	olds := r.check(resource.PropertyMap{"connection": conn, "create": resource.NewProperty("echo ok")})
	olds["stdout"], olds["stderr"] = resource.NewProperty("ok"), resource.NewProperty("")
	news := inputsOf(olds)
	news["update"] = resource.NewProperty("exit 7")
	resp, err := r.update(olds, news, false)
	if err == nil || resp != nil || !strings.HasPrefix(status.Convert(err).Message(), "Process exited with status 7: running \"exit 7\":") {
		t.Fatalf("got %v, %v", resp, err)
	}
	if len(status.Convert(err).Details()) != 0 {
		t.Fatal("a failed update must not send partial state (ErrorResourceInitFailed)")
	}
}

func TestDialFailureThroughProvider(t *testing.T) {
	r := newRig(t)
	noAgent(t)
	port := closedPort(t)
	in := r.check(resource.PropertyMap{
		"connection": resource.NewProperty(pm(map[string]any{"host": "127.0.0.1", "port": float64(port), "password": "x", "dialErrorLimit": 2.0})),
		"create":     resource.NewProperty("true"),
	})
	_, err := r.create(in, false)
	if err == nil || !strings.HasPrefix(status.Convert(err).Message(), "after 2 failed attempts: dial tcp 127.0.0.1:") {
		t.Fatalf("got %v", err)
	}
	var retries []string
	for _, l := range r.engine.messages() {
		if l.GetEphemeral() && strings.HasPrefix(l.GetMessage(), "Dial ") {
			retries = append(retries, l.GetMessage())
		}
	}
	if !reflect.DeepEqual(retries, []string{"Dial 1/2 failed: retrying", "Dial 2/2 failed: retrying"}) {
		t.Fatalf("retry statuses %v", retries)
	}
}

func TestReadReturnsStateAsIs(t *testing.T) {
	r := newRig(t)
	state := toStruct(t, pm(map[string]any{"create": "x", "stdout": "o", "stderr": ""}))
	inputs := toStruct(t, pm(map[string]any{"create": "x"}))
	resp, err := r.client.Read(context.Background(), &pulumirpc.ReadRequest{Id: "abc", Urn: testURN, Properties: state, Inputs: inputs})
	if err != nil || resp.GetId() != "abc" || resp.GetProperties().GetFields()["stdout"].GetStringValue() != "o" ||
		resp.GetInputs().GetFields()["create"].GetStringValue() != "x" {
		t.Fatalf("got %v, %v", resp, err)
	}
}
