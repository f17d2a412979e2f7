;; The module `mesh-filters doctor` loads into Envoy to prove it runs Proxy-Wasm
;; filters in V8: the smallest ABI 0.2.1 HTTP filter, which logs one marker
;; line from proxy_on_configure. The marker in Envoy's log, not only the exit
;; code, is the proof: it shows the VM was created and the module ran.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "mesh-filters wasm probe configured")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) i32.const 1024)
  (func (export "proxy_on_context_create") (param i32 i32))
  ;; log level 2 = info; 34 = length of the marker above
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 16) (i32.const 34)))
    i32.const 1))
