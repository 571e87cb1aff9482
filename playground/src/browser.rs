//! The waPC host on the browser's WebAssembly API (through `js-sys`): the imports
//! `host/runtime/src/runtime.rs` links with wasmtime, answered the same way, and
//! [`fluxgate_protocol::wapc::Guest`] over a `WebAssembly.Instance` so `validate`,
//! `fluxgate_explain` and `validate_settings` are the shared ones.
//!
//! The imports are made once per page: every instance of every module links to the same
//! functions, which read and write the instance in progress through [`HostState`] (a worker
//! runs one call at a time, and a guest calls the host only from inside a call).

use fluxgate_protocol::capabilities::{self, EvaluationContext};
use fluxgate_protocol::wapc::{CallOutcome, Guest, WapcError, WapcState, call_result};
use js_sys::{ArrayBuffer, Function, Object, Reflect, Uint8Array, WebAssembly};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// WASI errno values (preview1 `errno` enum).
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: i32 = 8;
const ERRNO_INVAL: i32 = 28;
const ERRNO_NOSYS: i32 = 52;

/// What the imports act on: the instance in progress and its evaluation.
#[derive(Default)]
struct HostState {
    memory: Option<WebAssembly::Memory>,
    wapc: WapcState,
    ctx: Option<Arc<EvaluationContext>>,
    /// The error a host function failed with (wasmtime: the function's `Err`, which ends the
    /// guest call with that text).
    failure: Option<String>,
    /// A WASI `proc_exit` code.
    exit: Option<i32>,
    /// What the guest wrote to stdout/stderr (native: the host's stderr).
    stdio: Vec<u8>,
}

/// The import object shared by all instances, and the state its functions work on.
pub struct Host {
    state: Rc<RefCell<HostState>>,
    imports: Object,
}

type Shared = Rc<RefCell<HostState>>;

