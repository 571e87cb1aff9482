//! The waPC runtime: one compiled module, a fresh instance per evaluation.
//!
//! This mirrors wasmtime-provider + wapc as Kubewarden's policy-evaluator uses them
//! (`../shared/kubewarden-contract.md` §1): the eight `wapc` imports, WASI preview1 (and
//! `wasi_unstable`) with empty args/env, `_start` then `wapc_init`, and
//! `__guest_call(op_len, msg_len)`. On top of it, fluxgate adds what policy-server leaves
//! out: a memory cap per instance.

use crate::capabilities::{self, EvaluationContext};
use fluxgate_protocol::wapc::{CallOutcome, Guest, WapcState, call_result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasi_common::WasiCtx;
use wasi_common::sync::WasiCtxBuilder;
use wasmtime::{
    Caller, Config, Engine, InstancePre, Linker, Memory, Module, Store, StoreLimits,
    StoreLimitsBuilder, Trap, TypedFunc,
};

pub use fluxgate_protocol::wapc::{DEADLINE_MESSAGE, WapcError};

/// Limits applied to every evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock budget for `wapc_init` and for each guest call (policy-server: 2 s).
    /// `None` disables the deadline, like `kwctl run`.
    pub timeout: Option<Duration>,
    /// Largest linear memory an instance may grow to.
    pub max_memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Some(Duration::from_secs(2)),
            max_memory_bytes: 256 << 20,
        }
    }
}

/// Granularity of the epoch clock. policy-server ticks once a second, so its deadlines
/// land anywhere in (N-1, N] s; a finer tick keeps ours close to the configured value.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A deadline that never comes: wasmtime adds the ticks to the current epoch, so `u64::MAX`
/// would wrap around to a deadline already past (and interrupt at once).
const NEVER: u64 = u64::MAX / 2;

/// A wasmtime engine plus the thread that advances its epoch.
pub struct Runtime {
    engine: Engine,
    limits: Limits,
    stop_ticker: Arc<AtomicBool>,
}

