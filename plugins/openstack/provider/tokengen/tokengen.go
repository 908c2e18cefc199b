// Package tokengen matches the Terraform resources and data sources of terraform-provider-openstack to the Pulumi
// tokens that the npm SDK @pulumi/openstack uses, by reading the SDK's compiled JavaScript files.
//
// A resource's .js file declares `__pulumiType = 'openstack:networking/secGroup:SecGroup'`; a data source calls
// `invoke("openstack:images/getImage:getImage", ...)`. A Terraform name such as openstack_networking_secgroup_v2 is
// normalised (prefix openstack_ dropped, module alias applied, separators dropped, lowercased) and compared with the
// token's module and name normalised the same way (a data source's leading "get" dropped):
//
//  1. first with the version suffix kept (openstack_fw_group_v2 -> firewall/groupV2, and, for the SDK's root
//     module, index/getFwGroupV2),
//  2. then, for what is left, with the version suffix dropped (openstack_lb_member_v2 -> loadbalancer/member),
//  3. and Explicit names the few the SDK spells differently.
package tokengen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// ModuleAliases maps the first segment of a Terraform name to the SDK module that holds it.
var ModuleAliases = map[string]string{
	"lb": "loadbalancer",
	"fw": "firewall",
	"db": "database",
}

// Explicit lists the Terraform names whose SDK token does not follow from the name (the SDK's own spellings).
var Explicit = struct{ Resources, DataSources map[string]string }{
	Resources: map[string]string{
		"openstack_blockstorage_quotaset_v3": "openstack:blockstorage/quoteSetV3:QuoteSetV3",
		"openstack_objectstorage_object_v1":  "openstack:objectstorage/containerObject:ContainerObject",
	},
	DataSources: map[string]string{
		"openstack_dns_zone_v2":                            "openstack:dns/getDnsZone:getDnsZone",
		"openstack_sharedfilesystem_availability_zones_v2": "openstack:sharedfilesystem/getAvailbilityZones:getAvailbilityZones",
	},
}

// Kind is one of the two sides of the table.
type Kind struct {
	Tokens   map[string]string // Terraform name -> token
	Unmapped []string          // Terraform names the SDK has no token for
	SDKOnly  []string          // SDK tokens with no Terraform name here
}

// Result is the whole table.
type Result struct {
	SDKVersion  string
	Resources   Kind
	DataSources Kind
}

var (
	resourceTypeRe = regexp.MustCompile(`__pulumiType\s*=\s*['"]([^'"]+)['"]`)
	invokeRe       = regexp.MustCompile(`\.invoke\(\s*['"]([^'"]+)['"]`)
	versionRe      = regexp.MustCompile(`_v[0-9]+$`)
)

