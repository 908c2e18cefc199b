package provider

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Property names of command:remote:Command (as in the official schema).
const (
	pConnection             = "connection"
	pCreate                 = "create"
	pUpdate                 = "update"
	pDelete                 = "delete"
	pEnvironment            = "environment"
	pStdin                  = "stdin"
	pTriggers               = "triggers"
	pAddPreviousOutputInEnv = "addPreviousOutputInEnv"
	pLogging                = "logging"
	pStdout                 = "stdout"
	pStderr                 = "stderr"
)

// inputKeys are the input properties of command:remote:Command, in schema order.
var inputKeys = []string{
	pAddPreviousOutputInEnv, pConnection, pCreate, pDelete, pEnvironment, pLogging, pStdin, pTriggers, pUpdate,
}

func isInputKey(k string) bool {
	for _, x := range inputKeys {
		if x == k {
			return true
		}
	}
	return false
}

// Connection fields (command:remote:Connection; command:remote:ProxyConnection lacks proxy).
const (
	cHost               = "host"
	cPort               = "port"
	cUser               = "user"
	cPassword           = "password"
	cPrivateKey         = "privateKey"
	cPrivateKeyPassword = "privateKeyPassword"
	cAgentSocketPath    = "agentSocketPath"
	cDialErrorLimit     = "dialErrorLimit"
	cPerDialTimeout     = "perDialTimeout"
	cHostKey            = "hostKey"
	cProxy              = "proxy"
)

// Defaults of the official schema, for both the connection and its proxy.
const (
	defaultUser           = "root"
	defaultPort           = 22.0
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15
)

type fieldKind int

const (
	kString fieldKind = iota
	kNumber
	kInteger
	kObject
)

var connectionFields = map[string]fieldKind{
	cHost: kString, cPort: kNumber, cUser: kString, cPassword: kString, cPrivateKey: kString,
	cPrivateKeyPassword: kString, cAgentSocketPath: kString, cDialErrorLimit: kInteger,
	cPerDialTimeout: kInteger, cHostKey: kString,
}

// secretConnectionFields are marked secret in the official schema.
var secretConnectionFields = []string{cPassword, cPrivateKey, cPrivateKeyPassword}

// Logging modes (command:remote:Logging).
const (
	logStdout          = "stdout"
	logStderr          = "stderr"
	logStdoutAndStderr = "stdoutAndStderr"
	logNone            = "none"
)

// connection is a decoded command:remote:Connection (or its proxy), defaults applied.
type connection struct {
	Host               string
	Port               float64
	User               string
	Password           *string
	PrivateKey         *string
	PrivateKeyPassword *string
	AgentSocketPath    *string
	DialErrorLimit     int
	PerDialTimeout     int
	HostKey            *string
	Proxy              *connection
}

// commandProps is a decoded command:remote:Command (inputs, or inputs plus outputs).
type commandProps struct {
	Connection             *connection
	Create, Update, Delete *string
	Stdin                  *string
	Environment            map[string]string
	AddPreviousOutputInEnv *bool
	Logging                *string
	Stdout, Stderr         string
}

func (c *commandProps) logStdout() bool {
	return c.Logging == nil || *c.Logging == logStdout || *c.Logging == logStdoutAndStderr
}

func (c *commandProps) logStderr() bool {
	return c.Logging == nil || *c.Logging == logStderr || *c.Logging == logStdoutAndStderr
}

func (c *commandProps) addPreviousOutput() bool {
	return c.AddPreviousOutputInEnv == nil || *c.AddPreviousOutputInEnv
}

// plain strips secret wrappers (at any depth they are all the same value for decoding).
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// present is false for a missing or null property.
func present(m resource.PropertyMap, k string) (resource.PropertyValue, bool) {
	v, ok := m[resource.PropertyKey(k)]
	if !ok {
		return v, false
	}
	v = plain(v)
	if v.IsNull() {
		return v, false
	}
	return v, true
}

// checkFailure mirrors pulumirpc.CheckFailure.
type checkFailure struct {
	Property string
	Reason   string
}

