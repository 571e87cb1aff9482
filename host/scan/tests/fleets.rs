//! `fluxgate scan` over Flux's two reference repositories (copied in `testkit/fleets/`) and
//! over broken inputs, with the release modules (`just build`) and real kustomize.

use fluxgate_runtime::runtime::{Limits, Runtime};
use fluxgate_scan::evaluate::{Module, load_modules};
use fluxgate_scan::report::{Level, Report};
use fluxgate_scan::{Options, scan};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

fn modules(runtime: &Runtime) -> Vec<Module> {
    load_modules(
        runtime,
        &root().join("target/policies"),
        Some(&root().join("policies")),
        &[],
        None,
    )
    .expect("the release modules (run `just build`)")
}

fn modules_count() -> usize {
    std::fs::read_dir(root().join("policies")).unwrap().count()
}

fn scan_dir(path: &Path) -> Report {
    let runtime = Runtime::new(Limits::default()).unwrap();
    let modules = modules(&runtime);
    assert_eq!(modules.len(), modules_count(), "one module per policy");
    scan(
        &runtime,
        &modules,
        &Options {
            path: path.to_path_buf(),
            threads: 2,
            schemas: Some(schemas()),
            ..Default::default()
        },
    )
}

fn schemas() -> std::sync::Arc<fluxgate_schema::CrdSchemas> {
    let crds = root().join("testkit/crds");
    let dirs = [
        crds.join("flux"),
        crds.join("flux/legacy"),
        crds.join("flux-operator"),
    ];
    let dirs: Vec<&std::path::Path> = dirs.iter().map(|d| d.as_path()).collect();
    std::sync::Arc::new(fluxgate_schema::CrdSchemas::load(&dirs).unwrap())
}

const TENANCY_AND_RBAC: [&str; 5] = [
    "kustomization-boundaries",
    "helmrelease-boundaries",
    "tenant-cluster-scope",
    "flux-rbac-least-privilege",
    "flux-secrets-isolation",
];

#[test]
fn flux2_multi_tenancy() {
    let report = scan_dir(&root().join("testkit/fleets/flux2-multi-tenancy"));
    // Both clusters' trees are built: the tenant's RBAC and sync come out of tenants/base.
    assert!(report.objects >= 20, "{} objects", report.objects);
    // The tenant's own repository is another branch: reported, never built from this tree.
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.file == "tenants/base/dev-team/sync.yaml"
                && e.message
                    .contains("Kustomization apps/dev-team is not built")
                && e.message.contains("branch dev-team")),
        "{:#?}",
        report.errors
    );
    // Flux's reference tenancy: nothing for the tenancy and RBAC policies to deny.
    let tenancy: Vec<_> = report
        .findings
        .iter()
        .filter(|f| TENANCY_AND_RBAC.contains(&f.policy.as_str()) && f.severity == Level::Deny)
        .collect();
    assert!(tenancy.is_empty(), "{tenancy:#?}");
    // Its sources are unsigned: found at the file and line that declares them.
    let unsigned = report
        .findings
        .iter()
        .find(|f| f.rule == "gcv/verify-missing" && f.name == "dev-team")
        .expect("the tenant GitRepository has no spec.verify");
    assert_eq!(
        (
            unsigned.file.as_str(),
            unsigned.line,
            unsigned.namespace.as_str()
        ),
        ("tenants/base/dev-team/sync.yaml", 1, "apps")
    );
    assert!(report.fails(Some(Level::Deny)));
}