fn set(target: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

/// A host function failing: recorded for the message, thrown to unwind the guest.
fn fail(state: &Shared, message: String) -> JsValue {
    let error = js_sys::Error::new(&message);
    state.borrow_mut().failure = Some(message);
    error.into()
}

fn memory_bytes(state: &Shared) -> Result<ArrayBuffer, String> {
    let s = state.borrow();
    let memory = s.memory.as_ref().ok_or("Cannot find 'mem' export")?;
    Ok(memory.buffer().unchecked_into())
}

fn span(buffer: &ArrayBuffer, ptr: i32, len: usize) -> Result<(u32, u32), String> {
    let offset = u32::try_from(ptr).map_err(|_| "negative pointer".to_string())?;
    let len = u32::try_from(len).map_err(|_| "out of bounds memory access".to_string())?;
    if u64::from(offset) + u64::from(len) > u64::from(buffer.byte_length()) {
        return Err("out of bounds memory access".into());
    }
    Ok((offset, len))
}

fn read(state: &Shared, ptr: i32, len: i32) -> Result<Vec<u8>, String> {
    let buffer = memory_bytes(state)?;
    let len = usize::try_from(len).map_err(|_| "negative length".to_string())?;
    let (offset, len) = span(&buffer, ptr, len)?;
    let mut out = vec![0; len as usize];
    Uint8Array::new_with_byte_offset_and_length(&buffer, offset, len).copy_to(&mut out);
    Ok(out)
}

fn write(state: &Shared, ptr: i32, bytes: &[u8]) -> Result<(), String> {
    let buffer = memory_bytes(state)?;
    let (offset, len) = span(&buffer, ptr, bytes.len())?;
    Uint8Array::new_with_byte_offset_and_length(&buffer, offset, len).copy_from(bytes);
    Ok(())
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Host {
    pub fn new() -> Host {
        let state: Shared = Rc::default();
        let imports = Object::new();
        set(&imports, "wapc", &wapc_imports(&state));
        let wasi = wasi_imports(&state);
        // wasmtime's linker serves both names (`wasi_common::sync::add_to_linker`).
        set(&imports, "wasi_snapshot_preview1", &wasi);
        set(&imports, "wasi_unstable", &wasi);
        Host { state, imports }
    }

    /// Adds `ENOSYS` stubs for WASI functions a module imports that the host does not serve,
    /// so it links (wasi-common serves every preview1 function; fluxgate's modules use the
    /// few above).
    pub fn link(&self, module: &WebAssembly::Module) {
        let stub = Closure::<dyn FnMut() -> i32>::new(|| ERRNO_NOSYS).into_js_value();
        for import in WebAssembly::Module::imports(module).iter() {
            let field = |k: &str| {
                Reflect::get(&import, &JsValue::from_str(k))
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default()
            };
            let (namespace, name, kind) = (field("module"), field("name"), field("kind"));
            if kind != "function" || !namespace.starts_with("wasi") {
                continue;
            }
            let Ok(table) = Reflect::get(&self.imports, &JsValue::from_str(&namespace)) else {
                continue;
            };
            let table: Object = table.unchecked_into();
            if !Reflect::has(&table, &JsValue::from_str(&name)).unwrap_or(false) {
                set(&table, &name, &stub);
            }
        }
    }

    /// A fresh instance with `_start`/`wapc_init` already run: what policy-server does for
    /// every request (`Runtime::instantiate`).
    pub fn instantiate(
        &self,
        module: &WebAssembly::Module,
        ctx: Arc<EvaluationContext>,
    ) -> Result<BrowserInstance, WapcError> {
        *self.state.borrow_mut() = HostState {
            ctx: Some(ctx),
            ..HostState::default()
        };
        let instance = WebAssembly::Instance::new(module, &self.imports)
            .map_err(|e| WapcError::InitFailed(self.failure_text(e)))?;
        let exports = instance.exports();
        let memory = Reflect::get(&exports, &JsValue::from_str("memory"))
            .ok()
            .and_then(|m| m.dyn_into::<WebAssembly::Memory>().ok());
        self.state.borrow_mut().memory = memory.clone();
        let func = |name: &str| {
            Reflect::get(&exports, &JsValue::from_str(name))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
        };
        for start in ["_start", "wapc_init"] {
            let Some(f) = func(start) else { continue };
            if let Err(e) = f.call0(&JsValue::UNDEFINED) {
                // A WASI `proc_exit(0)` from `_start` is a normal end (tinygo's main does it).
                if self.state.borrow_mut().exit.take() == Some(0) {
                    continue;
                }
                return Err(WapcError::InitFailed(self.failure_text(e)));
            }
        }
        let guest_call = func("__guest_call").ok_or(WapcError::GuestCallNotFound)?;
        Ok(BrowserInstance {
            state: self.state.clone(),
            memory,
            guest_call,
        })
    }

    fn failure_text(&self, error: JsValue) -> String {
        failure_text(&self.state, error)
    }

    /// What the guest wrote to stdout/stderr since the last instance was made.
    pub fn take_stdio(&self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.state.borrow_mut().stdio)).into_owned()
    }
}

