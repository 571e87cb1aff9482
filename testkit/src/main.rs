//! `fluxgate-testkit [--root DIR] [POLICY...]`: replays the fixtures of every policy (or
//! the named ones) through the release wasm modules and reports each failing case.
//!
//! `fluxgate-testkit bench-table JSON_DIR README`: the README's per-request table from
//! `fluxgate bench --json` reports (`just bench-readme`).
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
        let [dir, readme] = args.as_slice() else {
            anyhow::bail!("usage: fluxgate-testkit bench-table JSON_DIR README");
        };
        fluxgate_testkit::bench_table::write(
            std::path::Path::new(dir),
            std::path::Path::new(readme),
        )?;
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
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("request.json"),
        serde_json::to_string_pretty(&fixture.request(&uid))?,
    )?;
    let settings = if fixture.settings.is_null() {
        serde_json::json!({})
    } else {
        fixture.settings.clone()
    };
    std::fs::write(
        dir.join("settings.json"),
        serde_json::to_string_pretty(&settings)?,
    )?;
    // Context-aware policies need the cluster the fixture describes.
    let cluster = fixture
        .cluster_state
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    std::fs::write(
        dir.join("cluster.json"),
        serde_json::to_string_pretty(&cluster)?,
    )?;
    Ok(())
}