// validateCommand checks the shape of command:remote:Command inputs: the failures Check reports.
// Unknown values are accepted anywhere (they are checked once known).
func validateCommand(m resource.PropertyMap) []checkFailure {
	var fs []checkFailure
	add := func(p, format string, args ...any) {
		fs = append(fs, checkFailure{Property: p, Reason: fmt.Sprintf(format, args...)})
	}
	conn, ok := present(m, pConnection)
	switch {
	case !ok:
		add(pConnection, "missing required property 'connection'")
	case conn.IsComputed():
	case !conn.IsObject():
		add(pConnection, "'connection' must be an object, not %s", typeName(conn))
	default:
		fs = append(fs, validateConnection(pConnection, conn.ObjectValue(), true)...)
	}
	for _, k := range []string{pCreate, pUpdate, pDelete, pStdin, pLogging} {
		if v, ok := present(m, k); ok && !v.IsComputed() && !v.IsString() {
			add(k, "'%s' must be a string, not %s", k, typeName(v))
		}
	}
	if v, ok := present(m, pAddPreviousOutputInEnv); ok && !v.IsComputed() && !v.IsBool() {
		add(pAddPreviousOutputInEnv, "'%s' must be a boolean, not %s", pAddPreviousOutputInEnv, typeName(v))
	}
	if v, ok := present(m, pTriggers); ok && !v.IsComputed() && !v.IsArray() {
		add(pTriggers, "'triggers' must be an array, not %s", typeName(v))
	}
	if v, ok := present(m, pEnvironment); ok && !v.IsComputed() {
		if !v.IsObject() {
			add(pEnvironment, "'environment' must be an object of strings, not %s", typeName(v))
		} else {
			env := v.ObjectValue()
			for _, k := range env.StableKeys() {
				e := plain(env[k])
				if !e.IsComputed() && !e.IsString() {
					add(pEnvironment+"."+string(k), "environment variable '%s' must be a string, not %s", k, typeName(e))
				}
			}
		}
	}
	return fs
}

func validateConnection(path string, m resource.PropertyMap, allowProxy bool) []checkFailure {
	var fs []checkFailure
	add := func(p, format string, args ...any) {
		fs = append(fs, checkFailure{Property: p, Reason: fmt.Sprintf(format, args...)})
	}
	if _, ok := present(m, cHost); !ok {
		add(path+"."+cHost, "missing required property '%s.%s'", path, cHost)
	}
	keys := make([]string, 0, len(connectionFields))
	for k := range connectionFields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := present(m, k)
		if !ok || v.IsComputed() {
			continue
		}
		p := path + "." + k
		switch connectionFields[k] {
		case kString:
			if !v.IsString() {
				add(p, "'%s' must be a string, not %s", p, typeName(v))
			}
		case kNumber:
			if !v.IsNumber() {
				add(p, "'%s' must be a number, not %s", p, typeName(v))
			}
		case kInteger:
			if !v.IsNumber() || v.NumberValue() != math.Trunc(v.NumberValue()) {
				add(p, "'%s' must be an integer, not %s", p, typeName(v))
			}
		}
	}
	if v, ok := present(m, cProxy); ok && !v.IsComputed() {
		p := path + "." + cProxy
		switch {
		case !allowProxy:
			add(p, "'%s' is not a property of command:remote:ProxyConnection", p)
		case !v.IsObject():
			add(p, "'%s' must be an object, not %s", p, typeName(v))
		default:
			fs = append(fs, validateConnection(p, v.ObjectValue(), false)...)
		}
	}
	return fs
}

func typeName(v resource.PropertyValue) string {
	switch {
	case v.IsString():
		return "a string"
	case v.IsNumber():
		return fmt.Sprintf("the number %v", v.NumberValue())
	case v.IsBool():
		return "a boolean"
	case v.IsArray():
		return "an array"
	case v.IsObject():
		return "an object"
	default:
		return string(v.TypeString())
	}
}

// checkInputs is the Check of command:remote:Command: it keeps the known input properties
// (and engine-internal "__" keys), applies the schema defaults to the connection and its proxy,
// and makes the connection (and the secret fields inside it) secret. Unknown values stay unknown.
func checkInputs(news resource.PropertyMap) (resource.PropertyMap, []checkFailure) {
	out := resource.PropertyMap{}
	for k, v := range news {
		if isInputKey(string(k)) || strings.HasPrefix(string(k), "__") {
			out[k] = v
		}
	}
	failures := validateCommand(out)
	if conn, ok := out[pConnection]; ok {
		out[pConnection] = secretConnection(conn, len(failures) == 0, true)
	}
	return out, failures
}

// secretConnection applies defaults (if withDefaults) and secrets to a connection value.
func secretConnection(v resource.PropertyValue, withDefaults, allowProxy bool) resource.PropertyValue {
	wasSecret := v.IsSecret()
	inner := plain(v)
	if inner.IsObject() {
		m := inner.ObjectValue().Copy()
		if withDefaults {
			setDefault(m, cUser, resource.NewProperty(defaultUser))
			setDefault(m, cPort, resource.NewProperty(defaultPort))
			setDefault(m, cDialErrorLimit, resource.NewProperty(float64(defaultDialErrorLimit)))
			setDefault(m, cPerDialTimeout, resource.NewProperty(float64(defaultPerDialTimeout)))
		}
		for _, k := range secretConnectionFields {
			if f, ok := m[resource.PropertyKey(k)]; ok && !f.IsNull() && !f.IsSecret() {
				m[resource.PropertyKey(k)] = resource.MakeSecret(f)
			}
		}
		if p, ok := m[cProxy]; ok && allowProxy && !p.IsNull() {
			m[cProxy] = secretConnection(p, withDefaults, false)
		}
		inner = resource.NewProperty(m)
	}
	if allowProxy || wasSecret {
		// The connection itself is always secret; a proxy is secret by being inside it.
		return resource.MakeSecret(inner)
	}
	return inner
}

