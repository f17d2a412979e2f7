;; What a filter reads: at the end of every stream (proxy_on_log, where stats reads them) the
;; value of each attribute below as one log line, "<attribute> = <hex bytes>" or "<attribute>
;; missing <result code>"; of a header map only its entry count (the pairs' first four bytes:
;; Envoy lists a map's keys in its own order, and what the maps hold is compared header by header
;; through visible.wat). Left out: what measures time (request.time, request.duration), names a
;; socket or connection (source.*, destination.*, connection.id, upstream.*) and request.id (the
;; x-request-id, random in Envoy): they differ by nature (host/README.md). Run by the differential
;; suite behind the fuzz streams, so that an attribute the host computes differently from Envoy
;; (a size, a flag, what a rejected request still has) shows in the logs.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 8192))
  ;; The attributes, each a NUL-separated path ending in "\00\00" ("#" first: a map, whose entry
  ;; count is printed); the list ends with an empty one.
  (data (i32.const 1024)
    "request\00path\00\00" "request\00url_path\00\00" "request\00host\00\00" "request\00scheme\00\00"
    "request\00method\00\00" "request\00referer\00\00" "request\00useragent\00\00"
    "request\00protocol\00\00" "request\00query\00\00" "request\00size\00\00" "request\00total_size\00\00"
    "#request\00headers\00\00"
    "response\00code\00\00" "response\00code_details\00\00" "response\00flags\00\00" "response\00grpc_status\00\00"
    "response\00size\00\00" "response\00total_size\00\00" "#response\00headers\00\00" "#response\00trailers\00\00"
    "xds\00listener_direction\00\00" "xds\00cluster_name\00\00" "xds\00cluster_metadata\00\00" "xds\00node\00id\00\00"
    "plugin_name\00\00" "plugin_root_id\00\00" "connection\00mtls\00\00"
    "\00\00")
  (data (i32.const 960) "0123456789abcdef")
  (data (i32.const 980) " = ")
  (data (i32.const 984) " missing ")

  (func $alloc (param $n i32) (result i32) (local $p i32) (local $need i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.set $need (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16)) (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $need)) (i32.const -1)) (then unreachable))))
    (local.get $p))
  (func (export "malloc") (param $n i32) (result i32) (call $alloc (local.get $n)))
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
      (local.set $src (i32.add (local.get $src) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next))))
  ;; Length of the path at $p: up to (not including) its "\00\00".
  (func $path_len (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.and (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n))))
                            (i32.eqz (i32.load8_u (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 1))))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))
  ;; Logs one attribute: its path (NULs shown as dots), then " = <hex>" or " missing <code>".
  (func $attribute (param $p i32) (param $len i32) (param $count_only i32)
    (local $r i32) (local $vp i32) (local $vl i32) (local $out i32) (local $o i32) (local $i i32) (local $b i32)
    (global.set $heap (i32.const 8192))
    (i32.store (i32.const 0) (i32.const 0)) (i32.store (i32.const 4) (i32.const 0))
    (local.set $r (call $get_property (local.get $p) (local.get $len) (i32.const 0) (i32.const 4)))
    (local.set $vp (i32.load (i32.const 0)))
    (local.set $vl (i32.load (i32.const 4)))
    (if (i32.and (local.get $count_only) (i32.gt_u (local.get $vl) (i32.const 4))) (then (local.set $vl (i32.const 4))))
    (local.set $out (call $alloc (i32.add (i32.add (local.get $len) (i32.const 16)) (i32.shl (local.get $vl) (i32.const 1)))))
    (call $copy (local.get $out) (local.get $p) (local.get $len))
    (local.set $i (i32.const 0))
    (block $done (loop $dots
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (if (i32.eqz (i32.load8_u (i32.add (local.get $out) (local.get $i))))
        (then (i32.store8 (i32.add (local.get $out) (local.get $i)) (i32.const 46))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $dots)))
    (local.set $o (i32.add (local.get $out) (local.get $len)))
    (if (local.get $r)
      (then
        (call $copy (local.get $o) (i32.const 984) (i32.const 9))
        (i32.store8 (i32.add (local.get $o) (i32.const 9)) (i32.add (i32.const 48) (i32.rem_u (local.get $r) (i32.const 10))))
        (drop (call $log (i32.const 2) (local.get $out) (i32.add (local.get $len) (i32.const 10))))
        (return)))
    (call $copy (local.get $o) (i32.const 980) (i32.const 3))
    (local.set $o (i32.add (local.get $o) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $done (loop $hex
      (br_if $done (i32.ge_u (local.get $i) (local.get $vl)))
      (local.set $b (i32.load8_u (i32.add (local.get $vp) (local.get $i))))
      (i32.store8 (local.get $o) (i32.load8_u (i32.add (i32.const 960) (i32.shr_u (local.get $b) (i32.const 4)))))
      (i32.store8 (i32.add (local.get $o) (i32.const 1)) (i32.load8_u (i32.add (i32.const 960) (i32.and (local.get $b) (i32.const 15)))))
      (local.set $o (i32.add (local.get $o) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $hex)))
    (drop (call $log (i32.const 2) (local.get $out) (i32.sub (local.get $o) (local.get $out)))))

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param i32) (local $p i32) (local $len i32)
    (local.set $p (i32.const 1024))
    (block $done (loop $next
      (local.set $len (call $path_len (local.get $p)))
      (br_if $done (i32.eqz (local.get $len)))
      (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 35))
        (then (call $attribute (i32.add (local.get $p) (i32.const 1)) (i32.sub (local.get $len) (i32.const 1)) (i32.const 1)))
        (else (call $attribute (local.get $p) (local.get $len) (i32.const 0))))
      (local.set $p (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 2)))
      (br $next))))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))
