package provider

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimschema "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/schema"
)

// configInfo overrides provider configuration names where the SDK's ProviderArgs differ from the bridge's
// default naming of the Terraform provider's schema.
func configInfo() map[string]*tfbridge.SchemaInfo {
	return map[string]*tfbridge.SchemaInfo{}
}

// extraConfig accepts provider settings the SDK still has but terraform-provider-openstack no longer does, and does
// not pass them on (Terraform would reject an unknown setting).
func extraConfig() map[string]*tfbridge.ConfigInfo {
	return map[string]*tfbridge.ConfigInfo{
		// Removed in terraform-provider-openstack v3: Octavia is the only load balancer service it talks to.
		"useOctavia": {
			Schema: (&shimschema.Schema{Type: shim.TypeBool, Optional: true}).Shim(),
			Info: &tfbridge.SchemaInfo{
				Name:               "useOctavia",
				DeprecationMessage: "Ignored: terraform-provider-openstack v3 always uses Octavia (the load balancer service).",
			},
		},
	}
}

// fieldOverrides renames Terraform fields whose SDK property name is not the bridge's default (camelCase, lists
// pluralised), per Terraform resource. Found by compare-sdk.mjs on the built schema: every other difference between
// the SDK and the schema is a field that terraform-provider-openstack added or removed since the SDK was made, not a
// naming one (see README.md).
var fieldOverrides = map[string]map[string]*tfbridge.SchemaInfo{
	// The SDK calls the stack's outputs StackOutputs (and their type StackV1StackOutput), not outputs.
	"openstack_orchestration_stack_v1": {
		"outputs": {Name: "StackOutputs", Elem: &tfbridge.SchemaInfo{TypeName: tfbridge.Ref("StackV1StackOutput")}},
	},
}

// dataSourceFieldOverrides is the same for data sources.
var dataSourceFieldOverrides = map[string]map[string]*tfbridge.SchemaInfo{}

func applyFieldOverrides(info *tfbridge.ProviderInfo) {
	for tf, fields := range fieldOverrides {
		if r, ok := info.Resources[tf]; ok {
			r.Fields = fields
		}
	}
	for tf, fields := range dataSourceFieldOverrides {
		if d, ok := info.DataSources[tf]; ok {
			d.Fields = fields
		}
	}
}
