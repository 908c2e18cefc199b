// Command pulumi-resource-openstack is the Pulumi resource provider plugin `openstack`, serving
// terraform-provider-openstack through pulumi-terraform-bridge with the schema that pulumi-tfgen-openstack wrote
// into generated/ (build.sh runs both).
package main

import (
	"embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"github.com/tricircle-lbaas/plugins/openstack/provider"
)

// generated holds schema.json and bridge-metadata.json, written by `pulumi-tfgen-openstack schema --out generated`.
//
//go:embed generated
var generated embed.FS

func main() {
	schema, err := generated.ReadFile("generated/schema.json")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-openstack was built without its schema: build it with plugins/openstack/build.sh")
		os.Exit(1)
	}
	metadata, err := generated.ReadFile("generated/bridge-metadata.json")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-openstack was built without bridge-metadata.json: build it with plugins/openstack/build.sh")
		os.Exit(1)
	}
	tfbridge.Main(provider.PackageName, provider.Version, provider.Provider(metadata), schema)
}
