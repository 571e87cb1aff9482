;; A waPC guest that traps the way a Rust panic does (`unreachable`).
(module
  (memory (export "memory") 1)
  (func (export "wapc_init"))
  (func (export "__guest_call") (param i32 i32) (result i32) (unreachable)))
