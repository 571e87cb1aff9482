//! `fluxgate bench`: what a policy costs per admission request.
//!
//! policy-server compiles a module once, then for every request creates a fresh instance,
//! runs `wapc_init` and calls `validate` (kubewarden-contract.md §9). `kwctl bench` reuses
//! one instance and so underestimates that; this reports both. Every measured call's
//! response is checked against the first one, so no work can be skipped or go wrong
//! unnoticed.
//!
//! With a floor module (`--floor`, `just floor`: the leanest honest SDK policy,
//! bench/floor) the same request goes through it in the same run, and the report gives the
//! policy's medians as ratios of the floor's: a figure that does not move with the machine.

use fluxgate_protocol::admission::{AdmissionRequest, AdmissionResponse};
use fluxgate_runtime::capabilities::EvaluationContext;
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::Runtime;
use serde::Serialize;
use serde_json::Value;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct BenchOptions<'a> {
    pub iterations: usize,
    pub warmup: usize,
    pub compile_iterations: usize,
    /// Threads of the throughput phase; `None`: no throughput phase.
    pub threads: Option<usize>,
    /// The floor module: the same request goes through it, and the report adds ratios.
    pub floor: Option<&'a [u8]>,
}

impl Default for BenchOptions<'_> {
    fn default() -> Self {
        BenchOptions {
            iterations: 2000,
            warmup: 200,
            compile_iterations: 5,
            threads: None,
            floor: None,
        }
    }
}

/// Median and 99th percentile of a set of samples, in microseconds.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Stats {
    pub median_us: f64,
    pub p99_us: f64,
    pub samples: usize,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let at = |q: f64| {
            let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
        };
        Stats {
            median_us: at(0.5),
            p99_us: at(0.99),
            samples: samples.len(),
        }
    }
}

#[derive(Serialize, Debug, Clone)]
pub struct BenchReport {
    pub policy: String,
    pub wasm_bytes: usize,
    pub allowed: bool,
    /// `Module::new` (cranelift compile), once per policy at startup.
    pub compile: Stats,
    /// New store + instantiate + `_start`/`wapc_init`.
    pub instantiate: Stats,
    /// `validate` on an instance created just before (not timed).
    pub validate_fresh_instance: Stats,
    /// Everything policy-server pays per request: instantiate, init, validate, response.
    pub request_fresh_instance: Stats,
    /// `validate` on one long-lived instance (what `kwctl bench` measures).
    pub validate_reused_instance: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<Floor>,
}

/// The floor module on the same request, same run, and the policy's medians over its.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Floor {
    pub wasm_bytes: usize,
    pub request_fresh_instance: Stats,
    pub validate_reused_instance: Stats,
    /// Policy median / floor median, request total on a fresh instance.
    pub ratio_fresh: f64,
    /// Policy median / floor median, `validate` on a reused instance.
    pub ratio_reused: f64,
}

/// The per-request phases of one module.
struct Phases {
    instantiate: Vec<Duration>,
    validate_fresh: Vec<Duration>,
    request_fresh: Vec<Duration>,
    reused: Vec<Duration>,
}

/// Requests per second with `threads` threads sharing one compiled module, each request
/// on a fresh instance: how policy-server serves a policy from its worker pool.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Throughput {
    pub threads: usize,
    pub requests: usize,
    pub seconds: f64,
    pub requests_per_second: f64,
}

pub fn run(
    runtime: &Runtime,
    wasm: &[u8],
    policy_id: &str,
    ctx: Arc<EvaluationContext>,
    request: &AdmissionRequest,
    settings: &Value,
    opts: BenchOptions,
) -> anyhow::Result<BenchReport> {
    let compile = Stats::of(
        (0..opts.compile_iterations.max(1))
            .map(|_| {
                let t = Instant::now();
                let m = runtime.compile(wasm);
                let d = t.elapsed();
                m.map(|m| {
                    black_box(m);
                    d
                })
            })
            .collect::<anyhow::Result<_>>()?,
    );
    let policy = Policy::from_bytes(runtime, policy_id.to_string(), wasm)?;
    let (expected, phases) = measure(runtime, &policy, &ctx, request, settings, opts)?;
    let floor = match opts.floor {
        Some(floor_wasm) => {
            let module = Policy::from_bytes(runtime, "floor".into(), floor_wasm)?;
            let (_, f) = measure(runtime, &module, &ctx, request, &Value::Null, opts)?;
            let (fresh, reused) = (Stats::of(f.request_fresh), Stats::of(f.reused));
            Some(Floor {
                wasm_bytes: floor_wasm.len(),
                request_fresh_instance: fresh,
                validate_reused_instance: reused,
                ratio_fresh: ratio(&phases.request_fresh, fresh),
                ratio_reused: ratio(&phases.reused, reused),
            })
        }
        None => None,
    };
    let check = |r: AdmissionResponse| -> anyhow::Result<()> {
        anyhow::ensure!(
            r == expected,
            "non-deterministic policy response: {r:?} vs {expected:?}"
        );
        Ok(())
    };

    let throughput = match opts.threads {
        Some(threads) => Some(throughput(threads.max(1), opts.iterations, &|| {
            check(policy::validate(
                runtime,
                &policy,
                ctx.clone(),
                request,
                settings,
            ))
        })?),
        None => None,
    };

    Ok(BenchReport {
        policy: policy_id.to_string(),
        wasm_bytes: wasm.len(),
        allowed: expected.allowed,
        compile,
        instantiate: Stats::of(phases.instantiate),
        validate_fresh_instance: Stats::of(phases.validate_fresh),
        request_fresh_instance: Stats::of(phases.request_fresh),
        validate_reused_instance: Stats::of(phases.reused),
        throughput,
        floor,
    })
}

