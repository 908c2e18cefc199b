// Command pulumi-tfgen-openstack writes the Pulumi schema (schema.json) and the bridge's metadata
// (bridge-metadata.json) of the provider: `pulumi-tfgen-openstack schema --out DIR`.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/spf13/afero"

	"github.com/tricircle-lbaas/plugins/openstack/provider"
)

func main() {
	info := provider.Provider(nil)
	if err := info.P.InternalValidate(); err != nil {
		fmt.Fprintf(os.Stderr, "internal validation of the Terraform provider failed: %v\n", err)
		os.Exit(1)
	}
	tfgen.MainWithCustomGenerate(provider.PackageName, provider.Version, info, func(opts tfgen.GeneratorOptions) error {
		g, err := tfgen.NewGenerator(opts)
		if err != nil {
			return err
		}
		if _, err := g.Generate(); err != nil {
			return err
		}
		if opts.Language == tfgen.Schema {
			return stampVersion(opts.Root, "schema.json", provider.Version)
		}
		return nil
	})
}

// stampVersion puts the version back into schema.json: tfgen leaves it out of the file (so that the file does not
// change with every build), and the provider serves the file as it is, so the engine would see no version.
func stampVersion(root afero.Fs, file, version string) error {
	src, err := afero.ReadFile(root, file)
	if err != nil {
		return err
	}
	var spec pschema.PackageSpec
	if err := json.Unmarshal(src, &spec); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	spec.Version = version
	out, err := json.MarshalIndent(spec, "", "    ")
	if err != nil {
		return err
	}
	return afero.WriteFile(root, file, out, 0o600)
}
