use crate::settings::{Settings, VerifyMode};
use flux_model::kinds::source::GitRepository;
use flux_model::{AdmissionRequest, FluxKind, ObjectRef, Verdict, Violation};

/// Admission entry: GitRepository CREATE/UPDATE outside the exempt namespaces.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    flux_model::review::review(
        request,
        FluxKind::GitRepository,
        |repo: &GitRepository, obj: &ObjectRef| {
            if settings.exempt_namespaces.contains(&obj.namespace) {
                return Vec::new();
            }
            check(repo, settings)
        },
    )
}

/// Every way `repo` falls short of signature verification under `settings`.
pub fn check(repo: &GitRepository, settings: &Settings) -> Vec<Violation> {
    let Some(verify) = &repo.spec.verify else {
        return vec![Violation::new(
            "spec.verify",
            "is missing, so Flux applies whatever commit the branch points at without checking who signed it",
            format!(
                "add spec.verify with mode one of [{}] and secretRef.name naming a Secret that holds the trusted public keys",
                settings.allowed_modes_list()
            ),
        )];
    };
    let mut violations = Vec::new();
    check_key_secret(
        verify.secret_ref.as_ref().map(|r| r.name.as_str()),
        settings,
        &mut violations,
    );
    if let Some(mode) = check_mode(repo, verify.mode.as_deref(), settings, &mut violations) {
        check_tag_reference(repo, mode, &mut violations);
    }
    violations
}

fn check_key_secret(name: Option<&str>, settings: &Settings, out: &mut Vec<Violation>) {
    match name.map(str::trim) {
        None | Some("") => out.push(Violation::new(
            "spec.verify.secretRef.name",
            "is missing: without trusted keys no signature can be checked",
            "set spec.verify.secretRef.name to a Secret in the same namespace holding PGP (*.asc) or SSH (*.sshpub) public keys",
        )),
        Some(name) if !settings.allowed_key_secrets.is_empty()
            && !settings.allowed_key_secrets.iter().any(|s| s == name) =>
        {
            out.push(Violation::new(
                "spec.verify.secretRef.name",
                format!("{name:?} is not an approved key Secret"),
                format!("use one of [{}]", settings.allowed_key_secrets.join(", ")),
            ))
        }
        Some(_) => {}
    }
}

/// Returns the effective mode when it is known, served by the object's version and allowed.
fn check_mode(
    repo: &GitRepository,
    mode: Option<&str>,
    settings: &Settings,
    out: &mut Vec<Violation>,
) -> Option<VerifyMode> {
    // v1 defaults an absent mode to HEAD; the betas require it (and only know `head`).
    let raw = mode.unwrap_or("HEAD");
    let Some(parsed) = VerifyMode::parse(raw) else {
        out.push(Violation::new(
            "spec.verify.mode",
            format!("{raw:?} is not a verification mode Flux knows"),
            format!("use one of [{}]", settings.allowed_modes_list()),
        ));
        return None;
    };
    let version = repo.version();
    if version != "v1" && parsed != VerifyMode::Head {
        out.push(Violation::new(
            "spec.verify.mode",
            format!("{raw:?} does not exist in source.toolkit.fluxcd.io/{version}, which only verifies head"),
            "migrate the object to source.toolkit.fluxcd.io/v1 (flux migrate) or use mode head",
        ));
        return None;
    }
    if !settings.allowed_modes.contains(&parsed) {
        out.push(Violation::new(
            "spec.verify.mode",
            format!("{raw:?} is not allowed on this cluster"),
            format!("use one of [{}]", settings.allowed_modes_list()),
        ));
        return None;
    }
    Some(parsed)
}

fn check_tag_reference(repo: &GitRepository, mode: VerifyMode, out: &mut Vec<Violation>) {
    if mode.needs_tag() && !repo.spec.reference.as_ref().is_some_and(|r| r.is_tag()) {
        out.push(Violation::new(
            "spec.ref",
            format!("mode {mode} verifies a tag signature but the reference is not a tag, so reconciliation would fail"),
            "set spec.ref.tag, spec.ref.semver or spec.ref.name: refs/tags/<tag> (and no spec.ref.commit)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repo(version: &str, spec: serde_json::Value) -> GitRepository {
        serde_json::from_value(json!({
            "apiVersion": format!("source.toolkit.fluxcd.io/{version}"),
            "kind": "GitRepository", "metadata": {"name": "r", "namespace": "apps"}, "spec": spec
        }))
        .unwrap()
    }

    fn fields(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn head_with_keys_passes() {
        let r = repo(
            "v1",
            json!({"url": "https://x", "verify": {"secretRef": {"name": "keys"}}}),
        );
        assert!(check(&r, &Settings::default()).is_empty());
    }

    #[test]
    fn missing_verify_and_secret() {
        assert_eq!(
            fields(&check(&repo("v1", json!({})), &Settings::default())),
            ["spec.verify"]
        );
        let r = repo("v1", json!({"verify": {"mode": "HEAD"}}));
        assert_eq!(
            fields(&check(&r, &Settings::default())),
            ["spec.verify.secretRef.name"]
        );
    }

    #[test]
    fn tag_mode_needs_tag_reference() {
        let r = repo(
            "v1",
            json!({"ref": {"branch": "main"}, "verify": {"mode": "Tag", "secretRef": {"name": "k"}}}),
        );
        assert_eq!(fields(&check(&r, &Settings::default())), ["spec.ref"]);
        let r = repo(
            "v1",
            json!({"ref": {"name": "refs/tags/v1"}, "verify": {"mode": "TagAndHEAD", "secretRef": {"name": "k"}}}),
        );
        assert!(check(&r, &Settings::default()).is_empty());
    }

    #[test]
    fn modes_outside_settings_or_version() {
        let only_tag = Settings {
            allowed_modes: vec![VerifyMode::Tag],
            ..Settings::default()
        };
        let r = repo(
            "v1",
            json!({"verify": {"mode": "HEAD", "secretRef": {"name": "k"}}}),
        );
        assert_eq!(fields(&check(&r, &only_tag)), ["spec.verify.mode"]);
        let r = repo(
            "v1beta2",
            json!({"ref": {"tag": "v1"}, "verify": {"mode": "Tag", "secretRef": {"name": "k"}}}),
        );
        let v = check(&r, &Settings::default());
        assert!(v[0].problem.contains("v1beta2"), "{v:?}");
        let r = repo(
            "v1beta2",
            json!({"verify": {"mode": "head", "secretRef": {"name": "k"}}}),
        );
        assert!(check(&r, &Settings::default()).is_empty());
    }

    #[test]
    fn key_secret_allowlist() {
        let s = Settings {
            allowed_key_secrets: vec!["flux-keys".into()],
            ..Settings::default()
        };
        let r = repo("v1", json!({"verify": {"secretRef": {"name": "mine"}}}));
        assert_eq!(fields(&check(&r, &s)), ["spec.verify.secretRef.name"]);
    }
}
