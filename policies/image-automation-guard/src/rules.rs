use crate::extract::{Reference, references};
use crate::settings::Settings;
use flux_model::glob;
use flux_model::image_ref::ImageRef;
use flux_model::kinds::image::{ImagePolicy, ImageRepository, ImageUpdateAutomation};
use flux_model::regex_check::Pattern;
use flux_model::semver_range::Constraint;
use flux_model::{AdmissionRequest, FluxKind, ObjectRef, Verdict, Violation};
use serde::Deserialize;

/// image-reflector-controller's default `exclusionList`: hides cosign signature tags.
pub const SIGNATURE_EXCLUSION: &str = r"^.*\.sig$";

const KINDS: [FluxKind; 3] = [
    FluxKind::ImageRepository,
    FluxKind::ImagePolicy,
    FluxKind::ImageUpdateAutomation,
];

/// Admission entry: picks the kind from the object (or the request's GVK for DELETE) and
/// runs the shared review flow with that kind's rule.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    let kind = match flux_model::review::judged_kind(request, "image-automation-guard", &KINDS) {
        Ok(kind) => kind,
        Err(other_kind) => return other_kind,
    };
    let exempt = |obj: &ObjectRef| settings.platform_namespaces.contains(&obj.namespace);
    use flux_model::review::review;
    match kind {
        FluxKind::ImageRepository => review(request, kind, |r: &ImageRepository, obj| {
            if exempt(obj) {
                Vec::new()
            } else {
                check_image_repository(r, settings)
            }
        }),
        FluxKind::ImagePolicy => review(request, kind, |p: &ImagePolicy, obj| {
            if exempt(obj) {
                Vec::new()
            } else {
                check_image_policy(p, settings)
            }
        }),
        _ => review(request, kind, |a: &ImageUpdateAutomation, obj| {
            if exempt(obj) {
                Vec::new()
            } else {
                check_update_automation(a, settings)
            }
        }),
    }
}

/// Every rule an ImageRepository breaks.
pub fn check_image_repository(repo: &ImageRepository, settings: &Settings) -> Vec<Violation> {
    let spec = &repo.spec;
    let mut out = Vec::new();
    let image = spec.image.as_deref().unwrap_or("");
    let parsed = match ImageRef::parse(image) {
        Ok(r) => Some(r),
        Err(e) => {
            out.push(Violation::new(
                "spec.image",
                format!("{image:?} {e}"),
                "set spec.image to a repository such as ghcr.io/org/app",
            ));
            None
        }
    };
    if let Some(r) = &parsed {
        if r.tag.is_some() || r.digest.is_some() {
            out.push(Violation::new(
                "spec.image",
                format!(
                    "{image:?} names a tag or digest; ImageRepository scans a whole repository"
                ),
                format!("set spec.image to {}", r.name()),
            ));
        }
        if !settings.allowed_images.is_empty()
            && !settings.image_prefixes().iter().any(|p| p.matches(r))
        {
            out.push(Violation::new(
                "spec.image",
                {
                    let name = r.name();
                    let shown = if name == image {
                        format!("{image:?}")
                    } else {
                        format!("{image:?} ({name})")
                    };
                    format!("{shown} is not in an allowed registry or repository")
                },
                format!(
                    "scan an image under one of [{}]",
                    settings.allowed_images.join(", ")
                ),
            ));
        }
    }
    if spec.insecure == Some(true)
        && !parsed
            .as_ref()
            .is_some_and(|r| settings.insecure_allowed(&r.registry))
    {
        let registry = parsed
            .as_ref()
            .map_or("the registry", |r| r.registry.as_str());
        out.push(Violation::new(
            "spec.insecure",
            format!("is true: tags would be read over plain HTTP from {registry}, which is not in insecureRegistries"),
            "remove spec.insecure and reach the registry over TLS",
        ));
    }
    if let Some(list) = &spec.exclusion_list {
        for (i, entry) in list.iter().enumerate() {
            if let Err(e) = Pattern::parse(entry) {
                out.push(Violation::new(
                    format!("spec.exclusionList[{i}]"),
                    format!("{entry:?} {e}"),
                    "write a Go (RE2) regular expression",
                ));
            }
        }
        if !list.iter().any(|e| e == SIGNATURE_EXCLUSION) {
            out.push(Violation::new(
                "spec.exclusionList",
                format!(
                    "replaces the default list without {SIGNATURE_EXCLUSION:?}, so cosign signature tags (sha256-….sig) become candidate images"
                ),
                format!("add {SIGNATURE_EXCLUSION:?} to spec.exclusionList"),
            ));
        }
    }
    out
}

