//! `fluxgate-testkit [--root DIR] [POLICY...]`: replays the fixtures of every policy (or
//! the named ones) through the release wasm modules and reports each failing case.

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
    let mut root = PathBuf::from(".");
    let mut only = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => root = args.next().ok_or_else(|| anyhow::anyhow!("--root needs a directory"))?.into(),
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
    anyhow::ensure!(!policies.is_empty(), "no policy with fixtures found under {}", root.join("policies").display());
    let replayer = Replayer::new(&root)?;
    let (mut passed, mut failed) = (0, 0);
    for policy in &policies {
        let results = replayer.replay(&root, policy)?;
        let bad = results.iter().filter(|r| !r.failures.is_empty()).count();
        println!("{}: {} fixtures, {} failing", policy.name, results.len(), bad);
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
    println!("fixtures: {passed} passed, {failed} failed");
    Ok(failed == 0)
}
