//! Keyless cosign identities: `matchOIDCIdentity[]` must pin who signed.
//!
//! source-controller hands each entry to cosign as `cosign.Identity{IssuerRegExp,
//! SubjectRegExp}` (fluxcd/source-controller internal/controller/ocirepository_controller.go
//! and helmchart_controller.go); cosign compiles both with Go's `regexp` and accepts a
//! certificate when any one entry's issuer and subject `MatchString` it, unanchored
//! (sigstore/cosign pkg/cosign/verify.go, `CheckCertificatePolicy`). Flux documents both as
//! Go regular expressions (source-controller docs/spec/v1/ocirepositories.md, "Keyless
//! verification").

use crate::rules::{VERIFIED_KINDS, rule};
use crate::settings::{Settings, SubjectPinDepth};
use flux_kinds::source::OidcIdentityMatch;
use fluxgate_matchers::regex_check::{LiteralPrefix, Pattern, escape};
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
pub const ISSUER_NOT_LITERAL: Rule = rule(
    "signature/keyless-issuer-not-literal",
    VERIFIED_KINDS,
    "Every `matchOIDCIdentity` issuer is a literal URL between `^` and `$`, dots escaped \
     (`^https://token\\.actions\\.githubusercontent\\.com$`; `^…$|^…$` of such URLs is fine).",
    "an issuer regex that also matches issuers other people control: Fulcio certifies every \
     EKS cluster's (`https://oidc.eks.<region>.amazonaws.com/id/<id>`) and every GitHub \
     enterprise's (`https://token.actions.githubusercontent.com/<slug>`).",
    true,
    "",
);
pub const SUBJECT_TOO_BROAD: Rule = rule(
    "signature/keyless-subject-too-broad",
    VERIFIED_KINDS,
    "Every alternative of each `matchOIDCIdentity` subject is an exact identity \
     (`^alice@example\\.com$`) or starts with literal text reaching the repository: \
     `^https://github\\.com/<owner>/<repo>/` (GitLab `<group>/<project>/`; any host: two path \
     segments, each closed by `/`).",
    "a subject that pins no repository (`^https://github\\.com/.*$`, `^.*/acme/app/.*$`, \
     `^https://github\\.com/acme/app.*$`, which `acme/app-fork` matches) and so accepts \
     workflows of other repositories, an attacker's included.",
    true,
    "subjectPinDepth",
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

/// An issuer is pinned, then either exactly an allowed one (`allowedIssuers`, which implies
/// literal) or, without that setting, a literal URL.
fn check_issuer(field: &str, value: &str, settings: &Settings) -> Option<Finding> {
    let shown = shown(value);
    let pattern = match pinned(field, value, "issuer") {
        Ok(p) => p,
        Err(v) => return Some(v),
    };
    let allowed = &settings.allowed_issuers;
    let literals = pattern.exact_literals().unwrap_or_default();
    if !allowed.is_empty() {
        let ok = !literals.is_empty() && literals.iter().all(|l| allowed.contains(l));
        return (!ok).then(|| {
            ISSUER_NOT_ALLOWED.at(
                field,
                format!(
                    "{shown} is not exactly one of the issuers settings.allowedIssuers allows ({})",
                    allowed.join(", ")
                ),
                format!("use one of: {}", anchored_forms(allowed)),
            )
        });
    }
    // cosign matches the issuer regex unanchored against the certificate's issuer
    // (sigstore/cosign pkg/cosign/verify.go, CheckCertificatePolicy: `regex.MatchString`),
    // and public Fulcio certifies whole families of issuers (`MetaIssuers` in
    // sigstore/fulcio config/identity/config.yaml: `https://oidc.eks.*.amazonaws.com/id/*`,
    // `https://token.actions.githubusercontent.com/*`): only a literal pins one.
    if !literals.is_empty() && literals.iter().all(|l| is_url(l)) {
        return None;
    }
    let suggestion = with_escaped_dots(value)
        .filter(|fixed| {
            Pattern::parse(fixed)
                .ok()
                .and_then(|p| p.exact_literals())
                .is_some_and(|l| l.iter().all(|u| is_url(u)))
        })
        .map(|fixed| format!("use {fixed}"))
        .unwrap_or_else(|| {
            "write the issuer URL between ^ and $ with its dots escaped, e.g. \
             ^https://token\\.actions\\.githubusercontent\\.com$ (for several issuers, \
             ^…$|^…$ or one matchOIDCIdentity entry each)"
                .into()
        });
    let problem = if literals.is_empty() {
        format!(
            "{shown} is not a literal URL between ^ and $ ({}), so it matches more issuers \
             than the one it names (Fulcio certifies whole families: any EKS cluster, any \
             GitHub enterprise)",
            why_not_literal(value)
        )
    } else {
        format!(
            "{shown} is literal but not an http(s) URL with a host, and OIDC issuers are \
             such URLs: it matches no issuer, so every pull would fail"
        )
    };
    Some(ISSUER_NOT_LITERAL.at(field, problem, suggestion))
}

/// A subject is pinned, under an allowed prefix (`allowedSubjectPrefixes`), and narrow: each
/// alternative an exact identity or a URL whose literal start reaches `subjectPinDepth`.
fn check_subject(field: &str, value: &str, settings: &Settings) -> Option<Finding> {
    let shown = shown(value);
    let pattern = match pinned(field, value, "subject") {
        Ok(p) => p,
        Err(v) => return Some(v),
    };
    let prefixes = pattern.literal_prefixes();
    let allowed = &settings.allowed_subject_prefixes;
    if !allowed.is_empty() {
        let ok = prefixes
            .iter()
            .all(|p| allowed.iter().any(|a| p.text.starts_with(a.as_str())));
        if !ok {
            let starts: Vec<String> = allowed.iter().map(|a| format!("^{}", escape(a))).collect();
            return Some(SUBJECT_NOT_ALLOWED.at(
                field,
                format!(
                    "{shown} does not start with literal text from settings.allowedSubjectPrefixes ({})",
                    allowed.join(", ")
                ),
                format!(
                    "start the subject with one of: {} (escaped, before any wildcard or group)",
                    starts.join(", ")
                ),
            ));
        }
    }
    too_broad(field, value, &shown, &prefixes, settings.subject_pin_depth)
}

/// The subject's first alternative that names neither one identity nor, by its literal
/// start, one repository (or owner, with `subjectPinDepth: owner`).
///
/// Fulcio writes a GitHub Actions identity as `https://github.com/` + the
/// `job_workflow_ref` claim, `<owner>/<repo>/.github/workflows/<file>@<ref>`
/// (sigstore/fulcio pkg/identity/ciprovider/providers_config.yaml, `uris`), and a GitLab
/// one as `https://` + `ci_config_ref_uri`, `gitlab.com/<group>/<project>//<file>@<ref>`
/// (pkg/identity/gitlabcom/principal.go): the repository is the second path segment.
fn too_broad(
    field: &str,
    value: &str,
    shown: &str,
    prefixes: &[LiteralPrefix],
    depth: SubjectPinDepth,
) -> Option<Finding> {
    let pinned = |p: &LiteralPrefix| p.exact || reaches(&p.text, depth.segments());
    let loose = prefixes.iter().position(|p| !pinned(p))?;
    let (scope, example, others) = match depth {
        SubjectPinDepth::Repository => (
            "a repository",
            "https://github.com/<owner>/<repo>/",
            "other repositories",
        ),
        SubjectPinDepth::Owner => ("an owner", "https://github.com/<owner>/", "other owners"),
    };
    let which = if prefixes.len() > 1 {
        format!("alternative {} of {shown}", loose + 1)
    } else {
        shown.to_string()
    };
    let text = &prefixes[loose].text;
    let problem = if text.is_empty() {
        format!(
            "{which} does not start with literal text after ^, so it pins no host, owner or \
             repository: workflows of any repository match"
        )
    } else {
        format!(
            "{which} fixes only `{text}` before its first wildcard, class, group or optional \
             character, which does not reach {scope} ({example}), so workflows of {others} \
             match too"
        )
    };
    let problem = if has_bare_dot(value) {
        format!("{problem} (an unescaped . matches any character)")
    } else {
        problem
    };
    let suggestion = with_escaped_dots(value).filter(|fixed| {
        Pattern::parse(fixed).is_ok_and(|p| {
            p.literal_prefixes()
                .iter()
                .all(|l| l.exact || reaches(&l.text, depth.segments()))
        })
    });
    let fix = match suggestion {
        Some(fixed) => format!("use {fixed}"),
        None => format!(
            "start each alternative with ^ and the escaped URL up to and including {scope}'s \
             /, e.g. ^https://github\\.com/<owner>/<repo>/\\.github/workflows/<file>\\.ya?ml@refs/tags/v.+$ \
             (GitLab ^https://gitlab\\.com/<group>/<project>//…), or name one identity exactly \
             (^alice@example\\.com$); give each repository its own matchOIDCIdentity entry"
        ),
    };
    Some(SUBJECT_TOO_BROAD.at(field, problem, fix))
}

/// Whether literal text `prefix` fixes a scheme, a host and the first `segments` path
/// segments, each non-empty and closed by `/`: `https://github.com/acme/app/` reaches two,
/// `https://github.com/acme/app` and `https://github.com/acme/` one.
fn reaches(prefix: &str, segments: usize) -> bool {
    let Some((scheme, rest)) = prefix.split_once("://") else {
        return false;
    };
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    // `rest` split at `/`: the host, the closed segments, then the unclosed remainder.
    let parts: Vec<&str> = rest.split('/').collect();
    valid_scheme && parts.len() >= segments + 2 && parts[..=segments].iter().all(|p| !p.is_empty())
}

/// `http(s)://host[/path]`, host non-empty, no spaces or control characters.
fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.split('/').next().unwrap_or("").is_empty()
            && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// Why an issuer regex is no literal: the first thing in it that matches more than itself.
fn why_not_literal(value: &str) -> &'static str {
    if has_bare_dot(value) {
        "an unescaped . matches any character"
    } else {
        "it contains a wildcard, class, group or repetition"
    }
}