fn ratio(policy: &[Duration], floor: Stats) -> f64 {
    let policy = Stats::of(policy.to_vec()).median_us;
    if floor.median_us > 0.0 {
        policy / floor.median_us
    } else {
        0.0
    }
}

/// The first answer, then every per-request phase of `policy`; each measured answer must be
/// the first one.
fn measure(
    runtime: &Runtime,
    policy: &Policy,
    ctx: &Arc<EvaluationContext>,
    request: &AdmissionRequest,
    settings: &Value,
    opts: BenchOptions,
) -> anyhow::Result<(AdmissionResponse, Phases)> {
    let expected = policy::validate(runtime, policy, ctx.clone(), request, settings);
    let check = |r: AdmissionResponse| -> anyhow::Result<()> {
        anyhow::ensure!(
            r == expected,
            "non-deterministic policy response: {r:?} vs {expected:?}"
        );
        Ok(())
    };

    let mut instantiate = Vec::with_capacity(opts.iterations);
    let mut validate_fresh = Vec::with_capacity(opts.iterations);
    for i in 0..opts.warmup + opts.iterations {
        let t = Instant::now();
        let mut instance = runtime.instantiate(&policy.module, ctx.clone())?;
        let init = t.elapsed();
        let t = Instant::now();
        let response = policy::validate_on(&mut instance, request, settings);
        let call = t.elapsed();
        check(black_box(response))?;
        if i >= opts.warmup {
            instantiate.push(init);
            validate_fresh.push(call);
        }
    }

    let mut request_fresh = Vec::with_capacity(opts.iterations);
    for i in 0..opts.warmup + opts.iterations {
        let t = Instant::now();
        let response = policy::validate(runtime, policy, ctx.clone(), request, settings);
        let d = t.elapsed();
        check(black_box(response))?;
        if i >= opts.warmup {
            request_fresh.push(d);
        }
    }

    let mut instance = runtime.instantiate(&policy.module, ctx.clone())?;
    let mut reused = Vec::with_capacity(opts.iterations);
    for i in 0..opts.warmup + opts.iterations {
        let t = Instant::now();
        let response = policy::validate_on(&mut instance, request, settings);
        let d = t.elapsed();
        check(black_box(response))?;
        if i >= opts.warmup {
            reused.push(d);
        }
    }
    let phases = Phases {
        instantiate,
        validate_fresh,
        request_fresh,
        reused,
    };
    Ok((expected, phases))
}

/// `requests` runs of `one` on each of `threads` threads, timed from a common start.
fn throughput(
    threads: usize,
    requests: usize,
    one: &(dyn Fn() -> anyhow::Result<()> + Sync),
) -> anyhow::Result<Throughput> {
    let start = std::sync::Barrier::new(threads + 1);
    let (elapsed, results) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    (0..requests).try_for_each(|_| one())
                })
            })
            .collect();
        start.wait();
        let t = Instant::now();
        let results: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        (t.elapsed(), results)
    });
    for result in results {
        result.map_err(|_| anyhow::anyhow!("a throughput thread panicked"))??;
    }
    let total = threads * requests;
    Ok(Throughput {
        threads,
        requests: total,
        seconds: elapsed.as_secs_f64(),
        requests_per_second: total as f64 / elapsed.as_secs_f64(),
    })
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} ({} bytes, verdict: {})",
            self.policy,
            self.wasm_bytes,
            if self.allowed { "allowed" } else { "rejected" }
        )?;
        writeln!(
            f,
            "  {:<40} {:>12} {:>12} {:>8}",
            "", "median", "p99", "samples"
        )?;
        let rows = [
            ("compile (once per module)", self.compile),
            ("instantiate + wapc_init", self.instantiate),
            ("validate, fresh instance", self.validate_fresh_instance),
            ("request total, fresh instance", self.request_fresh_instance),
            ("validate, reused instance", self.validate_reused_instance),
        ];
        for (name, s) in rows {
            writeln!(
                f,
                "  {name:<40} {:>12} {:>12} {:>8}",
                human(s.median_us),
                human(s.p99_us),
                s.samples
            )?;
        }
        if let Some(fl) = self.floor {
            writeln!(
                f,
                "  floor ({} bytes): request total {} ({:.2}x), validate reused {} ({:.2}x)",
                fl.wasm_bytes,
                human(fl.request_fresh_instance.median_us),
                fl.ratio_fresh,
                human(fl.validate_reused_instance.median_us),
                fl.ratio_reused
            )?;
        }
        if let Some(t) = self.throughput {
            writeln!(
                f,
                "  throughput, fresh instances, {} thread(s): {:.0} requests/s ({} in {:.2} s)",
                t.threads, t.requests_per_second, t.requests, t.seconds
            )?;
        }
        Ok(())
    }
}

fn human(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn throughput_runs_every_request_on_every_thread() {
        let done = AtomicUsize::new(0);
        let t = throughput(3, 7, &|| {
            done.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
        assert_eq!((t.threads, t.requests), (3, 21));
        assert_eq!(done.load(Ordering::Relaxed), 21);
        assert!(t.requests_per_second > 0.0);
        let failing = throughput(2, 3, &|| anyhow::bail!("wrong answer"));
        assert!(failing.unwrap_err().to_string().contains("wrong answer"));
    }
}
