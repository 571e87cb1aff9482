//! Keyless cosign identities: `matchOIDCIdentity[]` must pin who signed.

use crate::rules::{VERIFIED_KINDS, rule};
use crate::settings::Settings;
use flux_kinds::source::OidcIdentityMatch;
use fluxgate_matchers::regex_check::{Pattern, escape};
use fluxgate_rules::{Finding, Rule};

pub const IDENTITY_MISSING: Rule = rule(
    "signature/identity-missing",
    VERIFIED_KINDS,
    "Keyless cosign (no `secretRef`) lists at least one `matchOIDCIdentity` entry.",
    "a keyless check that accepts a signature from any identity Fulcio certifies (anyone with \
     a GitHub or Google account).",
    true,
    "",
);
pub const IDENTITY_REGEX_INVALID: Rule = rule(
    "signature/identity-regex-invalid",
    VERIFIED_KINDS,
    "Every `matchOIDCIdentity` issuer and subject compiles as a Go regular expression.",
    "an identity check source-controller cannot evaluate, failing every pull or read \
     differently than admission read it.",
    true,
    "",
);
pub const IDENTITY_UNPINNED: Rule = rule(
    "signature/identity-unpinned",
    VERIFIED_KINDS,
    "Every `matchOIDCIdentity` issuer and subject is non-empty, anchored `^…$` (no top-level \
     `|`, no `(?m)`) and requires literal text (Flux ORs the entries).",
    "a regex that looks like a pin but accepts other signers (`.*`, `^https://a|.*$`, `^.*$`).",
    true,
    "",
);
pub const ISSUER_NOT_ALLOWED: Rule = rule(
    "signature/issuer-not-allowed",
    VERIFIED_KINDS,
    "With `allowedIssuers`, each issuer regex stands for exactly allowed issuers \
     (`^<escaped URL>$`).",
    "a tenant trusting an OIDC issuer the platform does not (its own Fulcio, an unescaped \
     `token.actions` that matches other hosts).",
    false,
    "allowedIssuers",
);
pub const SUBJECT_NOT_ALLOWED: Rule = rule(
    "signature/subject-not-allowed",
    VERIFIED_KINDS,
    "With `allowedSubjectPrefixes`, each subject regex starts with `^` and literal text under \
     an allowed prefix.",
    "a tenant accepting artifacts signed by another organisation's workflows (`acme-evil`, \
     `(acme|evil)`).",
    false,
    "allowedSubjectPrefixes",
);

/// Checks the `matchOIDCIdentity` list of a keyless cosign verification at `field`
/// (e.g. `spec.verify.matchOIDCIdentity`). Flux ORs the entries, so every entry must pin.
pub fn check_identities(
    field: &str,
    identities: Option<&[OidcIdentityMatch]>,
    settings: &Settings,
) -> Vec<Finding> {
    let identities = identities.unwrap_or_default();
    if identities.is_empty() {
        return vec![IDENTITY_MISSING.at(
            field,
            "is missing, so this keyless cosign check accepts a signature from any identity \
             Fulcio certifies (anyone with a GitHub or Google account)",
            format!(
                "add matchOIDCIdentity with anchored issuer and subject regexes, e.g. \
                 {{issuer: \"^https://token\\.actions\\.githubusercontent\\.com$\", subject: \
                 \"^https://github\\.com/<org>/<repo>/\\.github/workflows/<workflow>\\.ya?ml@refs/tags/v.+$\"}}, \
                 or set {} to a Secret with the cosign public key",
                field.replace("matchOIDCIdentity", "secretRef")
            ),
        )];
    }
    let mut out = Vec::new();
    for (i, identity) in identities.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if let Some(v) = check_issuer(&format!("{at}.issuer"), &identity.issuer, settings) {
            out.push(v);
        }
        if let Some(v) = check_subject(&format!("{at}.subject"), &identity.subject, settings) {
            out.push(v);
        }
    }
    out
}

/// A regex that compiles, is anchored at both ends and requires some literal text.
fn pinned(field: &str, value: &str, what: &str) -> Result<Pattern, Finding> {
    let shown = shown(value);
    let fix = format!(
        "write a Go regex anchored with ^ and $ that names the {what}, escaping dots \
         (e.g. ^https://token\\.actions\\.githubusercontent\\.com$)"
    );
    if value.trim().is_empty() {
        return Err(IDENTITY_UNPINNED.at(
            field,
            format!("is empty, which matches any {what}"),
            fix,
        ));
    }
    let pattern = Pattern::parse(value)
        .map_err(|e| IDENTITY_REGEX_INVALID.at(field, format!("{shown} {e}"), &fix))?;
    if !pattern.is_anchored() {
        return Err(IDENTITY_UNPINNED.at(
            field,
            format!(
                "{shown} is not anchored at both ends (^…$, no top-level | outside a group, no (?m)), \
                 so it matches any {what} that merely contains it"
            ),
            fix,
        ));
    }
    if !pattern.requires_literal() {
        return Err(IDENTITY_UNPINNED.at(
            field,
            format!("{shown} contains no literal text, so it matches any {what}"),
            fix,
        ));
    }
    Ok(pattern)
}