/// Whether `value` has a `.` outside a class and not escaped: a wildcard where a host's dot
/// was probably meant.
fn has_bare_dot(value: &str) -> bool {
    with_escaped_dots(value).is_some_and(|fixed| fixed != value)
}

/// `value` with each unescaped `.` outside a class that no quantifier follows written `\.`
/// (`^https://token.actions$` becomes `^https://token\.actions$`; `.*` stays). `None`
/// when nothing would change. Only a hint: callers re-check the result.
fn with_escaped_dots(value: &str) -> Option<String> {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut changed = false;
    let mut in_class = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                out.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                    i += 1;
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `[]a]`, `[^]a]`: a `]` first in the class is a literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '.' if !in_class && !matches!(chars.get(i + 1), Some('*' | '+' | '?' | '{')) => {
                out.push_str("\\.");
                changed = true;
            }
            c => out.push(c),
        }
        i += 1;
    }
    changed.then_some(out)
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

    /// The rule ids of the findings on one identity.
    fn rules_of(issuer: &str, subject: &str, s: &Settings) -> Vec<String> {
        check_identities("f", Some(&[id(issuer, subject)]), s)
            .into_iter()
            .map(|f| f.rule.into_owned())
            .collect()
    }

    #[test]
    fn subjects_must_reach_the_repository() {
        let s = Settings::default();
        for pinned in [
            SUBJECT,
            r"^https://github\.com/acme/app/.*$",
            r"^https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*$",
            r"^https://github\.com/acme/workflows/\.github/workflows/sign\.ya?ml@.+$",
            r"^https://gitlab\.com/acme/app//\.gitlab-ci\.yml@refs/heads/main$",
            r"^https://gitlab\.com/acme/sub/app//.*$",
            r"^https://git\.example\.com/platform/app/.*$",
            r"^alice@acme\.io$",
            r"^alice@acme\.io$|^bob@acme\.io$",
            r"^https://github\.com/acme/app/.*$|^https://gitlab\.com/acme/app//.*$",
            r"^(https://github\.com/acme)/app/.*$",
            r"^\Qhttps://github.com/acme/app/\E.*$",
            r"^https://github\.com/acme/app/+\.github/.*$",
            r"\Ahttps://github\.com/acme/app/.*\z",
        ] {
            assert!(rules_of(GH, pinned, &s).is_empty(), "{pinned}");
        }
        for loose in [
            r"^https://github\.com/.*$",
            r"^.*/acme/app/.*$",
            r"^https://github\.com/acme/.*$",
            r"^https://github\.com/acme/app.*$",
            r"^https://github\.com/acme/app/?.*$",
            r"^https://github\.com/acme/app-.*$",
            r"^https://github\.com/(acme|evil)/app/.*$",
            r"^https://github.com/acme/app/.*$",
            r"^https://github\.com/acme/[a-z]+/.*$",
            r"^https://github\.com//app/.*$",
            r"^https://github\.com.*/acme/app/.*$",
            r"^https://gitlab\.com/acme/.*$",
            r"^https://git\.example\.com/platform/.*$",
            r"^.*@acme\.io$",
            r"^https://github\.com/acme/app/.*$|^https://github\.com/.*$",
            r"(?i)^https://github\.com/acme/app/.*$",
            r"^github\.com/acme/app/.*$",
            r"^://x/acme/app/.*$",
        ] {
            assert_eq!(rules_of(GH, loose, &s), [SUBJECT_TOO_BROAD.id], "{loose}");
        }
        let v = check_identities("f", Some(&[id(GH, r"^https://github\.com/.*$")]), &s);
        assert!(
            v[0].problem.contains("fixes only `https://github.com/`"),
            "{v:?}"
        );
        let alt = r"^https://github\.com/acme/app/.*$|^https://github\.com/.*$";
        let v = check_identities("f", Some(&[id(GH, alt)]), &s);
        assert!(v[0].problem.starts_with("alternative 2 of"), "{v:?}");
        // Unescaped dots: the fix is the escaped pattern, when that one passes.
        let v = check_identities("f", Some(&[id(GH, "^https://github.com/acme/app/.*$")]), &s);
        assert_eq!(v[0].fix, r"use ^https://github\.com/acme/app/.*$", "{v:?}");
        assert!(v[0].problem.contains("unescaped ."), "{v:?}");
        let v = check_identities("f", Some(&[id(GH, "^https://github.com/acme/.*$")]), &s);
        assert!(v[0].fix.contains("<owner>/<repo>/"), "{v:?}");
        let owner = Settings {
            subject_pin_depth: SubjectPinDepth::Owner,
            ..Settings::default()
        };
        assert!(rules_of(GH, r"^https://github\.com/acme/.*$", &owner).is_empty());
        assert_eq!(
            rules_of(GH, r"^https://github\.com/.*$", &owner),
            [SUBJECT_TOO_BROAD.id]
        );
        assert_eq!(
            rules_of(GH, r"^https://github\.com/acme.*$", &owner),
            [SUBJECT_TOO_BROAD.id]
        );
    }

    #[test]
    fn issuers_must_be_literal_urls() {
        let s = Settings::default();
        for literal in [
            GH,
            r"^https://accounts\.google\.com$",
            r"^https://gitlab\.com$",
            r"\Ahttps://oidc\.eks\.us-west-2\.amazonaws\.com/id/ABC\z",
            r"^https://token\.actions\.githubusercontent\.com$|^https://gitlab\.com$",
            r"^\Qhttps://token.actions.githubusercontent.com\E$",
            r"^http://dex\.local:5556/auth$",
        ] {
            assert!(rules_of(literal, SUBJECT, &s).is_empty(), "{literal}");
        }
        for loose in [
            "^https://token.actions.githubusercontent.com$",
            r"^https://oidc\.eks\..*\.amazonaws\.com/id/.*$",
            r"^https://token\.actions\.githubusercontent\.com(/.*)?$",
            r"^https://(token\.actions\.githubusercontent\.com|gitlab\.com)$",
            r"^https://token\.actions\.githubusercontent\.co[m]$",
            r"^https://token\.actions\.githubusercontent\.com/?$",
            r"(?i)^https://gitlab\.com$",
            r"^token\.actions\.githubusercontent\.com$",
            r"^https://$",
            r"^https://gitlab\.com$|^https://.*$",
        ] {
            assert_eq!(
                rules_of(loose, SUBJECT, &s),
                [ISSUER_NOT_LITERAL.id],
                "{loose}"
            );
        }
        // Unanchored, or anchored at one end only: identity-unpinned, as before.
        for unanchored in [
            ".*",
            "https://token.actions.githubusercontent.com",
            r"^https://token\.actions\.githubusercontent\.com",
            r"https://token\.actions\.githubusercontent\.com$",
        ] {
            assert_eq!(
                rules_of(unanchored, SUBJECT, &s),
                [IDENTITY_UNPINNED.id],
                "{unanchored}"
            );
        }
        let v = check_identities(
            "f",
            Some(&[id("^https://token.actions.githubusercontent.com$", SUBJECT)]),
            &s,
        );
        assert_eq!(v[0].fix, format!("use {GH}"));
        let v = check_identities("f", Some(&[id(r"^https://(a|b)\.io$", SUBJECT)]), &s);
        assert!(v[0].fix.contains("^…$|^…$"), "{v:?}");
        let v = check_identities("f", Some(&[id(r"^gitlab\.com$", SUBJECT)]), &s);
        assert!(v[0].problem.contains("not an http(s) URL"), "{v:?}");
    }

    #[test]
    fn dot_escaping_hint() {
        assert_eq!(
            with_escaped_dots("^https://a.b/c.*$").as_deref(),
            Some(r"^https://a\.b/c.*$")
        );
        assert_eq!(with_escaped_dots(r"^a\.b[.]c.+d.?e.{2}$"), None);
        assert_eq!(
            with_escaped_dots(r"^[]a.][^].]x.y$").as_deref(),
            Some(r"^[]a.][^].]x\.y$")
        );
        assert_eq!(with_escaped_dots("a\\"), None);
        // An escaped character is kept as it is, next to a dot that is not.
        assert_eq!(with_escaped_dots(r"a\.b.c").as_deref(), Some(r"a\.b\.c"));
        // A `[` inside a class is a literal: `[]` there does not reopen the class.
        assert_eq!(with_escaped_dots("[a[]b.c").as_deref(), Some(r"[a[]b\.c"));
        assert!(has_bare_dot("^a.b$") && !has_bare_dot(r"^a\.b.*$"));
        assert_eq!(
            why_not_literal("^a.b$"),
            "an unescaped . matches any character"
        );
        assert_eq!(
            why_not_literal(r"^a\.b.*$"),
            "it contains a wildcard, class, group or repetition"
        );
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_blanks() {
        assert!(is_url("https://token.actions.githubusercontent.com"));
        assert!(is_url("http://issuer.example/realms/x"));
        assert!(!is_url("https:///path"));
        assert!(!is_url("https://a b"));
        assert!(!is_url("https://a\tb"));
        assert!(!is_url("https://a\u{7}"));
        assert!(!is_url("ftp://a"));
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
