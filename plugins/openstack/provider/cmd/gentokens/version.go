package main

import "runtime/debug"

// tfProviderVersion is the version of terraform-provider-openstack this program was built with (from go.mod).
func tfProviderVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/terraform-provider-openstack/terraform-provider-openstack/v3" {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}
