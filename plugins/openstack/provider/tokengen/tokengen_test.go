package tokengen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSDK(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["package.json"] = `{"name": "@pulumi/openstack", "version": "v9.8.7"}`
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func resourceJS(tok string) string {
	return "class X extends pulumi.CustomResource {}\nX.__pulumiType = '" + tok + "';\n"
}

func invokeJS(tok string) string {
	return "function f(args, opts) { return pulumi.runtime.invoke(\"" + tok + "\", {}, opts); }\n"
}

func TestCompute(t *testing.T) {
	dir := writeSDK(t, map[string]string{
		"provider.js":                      resourceJS("openstack"),
		"networking/secGroup.js":           resourceJS("openstack:networking/secGroup:SecGroup"),
		"loadbalancer/loadBalancer.js":     resourceJS("openstack:loadbalancer/loadBalancer:LoadBalancer"),
		"loadbalancer/member.js":           resourceJS("openstack:loadbalancer/member:Member"),
		"loadbalancer/memberV1.js":         resourceJS("openstack:loadbalancer/memberV1:MemberV1"),
		"firewall/groupV2.js":              resourceJS("openstack:firewall/groupV2:GroupV2"),
		"objectstorage/containerObject.js": resourceJS("openstack:objectstorage/containerObject:ContainerObject"),
		"images/getImage.js":               invokeJS("openstack:images/getImage:getImage"),
		"getFwPolicyV2.js":                 invokeJS("openstack:index/getFwPolicyV2:getFwPolicyV2"),
		"firewall/getPolicy.js":            invokeJS("openstack:firewall/getPolicy:getPolicy"),
		"node_modules/x/ignored.js":        resourceJS("openstack:ignored/thing:Thing"),
	})
	r, err := ComputeWith(dir,
		[]string{"openstack_networking_secgroup_v2", "openstack_lb_loadbalancer_v2", "openstack_lb_member_v2",
			"openstack_fw_group_v2", "openstack_objectstorage_object_v1", "openstack_bgpvpn_v2"},
		[]string{"openstack_images_image_v2", "openstack_fw_policy_v2"},
		map[string]string{"openstack_objectstorage_object_v1": "openstack:objectstorage/containerObject:ContainerObject"},
		nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.SDKVersion != "9.8.7" {
		t.Errorf("version %q", r.SDKVersion)
	}
	want := map[string]string{
		"openstack_networking_secgroup_v2":  "openstack:networking/secGroup:SecGroup",
		"openstack_lb_loadbalancer_v2":      "openstack:loadbalancer/loadBalancer:LoadBalancer",
		"openstack_lb_member_v2":            "openstack:loadbalancer/member:Member",
		"openstack_fw_group_v2":             "openstack:firewall/groupV2:GroupV2",
		"openstack_objectstorage_object_v1": "openstack:objectstorage/containerObject:ContainerObject",
	}
	for tf, tok := range want {
		if got := r.Resources.Tokens[tf]; got != tok {
			t.Errorf("%s -> %q, want %q", tf, got, tok)
		}
	}
	if len(r.Resources.Tokens) != len(want) {
		t.Errorf("mapped %v", r.Resources.Tokens)
	}
	if strings.Join(r.Resources.Unmapped, ",") != "openstack_bgpvpn_v2" {
		t.Errorf("unmapped resources %v", r.Resources.Unmapped)
	}
	if strings.Join(r.Resources.SDKOnly, ",") != "openstack:loadbalancer/memberV1:MemberV1" {
		t.Errorf("SDK-only resources %v", r.Resources.SDKOnly)
	}
	if got := r.DataSources.Tokens["openstack_images_image_v2"]; got != "openstack:images/getImage:getImage" {
		t.Errorf("image data source -> %q", got)
	}
	// The versioned root-module function wins over the unversioned module one.
	if got := r.DataSources.Tokens["openstack_fw_policy_v2"]; got != "openstack:index/getFwPolicyV2:getFwPolicyV2" {
		t.Errorf("fw policy data source -> %q", got)
	}
	if strings.Join(r.DataSources.SDKOnly, ",") != "openstack:firewall/getPolicy:getPolicy" {
		t.Errorf("SDK-only data sources %v", r.DataSources.SDKOnly)
	}
	src, err := Render(r, "provider", "terraform-provider-openstack vX")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `"openstack_lb_member_v2":`) || !strings.Contains(string(src), `const sdkVersion = "9.8.7"`) {
		t.Errorf("rendered:\n%s", src)
	}
}

func TestAmbiguousMatchIsAnError(t *testing.T) {
	dir := writeSDK(t, map[string]string{
		"compute/keypair.js": resourceJS("openstack:compute/keypair:Keypair"),
	})
	_, err := ComputeWith(dir, []string{"openstack_compute_keypair_v2", "openstack_compute_keypair_v3"}, nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "several Terraform names") {
		t.Fatalf("want an ambiguity error, got %v", err)
	}
}

func TestNotTheSDK(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "left-pad", "version": "1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ReadSDK(dir); err == nil {
		t.Fatal("want an error for a package that is not @pulumi/openstack")
	}
}

func TestStaleExplicitEntryIsAnError(t *testing.T) {
	dir := writeSDK(t, map[string]string{"compute/keypair.js": resourceJS("openstack:compute/keypair:Keypair")})
	_, err := ComputeWith(dir, []string{"openstack_compute_keypair_v2"}, nil,
		map[string]string{"openstack_compute_gone_v2": "openstack:compute/keypair:Keypair"}, nil)
	if err == nil || !strings.Contains(err.Error(), "not a Terraform name") {
		t.Fatalf("want a stale-entry error, got %v", err)
	}
}