/// Every rule an ImagePolicy breaks.
pub fn check_image_policy(policy: &ImagePolicy, settings: &Settings) -> Vec<Violation> {
    let spec = &policy.spec;
    let mut out = Vec::new();
    let choice = spec.policy.clone().unwrap_or_default();
    if let Some(semver) = &choice.semver {
        match Constraint::parse(&semver.range) {
            Err(e) => out.push(Violation::new(
                "spec.policy.semver.range",
                format!("{:?} is not a semver range: {e}", semver.range),
                "write a Masterminds semver range such as \">=1.2.0 <2.0.0\"",
            )),
            Ok(c) => {
                if let Some(alt) = c.unbounded_alternative()
                    && !settings.allow_unbounded_semver
                {
                    out.push(Violation::new(
                        "spec.policy.semver.range",
                        {
                            let within = if alt == semver.range.trim() {
                                String::new()
                            } else {
                                format!(" (in {alt:?})")
                            };
                            format!(
                                "{:?} has no upper bound{within}, so any future major version is deployed",
                                semver.range
                            )
                        },
                        "bound the range above, e.g. \">=1.2.0 <2.0.0\", \"~1.2\" or \"^1\"",
                    ));
                }
            }
        }
    }
    let filter = spec.filter_tags.clone().unwrap_or_default();
    let pattern_text = filter.pattern.as_deref().filter(|p| !p.is_empty());
    let ordered = [
        ("numerical", &choice.numerical),
        ("alphabetical", &choice.alphabetical),
    ]
    .into_iter()
    .find(|(_, p)| p.is_some())
    .map(|(name, _)| name);
    if let (Some(name), None) = (ordered, pattern_text) {
        out.push(Violation::new(
            "spec.filterTags.pattern",
            format!("is missing: a {name} policy then orders every tag in the repository, including ones that were never releases"),
            "set spec.filterTags.pattern to an anchored regex with a named group, e.g. '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', and extract: '$ts'",
        ));
    }
    let pattern = match pattern_text.map(Pattern::parse) {
        Some(Err(e)) => {
            out.push(Violation::new(
                "spec.filterTags.pattern",
                format!("{:?} {e}", pattern_text.unwrap_or_default()),
                "write a Go (RE2) regular expression",
            ));
            None
        }
        Some(Ok(p)) => {
            if !p.is_anchored() {
                out.push(Violation::new(
                    "spec.filterTags.pattern",
                    format!(
                        "{:?} is not anchored at both ends, so it also matches tags that merely contain it",
                        pattern_text.unwrap_or_default()
                    ),
                    "start the pattern with ^ and end it with $ (wrap alternatives: ^(a|b)$)",
                ));
            }
            Some(p)
        }
        None => None,
    };
    if let Some(extract) = filter.extract.as_deref().filter(|e| !e.is_empty()) {
        check_extract(extract, pattern_text, pattern.as_ref(), &mut out);
    }
    out
}

fn check_extract(
    extract: &str,
    pattern_text: Option<&str>,
    pattern: Option<&Pattern>,
    out: &mut Vec<Violation>,
) {
    let field = "spec.filterTags.extract";
    let Some(text) = pattern_text else {
        out.push(Violation::new(
            field,
            format!(
                "{extract:?} is set without spec.filterTags.pattern, so it has no groups to read"
            ),
            "set spec.filterTags.pattern with the named groups extract uses",
        ));
        return;
    };
    // A pattern that does not compile is reported already.
    let Some(pattern) = pattern else { return };
    let refs = references(extract);
    if refs.is_empty() {
        out.push(Violation::new(
            field,
            format!("{extract:?} refers to no group, so every tag extracts to the same value and the policy picks an arbitrary one"),
            "refer to a named group of the pattern, e.g. '$ts' for (?P<ts>...)",
        ));
        return;
    }
    let names = pattern.capture_names();
    let count = pattern.capture_count();
    for r in refs {
        let missing = match &r {
            Reference::Named(n) => !names.contains(n),
            Reference::Number(n) => *n > count,
        };
        if missing {
            let shown = match &r {
                Reference::Named(n) => format!("${n}"),
                Reference::Number(n) => format!("${n}"),
            };
            let defined = if names.is_empty() {
                "no named groups".to_string()
            } else {
                format!("the named groups [{}]", names.join(", "))
            };
            out.push(Violation::new(
                field,
                format!(
                    "{extract:?} refers to {shown}, which the pattern {text:?} does not define (it has {defined}); Flux expands it to an empty string and picks a wrong tag"
                ),
                "define the group in the pattern, e.g. (?P<ts>[0-9]+), or refer to an existing one; write ${name} when text follows",
            ));
        }
    }
}