#[test]
fn flux2_kustomize_helm_example() {
    let report = scan_dir(&root().join("testkit/fleets/flux2-kustomize-helm-example"));
    // Every Kustomization of this monorepo builds, through the ArtifactGenerator's copies.
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.objects >= 20, "{} objects", report.objects);
    let at = |name: &str, rule: &str| {
        report
            .findings
            .iter()
            .find(|f| f.name == name && f.rule == rule)
            .map(|f| (f.file.clone(), f.line))
    };
    // Files of an ExternalArtifact map back to the checkout file and line.
    assert_eq!(
        at("cert-manager", "signature/verify-missing"),
        Some(("infrastructure/controllers/cert-manager.yaml".into(), 9))
    );
    assert_eq!(
        at("podinfo", "helmrelease/chart-version-unbounded"),
        Some(("apps/base/podinfo/release.yaml".into(), 1))
    );
}

#[test]
fn broken_inputs_are_reported_and_the_scan_goes_on() {
    let dir = std::env::temp_dir().join(format!("fluxgate-scan-broken-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "clusters/prod/flux-system/gotk-sync.yaml",
        "# filled in by flux bootstrap\n",
    );
    write(
        "clusters/prod/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  interval: 5m\n  prune: true\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substitute: {region: eu}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: broken, namespace: flux-system}\nspec:\n  interval: 5m\n  prune: true\n  path: ./missing-base\n  sourceRef: {kind: GitRepository, name: flux-system}\n",
    );
    write(
        "apps/source.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: app, namespace: team-a}\nspec:\n  interval: 5m\n  url: https://${git_host}/acme/app-${region}\n  ref: {branch: main}\n",
    );
    write(
        "missing-base/kustomization.yaml",
        "resources:\n  - ../nowhere\n",
    );
    write("plain/broken.yaml", "apiVersion: v1\nkind: [unclosed\n");
    // The API server refuses a field the CRD does not declare, before any policy runs.
    write(
        "plain/typo.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: typo, namespace: team-a}\nspec:\n  interval: 5m\n  url: https://github.com/acme/app\n  verfy: {mode: HEAD}\n",
    );
    let big = format!("# {}\n", "x".repeat(50 * 1024 * 1024));
    write("plain/huge.yaml", &big);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&dir, dir.join("plain/loop")).unwrap();
    let report = scan_dir(&dir);
    let said = |file: &str, text: &str| {
        report
            .errors
            .iter()
            .any(|e| e.file.starts_with(file) && e.message.contains(text))
    };
    assert!(
        said("plain/broken.yaml", "invalid YAML"),
        "{:#?}",
        report.errors
    );
    assert!(
        said("plain/huge.yaml", "larger than"),
        "{:#?}",
        report.errors
    );
    assert!(
        said("missing-base", "kustomize build failed"),
        "{:#?}",
        report.errors
    );
    assert!(
        said("apps/source.yaml", "${git_host}"),
        "{:#?}",
        report.errors
    );
    let typo = report
        .findings
        .iter()
        .find(|f| f.rule == "schema/crd-invalid" && f.name == "typo")
        .expect("the CRD schema refuses spec.verfy");
    assert_eq!(
        (typo.file.as_str(), typo.line, typo.field.as_str()),
        ("plain/typo.yaml", 1, "spec.verfy")
    );
    let invalid = report
        .findings
        .iter()
        .filter(|f| f.rule == "schema/crd-invalid")
        .count();
    assert_eq!(invalid, 1, "{:#?}", report.findings);
    // The rest was scanned: the substituted GitRepository is judged as built.
    let source = report
        .findings
        .iter()
        .find(|f| f.kind == "GitRepository" && f.name == "app")
        .expect("the GitRepository is still judged");
    assert_eq!((source.file.as_str(), source.line), ("apps/source.yaml", 1));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README's example: one tenant inside every boundary, one that trips every policy.
#[test]
fn example_fleet() {
    let report = scan_dir(&root().join("examples/fleet"));
    let good: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.file.contains("team-good") || f.namespace == "team-good")
        .collect();
    assert!(good.is_empty(), "{good:#?}");
    let mut tripped: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == Level::Deny && f.file.starts_with("tenants/team-bad/"))
        .map(|f| f.policy.as_str())
        .collect();
    tripped.sort_unstable();
    tripped.dedup();
    assert_eq!(tripped.len(), modules_count(), "{tripped:?}");
    // Objects the tenant's own Kustomization applies are judged as its service account.
    let crb = report
        .findings
        .iter()
        .find(|f| f.rule == "tenant/cluster-scoped-write")
        .expect("the tenant's ClusterRoleBinding");
    assert!(
        crb.message
            .contains("system:serviceaccount:team-bad:team-bad"),
        "{}",
        crb.message
    );
    assert_eq!(
        (crb.file.as_str(), crb.line),
        ("tenants/team-bad/apps/rbac.yaml", 1)
    );
    // postBuild substitution reached the good tenant's values (nothing left to report).
    assert!(
        !report
            .errors
            .iter()
            .any(|e| e.message.contains("${cluster}"))
    );
}

