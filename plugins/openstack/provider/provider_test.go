package provider

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	tfos "github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"

	"github.com/tricircle-lbaas/plugins/openstack/provider/tokengen"
)

// What the stack (components/) creates and reads, with the SDK token each must have.
var stackResources = map[string]string{
	"openstack_networking_secgroup_v2":      "openstack:networking/secGroup:SecGroup",
	"openstack_networking_secgroup_rule_v2": "openstack:networking/secGroupRule:SecGroupRule",
	"openstack_networking_network_v2":       "openstack:networking/network:Network",
	"openstack_networking_subnet_v2":        "openstack:networking/subnet:Subnet",
	"openstack_networking_port_v2":          "openstack:networking/port:Port",
	"openstack_compute_instance_v2":         "openstack:compute/instance:Instance",
	"openstack_lb_loadbalancer_v2":          "openstack:loadbalancer/loadBalancer:LoadBalancer",
	"openstack_lb_listener_v2":              "openstack:loadbalancer/listener:Listener",
	"openstack_lb_pool_v2":                  "openstack:loadbalancer/pool:Pool",
	"openstack_lb_members_v2":               "openstack:loadbalancer/members:Members",
	"openstack_lb_monitor_v2":               "openstack:loadbalancer/monitor:Monitor",
}

var stackDataSources = map[string]string{
	"openstack_images_image_v2":   "openstack:images/getImage:getImage",
	"openstack_compute_flavor_v2": "openstack:compute/getFlavor:getFlavor",
}

const (
	sdkDir        = "../../../node_modules/@pulumi/openstack"
	componentsDir = "../../../components"
)

func TestVersionIsTheSDKs(t *testing.T) {
	if Version != sdkVersion {
		t.Fatalf("Version %q, but tokens_gen.go was generated from @pulumi/openstack %q", Version, sdkVersion)
	}
	info := Provider(nil)
	if info.Name != "openstack" || info.Version != "3.15.2" {
		t.Fatalf("provider info is %s %s, want openstack 3.15.2", info.Name, info.Version)
	}
}

func TestStackResourcesMapped(t *testing.T) {
	info := Provider(nil)
	for tf, want := range stackResources {
		r, ok := info.Resources[tf]
		if !ok {
			t.Errorf("%s (used by the stack) is not mapped", tf)
			continue
		}
		if string(r.Tok) != want {
			t.Errorf("%s is mapped to %s, the SDK uses %s", tf, r.Tok, want)
		}
	}
	for tf, want := range stackDataSources {
		d, ok := info.DataSources[tf]
		if !ok {
			t.Errorf("data source %s (used by the stack) is not mapped", tf)
			continue
		}
		if string(d.Tok) != want {
			t.Errorf("data source %s is mapped to %s, the SDK uses %s", tf, d.Tok, want)
		}
	}
}

