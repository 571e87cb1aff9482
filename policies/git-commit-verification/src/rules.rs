use crate::settings::{Settings, VerifyMode};
use flux_kinds::FluxKind;
use flux_kinds::source::GitRepository;
use fluxgate_admission::{Ctx, trust};
use fluxgate_rules::{Finding, KindSpec, Rule};

const KINDS: &[KindSpec] = &[FluxKind::GitRepository.spec()];

const fn rule(
    id: &'static str,
    title: &'static str,
    stops: &'static str,
    setting: &'static str,
) -> Rule {
    Rule::deny(id, KINDS, title, stops, setting)
}

pub const VERIFY_MISSING: Rule = rule(
    "gcv/verify-missing",
    "A tenant GitRepository sets `spec.verify`, so Flux checks who signed what it applies.",
    "a push by anyone with write access to the repository (or a stolen deploy key) being \
     applied to the cluster unsigned.",
    "platformNamespaces",
);
pub const KEY_SECRET_MISSING: Rule = rule(
    "gcv/key-secret-missing",
    "`spec.verify.secretRef.name` names the Secret of trusted public keys.",
    "a verify block that cannot verify anything and stalls the source.",
    "",
);
pub const KEY_SECRET_NOT_APPROVED: Rule = rule(
    "gcv/key-secret-not-approved",
    "The key Secret is one the platform approved, when `allowedKeySecrets` lists them.",
    "a tenant trusting keys of its own choosing.",
    "allowedKeySecrets",
);
pub const MODE_UNKNOWN: Rule = rule(
    "gcv/mode-unknown",
    "`spec.verify.mode` is a mode source-controller knows (HEAD, Tag, TagAndHEAD).",
    "a typo that source-controller would refuse at reconcile time.",
    "",
);
pub const MODE_UNSERVED: Rule = rule(
    "gcv/mode-unserved",
    "`v1beta1`/`v1beta2` GitRepositories verify only `head`.",
    "a tag mode the object's API version cannot express.",
    "",
);
pub const MODE_NOT_ALLOWED: Rule = rule(
    "gcv/mode-not-allowed",
    "`spec.verify.mode` is one of the cluster's `allowedModes`.",
    "verifying less than the platform requires (HEAD only where tags must be signed).",
    "allowedModes",
);
pub const TAG_MODE_NEEDS_TAG: Rule = rule(
    "gcv/tag-mode-needs-tag",
    "Tag and TagAndHEAD modes reference a tag (`ref.tag`, `ref.semver`, `ref.name: refs/tags/...`).",
    "a source that can never become ready because there is no tag to verify.",
    "",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &VERIFY_MISSING,
    &KEY_SECRET_MISSING,
    &KEY_SECRET_NOT_APPROVED,
    &MODE_UNKNOWN,
    &MODE_UNSERVED,
    &MODE_NOT_ALLOWED,
    &TAG_MODE_NEEDS_TAG,
    &trust::KEY_SECRET_NOT_ANCHOR,
];

/// Every way `repo` falls short of signature verification under the settings.
pub fn check(repo: &GitRepository, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let Some(verify) = &repo.spec.verify else {
        return vec![VERIFY_MISSING.at(
            "spec.verify",
            "is missing, so Flux applies whatever commit the branch points at without checking who signed it",
            format!(
                "add spec.verify with mode one of [{}] and secretRef.name naming a Secret that holds the trusted public keys",
                settings.allowed_modes_list()
            ),
        )];
    };
    let mut findings = Vec::new();
    check_key_secret(
        verify.secret_ref.as_ref().map(|r| r.name.as_str()),
        ctx,
        &mut findings,
    );
    if let Some(mode) = check_mode(repo, verify.mode.as_deref(), settings, &mut findings) {
        check_tag_reference(repo, mode, &mut findings);
    }
    findings
}

fn check_key_secret(name: Option<&str>, ctx: &Ctx<Settings>, out: &mut Vec<Finding>) {
    let settings = ctx.settings;
    match name.map(str::trim) {
        None | Some("") => out.push(KEY_SECRET_MISSING.at(
            "spec.verify.secretRef.name",
            "is missing: without trusted keys no signature can be checked",
            "set spec.verify.secretRef.name to a Secret in the same namespace holding PGP (*.asc) or SSH (*.sshpub) public keys",
        )),
        Some(name) if !settings.allowed_key_secrets.is_empty()
            && !settings.allowed_key_secrets.iter().any(|s| s == name) =>
        {
            out.push(KEY_SECRET_NOT_APPROVED.at(
                "spec.verify.secretRef.name",
                format!("{name:?} is not an approved key Secret"),
                format!("use one of [{}]", settings.allowed_key_secrets.join(", ")),
            ))
        }
        Some(name) => out.extend(trust::key_secret(ctx, "spec.verify.secretRef.name", name)),
    }
}

