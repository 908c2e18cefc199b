package provider

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// resetIgnored sets news[path] to olds[path] (ignoreChanges), where the state has a value there.
func resetIgnored(olds, news resource.PropertyMap, path string) {
	p, err := resource.ParsePropertyPath(path)
	if err != nil || len(p) == 0 {
		return
	}
	if v, ok := p.Get(resource.NewProperty(olds)); ok {
		p.Set(resource.NewProperty(news), v)
	}
}

// comparable drops what never takes part in a diff: the engine's "version" and "__" keys.
func comparable(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		if k == "version" || strings.HasPrefix(string(k), "__") {
			continue
		}
		out[k] = v
	}
	return out
}

// diffCommand compares the old inputs with the new ones, property path by property path: a
// change under triggers is a replacement, any other change an update in place.
func diffCommand(oldInputs, olds, news resource.PropertyMap, ignoreChanges []string) *pulumirpc.DiffResponse {
	news = news.Copy()
	for _, path := range ignoreChanges {
		resetIgnored(olds, news, path)
	}
	objDiff := comparable(oldInputs).Diff(comparable(news))
	detailed := plugin.NewDetailedDiffFromObjectDiff(objDiff, false)

	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		HasDetailedDiff: true,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
	}
	if objDiff.AnyChanges() {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	diffs, replaces := map[string]bool{}, map[string]bool{}
	for path, d := range detailed {
		head := path
		if pp, err := resource.ParsePropertyPath(path); err == nil && len(pp) > 0 {
			if h, ok := pp[0].(string); ok {
				head = h
			}
		}
		kind := d.Kind
		if head == pTriggers {
			kind = kind.AsReplace()
			replaces[head] = true
		}
		diffs[head] = true
		resp.DetailedDiff[path] = &pulumirpc.PropertyDiff{Kind: rpcKind(kind), InputDiff: d.InputDiff}
	}
	resp.Diffs = sortedKeys(diffs)
	resp.Replaces = sortedKeys(replaces)
	return resp
}

func rpcKind(k plugin.DiffKind) pulumirpc.PropertyDiff_Kind {
	switch k {
	case plugin.DiffAdd:
		return pulumirpc.PropertyDiff_ADD
	case plugin.DiffAddReplace:
		return pulumirpc.PropertyDiff_ADD_REPLACE
	case plugin.DiffDelete:
		return pulumirpc.PropertyDiff_DELETE
	case plugin.DiffDeleteReplace:
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	case plugin.DiffUpdateReplace:
		return pulumirpc.PropertyDiff_UPDATE_REPLACE
	default:
		return pulumirpc.PropertyDiff_UPDATE
	}
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// inputsChanged: does any input property of news differ from (or is unknown in) the state?
// During an update preview, stdout and stderr are unknown exactly then.
func inputsChanged(olds, news resource.PropertyMap) bool {
	for _, k := range inputKeys {
		n, hasNew := news[resource.PropertyKey(k)]
		o, hasOld := olds[resource.PropertyKey(k)]
		if hasNew && n.ContainsUnknowns() {
			return true
		}
		if hasNew != hasOld || (hasNew && !n.DeepEquals(o)) {
			if !hasNew && o.IsNull() || !hasOld && n.IsNull() {
				continue
			}
			return true
		}
	}
	return false
}
