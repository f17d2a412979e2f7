// The Go-SDK peer of header-auth's allowed path in `mesh-filters bench --engine envoy`:
// an API-key check written the way the proxy-wasm-go-sdk examples write filters,
// built with the standard Go toolchain (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared).
// It does what the other peers do with the same keys: read the key header, answer
// 401 when the key is missing or unknown, otherwise remove the key and pass the
// client's principal upstream in a header. Configuration is JSON, parsed once:
//
//	{"header": "x-api-key", "principal_header": "x-auth-principal",
//	 "keys": {"<key>": "<principal>", ...}}
package main

import (
	"encoding/json"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// Go 1.24 WASI reactors: contexts are registered in init(), main stays empty.
func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &pluginContext{} })
}

type config struct {
	Header          string            `json:"header"`
	PrincipalHeader string            `json:"principal_header"`
	Keys            map[string]string `json:"keys"`
}

type pluginContext struct {
	types.DefaultPluginContext
	cfg config
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil {
		proxywasm.LogCriticalf("go-sdk-api-key: cannot read configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if err := json.Unmarshal(data, &p.cfg); err != nil || p.cfg.Header == "" || p.cfg.PrincipalHeader == "" || len(p.cfg.Keys) == 0 {
		proxywasm.LogCritical("go-sdk-api-key: invalid configuration: want {\"header\", \"principal_header\", \"keys\": {key: principal}}")
		return types.OnPluginStartStatusFailed
	}
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{cfg: &p.cfg}
}

type httpContext struct {
	types.DefaultHttpContext
	cfg *config
}

var unauthorizedHeaders = [][2]string{{"www-authenticate", `ApiKey realm="mesh"`}}

func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	key, err := proxywasm.GetHttpRequestHeader(h.cfg.Header)
	principal, known := h.cfg.Keys[key]
	if err != nil || !known {
		if err := proxywasm.SendHttpResponse(401, unauthorizedHeaders, []byte("unauthorized"), -1); err != nil {
			proxywasm.LogErrorf("go-sdk-api-key: cannot send the 401: %v", err)
		}
		return types.ActionPause
	}
	_ = proxywasm.RemoveHttpRequestHeader(h.cfg.Header)
	_ = proxywasm.ReplaceHttpRequestHeader(h.cfg.PrincipalHeader, principal)
	return types.ActionContinue
}
