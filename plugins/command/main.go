// Command pulumi-resource-command is the offline stand-in of the official Pulumi Command provider
// plugin 1.2.1 (command:remote:Command only). See README.md.
package main

import (
	"os"

	"tricircle-lbaas/plugins/command/provider"
)

func main() {
	os.Exit(provider.Main(os.Args[1:], os.Stdout, os.Stderr))
}