/// `spec.git` of ImageUpdateAutomation: the same shape in v1beta1, v1beta2 and v1.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct GitSpec {
    pub checkout: Option<Checkout>,
    pub push: Option<Push>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct Checkout {
    #[serde(rename = "ref")]
    pub reference: Option<CheckoutRef>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct CheckoutRef {
    pub branch: Option<String>,
    pub name: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct Push {
    pub branch: Option<String>,
    pub refspec: Option<String>,
}

/// Where a push lands, as far as the object says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushTarget {
    /// A branch, with the field that names it.
    Branch { name: String, field: &'static str },
    /// A ref outside `refs/heads/` (Gerrit's `refs/for/main` review queue, say).
    OtherRef(String),
}

/// The branch or ref a refspec's destination names (`+src:dst`, or `src` alone).
pub fn refspec_destination(refspec: &str) -> PushTarget {
    let spec = refspec.trim().trim_start_matches('+');
    let dst = match spec.split_once(':') {
        Some((_, d)) => d,
        None => spec,
    };
    match dst.strip_prefix("refs/heads/") {
        Some(b) => PushTarget::Branch {
            name: b.to_string(),
            field: "spec.git.push.refspec",
        },
        None if dst.starts_with("refs/") => PushTarget::OtherRef(dst.to_string()),
        None => PushTarget::Branch {
            name: dst.to_string(),
            field: "spec.git.push.refspec",
        },
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Every rule an ImageUpdateAutomation breaks.
pub fn check_update_automation(
    automation: &ImageUpdateAutomation,
    settings: &Settings,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let require_review = settings.require_separate_push_branch;
    let protected = &settings.protected_branches;
    if !require_review && protected.is_empty() {
        return out;
    }
    let git: GitSpec = match &automation.spec.git {
        None => GitSpec::default(),
        Some(v) => match serde_path_to_error::deserialize(v) {
            Ok(g) => g,
            Err(e) => {
                out.push(Violation::new(
                    format!("spec.git.{}", e.path()),
                    e.inner().to_string(),
                    "make spec.git match the ImageUpdateAutomation schema",
                ));
                return out;
            }
        },
    };
    let checkout = git
        .checkout
        .as_ref()
        .and_then(|c| c.reference.as_ref())
        .and_then(|r| {
            non_empty(&r.branch).map(str::to_string).or_else(|| {
                non_empty(&r.name)
                    .and_then(|n| n.strip_prefix("refs/heads/"))
                    .map(str::to_string)
            })
        });
    let push = git.push.clone().unwrap_or_default();
    let mut targets = Vec::new();
    if let Some(b) = non_empty(&push.branch) {
        targets.push(PushTarget::Branch {
            name: b.to_string(),
            field: "spec.git.push.branch",
        });
    }
    if let Some(r) = non_empty(&push.refspec) {
        targets.push(refspec_destination(r));
    }
    let protected_list = format!("[{}]", protected.join(", "));
    if targets.is_empty() {
        let (problem, fix) = match &checkout {
            Some(b) => (
                format!("is not set, so commits are pushed straight to the checked-out branch {b:?}"),
                "set spec.git.push.branch to a branch that is merged through review",
            ),
            None => (
                "is not set, so commits are pushed straight to the branch the GitRepository checks out".to_string(),
                "set spec.git.push.branch to a branch that is merged through review",
            ),
        };
        let hits_protected = checkout
            .as_deref()
            .is_none_or(|b| glob::any_matches(protected, b));
        if require_review || (!protected.is_empty() && hits_protected) {
            out.push(Violation::new("spec.git.push", problem, fix));
        }
        return out;
    }
    for target in &targets {
        let PushTarget::Branch { name, field } = target else {
            continue;
        };
        if !protected.is_empty() && (glob::any_matches(protected, name) || name.contains('*')) {
            out.push(Violation::new(
                *field,
                format!("pushes to {name:?}, a protected branch (protected: {protected_list})"),
                "push to a branch outside the protected ones and merge it through review",
            ));
        } else if require_review && checkout.as_deref() == Some(name.as_str()) {
            out.push(Violation::new(
                *field,
                format!("pushes to {name:?}, the branch it checks out, so changes skip review"),
                "push to a separate branch (e.g. flux-image-updates) and merge it through review",
            ));
        }
    }
    if require_review && checkout.is_none() {
        out.push(Violation::new(
            "spec.git.checkout.ref.branch",
            "is not set, so the push branch cannot be shown to differ from the branch the automation checks out",
            "set spec.git.checkout.ref.branch explicitly",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refspec_destinations() {
        let branch = |n: &str| PushTarget::Branch {
            name: n.into(),
            field: "spec.git.push.refspec",
        };
        assert_eq!(
            refspec_destination("refs/heads/main:refs/heads/auto"),
            branch("auto")
        );
        assert_eq!(refspec_destination("+HEAD:refs/heads/main"), branch("main"));
        assert_eq!(refspec_destination("refs/heads/dev"), branch("dev"));
        assert_eq!(refspec_destination("HEAD:auto"), branch("auto"));
        assert_eq!(
            refspec_destination("HEAD:refs/for/main"),
            PushTarget::OtherRef("refs/for/main".into())
        );
    }
}