/// Returns the effective mode when it is known, served by the object's version and allowed.
fn check_mode(
    repo: &GitRepository,
    mode: Option<&str>,
    settings: &Settings,
    out: &mut Vec<Finding>,
) -> Option<VerifyMode> {
    // v1 defaults an absent mode to HEAD; the betas require it (and only know `head`).
    let raw = mode.unwrap_or("HEAD");
    let Some(parsed) = VerifyMode::parse(raw) else {
        out.push(MODE_UNKNOWN.at(
            "spec.verify.mode",
            format!("{raw:?} is not a verification mode Flux knows"),
            format!("use one of [{}]", settings.allowed_modes_list()),
        ));
        return None;
    };
    let version = repo.version();
    if version != "v1" && parsed != VerifyMode::Head {
        out.push(MODE_UNSERVED.at(
            "spec.verify.mode",
            format!("{raw:?} does not exist in source.toolkit.fluxcd.io/{version}, which only verifies head"),
            "migrate the object to source.toolkit.fluxcd.io/v1 (flux migrate) or use mode head",
        ));
        return None;
    }
    if !settings.allowed_modes.contains(&parsed) {
        out.push(MODE_NOT_ALLOWED.at(
            "spec.verify.mode",
            format!("{raw:?} is not allowed on this cluster"),
            format!("use one of [{}]", settings.allowed_modes_list()),
        ));
        return None;
    }
    Some(parsed)
}

fn check_tag_reference(repo: &GitRepository, mode: VerifyMode, out: &mut Vec<Finding>) {
    if mode.needs_tag() && !repo.spec.reference.as_ref().is_some_and(|r| r.is_tag()) {
        out.push(TAG_MODE_NEEDS_TAG.at(
            "spec.ref",
            format!("mode {mode} verifies a tag signature but the reference is not a tag, so reconciliation would fail"),
            "set spec.ref.tag, spec.ref.semver or spec.ref.name: refs/tags/<tag> (and no spec.ref.commit)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::POLICY;
    use fluxgate_admission::flow::review_create;
    use serde_json::{Value, json};

    /// The rule ids a GitRepository of `version` with `spec` gets under `settings`.
    fn rules(version: &str, spec: Value, settings: Value) -> Vec<String> {
        let repo = json!({
            "apiVersion": format!("source.toolkit.fluxcd.io/{version}"),
            "kind": "GitRepository", "metadata": {"name": "r", "namespace": "apps"}, "spec": spec
        });
        let tenant = "system:serviceaccount:apps:flux";
        let verdict = review_create(&POLICY, repo, tenant, settings);
        verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    }

    #[test]
    fn head_with_keys_passes() {
        let spec = json!({"url": "https://x", "verify": {"secretRef": {"name": "keys"}}});
        assert!(rules("v1", spec, json!(null)).is_empty());
    }

    #[test]
    fn missing_verify_and_secret() {
        assert_eq!(rules("v1", json!({}), json!(null)), ["gcv/verify-missing"]);
        let spec = json!({"verify": {"mode": "HEAD"}});
        assert_eq!(rules("v1", spec, json!(null)), ["gcv/key-secret-missing"]);
    }

    #[test]
    fn tag_mode_needs_tag_reference() {
        let on_branch = json!({"ref": {"branch": "main"}, "verify": {"mode": "Tag", "secretRef": {"name": "k"}}});
        assert_eq!(
            rules("v1", on_branch, json!(null)),
            ["gcv/tag-mode-needs-tag"]
        );
        let on_tag = json!({"ref": {"name": "refs/tags/v1"}, "verify": {"mode": "TagAndHEAD", "secretRef": {"name": "k"}}});
        assert!(rules("v1", on_tag, json!(null)).is_empty());
    }

    #[test]
    fn modes_outside_settings_or_version() {
        let head = json!({"verify": {"mode": "HEAD", "secretRef": {"name": "k"}}});
        let only_tag = json!({"allowedModes": ["Tag"]});
        assert_eq!(rules("v1", head, only_tag), ["gcv/mode-not-allowed"]);
        let tag =
            json!({"ref": {"tag": "v1"}, "verify": {"mode": "Tag", "secretRef": {"name": "k"}}});
        assert_eq!(rules("v1beta2", tag, json!(null)), ["gcv/mode-unserved"]);
        let beta_head = json!({"verify": {"mode": "head", "secretRef": {"name": "k"}}});
        assert!(rules("v1beta2", beta_head, json!(null)).is_empty());
    }

    #[test]
    fn key_secret_allowlist() {
        let spec = json!({"verify": {"secretRef": {"name": "mine"}}});
        let approved = json!({"allowedKeySecrets": ["flux-keys"]});
        assert_eq!(rules("v1", spec, approved), ["gcv/key-secret-not-approved"]);
    }
}