// ReadSDK returns the SDK's version and its resource and data source tokens (sorted, without the provider's own).
func ReadSDK(sdkDir string) (version string, resources, dataSources []string, err error) {
	pj, err := os.ReadFile(filepath.Join(sdkDir, "package.json"))
	if err != nil {
		return "", nil, nil, err
	}
	var meta struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(pj, &meta); err != nil {
		return "", nil, nil, fmt.Errorf("%s: %w", filepath.Join(sdkDir, "package.json"), err)
	}
	if meta.Name != "@pulumi/openstack" {
		return "", nil, nil, fmt.Errorf("%s is %q, not @pulumi/openstack", sdkDir, meta.Name)
	}
	rs, ds := map[string]bool{}, map[string]bool{}
	err = filepath.WalkDir(sdkDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".js") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range resourceTypeRe.FindAllSubmatch(src, -1) {
			if tok := string(m[1]); strings.Count(tok, ":") == 2 {
				rs[tok] = true
			}
		}
		for _, m := range invokeRe.FindAllSubmatch(src, -1) {
			if tok := string(m[1]); strings.Count(tok, ":") == 2 && strings.HasPrefix(tok, "openstack:") {
				ds[tok] = true
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, nil, err
	}
	return strings.TrimPrefix(meta.Version, "v"), sortedKeys(rs), sortedKeys(ds), nil
}

func norm(s string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", "/", "", ".", "").Replace(s))
}

// tfKeys returns the normalised keys of a Terraform name: with its version suffix, without it.
func tfKeys(tfName string) (withVersion, withoutVersion []string) {
	rest := strings.TrimPrefix(tfName, "openstack_")
	mod, name, _ := strings.Cut(rest, "_")
	if alias, ok := ModuleAliases[mod]; ok {
		mod = alias
	}
	withVersion = []string{norm(mod + name), norm("index" + rest)}
	stripped := versionRe.ReplaceAllString(name, "")
	withoutVersion = []string{norm(mod + stripped), norm("index" + versionRe.ReplaceAllString(rest, ""))}
	return withVersion, withoutVersion
}

func tokenKey(tok string, dataSource bool) string {
	parts := strings.Split(tok, ":") // openstack:mod/file:Name
	mod, _, _ := strings.Cut(parts[1], "/")
	name := parts[2]
	if dataSource {
		name = strings.TrimPrefix(name, "get")
	}
	return norm(mod + name)
}

func match(tfNames, tokens []string, explicit map[string]string, dataSource bool) (Kind, error) {
	k := Kind{Tokens: map[string]string{}}
	free := map[string]bool{}
	byKey := map[string][]string{}
	for _, t := range tokens {
		free[t] = true
		key := tokenKey(t, dataSource)
		byKey[key] = append(byKey[key], t)
	}
	claim := func(tf, tok string) error {
		if !free[tok] {
			return fmt.Errorf("%s: token %s is already taken", tf, tok)
		}
		free[tok] = false
		k.Tokens[tf] = tok
		return nil
	}
	for tf, tok := range explicit {
		if !contains(tfNames, tf) {
			return k, fmt.Errorf("explicit entry %s is not a Terraform name of this provider", tf)
		}
		if !contains(tokens, tok) {
			return k, fmt.Errorf("explicit entry %s: token %s is not in the SDK", tf, tok)
		}
		if err := claim(tf, tok); err != nil {
			return k, err
		}
	}
	for pass := 0; pass < 2; pass++ {
		// Which free tokens each still-unmapped Terraform name matches in this pass.
		wants := map[string][]string{}
		for _, tf := range tfNames {
			if _, done := k.Tokens[tf]; done {
				continue
			}
			withV, withoutV := tfKeys(tf)
			keys := withV
			if pass == 1 {
				keys = withoutV
			}
			seen := map[string]bool{}
			for _, key := range keys {
				for _, tok := range byKey[key] {
					if free[tok] && !seen[tok] {
						seen[tok] = true
						wants[tf] = append(wants[tf], tok)
					}
				}
			}
		}
		claimedBy := map[string][]string{}
		for tf, toks := range wants {
			if len(toks) > 1 {
				return k, fmt.Errorf("%s matches several SDK tokens %v: add it to Explicit", tf, toks)
			}
			claimedBy[toks[0]] = append(claimedBy[toks[0]], tf)
		}
		for tok, tfs := range claimedBy {
			if len(tfs) > 1 {
				sort.Strings(tfs)
				return k, fmt.Errorf("SDK token %s matches several Terraform names %v: add them to Explicit", tok, tfs)
			}
			if err := claim(tfs[0], tok); err != nil {
				return k, err
			}
		}
	}
	for _, tf := range tfNames {
		if _, ok := k.Tokens[tf]; !ok {
			k.Unmapped = append(k.Unmapped, tf)
		}
	}
	for _, t := range tokens {
		if free[t] {
			k.SDKOnly = append(k.SDKOnly, t)
		}
	}
	return k, nil
}

// Compute matches the Terraform names to the SDK in sdkDir, with the Explicit table.
func Compute(sdkDir string, tfResources, tfDataSources []string) (Result, error) {
	return ComputeWith(sdkDir, tfResources, tfDataSources, Explicit.Resources, Explicit.DataSources)
}

// ComputeWith is Compute with another explicit table; each of its entries must name an existing Terraform name
// and SDK token.
func ComputeWith(sdkDir string, tfResources, tfDataSources []string, explicitResources, explicitDataSources map[string]string) (Result, error) {
	version, rs, ds, err := ReadSDK(sdkDir)
	if err != nil {
		return Result{}, err
	}
	tfResources, tfDataSources = sorted(tfResources), sorted(tfDataSources)
	res, err := match(tfResources, rs, explicitResources, false)
	if err != nil {
		return Result{}, fmt.Errorf("resources: %w", err)
	}
	dss, err := match(tfDataSources, ds, explicitDataSources, true)
	if err != nil {
		return Result{}, fmt.Errorf("data sources: %w", err)
	}
	return Result{SDKVersion: version, Resources: res, DataSources: dss}, nil
}

// Render writes the table as a Go file of package pkg.
func Render(r Result, pkg, tfModule string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by provider/cmd/gentokens from @pulumi/openstack %s and %s; DO NOT EDIT.\n\n",
		r.SDKVersion, tfModule)
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	fmt.Fprintf(&b, "// sdkVersion is the version of the @pulumi/openstack npm package the tokens were read from.\n")
	fmt.Fprintf(&b, "const sdkVersion = %q\n\n", r.SDKVersion)
	writeMap := func(name, doc string, m map[string]string) {
		fmt.Fprintf(&b, "// %s\nvar %s = map[string]string{\n", doc, name)
		for _, k := range sortedKeys(m) {
			fmt.Fprintf(&b, "\t%q: %q,\n", k, m[k])
		}
		b.WriteString("}\n\n")
	}
	writeList := func(name, doc string, l []string) {
		fmt.Fprintf(&b, "// %s\nvar %s = []string{\n", doc, name)
		for _, s := range l {
			fmt.Fprintf(&b, "\t%q,\n", s)
		}
		b.WriteString("}\n\n")
	}
	writeMap("resourceTokens", "resourceTokens maps each Terraform resource to the SDK's resource token.", r.Resources.Tokens)
	writeMap("dataSourceTokens", "dataSourceTokens maps each Terraform data source to the SDK's function token.", r.DataSources.Tokens)
	writeList("unmappedResources", "unmappedResources are Terraform resources the SDK has no token for (not exposed).", r.Resources.Unmapped)
	writeList("unmappedDataSources", "unmappedDataSources are Terraform data sources the SDK has no token for (not exposed).", r.DataSources.Unmapped)
	writeList("sdkOnlyResourceTokens", "sdkOnlyResourceTokens are SDK resources with no Terraform resource in this provider version.", r.Resources.SDKOnly)
	writeList("sdkOnlyDataSourceTokens", "sdkOnlyDataSourceTokens are SDK functions with no Terraform data source in this provider version.", r.DataSources.SDKOnly)
	return format.Source(b.Bytes())
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func sorted(l []string) []string {
	out := append([]string(nil), l...)
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
