// Command gentokens writes provider/tokens_gen.go: the Terraform name -> Pulumi token table of the npm SDK
// @pulumi/openstack, read from its installed files (run from provider/ by `go generate`).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"

	tfos "github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"

	"github.com/tricircle-lbaas/plugins/openstack/provider/tokengen"
)

func main() {
	sdk := flag.String("sdk", "../../../node_modules/@pulumi/openstack", "the installed @pulumi/openstack package")
	out := flag.String("out", "tokens_gen.go", "the Go file to write")
	pkg := flag.String("package", "provider", "its Go package")
	flag.Parse()

	p := tfos.Provider()
	var resources, dataSources []string
	for name := range p.ResourcesMap {
		resources = append(resources, name)
	}
	for name := range p.DataSourcesMap {
		dataSources = append(dataSources, name)
	}
	sort.Strings(resources)
	sort.Strings(dataSources)

	r, err := tokengen.Compute(*sdk, resources, dataSources)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentokens:", err)
		os.Exit(1)
	}
	src, err := tokengen.Render(r, *pkg, "terraform-provider-openstack "+tfProviderVersion())
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentokens:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gentokens:", err)
		os.Exit(1)
	}
	fmt.Printf("gentokens: %s: %d resources, %d data sources mapped; %d+%d Terraform names without an SDK token; %d+%d SDK tokens without a Terraform name\n",
		*out, len(r.Resources.Tokens), len(r.DataSources.Tokens), len(r.Resources.Unmapped), len(r.DataSources.Unmapped),
		len(r.Resources.SDKOnly), len(r.DataSources.SDKOnly))
}