impl Runtime {
    pub fn new(limits: Limits) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.wasm_function_references(true); // as policy-server and kwctl configure it
        config.epoch_interruption(true);
        // `FLUXGATE_PERFMAP=1`: write /tmp/perf-PID.map so `perf record`/`perf report` name the
        // policy's functions (a module built without `strip` keeps their names).
        if std::env::var_os("FLUXGATE_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(anyhow_of)?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        let (ticking_engine, stop) = (engine.clone(), stop_ticker.clone());
        std::thread::Builder::new()
            .name("fluxgate-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticking_engine.increment_epoch();
                }
            })?;
        Ok(Runtime {
            engine,
            limits,
            stop_ticker,
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Compiles a module and links it once; instances are then cheap to create.
    pub fn compile(&self, wasm: &[u8]) -> anyhow::Result<CompiledModule> {
        let module = Module::new(&self.engine, wasm).map_err(anyhow_of)?;
        self.link(module)
    }

    /// Like [`Runtime::compile`], keeping the machine code in `cache_dir` across runs, keyed
    /// by the module's SHA-256 and this engine's compatibility hash (wasmtime version and
    /// settings), so a second scan does not compile again. The cache holds native code that is
    /// loaded as is: it must be a directory only the user writes (the default is under the
    /// user's cache directory). A stale or unreadable entry is recompiled and replaced.
    pub fn compile_cached(
        &self,
        wasm: &[u8],
        cache_dir: &std::path::Path,
    ) -> anyhow::Result<CompiledModule> {
        use sha2::{Digest, Sha256};
        use std::hash::{Hash, Hasher};
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let digest = Sha256::digest(wasm);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let path = cache_dir.join(format!("{hex}-{:016x}.cwasm", engine_hash.finish()));
        if path.is_file() {
            // SAFETY: the file is one this function wrote with `Module::serialize` for an
            // engine of the same compatibility hash, in the user's own cache directory.
            if let Ok(module) = unsafe { Module::deserialize_file(&self.engine, &path) } {
                return self.link(module);
            }
        }
        let module = Module::new(&self.engine, wasm).map_err(anyhow_of)?;
        if let Ok(bytes) = module.serialize() {
            let _ = std::fs::create_dir_all(cache_dir);
            let partial = path.with_extension(format!("partial-{}", std::process::id()));
            if std::fs::write(&partial, bytes).is_ok() {
                let _ = std::fs::rename(&partial, &path);
            }
        }
        self.link(module)
    }

    fn link(&self, module: Module) -> anyhow::Result<CompiledModule> {
        let mut linker: Linker<StoreData> = Linker::new(&self.engine);
        wasi_common::sync::add_to_linker(&mut linker, |d: &mut StoreData| &mut d.wasi)
            .map_err(anyhow_of)?;
        define_wapc_imports(&mut linker).map_err(anyhow_of)?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| anyhow::anyhow!("the module cannot be linked as a waPC policy: {e}"))?;
        Ok(CompiledModule { pre })
    }

    /// A fresh instance with `_start`/`wapc_init` already run: what policy-server does for
    /// every request.
    pub fn instantiate(
        &self,
        module: &CompiledModule,
        ctx: Arc<EvaluationContext>,
    ) -> Result<Instance, WapcError> {
        let wasi = WasiCtxBuilder::new()
            .stdout(Box::new(wasi_common::sync::stdio::stderr()))
            .stderr(Box::new(wasi_common::sync::stdio::stderr()))
            .build();
        let data = StoreData {
            wasi,
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.max_memory_bytes)
                .build(),
            wapc: WapcState::default(),
            ctx,
            deadline_ticks: self.deadline_ticks(),
            memory: None,
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| &mut d.limits);
        self.arm_deadline(&mut store);
        let instance = module
            .pre
            .instantiate(&mut store)
            .map_err(|e| WapcError::InitFailed(e.to_string()))?;
        // Looked up once: every host call reads or writes it, and a by-name export
        // look-up per call is a measurable part of a look-up's cost.
        store.data_mut().memory = instance.get_memory(&mut store, "memory");

        for start in ["_start", "wapc_init"] {
            let Some(func) = instance.get_func(&mut store, start) else {
                continue;
            };
            let func = func
                .typed::<(), ()>(&store)
                .map_err(|e| WapcError::InitFailed(format!("{start}: {e}")))?;
            self.arm_deadline(&mut store);
            if let Err(err) = func.call(&mut store, ()) {
                if matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    return Err(WapcError::InitFailed(format!(
                        "{start} init interrupted, execution deadline exceeded"
                    )));
                }
                // A WASI `proc_exit(0)` from `_start` is a normal end (tinygo's main does it).
                if err
                    .downcast_ref::<wasi_common::I32Exit>()
                    .is_some_and(|e| e.0 == 0)
                {
                    continue;
                }
                return Err(WapcError::InitFailed(err.to_string()));
            }
        }
        let guest_call = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "__guest_call")
            .map_err(|_| WapcError::GuestCallNotFound)?;
        Ok(Instance { store, guest_call })
    }

    /// The timeout in epoch ticks; [`NEVER`] without a timeout.
    fn deadline_ticks(&self) -> u64 {
        self.limits.timeout.map_or(NEVER, |t| {
            let ticks = t.as_nanos().div_ceil(EPOCH_TICK.as_nanos()).max(1);
            u64::try_from(ticks).unwrap_or(NEVER).min(NEVER)
        })
    }

    fn arm_deadline(&self, store: &mut Store<StoreData>) {
        store.set_epoch_deadline(self.deadline_ticks());
        store.epoch_deadline_trap();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

/// A module compiled and linked against the waPC and WASI imports.
pub struct CompiledModule {
    pre: InstancePre<StoreData>,
}

/// One live instance of a policy.
pub struct Instance {
    store: Store<StoreData>,
    guest_call: TypedFunc<(i32, i32), i32>,
}

impl Instance {
    /// Invokes the waPC operation `op` with `payload` (the `WapcHost::call` sequence).
    pub fn call(&mut self, op: &str, payload: &[u8]) -> Result<Vec<u8>, WapcError> {
        let wapc = &mut self.store.data_mut().wapc;
        *wapc = WapcState {
            invocation: Some((op.as_bytes().to_vec(), payload.to_vec())),
            ..WapcState::default()
        };
        let (op_len, msg_len) = (len_i32(op.len()), len_i32(payload.len()));
        let deadline = self.store.data().deadline_ticks;
        self.store.set_epoch_deadline(deadline);
        let outcome = self.guest_call.call(&mut self.store, (op_len, msg_len));
        let wapc = std::mem::take(&mut self.store.data_mut().wapc);
        let outcome = match outcome {
            Ok(returned) => CallOutcome::Returned(returned),
            Err(err) => CallOutcome::Failed(match err.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => DEADLINE_MESSAGE.into(),
                // The trap itself ("wasm trap: wasm `unreachable` instruction executed"),
                // not the backtrace wasmtime wraps it in.
                Some(trap) => trap.to_string(),
                None => err.to_string(),
            }),
        };
        call_result(outcome, wapc.guest_response, wapc.guest_error)
    }

    /// Bytes of linear memory the instance has now. Wasm memory never shrinks, so after a
    /// call this is the most the instance has needed so far (what the memory cap bounds).
    pub fn memory_size(&self) -> usize {
        self.store
            .data()
            .memory
            .map_or(0, |memory| memory.data_size(&self.store))
    }
}

