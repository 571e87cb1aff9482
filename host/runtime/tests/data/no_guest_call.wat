;; Not a waPC guest: no __guest_call export.
(module (memory (export "memory") 1) (func (export "wapc_init")))
