;; Accepts its settings, then spins forever in `validate`.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 2048) "{\"valid\":true,\"message\":null}")
  (func (export "wapc_init"))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then (call $guest_response (i32.const 2048) (i32.const 29)) (return (i32.const 1))))
    (loop $forever (br $forever))
    (i32.const 0)))