func setDefault(m resource.PropertyMap, k string, v resource.PropertyValue) {
	if cur, ok := m[resource.PropertyKey(k)]; ok && !plain(cur).IsNull() {
		return
	}
	m[resource.PropertyKey(k)] = v
}

// decodeCommand reads known command:remote:Command properties (inputs or state). Defaults are
// applied here too, so state written without them still decodes.
func decodeCommand(m resource.PropertyMap) (*commandProps, error) {
	if fs := validateCommand(m); len(fs) > 0 {
		return nil, fmt.Errorf("invalid properties: %s", fs[0].Reason)
	}
	var c commandProps
	if !plain(m[pConnection]).IsComputed() {
		conn, err := decodeConnection(plain(m[pConnection]).ObjectValue(), true)
		if err != nil {
			return nil, err
		}
		c.Connection = conn
	}
	c.Create = optString(m, pCreate)
	c.Update = optString(m, pUpdate)
	c.Delete = optString(m, pDelete)
	c.Stdin = optString(m, pStdin)
	c.Logging = optString(m, pLogging)
	if v, ok := present(m, pAddPreviousOutputInEnv); ok && v.IsBool() {
		b := v.BoolValue()
		c.AddPreviousOutputInEnv = &b
	}
	if v, ok := present(m, pEnvironment); ok && v.IsObject() {
		c.Environment = map[string]string{}
		for k, e := range v.ObjectValue() {
			if e = plain(e); e.IsString() {
				c.Environment[string(k)] = e.StringValue()
			}
		}
	}
	if s := optString(m, pStdout); s != nil {
		c.Stdout = *s
	}
	if s := optString(m, pStderr); s != nil {
		c.Stderr = *s
	}
	return &c, nil
}

func decodeConnection(m resource.PropertyMap, allowProxy bool) (*connection, error) {
	c := connection{
		User: defaultUser, Port: defaultPort,
		DialErrorLimit: defaultDialErrorLimit, PerDialTimeout: defaultPerDialTimeout,
	}
	if v, ok := present(m, cHost); ok && v.IsString() {
		c.Host = v.StringValue()
	} else {
		return nil, fmt.Errorf("connection has no known host")
	}
	if v, ok := present(m, cPort); ok && v.IsNumber() {
		c.Port = v.NumberValue()
	}
	if s := optString(m, cUser); s != nil {
		c.User = *s
	}
	c.Password = optString(m, cPassword)
	c.PrivateKey = optString(m, cPrivateKey)
	c.PrivateKeyPassword = optString(m, cPrivateKeyPassword)
	c.AgentSocketPath = optString(m, cAgentSocketPath)
	c.HostKey = optString(m, cHostKey)
	if v, ok := present(m, cDialErrorLimit); ok && v.IsNumber() {
		c.DialErrorLimit = int(v.NumberValue())
	}
	if v, ok := present(m, cPerDialTimeout); ok && v.IsNumber() {
		c.PerDialTimeout = int(v.NumberValue())
	}
	if v, ok := present(m, cProxy); ok && allowProxy && v.IsObject() {
		p, err := decodeConnection(v.ObjectValue(), false)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		c.Proxy = p
	}
	return &c, nil
}

func optString(m resource.PropertyMap, k string) *string {
	if v, ok := present(m, k); ok && v.IsString() {
		s := v.StringValue()
		return &s
	}
	return nil
}

// outputsOf is the state of a command:remote:Command: its inputs exactly as given (secrets and,
// during preview, unknowns kept where they were) plus stdout and stderr, which are plain.
func outputsOf(inputs resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range inputs {
		if isInputKey(string(k)) {
			out[k] = v
		}
	}
	if c, ok := out[pConnection]; ok && !c.IsSecret() {
		out[pConnection] = resource.MakeSecret(c)
	}
	out[pStdout] = stdout
	out[pStderr] = stderr
	return out
}

// inputsOf picks the input properties out of a state.
func inputsOf(state resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range state {
		if isInputKey(string(k)) {
			out[k] = v
		}
	}
	return out
}
