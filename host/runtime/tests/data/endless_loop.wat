;; A waPC guest whose every call spins forever: the epoch deadline must stop it.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wapc_init"))
  (func (export "__guest_call") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 1)))