/// The text the native host gives for what ended a call: a host function's error, a WASI
/// exit, or the trap, worded as wasmtime words it.
fn failure_text(state: &Shared, error: JsValue) -> String {
    {
        let mut s = state.borrow_mut();
        if let Some(message) = s.failure.take() {
            return message;
        }
        if let Some(code) = s.exit.take() {
            // wasi_common::I32Exit's Display
            return format!("Exited with i32 exit status {code}");
        }
    }
    let message = Reflect::get(&error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{error:?}"));
    if error.is_instance_of::<WebAssembly::RuntimeError>()
        || error.is_instance_of::<js_sys::RangeError>()
        || message.contains("too much recursion")
    {
        trap_text(&message)
    } else {
        message
    }
}

impl Default for Host {
    fn default() -> Self {
        Host::new()
    }
}

/// A browser engine's trap message as wasmtime's `Trap` displays it
/// (`wasmtime-environ/src/trap_encoding.rs`: `"wasm trap: {desc}"`). V8's texts are its
/// message templates (`WasmTrap*`), SpiderMonkey's and JavaScriptCore's their own.
pub fn trap_text(message: &str) -> String {
    let m = message.to_lowercase();
    let desc = if m.contains("unreachable") {
        "wasm `unreachable` instruction executed"
    } else if m.contains("call stack") || m.contains("recursion") {
        "call stack exhausted"
    } else if m.contains("unaligned") {
        "unaligned atomic"
    } else if m.contains("remainder by zero") || m.contains("divide by zero") {
        "integer divide by zero"
    } else if m.contains("unrepresentable in integer") || m.contains("invalid conversion") {
        "invalid conversion to integer"
    } else if m.contains("divide result unrepresentable") || m.contains("integer overflow") {
        "integer overflow"
    } else if m.contains("table index") || m.contains("table") && m.contains("bounds") {
        "undefined element: out of bounds table access"
    } else if m.contains("signature mismatch") {
        "indirect call type mismatch"
    } else if m.contains("indirect call to null") || m.contains("null function") {
        "uninitialized element"
    } else if m.contains("null") {
        "null reference"
    } else if m.contains("out of bounds") || m.contains("index out of") {
        "out of bounds memory access"
    } else {
        return format!("wasm trap: {message}");
    };
    format!("wasm trap: {desc}")
}

/// One live instance of a policy.
pub struct BrowserInstance {
    state: Shared,
    memory: Option<WebAssembly::Memory>,
    guest_call: Function,
}

impl Guest for BrowserInstance {
    fn call(&mut self, op: &str, payload: &[u8]) -> Result<Vec<u8>, WapcError> {
        {
            let mut s = self.state.borrow_mut();
            s.memory = self.memory.clone();
            s.wapc = WapcState {
                invocation: Some((op.as_bytes().to_vec(), payload.to_vec())),
                ..WapcState::default()
            };
            s.failure = None;
            s.exit = None;
        }
        let (op_len, msg_len) = (len_i32(op.len()), len_i32(payload.len()));
        let outcome = self.guest_call.call2(
            &JsValue::UNDEFINED,
            &JsValue::from(op_len),
            &JsValue::from(msg_len),
        );
        let outcome = match outcome {
            Ok(v) => CallOutcome::Returned(v.as_f64().map_or(0, |n| n as i32)),
            Err(e) => CallOutcome::Failed(failure_text(&self.state, e)),
        };
        let wapc = std::mem::take(&mut self.state.borrow_mut().wapc);
        call_result(outcome, wapc.guest_response, wapc.guest_error)
    }
}

fn wapc_imports(state: &Shared) -> Object {
    let table = Object::new();
    let s = state.clone();
    set(
        &table,
        "__guest_request",
        &Closure::<dyn FnMut(i32, i32) -> Result<(), JsValue>>::new(
            move |op_ptr: i32, msg_ptr: i32| {
                // Taken out and put back rather than cloned: the payload can be megabytes.
                let Some((op, msg)) = s.borrow_mut().wapc.invocation.take() else {
                    return Ok(());
                };
                let written = write(&s, msg_ptr, &msg).and_then(|()| write(&s, op_ptr, &op));
                s.borrow_mut().wapc.invocation = Some((op, msg));
                written.map_err(|e| fail(&s, e))
            },
        )
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__guest_response",
        &Closure::<dyn FnMut(i32, i32) -> Result<(), JsValue>>::new(move |ptr: i32, len: i32| {
            let bytes = read(&s, ptr, len).map_err(|e| fail(&s, e))?;
            s.borrow_mut().wapc.guest_response = Some(bytes);
            Ok(())
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__guest_error",
        &Closure::<dyn FnMut(i32, i32) -> Result<(), JsValue>>::new(move |ptr: i32, len: i32| {
            let bytes = read(&s, ptr, len).map_err(|e| fail(&s, e))?;
            s.borrow_mut().wapc.guest_error = Some(String::from_utf8_lossy(&bytes).into_owned());
            Ok(())
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__host_call",
        &Closure::<dyn FnMut(i32, i32, i32, i32, i32, i32, i32, i32) -> Result<i32, JsValue>>::new(
            move |bd_ptr, bd_len, ns_ptr, ns_len, op_ptr, op_len, ptr, len| {
                let text = |p, l| {
                    read(&s, p, l)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .map_err(|e| fail(&s, e))
                };
                let binding = text(bd_ptr, bd_len)?;
                let namespace = text(ns_ptr, ns_len)?;
                let operation = text(op_ptr, op_len)?;
                let payload = read(&s, ptr, len).map_err(|e| fail(&s, e))?;
                let ctx = s.borrow().ctx.clone().unwrap_or_default();
                let outcome =
                    capabilities::dispatch(&ctx, &binding, &namespace, &operation, &payload);
                Ok(s.borrow_mut().wapc.host_answered(outcome))
            },
        )
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__host_response_len",
        &Closure::<dyn FnMut() -> i32>::new(move || {
            s.borrow()
                .wapc
                .host_response
                .as_ref()
                .map_or(0, |r| len_i32(r.len()))
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__host_response",
        &Closure::<dyn FnMut(i32) -> Result<(), JsValue>>::new(move |ptr: i32| {
            let response = s.borrow().wapc.host_response.clone();
            if let Some(response) = response {
                write(&s, ptr, &response).map_err(|e| fail(&s, e))?;
            }
            Ok(())
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__host_error_len",
        &Closure::<dyn FnMut() -> i32>::new(move || {
            s.borrow()
                .wapc
                .host_error
                .as_ref()
                .map_or(0, |e| len_i32(e.len()))
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__host_error",
        &Closure::<dyn FnMut(i32) -> Result<(), JsValue>>::new(move |ptr: i32| {
            let error = s.borrow().wapc.host_error.clone();
            if let Some(error) = error {
                write(&s, ptr, error.as_bytes()).map_err(|e| fail(&s, e))?;
            }
            Ok(())
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "__console_log",
        &Closure::<dyn FnMut(i32, i32) -> Result<(), JsValue>>::new(move |ptr: i32, len: i32| {
            let bytes = read(&s, ptr, len).map_err(|e| fail(&s, e))?;
            let ctx = s.borrow().ctx.clone();
            if let Some(ctx) = ctx {
                ctx.log("info", &String::from_utf8_lossy(&bytes));
            }
            Ok(())
        })
        .into_js_value(),
    );
    table
}

/// `crypto.getRandomValues` of the worker (or window), 64 KiB at most per call as the Web
/// Crypto API allows.
fn random_bytes(len: usize) -> Result<Vec<u8>, String> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|_| "no crypto in this browser".to_string())?;
    let get: Function = Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("no crypto.getRandomValues in this browser")?;
    let mut out = vec![0; len];
    for chunk in out.chunks_mut(65536) {
        let view = Uint8Array::new_with_length(chunk.len() as u32);
        get.call1(&crypto, &view)
            .map_err(|_| "crypto.getRandomValues failed".to_string())?;
        view.copy_to(chunk);
    }
    Ok(out)
}

/// Nanoseconds of a WASI clock: realtime from `Date.now()`, the others from
/// `performance.now()` (wasi-common: the system's realtime and monotonic clocks).
fn clock_nanos(id: i32) -> Option<u64> {
    let millis = match id {
        0 => js_sys::Date::now(),
        1..=3 => {
            let performance = Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
                .ok()
                .filter(|p| !p.is_undefined())?;
            let now: Function = Reflect::get(&performance, &JsValue::from_str("now"))
                .ok()?
                .dyn_into()
                .ok()?;
            now.call0(&performance).ok()?.as_f64()?
        }
        _ => return None,
    };
    Some((millis * 1_000_000.0) as u64)
}

fn wasi_imports(state: &Shared) -> Object {
    let table = Object::new();
    // Empty arguments and environment, as policy-server and the native host give.
    for (sizes, get) in [
        ("environ_sizes_get", "environ_get"),
        ("args_sizes_get", "args_get"),
    ] {
        let s = state.clone();
        set(
            &table,
            sizes,
            &Closure::<dyn FnMut(i32, i32) -> Result<i32, JsValue>>::new(
                move |count_ptr: i32, size_ptr: i32| {
                    write(&s, count_ptr, &0u32.to_le_bytes())
                        .and_then(|()| write(&s, size_ptr, &0u32.to_le_bytes()))
                        .map_err(|e| fail(&s, e))?;
                    Ok(ERRNO_SUCCESS)
                },
            )
            .into_js_value(),
        );
        set(
            &table,
            get,
            &Closure::<dyn FnMut(i32, i32) -> i32>::new(|_: i32, _: i32| ERRNO_SUCCESS)
                .into_js_value(),
        );
    }
    let s = state.clone();
    set(
        &table,
        "fd_write",
        &Closure::<dyn FnMut(i32, i32, i32, i32) -> Result<i32, JsValue>>::new(
            move |fd: i32, iovs: i32, iovs_len: i32, written_ptr: i32| {
                if fd != 1 && fd != 2 {
                    return Ok(ERRNO_BADF);
                }
                let mut total = 0u32;
                for i in 0..iovs_len.max(0) {
                    let iov = read(&s, iovs.wrapping_add(i * 8), 8).map_err(|e| fail(&s, e))?;
                    let ptr = i32::from_le_bytes([iov[0], iov[1], iov[2], iov[3]]);
                    let len = i32::from_le_bytes([iov[4], iov[5], iov[6], iov[7]]);
                    let bytes = read(&s, ptr, len).map_err(|e| fail(&s, e))?;
                    total = total.wrapping_add(bytes.len() as u32);
                    s.borrow_mut().stdio.extend_from_slice(&bytes);
                }
                write(&s, written_ptr, &total.to_le_bytes()).map_err(|e| fail(&s, e))?;
                Ok(ERRNO_SUCCESS)
            },
        )
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "random_get",
        &Closure::<dyn FnMut(i32, i32) -> Result<i32, JsValue>>::new(move |ptr: i32, len: i32| {
            let bytes = random_bytes(usize::try_from(len).unwrap_or(0)).map_err(|e| fail(&s, e))?;
            write(&s, ptr, &bytes).map_err(|e| fail(&s, e))?;
            Ok(ERRNO_SUCCESS)
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "proc_exit",
        &Closure::<dyn FnMut(i32) -> Result<(), JsValue>>::new(move |code: i32| {
            s.borrow_mut().exit = Some(code);
            Err(js_sys::Error::new("proc_exit").into())
        })
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "clock_time_get",
        &Closure::<dyn FnMut(i32, i64, i32) -> Result<i32, JsValue>>::new(
            move |id: i32, _precision: i64, time_ptr: i32| {
                let Some(nanos) = clock_nanos(id) else {
                    return Ok(ERRNO_INVAL);
                };
                write(&s, time_ptr, &nanos.to_le_bytes()).map_err(|e| fail(&s, e))?;
                Ok(ERRNO_SUCCESS)
            },
        )
        .into_js_value(),
    );
    let s = state.clone();
    set(
        &table,
        "clock_res_get",
        &Closure::<dyn FnMut(i32, i32) -> Result<i32, JsValue>>::new(move |id: i32, ptr: i32| {
            if !(0..=3).contains(&id) {
                return Ok(ERRNO_INVAL);
            }
            write(&s, ptr, &1_000u64.to_le_bytes()).map_err(|e| fail(&s, e))?;
            Ok(ERRNO_SUCCESS)
        })
        .into_js_value(),
    );
    set(
        &table,
        "sched_yield",
        &Closure::<dyn FnMut() -> i32>::new(|| ERRNO_SUCCESS).into_js_value(),
    );
    table
}
