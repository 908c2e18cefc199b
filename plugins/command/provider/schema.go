package provider

import "encoding/json"

type obj = map[string]any

func str(desc string) obj    { return obj{"type": "string", "description": desc} }
func ref(t, desc string) obj { return obj{"$ref": "#/types/" + t, "description": desc} }

// connectionProps is the shape of command:remote:Connection (withProxy) and
// command:remote:ProxyConnection.
func connectionProps(withProxy bool) obj {
	secret := func(o obj) obj { o["secret"] = true; return o }
	p := obj{
		"host":               str("Address of the host to connect to."),
		"port":               obj{"type": "number", "default": defaultPort, "description": "Port to connect to. Defaults to 22."},
		"user":               obj{"type": "string", "default": defaultUser, "description": "User to log in as. Defaults to root."},
		"password":           secret(str("Password for password and keyboard-interactive authentication.")),
		"privateKey":         secret(str("Contents of an SSH private key; tried before the password.")),
		"privateKeyPassword": secret(str("Passphrase of an encrypted private key.")),
		"agentSocketPath":    str("SSH agent socket; defaults to $SSH_AUTH_SOCK when that is set."),
		"dialErrorLimit": obj{"type": "integer", "default": defaultDialErrorLimit,
			"description": "Failed dial attempts allowed before giving up; -1 for no limit. Defaults to 10."},
		"perDialTimeout": obj{"type": "integer", "default": defaultPerDialTimeout,
			"description": "Seconds each dial attempt may take; 0 for no limit. Defaults to 15."},
		"hostKey": str("Expected host key (authorized_keys format); when unset, any host key is accepted."),
	}
	if withProxy {
		p["proxy"] = ref("command:remote:ProxyConnection", "Bastion host to connect through.")
	}
	return p
}

func commandInputProps() obj {
	return obj{
		"connection":  secretRef("command:remote:Connection", "How to connect to the remote host."),
		"create":      str("Command run when the resource is created (and on update if `update` is unset)."),
		"update":      str("Command run when the resource is updated; `create` runs when unset."),
		"delete":      str("Command run when the resource is deleted, with PULUMI_COMMAND_STDOUT/STDERR set to the last outputs."),
		"stdin":       str("Standard input of the command; sent only when not empty."),
		"environment": obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "Environment variables, set with SSH setenv requests (the server must AcceptEnv them)."},
		"triggers": obj{"type": "array", "items": obj{"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true,
			"description": "Values whose change replaces the resource."},
		"addPreviousOutputInEnv": obj{"type": "boolean", "description": "Set PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR to the previous outputs. Defaults to true."},
		"logging":                ref("command:remote:Logging", "Which output streams to log. Defaults to stdoutAndStderr."),
	}
}

func secretRef(t, desc string) obj {
	o := ref(t, desc)
	o["secret"] = true
	return o
}

// schemaJSON is a minimal package schema: enough for `pulumi package get-schema` and tools that
// inspect the package, describing only what the stand-in implements.
func schemaJSON() string {
	props := commandInputProps()
	props["stdout"] = str("Standard output of the command, without one trailing newline.")
	props["stderr"] = str("Standard error of the command, without one trailing newline.")
	s := obj{
		"name":        Name,
		"displayName": "Command (offline stand-in)",
		"version":     Version,
		"description": Label + ". Implements command:remote:Command only; every other token of the official " +
			"pulumi-resource-command returns an error. Install the official plugin wherever possible: " +
			"pulumi plugin install resource command " + Version + ".",
		"keywords": []string{"pulumi", "command", "offline-stand-in"},
		"license":  "Apache-2.0",
		"config":   obj{},
		"provider": obj{"description": "The offline stand-in of the command provider; it takes no configuration."},
		"resources": obj{
			RemoteCommand: obj{
				"description":     "Runs commands over SSH on create, update and delete (offline stand-in).",
				"inputProperties": commandInputProps(),
				"requiredInputs":  []string{pConnection},
				"properties":      props,
				"required":        []string{pConnection, pStdout, pStderr},
			},
		},
		"types": obj{
			"command:remote:Connection": obj{
				"type": "object", "description": "How to connect to a host over SSH.",
				"properties": connectionProps(true), "required": []string{cHost},
			},
			"command:remote:ProxyConnection": obj{
				"type": "object", "description": "How to connect to a bastion host over SSH.",
				"properties": connectionProps(false), "required": []string{cHost},
			},
			"command:remote:Logging": obj{
				"type": "string",
				"enum": []obj{
					{"name": logStdout, "value": logStdout, "description": "Log stdout only."},
					{"name": logStderr, "value": logStderr, "description": "Log stderr only."},
					{"name": logStdoutAndStderr, "value": logStdoutAndStderr, "description": "Log stdout and stderr."},
					{"name": logNone, "value": logNone, "description": "Log nothing."},
				},
			},
		},
		"language": obj{"nodejs": obj{"respectSchemaVersion": true}},
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b)
}