impl Guest for Instance {
    fn call(&mut self, op: &str, payload: &[u8]) -> Result<Vec<u8>, WapcError> {
        Instance::call(self, op, payload)
    }
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(crate) struct StoreData {
    wasi: WasiCtx,
    limits: StoreLimits,
    wapc: WapcState,
    ctx: Arc<EvaluationContext>,
    deadline_ticks: u64,
    /// The instance's exported memory.
    memory: Option<Memory>,
}

fn memory(caller: &mut Caller<'_, StoreData>) -> wasmtime::Result<Memory> {
    caller
        .data()
        .memory
        .ok_or_else(|| wasmtime::Error::msg("Cannot find 'mem' export"))
}

fn read(caller: &mut Caller<'_, StoreData>, ptr: i32, len: i32) -> wasmtime::Result<Vec<u8>> {
    let mem = memory(caller)?;
    Ok(slice(mem.data(&*caller), ptr, len)?.to_vec())
}

fn write(caller: &mut Caller<'_, StoreData>, ptr: i32, bytes: &[u8]) -> wasmtime::Result<()> {
    let mem = memory(caller)?;
    slice_mut(mem.data_mut(&mut *caller), ptr, bytes.len())?.copy_from_slice(bytes);
    Ok(())
}

/// Copies the answer the host keeps for `__host_response` or `__host_error` to `ptr`, without
/// cloning it first.
fn write_answer(
    caller: &mut Caller<'_, StoreData>,
    ptr: i32,
    answer: fn(&WapcState) -> &[u8],
) -> wasmtime::Result<()> {
    let mem = memory(caller)?;
    let (data, store) = mem.data_and_store_mut(caller);
    let bytes = answer(&store.wapc);
    slice_mut(data, ptr, bytes.len())?.copy_from_slice(bytes);
    Ok(())
}

/// `len` bytes of guest memory at `ptr`; out of bounds (or negative) is an error, which
/// traps the guest, as an out-of-bounds access of its own would.
fn slice(data: &[u8], ptr: i32, len: i32) -> wasmtime::Result<&[u8]> {
    let len = usize::try_from(len).map_err(|_| wasmtime::Error::msg("negative length"))?;
    let start = usize::try_from(ptr).map_err(|_| wasmtime::Error::msg("negative pointer"))?;
    data.get(start..start.saturating_add(len))
        .ok_or_else(|| wasmtime::Error::msg("out of bounds memory access"))
}

fn slice_mut(data: &mut [u8], ptr: i32, len: usize) -> wasmtime::Result<&mut [u8]> {
    let start = usize::try_from(ptr).map_err(|_| wasmtime::Error::msg("negative pointer"))?;
    data.get_mut(start..start.saturating_add(len))
        .ok_or_else(|| wasmtime::Error::msg("out of bounds memory access"))
}

fn define_wapc_imports(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "wapc",
        "__guest_request",
        |mut caller: Caller<'_, StoreData>, op_ptr: i32, msg_ptr: i32| -> wasmtime::Result<()> {
            // Taken out and put back rather than cloned: the payload can be megabytes.
            let Some((op, msg)) = caller.data_mut().wapc.invocation.take() else {
                return Ok(());
            };
            let written =
                write(&mut caller, msg_ptr, &msg).and_then(|()| write(&mut caller, op_ptr, &op));
            caller.data_mut().wapc.invocation = Some((op, msg));
            written
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__guest_response",
        |mut caller: Caller<'_, StoreData>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let bytes = read(&mut caller, ptr, len)?;
            caller.data_mut().wapc.guest_response = Some(bytes);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__guest_error",
        |mut caller: Caller<'_, StoreData>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let bytes = read(&mut caller, ptr, len)?;
            caller.data_mut().wapc.guest_error = Some(String::from_utf8_lossy(&bytes).into_owned());
            Ok(())
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__host_call",
        |mut caller: Caller<'_, StoreData>,
         bd_ptr: i32,
         bd_len: i32,
         ns_ptr: i32,
         ns_len: i32,
         op_ptr: i32,
         op_len: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<i32> {
            // Read in place, not copied: a look-up sits on a policy's deny path.
            let mem = memory(&mut caller)?;
            let (data, store) = mem.data_and_store_mut(&mut caller);
            let binding = String::from_utf8_lossy(slice(data, bd_ptr, bd_len)?);
            let namespace = String::from_utf8_lossy(slice(data, ns_ptr, ns_len)?);
            let operation = String::from_utf8_lossy(slice(data, op_ptr, op_len)?);
            let payload = slice(data, ptr, len)?;
            let outcome =
                capabilities::dispatch(&store.ctx, &binding, &namespace, &operation, payload);
            Ok(store.wapc.host_answered(outcome))
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__host_response_len",
        |caller: Caller<'_, StoreData>| -> i32 {
            caller
                .data()
                .wapc
                .host_response
                .as_ref()
                .map_or(0, |r| len_i32(r.len()))
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__host_response",
        |mut caller: Caller<'_, StoreData>, ptr: i32| -> wasmtime::Result<()> {
            write_answer(&mut caller, ptr, |w| {
                w.host_response.as_deref().unwrap_or_default()
            })
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__host_error_len",
        |caller: Caller<'_, StoreData>| -> i32 {
            caller
                .data()
                .wapc
                .host_error
                .as_ref()
                .map_or(0, |e| len_i32(e.len()))
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__host_error",
        |mut caller: Caller<'_, StoreData>, ptr: i32| -> wasmtime::Result<()> {
            write_answer(&mut caller, ptr, |w| {
                w.host_error.as_deref().unwrap_or_default().as_bytes()
            })
        },
    )?;
    linker.func_wrap(
        "wapc",
        "__console_log",
        |mut caller: Caller<'_, StoreData>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let bytes = read(&mut caller, ptr, len)?;
            let ctx = caller.data().ctx.clone();
            ctx.log("info", &String::from_utf8_lossy(&bytes));
            Ok(())
        },
    )?;
    Ok(())
}

/// wasmtime has its own error type; the rest of the host speaks anyhow.
pub(crate) fn anyhow_of(e: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

#[cfg(test)]
mod tests {
    use super::{slice, slice_mut};

    #[test]
    fn guest_memory_is_read_and_written_in_bounds_only() {
        let mut data = *b"abcdef";
        assert_eq!(slice(&data, 2, 3).unwrap(), b"cde");
        assert_eq!(slice(&data, 6, 0).unwrap(), b"");
        for (ptr, len) in [(4, 3), (-1, 1), (0, -1), (i32::MAX, i32::MAX)] {
            assert!(slice(&data, ptr, len).is_err(), "{ptr}+{len}");
        }
        slice_mut(&mut data, 0, 2).unwrap().copy_from_slice(b"xy");
        assert_eq!(&data, b"xycdef");
        assert!(slice_mut(&mut data, 5, 2).is_err());
        assert!(slice_mut(&mut data, -2, 1).is_err());
    }
}