// The stack's own sources: every `new openstack.<module>.<Resource>(` and `openstack.<module>.get<X>[Output](` must
// name a token some Terraform resource or data source is mapped to.
func TestComponentsUseOnlyMappedTokens(t *testing.T) {
	if _, err := os.Stat(componentsDir); err != nil {
		t.Skipf("no %s here", componentsDir)
	}
	info := Provider(nil)
	mapped := map[string]bool{}
	for _, r := range info.Resources {
		mapped[string(r.Tok)] = true
	}
	for _, d := range info.DataSources {
		mapped[string(d.Tok)] = true
	}
	newRe := regexp.MustCompile(`new openstack\.([a-z]+)\.([A-Z][A-Za-z0-9]*)\(`)
	getRe := regexp.MustCompile(`openstack\.([a-z]+)\.(get[A-Z][A-Za-z0-9]*?)(?:Output)?\(`)
	used := map[string]string{}
	err := filepath.Walk(componentsDir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !strings.HasSuffix(path, ".ts") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range newRe.FindAllStringSubmatch(string(src), -1) {
			used["openstack:"+m[1]+"/"+strings.ToLower(m[2][:1])+m[2][1:]+":"+m[2]] = path
		}
		for _, m := range getRe.FindAllStringSubmatch(string(src), -1) {
			used["openstack:"+m[1]+"/"+m[2]+":"+m[2]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) == 0 {
		t.Fatalf("found no openstack resource in %s", componentsDir)
	}
	for tok, path := range used {
		if !mapped[tok] {
			t.Errorf("%s uses %s, which no Terraform resource or data source is mapped to", path, tok)
		}
	}
}

// Every Terraform name is either mapped or listed as having no SDK counterpart, and nothing else is listed:
// tokens_gen.go is stale otherwise (run go generate ./provider).
func TestEveryTerraformNameClassified(t *testing.T) {
	p := tfos.Provider()
	check := func(kind string, names map[string]bool, tokens map[string]string, unmapped []string) {
		seen := map[string]bool{}
		for tf := range tokens {
			seen[tf] = true
		}
		for _, tf := range unmapped {
			if seen[tf] {
				t.Errorf("%s %s is both mapped and unmapped", kind, tf)
			}
			seen[tf] = true
		}
		for tf := range names {
			if !seen[tf] {
				t.Errorf("%s %s is in terraform-provider-openstack but not in tokens_gen.go: run go generate ./provider", kind, tf)
			}
		}
		for tf := range seen {
			if !names[tf] {
				t.Errorf("%s %s is in tokens_gen.go but not in terraform-provider-openstack", kind, tf)
			}
		}
	}
	rs, ds := map[string]bool{}, map[string]bool{}
	for name := range p.ResourcesMap {
		rs[name] = true
	}
	for name := range p.DataSourcesMap {
		ds[name] = true
	}
	check("resource", rs, resourceTokens, unmappedResources)
	check("data source", ds, dataSourceTokens, unmappedDataSources)
}

// tokens_gen.go is what the generator makes from the installed SDK (skipped where node_modules is absent).
func TestTokensUpToDate(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sdkDir, "package.json")); err != nil {
		t.Skipf("@pulumi/openstack is not installed at %s", sdkDir)
	}
	p := tfos.Provider()
	var rs, ds []string
	for name := range p.ResourcesMap {
		rs = append(rs, name)
	}
	for name := range p.DataSourcesMap {
		ds = append(ds, name)
	}
	r, err := tokengen.Compute(sdkDir, rs, ds)
	if err != nil {
		t.Fatal(err)
	}
	if r.SDKVersion != sdkVersion {
		t.Errorf("installed SDK is %s, tokens_gen.go was made from %s: run go generate ./provider", r.SDKVersion, sdkVersion)
	}
	same := func(name string, got, want any) {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from what the installed SDK gives: run go generate ./provider", name)
		}
	}
	same("resourceTokens", r.Resources.Tokens, resourceTokens)
	same("dataSourceTokens", r.DataSources.Tokens, dataSourceTokens)
	same("unmappedResources", nonNil(r.Resources.Unmapped), nonNil(unmappedResources))
	same("unmappedDataSources", nonNil(r.DataSources.Unmapped), nonNil(unmappedDataSources))
	same("sdkOnlyResourceTokens", nonNil(r.Resources.SDKOnly), nonNil(sdkOnlyResourceTokens))
	same("sdkOnlyDataSourceTokens", nonNil(r.DataSources.SDKOnly), nonNil(sdkOnlyDataSourceTokens))
}

// Tokens are unique: two Terraform names on one token would make one of them unreachable.
func TestTokensUnique(t *testing.T) {
	for kind, m := range map[string]map[string]string{"resource": resourceTokens, "data source": dataSourceTokens} {
		by := map[string][]string{}
		for tf, tok := range m {
			by[tok] = append(by[tok], tf)
		}
		for tok, tfs := range by {
			if len(tfs) > 1 {
				sort.Strings(tfs)
				t.Errorf("%s token %s is used by %v", kind, tok, tfs)
			}
		}
	}
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