fn check_issuer(field: &str, value: &str, settings: &Settings) -> Option<Finding> {
    let shown = shown(value);
    let pattern = match pinned(field, value, "issuer") {
        Ok(p) => p,
        Err(v) => return Some(v),
    };
    let allowed = &settings.allowed_issuers;
    if allowed.is_empty() {
        return None;
    }
    let literals = pattern.exact_literals().unwrap_or_default();
    let ok = !literals.is_empty() && literals.iter().all(|l| allowed.contains(l));
    (!ok).then(|| {
        ISSUER_NOT_ALLOWED.at(
            field,
            format!(
                "{shown} is not exactly one of the issuers settings.allowedIssuers allows ({})",
                allowed.join(", ")
            ),
            format!("use one of: {}", anchored_forms(allowed)),
        )
    })
}

fn check_subject(field: &str, value: &str, settings: &Settings) -> Option<Finding> {
    let shown = shown(value);
    let pattern = match pinned(field, value, "subject") {
        Ok(p) => p,
        Err(v) => return Some(v),
    };
    let allowed = &settings.allowed_subject_prefixes;
    if allowed.is_empty() {
        return None;
    }
    let prefixes = pattern.anchored_literal_prefixes();
    let ok = prefixes
        .iter()
        .all(|p| allowed.iter().any(|a| p.starts_with(a.as_str())));
    (!ok).then(|| {
        let starts: Vec<String> = allowed.iter().map(|a| format!("^{}", escape(a))).collect();
        SUBJECT_NOT_ALLOWED.at(
            field,
            format!(
                "{shown} does not start with literal text from settings.allowedSubjectPrefixes ({})",
                allowed.join(", ")
            ),
            format!(
                "start the subject with one of: {} (escaped, before any wildcard or group)",
                starts.join(", ")
            ),
        )
    })
}

/// A regex as the user wrote it, in backticks: Debug quoting would double every backslash.
/// Control characters are still escaped so the message stays one line.
fn shown(value: &str) -> String {
    let mut out = String::from("`");
    for c in value.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}

fn anchored_forms(literals: &[String]) -> String {
    let forms: Vec<String> = literals
        .iter()
        .map(|l| format!("^{}$", escape(l)))
        .collect();
    forms.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(issuer: &str, subject: &str) -> OidcIdentityMatch {
        OidcIdentityMatch {
            issuer: issuer.into(),
            subject: subject.into(),
        }
    }

    const GH: &str = r"^https://token\.actions\.githubusercontent\.com$";
    const SUBJECT: &str =
        r"^https://github\.com/org/repo/\.github/workflows/release\.yml@refs/tags/v.+$";

    #[test]
    fn pinned_identity_passes() {
        let s = Settings::default();
        assert!(check_identities("f", Some(&[id(GH, SUBJECT)]), &s).is_empty());
    }

    #[test]
    fn unpinned_identities_fail() {
        let s = Settings::default();
        assert_eq!(check_identities("f", None, &s).len(), 1);
        assert_eq!(check_identities("f", Some(&[]), &s).len(), 1);
        assert_eq!(check_identities("f", None, &s)[0].rule, IDENTITY_MISSING.id);
        for (issuer, subject, rule) in [
            (".*", SUBJECT, &IDENTITY_UNPINNED),
            (GH, "", &IDENTITY_UNPINNED),
            (GH, "^.*$", &IDENTITY_UNPINNED),
            (GH, r"^https://github\.com/org/.*|.*$", &IDENTITY_UNPINNED),
            (GH, "(?m)^x$", &IDENTITY_UNPINNED),
            ("^https://token.actions(", SUBJECT, &IDENTITY_REGEX_INVALID),
        ] {
            let v = check_identities("f", Some(&[id(issuer, subject)]), &s);
            assert_eq!(v.len(), 1, "{issuer} {subject}: {v:?}");
            assert_eq!(v[0].rule, rule.id, "{issuer} {subject}: {v:?}");
        }
    }

    #[test]
    fn allowed_issuers_and_subjects() {
        let s = Settings {
            allowed_issuers: vec!["https://token.actions.githubusercontent.com".into()],
            allowed_subject_prefixes: vec!["https://github.com/org/".into()],
            ..Settings::default()
        };
        assert!(check_identities("f", Some(&[id(GH, SUBJECT)]), &s).is_empty());
        let loose_dots = "^https://token.actions.githubusercontent.com$";
        let v = check_identities("f", Some(&[id(loose_dots, SUBJECT)]), &s);
        assert!(v[0].fix.contains(GH), "{v:?}");
        assert_eq!(v[0].rule, ISSUER_NOT_ALLOWED.id);
        let evil = r"^https://github\.com/org-evil/.*$";
        let v = check_identities("f", Some(&[id(GH, evil)]), &s);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, SUBJECT_NOT_ALLOWED.id);
        let group = r"^https://github\.com/(org|evil)/.*$";
        assert_eq!(check_identities("f", Some(&[id(GH, group)]), &s).len(), 1);
    }
}
