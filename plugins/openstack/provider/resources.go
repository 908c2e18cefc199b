// Package provider holds the tfbridge.ProviderInfo that turns terraform-provider-openstack into the Pulumi
// resource provider `openstack`, registered under the version of the npm SDK @pulumi/openstack the project uses,
// with that SDK's tokens (tokens_gen.go) and property names (fields.go).
package provider

//go:generate go run ./cmd/gentokens -sdk ../../../node_modules/@pulumi/openstack -out tokens_gen.go

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	tfos "github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"
)

const (
	// PackageName is the Pulumi package name the engine asks for.
	PackageName = "openstack"
	// Version is the version the plugin reports: the npm SDK's, so that the engine picks this binary for it.
	Version = "3.15.2"
	// TFProviderVersion is the terraform-provider-openstack release built in (see go.mod).
	TFProviderVersion = "3.4.0"
)

// Provider returns the bridge's description of the provider. bridgeMetadata is the bridge-metadata.json that
// tfgen wrote (nil while tfgen itself runs).
func Provider(bridgeMetadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                       shimv2.NewProvider(tfos.Provider()),
		Name:                    PackageName,
		Version:                 Version,
		DisplayName:             "OpenStack",
		Description:             "OpenStack resources, built locally from terraform-provider-openstack " + TFProviderVersion + " for @pulumi/openstack " + Version + ".",
		Keywords:                []string{"pulumi", "openstack"},
		License:                 "Apache-2.0",
		GitHubOrg:               "terraform-provider-openstack",
		TFProviderVersion:       TFProviderVersion,
		TFProviderModuleVersion: "v3",
		TFProviderLicense:       licensePtr(tfbridge.MPL20LicenseType),
		MetadataInfo:            tfbridge.NewProviderMetadata(bridgeMetadata),
		Config:                  configInfo(),
		ExtraConfig:             extraConfig(),
		Resources:               map[string]*tfbridge.ResourceInfo{},
		DataSources:             map[string]*tfbridge.DataSourceInfo{},
		IgnoreMappings:          append(append([]string(nil), unmappedResources...), unmappedDataSources...),
		JavaScript:              &tfbridge.JavaScriptInfo{PackageName: "@pulumi/openstack"},
	}
	for tf, tok := range resourceTokens {
		info.Resources[tf] = &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
	}
	for tf, tok := range dataSourceTokens {
		info.DataSources[tf] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
	}
	applyFieldOverrides(&info)
	return info
}

func licensePtr(l tfbridge.TFProviderLicense) *tfbridge.TFProviderLicense { return &l }
