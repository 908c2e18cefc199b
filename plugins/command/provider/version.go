// Package provider is an offline stand-in for the official pulumi-resource-command 1.2.1 plugin
// (github.com/pulumi/pulumi-command): it implements command:remote:Command only, with the official
// plugin's semantics, for machines that cannot install the official plugin. It never replaces the
// official plugin for anyone who can run `pulumi plugin install resource command 1.2.1`.
package provider

const (
	// Name is the Pulumi package this plugin serves.
	Name = "command"
	// Version is the official plugin version this stand-in answers for. The npm SDK
	// @pulumi/command 1.2.1 asks the engine for exactly this version.
	Version = "1.2.1"
	// PluginInfoVersion is what GetPluginInfo reports: the official version plus a semver
	// build-metadata label. Build metadata does not take part in semver ordering, so the
	// engine's ">= requested version" check still passes (see README).
	PluginInfoVersion = Version + "+offline.tricircle-lbaas"
	// Label is printed by --version / --about and shown in the schema description.
	Label = "pulumi-resource-command " + Version + " (offline stand-in of the official plugin, tricircle-lbaas)"

	// RemoteCommand is the only resource token implemented.
	RemoteCommand = "command:remote:Command"
)

// notImplemented is the error for every token of the official plugin the stand-in lacks.
func notImplementedMessage(token string) string {
	return token + " is not implemented by the offline stand-in of pulumi-resource-command; " +
		"install the official plugin: pulumi plugin install resource command " + Version
}
