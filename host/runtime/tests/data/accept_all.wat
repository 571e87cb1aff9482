;; The smallest waPC policy: accepts every request, accepts any settings, speaks protocol v1.
;; The operation is told apart by its length: validate (8), protocol_version (16),
;; validate_settings (17).
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 1024) "{\"accepted\":true,\"message\":null,\"code\":null,\"mutated_object\":null,\"audit_annotations\":null,\"warnings\":[\"accept-all\"]}")
  (data (i32.const 2048) "{\"valid\":true,\"message\":null}")
  (data (i32.const 3072) "\"v1\"")
  (func (export "wapc_init"))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    ;; op at 0, payload at 4096 (the payload must fit in the rest of the memory)
    (call $guest_request (i32.const 0) (i32.const 4096))
    (if (i32.eq (local.get $op_len) (i32.const 8))
      (then (call $guest_response (i32.const 1024) (i32.const 117)) (return (i32.const 1))))
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then (call $guest_response (i32.const 2048) (i32.const 29)) (return (i32.const 1))))
    (if (i32.eq (local.get $op_len) (i32.const 16))
      (then (call $guest_response (i32.const 3072) (i32.const 4)) (return (i32.const 1))))
    (i32.const 0)))
