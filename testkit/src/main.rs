//! `fluxgate-testkit [--root DIR] [POLICY...]`: replays the fixtures of every policy (or
//! the named ones) through the release wasm modules and reports each failing case.
//!
//! `fluxgate-testkit bench-table JSON_DIR [README]`: the per-request table (ratios to the
//! floor) from `fluxgate bench --floor --json` reports, printed or written into the README
//! (`just bench`, `just bench-readme`).
//!
//! `fluxgate-testkit bench-requests DIR`: the bench's large real-world shapes (a HelmRelease
//! with 10 KB and 100 KB of values, a ClusterRole with 200 rules, a Kustomization with 50
//! patches) as DIR/<shape>/{request,settings,cluster}.json (`just bench`).
//!
//! `fluxgate-testkit fuzz [N] [...]`: structure-aware fuzzing of the built modules
//! (`just fuzz`; `fuzz --help`).
//!
//! `fluxgate-testkit export FIXTURE DIR`: writes the AdmissionRequest and settings a fixture
//! stands for (DIR/request.json, DIR/settings.json), for `fluxgate run` and `fluxgate bench`.
//!
//! `fluxgate-testkit playground-cases MODULES_DIR EXAMPLES_JSON CASES_JSON`: the browser
//! playground's examples menu and its conformance cases, answered natively by the modules in
//! MODULES_DIR (`just playground-dist`).

use fluxgate_testkit::runner::{self, Replayer};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("fluxgate-testkit: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    if std::env::args().nth(1).as_deref() == Some("bench-table") {
        let args: Vec<String> = std::env::args().skip(2).collect();
        match args.as_slice() {
            [dir] => print!("{}", fluxgate_testkit::bench_table::table(dir.as_ref())?),
            [dir, readme] => fluxgate_testkit::bench_table::write(dir.as_ref(), readme.as_ref())?,
            _ => anyhow::bail!("usage: fluxgate-testkit bench-table JSON_DIR [README]"),
        }
        return Ok(true);
    }
    if std::env::args().nth(1).as_deref() == Some("playground-cases") {
        let args: Vec<String> = std::env::args().skip(2).collect();
        let [modules, examples, cases] = args.as_slice() else {
            anyhow::bail!(
                "usage: fluxgate-testkit playground-cases MODULES_DIR EXAMPLES_JSON CASES_JSON"
            );
        };
        let n = fluxgate_testkit::playground::write(
            std::path::Path::new("."),
            std::path::Path::new(modules),
            std::path::Path::new(examples),
            std::path::Path::new(cases),
        )?;
        eprintln!("playground-cases: {n} fixtures answered by the native host");
        return Ok(true);
    }
    if std::env::args().nth(1).as_deref() == Some("fuzz") {
        return fluxgate_testkit::fuzz::run(std::env::args().skip(2));
    }
    if std::env::args().nth(1).as_deref() == Some("bench-requests") {
        let dir = std::env::args()
            .nth(2)
            .ok_or_else(|| anyhow::anyhow!("usage: fluxgate-testkit bench-requests DIR"))?;
        fluxgate_testkit::bench_requests::write(std::path::Path::new(&dir))?;
        return Ok(true);
    }
    if std::env::args().nth(1).as_deref() == Some("export") {
        let args: Vec<String> = std::env::args().skip(2).collect();
        let [fixture, dir] = args.as_slice() else {
            anyhow::bail!("usage: fluxgate-testkit export FIXTURE DIR");
        };
        export(std::path::Path::new(fixture), std::path::Path::new(dir))?;
        return Ok(true);
    }
    let mut root = PathBuf::from(".");
    let mut only = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => {
                root = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--root needs a directory"))?
                    .into()
            }
            "-h" | "--help" => {
                println!("usage: fluxgate-testkit [--root DIR] [POLICY...]");
                return Ok(true);
            }
            name => only.push(name.to_string()),
        }
    }
    let policies: Vec<_> = runner::discover(&root)?
        .into_iter()
        .filter(|p| only.is_empty() || only.contains(&p.name))
        .collect();
    anyhow::ensure!(
        !policies.is_empty(),
        "no policy with fixtures found under {}",
        root.join("policies").display()
    );
    let replayer = Replayer::new(&root)?;
    let (mut passed, mut failed) = (0, 0);
    // FLUXGATE_RULES_OUT=FILE: every case's rule ids as JSON, for filling in `expect.rules`.
    let mut rules_out = serde_json::Map::new();
    for policy in &policies {
        let results = replayer.replay(&root, policy)?;
        for case in &results {
            let ids: std::collections::BTreeSet<&str> =
                case.findings.iter().map(|f| f.rule.as_str()).collect();
            rules_out.insert(case.file.display().to_string(), serde_json::json!(ids));
        }
        let bad = results.iter().filter(|r| !r.failures.is_empty()).count();
        println!(
            "{}: {} fixtures, {} failing",
            policy.name,
            results.len(),
            bad
        );
        for case in &results {
            if case.failures.is_empty() {
                passed += 1;
                continue;
            }
            failed += 1;
            println!("  ✗ {} — {}", case.file.display(), case.description);
            for f in &case.failures {
                println!("      {f}");
            }
            if let Some(r) = &case.response {
                println!("      response: {}", serde_json::to_string(r)?);
            }
        }
    }
    if let Ok(path) = std::env::var("FLUXGATE_RULES_OUT") {
        std::fs::write(path, serde_json::to_string_pretty(&rules_out)?)?;
    }
    println!("fixtures: {passed} passed, {failed} failed");
    Ok(failed == 0)
}

fn export(fixture_path: &std::path::Path, dir: &std::path::Path) -> anyhow::Result<()> {
    let fixture =
        fluxgate_testkit::fixture::Fixture::parse(&std::fs::read_to_string(fixture_path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", fixture_path.display()))?;
    let uid = fixture_path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy();
    fixture.export(&uid, dir)
}