/// `--policies-dir`: the cluster's manifests decide settings, routing and grants, and settings
/// the module refuses stop the scan with the policy's name.
#[test]
fn deployed_policies_bring_their_settings() {
    use fluxgate_runtime::policy::Policy;
    use fluxgate_scan::evaluate::deployed_policies;
    let runtime = Runtime::new(Limits::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("fluxgate-scan-caps-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest =
        std::fs::read_to_string(root().join("deploy/policies/source-origin.yaml")).unwrap();
    let strict = manifest.replace(
        "settings: {}",
        "settings: {allowedOrigins: {gitRepository: ['https://github.com/acme/']}}",
    );
    assert_ne!(
        strict, manifest,
        "deploy/policies/source-origin.yaml has no `settings: {{}}`"
    );
    std::fs::write(dir.join("source-origin.yaml"), &strict).unwrap();
    let load = |dir: &Path| -> anyhow::Result<Vec<Module>> {
        deployed_policies(dir)?
            .into_iter()
            .map(|d| {
                let policy =
                    Policy::load(&runtime, &root().join("target/policies/source-origin.wasm"))?;
                d.load(&runtime, policy)
            })
            .collect()
    };
    let modules = load(&dir).unwrap();
    assert_eq!(modules.len(), 1);
    let report = scan(
        &runtime,
        &modules,
        &Options {
            path: root().join("examples/fleet"),
            threads: 2,
            ..Default::default()
        },
    );
    // ssh://git@github.com/acme/fleet is not under https://github.com/acme/.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "origin/not-allowed" && f.name == "team-good"),
        "{:#?}",
        report.findings
    );
    std::fs::write(
        dir.join("source-origin.yaml"),
        manifest.replace("settings: {}", "settings: {bogus: 1}"),
    )
    .unwrap();
    let refused = load(&dir)
        .err()
        .expect("unknown settings are refused")
        .to_string();
    assert!(
        refused.contains("source-origin") && refused.contains("bogus"),
        "{refused}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// postBuild substitution rewrites the YAML kustomize writes, as Flux does: a variable in a
/// typed field becomes a typed value, whatever the source's quoting.
#[test]
fn substitution_is_on_the_built_text() {
    let dir = std::env::temp_dir().join(format!("fluxgate-scan-subst-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("clusters/c/flux-system/gotk-sync.yaml", "# bootstrap\n");
    write(
        "clusters/c/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  interval: 5m\n  prune: true\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substitute: {suspended: 'true', team: acme}\n",
    );
    write(
        "apps/repo.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: app, namespace: team-a}\nspec:\n  interval: 5m\n  suspend: \"${suspended}\"\n  url: https://github.com/${team}/app\n",
    );
    let report = scan_dir(&dir);
    // A string `suspend` would fail the CRD schema; substituted as Flux does it is a boolean.
    let invalid: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "schema/crd-invalid")
        .collect();
    assert!(invalid.is_empty(), "{invalid:#?}");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.name == "app" && f.rule == "gcv/verify-missing"),
        "{:#?}",
        report.findings
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
