use crate::extract::{Reference, references};
use crate::settings::Settings;
use crate::tag_regex::TagRegex;
use flux_kinds::image::{ImagePolicy, ImageRepository};
use flux_kinds::{FluxKind, Resource};
use fluxgate_admission::Ctx;
use fluxgate_admission::lockdown::{CLOUD_IDENTITY, cloud_identity};
use fluxgate_admission::tenancy::foreign_namespace;
use fluxgate_matchers::glob;
use fluxgate_matchers::image_ref::ImageRef;
use fluxgate_matchers::regex_check::Pattern;
use fluxgate_matchers::semver_range::Constraint;
use fluxgate_rules::{Finding, KindSpec, Rule};
use serde::Deserialize;

/// image-reflector-controller's default `exclusionList`: hides cosign signature tags.
pub const SIGNATURE_EXCLUSION: &str = r"^.*\.sig$";

/// The tags cosign publishes a signature under: `<alg>-<hex>.sig` (sigstore/cosign
/// pkg/oci/remote: `SignatureTagSuffix = "sig"`, beside `"att"` for attestations and `"sbom"`
/// for SBOMs, formatted by `normalize`). What the default exclusion guarantees is that these
/// are hidden, so a custom list must hide them too. Three digests, so that a pattern that
/// only fits one way of writing hex (`[0-9]+`, `[a-f]+`) does not pass.
fn signature_tags() -> [String; 3] {
    [
        "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".to_string(),
        "0123456789".repeat(6) + "0123",
        "abcdef".repeat(10) + "abcd",
    ]
    .map(|hex| format!("sha256-{hex}.sig"))
}

/// Ordinary release tags: semver with and without `v`, and the
/// `<branch>-<sha>-<timestamp>` builds of the Flux image-update guide.
const RELEASE_TAGS: [&str; 3] = ["1.2.3", "v1.2.3", "main-abc1234-1700000000"];

const REPOSITORY: &[KindSpec] = &[FluxKind::ImageRepository.spec()];
const POLICY: &[KindSpec] = &[FluxKind::ImagePolicy.spec()];
const AUTOMATION: &[KindSpec] = &[FluxKind::ImageUpdateAutomation.spec()];

const fn rule(
    id: &'static str,
    kinds: &'static [KindSpec],
    title: &'static str,
    stops: &'static str,
    on_by_default: bool,
    setting: &'static str,
) -> Rule {
    Rule::deny(id, kinds, title, stops, setting).on_by_default(on_by_default)
}

pub const IMAGE_INVALID: Rule = rule(
    "image/image-invalid",
    REPOSITORY,
    "`spec.image` of an ImageRepository is a valid image repository reference.",
    "a scan that can never run, or an allowlist check read from a reference nobody can parse.",
    true,
    "",
);
pub const IMAGE_TAG_OR_DIGEST: Rule = rule(
    "image/image-tag-or-digest",
    REPOSITORY,
    "`spec.image` names a repository, without a tag or digest.",
    "an ImageRepository that does not scan what its author thinks it scans.",
    true,
    "",
);
pub const IMAGE_NOT_ALLOWED: Rule = rule(
    "image/image-not-allowed",
    REPOSITORY,
    "`spec.image` is under one of `allowedImages`, compared after normalisation and by whole path segments.",
    "a tenant deploying tags from an arbitrary registry or a look-alike repository (`acme-evil`, `ghcr.io.evil.io`).",
    false,
    "allowedImages",
);
pub const INSECURE_REGISTRY: Rule = rule(
    "image/insecure-registry",
    REPOSITORY,
    "`spec.insecure: true` only for registries in `insecureRegistries`.",
    "tags read over plain HTTP, where anyone on the path can choose the image that gets deployed.",
    true,
    "insecureRegistries",
);
pub const EXCLUSION_INVALID: Rule = rule(
    "image/exclusion-invalid",
    REPOSITORY,
    "Every `spec.exclusionList` entry compiles as a Go (RE2) regular expression.",
    "an exclusion that image-reflector-controller refuses, so the repository is never scanned.",
    true,
    "",
);
pub const EXCLUSION_DROPS_SIGNATURES: Rule = rule(
    "image/exclusion-drops-signatures",
    REPOSITORY,
    "A custom `spec.exclusionList` still hides what the default `^.*\\.sig$` hides: its entries, \
     run as Go regexes, match cosign signature tags (`sha256-<hex>.sig`), however they are spelled.",
    "cosign signature tags (`sha256-….sig`) becoming candidate images that automation deploys.",
    true,
    "",
);
pub const EXCLUSION_HIDES_RELEASES: Rule = rule(
    "image/exclusion-hides-releases",
    REPOSITORY,
    "No `spec.exclusionList` entry matches every ordinary release tag (`1.2.3`, `v1.2.3`, \
     `main-abc1234-1700000000`).",
    "an exclusion that hides every tag (`.*`, `[0-9]`), so no ImagePolicy ever selects an image.",
    true,
    "",
)
.warning();
pub const SEMVER_RANGE_INVALID: Rule = rule(
    "image/semver-range-invalid",
    POLICY,
    "`spec.policy.semver.range` parses as a Masterminds semver range.",
    "an ImagePolicy that never selects a tag, or selects by a range nobody can read.",
    true,
    "",
);
pub const SEMVER_RANGE_UNBOUNDED: Rule = rule(
    "image/semver-range-unbounded",
    POLICY,
    "Every `||` alternative of `spec.policy.semver.range` has an upper bound.",
    "automation deploying any future major version (or a pushed `99.0.0`) unreviewed.",
    true,
    "allowUnboundedSemver",
);
pub const PATTERN_MISSING: Rule = rule(
    "image/pattern-missing",
    POLICY,
    "`numerical` and `alphabetical` ImagePolicies set `spec.filterTags.pattern`.",
    "ordering every tag in the repository, including ones that were never releases.",
    true,
    "",
);
pub const PATTERN_INVALID: Rule = rule(
    "image/pattern-invalid",
    POLICY,
    "`spec.filterTags.pattern` compiles as a Go (RE2) regular expression.",
    "an ImagePolicy that image-reflector-controller refuses and that never selects a tag.",
    true,
    "",
);
pub const PATTERN_UNANCHORED: Rule = rule(
    "image/pattern-unanchored",
    POLICY,
    "`spec.filterTags.pattern` is anchored at both ends in every top-level alternative: it \
     starts with `^`, and ends with `$` or with an unbounded run of any character (`.*`), which \
     the search extends to the end of the tag.",
    "a pattern matching tags that merely contain it, so a crafted tag gets selected.",
    true,
    "",
);
pub const EXTRACT_WITHOUT_PATTERN: Rule = rule(
    "image/extract-without-pattern",
    POLICY,
    "`spec.filterTags.extract` comes with the pattern whose groups it reads.",
    "an extract with nothing to read, so every tag extracts to the same value.",
    true,
    "",
);
pub const EXTRACT_NO_GROUP: Rule = rule(
    "image/extract-no-group",
    POLICY,
    "`spec.filterTags.extract` refers to at least one group of the pattern.",
    "every tag extracting to the same value, so the policy picks an arbitrary tag.",
    true,
    "",
);
pub const EXTRACT_UNDEFINED_GROUP: Rule = rule(
    "image/extract-undefined-group",
    POLICY,
    "Every `$name`, `${name}` and `$n` in `spec.filterTags.extract` is a group of the pattern, read as Go reads them.",
    "Go expanding the reference to an empty string, silently, so a wrong tag is deployed.",
    true,
    "",
);
pub const EXTRACT_GROUP_CONSTANT: Rule = rule(
    "image/extract-group-constant",
    POLICY,
    "At least one group `spec.filterTags.extract` reads can capture more than one text: not \
     only `(?P<ts>)`, `(?P<ts>main)`, or a lazy `(?P<ts>.*?)` that ends the pattern and so \
     captures nothing.",
    "every tag extracting to the same value, so the ordering cannot work and the policy picks an arbitrary tag.",
    true,
    "",
);
pub const EXTRACT_GROUP_UNBOUNDED: Rule = rule(
    "image/extract-group-unbounded",
    POLICY,
    "The groups a `numerical` or `alphabetical` ImagePolicy's `extract` reads do not accept \
     any text (`(?P<ts>.*)`), but say what the ordering reads, e.g. `(?P<ts>[1-9][0-9]*)`.",
    "a pushed tag such as `main-abc-Inf` or `main-abc-zzz` ranking above every real build, or \
     text that `strconv.ParseFloat` refuses stalling a numerical policy.",
    true,
    "",
)
.warning();
pub const PUSH_BRANCH_MISSING: Rule = rule(
    "image/push-branch-missing",
    AUTOMATION,
    "An ImageUpdateAutomation sets `spec.git.push` when `requireSeparatePushBranch` is set, or when \
     `protectedBranches` is set and it would push to a protected (or unknown) checkout branch.",
    "automation committing straight to the branch it checks out, usually the protected one, skipping review.",
    false,
    "requireSeparatePushBranch",
);
pub const PUSH_TO_PROTECTED_BRANCH: Rule = rule(
    "image/push-to-protected-branch",
    AUTOMATION,
    "Neither the push branch (`spec.git.push.branch`, or the checked-out branch when only a \
     refspec is set: the controller pushes there first) nor the refspec destination is one of \
     `protectedBranches`.",
    "automation pushing to `main` or a release branch that humans may only change through review.",
    false,
    "protectedBranches",
);
pub const PUSH_TO_CHECKOUT_BRANCH: Rule = rule(
    "image/push-to-checkout-branch",
    AUTOMATION,
    "Nothing is pushed to the checked-out branch when `requireSeparatePushBranch` is set: \
     `spec.git.push.branch` is set (a refspec alone still pushes to the checked-out branch \
     first) and neither it nor the refspec destination is that branch.",
    "automation changes reaching the deployed branch without a review.",
    false,
    "requireSeparatePushBranch",
);
pub const CHECKOUT_BRANCH_MISSING: Rule = rule(
    "image/checkout-branch-missing",
    AUTOMATION,
    "`spec.git.checkout.ref.branch` is explicit when `requireSeparatePushBranch` is set.",
    "a push branch that cannot be shown to differ from the GitRepository's branch.",
    false,
    "requireSeparatePushBranch",
);
pub const CROSS_NAMESPACE_SOURCE: Rule = rule(
    "image/cross-namespace-source",
    AUTOMATION,
    "A tenant ImageUpdateAutomation's `spec.sourceRef.namespace` is empty or its own namespace.",
    "a tenant committing and pushing to another namespace's Git repository with that \
     namespace's credentials (image-automation-controller refuses it only under \
     `--no-cross-namespace-refs`).",
    true,
    "",
);

pub const CROSS_NAMESPACE_IMAGE_REPOSITORY: Rule = rule(
    "image/cross-namespace-image-repository",
    POLICY,
    "A tenant ImagePolicy's `spec.imageRepositoryRef.namespace` is empty, its own namespace or \
     one of `sharedSourceNamespaces`.",
    "a tenant reading the tags another namespace's ImageRepository scanned with that \
     namespace's credentials (image-reflector-controller refuses it only under \
     `--no-cross-namespace-refs` or the ImageRepository's `accessFrom`).",
    true,
    "sharedSourceNamespaces",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &IMAGE_INVALID,
    &IMAGE_TAG_OR_DIGEST,
    &IMAGE_NOT_ALLOWED,
    &INSECURE_REGISTRY,
    &EXCLUSION_INVALID,
    &EXCLUSION_DROPS_SIGNATURES,
    &EXCLUSION_HIDES_RELEASES,
    &SEMVER_RANGE_INVALID,
    &SEMVER_RANGE_UNBOUNDED,
    &PATTERN_MISSING,
    &PATTERN_INVALID,
    &PATTERN_UNANCHORED,
    &EXTRACT_WITHOUT_PATTERN,
    &EXTRACT_NO_GROUP,
    &EXTRACT_UNDEFINED_GROUP,
    &EXTRACT_GROUP_CONSTANT,
    &EXTRACT_GROUP_UNBOUNDED,
    &PUSH_BRANCH_MISSING,
    &PUSH_TO_PROTECTED_BRANCH,
    &PUSH_TO_CHECKOUT_BRANCH,
    &CHECKOUT_BRANCH_MISSING,
    &CROSS_NAMESPACE_SOURCE,
    &CLOUD_IDENTITY,
    &CROSS_NAMESPACE_IMAGE_REPOSITORY,
];

/// Every rule an ImageRepository breaks.
pub fn check_image_repository(repo: &ImageRepository, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let spec = &repo.spec;
    let mut out = Vec::new();
    let image = spec.image.as_deref().unwrap_or("");
    let parsed = match ImageRef::parse(image) {
        Ok(r) => Some(r),
        Err(e) => {
            out.push(IMAGE_INVALID.at(
                "spec.image",
                format!("{image:?} {e}"),
                "set spec.image to a repository such as ghcr.io/org/app",
            ));
            None
        }
    };
    if let Some(r) = &parsed {
        if r.tag.is_some() || r.digest.is_some() {
            out.push(IMAGE_TAG_OR_DIGEST.at(
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
            out.push(IMAGE_NOT_ALLOWED.at(
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
        out.push(INSECURE_REGISTRY.at(
            "spec.insecure",
            format!("is true: tags would be read over plain HTTP from {registry}, which is not in insecureRegistries"),
            "remove spec.insecure and reach the registry over TLS",
        ));
    }
    if let Some(list) = &spec.exclusion_list {
        check_exclusions(list, &mut out);
    }
    // With a cloud provider the registry login comes from workload identity, and
    // `secretRef` is not read at all (internal/registry/options.go GetOptions): without
    // `serviceAccountName` that identity is the controller's.
    out.extend(cloud_identity(
        ctx,
        spec.provider.as_deref(),
        "spec.provider",
        spec.service_account_name.as_deref(),
        "spec.serviceAccountName",
        "image-reflector-controller",
    ));
    out
}

/// `spec.exclusionList`, judged by what its entries hide: image-reflector-controller drops
/// a tag when any entry's `regexp.MatchString` finds it (`filterOutTags`).
fn check_exclusions(list: &[String], out: &mut Vec<Finding>) {
    // The CRD caps the list (`maxItems: 25` in every served version), and the API server
    // enforces the schema before any validating webhook: a longer list can only reach an
    // offline scan. It is refused as such, and only the entries the CRD allows are compiled,
    // so no list can run an evaluation past its deadline.
    const MAX_EXCLUSIONS: usize = 25;
    if list.len() > MAX_EXCLUSIONS {
        out.push(EXCLUSION_INVALID.at(
            "spec.exclusionList",
            format!(
                "has {} entries, more than the {MAX_EXCLUSIONS} the ImageRepository CRD allows (maxItems)",
                list.len()
            ),
            format!("keep at most {MAX_EXCLUSIONS} entries"),
        ));
    }
    let list = &list[..list.len().min(MAX_EXCLUSIONS)];
    // Entries that compile, run as tags are searched; `None`: syntax this check does not run.
    let mut entries: Vec<(usize, Option<TagRegex>)> = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        match Pattern::parse(entry) {
            Err(e) => out.push(EXCLUSION_INVALID.at(
                format!("spec.exclusionList[{i}]"),
                format!("{entry:?} {e}"),
                "write a Go (RE2) regular expression",
            )),
            Ok(_) => entries.push((i, TagRegex::parse(entry))),
        }
    }
    let hidden = |tag: &str| {
        entries
            .iter()
            .any(|(_, r)| r.as_ref().is_some_and(|r| r.is_match(tag)))
    };
    if let Some(shown) = signature_tags().into_iter().find(|t| !hidden(t)) {
        let unread: Vec<String> = entries
            .iter()
            .filter(|(_, r)| r.is_none())
            .map(|(i, _)| format!("[{i}]"))
            .collect();
        let unread = match unread.len() {
            0 => String::new(),
            1 => format!(
                " (entry {} uses syntax this check does not run, such as \\p{{…}}, so it is not counted)",
                unread[0]
            ),
            _ => format!(
                " (entries {} use syntax this check does not run, such as \\p{{…}}, so they are not counted)",
                unread.join(", ")
            ),
        };
        let short = format!("{}….sig", &shown[..14]);
        out.push(EXCLUSION_DROPS_SIGNATURES.at(
            "spec.exclusionList",
            format!(
                "replaces the default list, and no entry matches a cosign signature tag such as {short:?}{unread}, so signature tags become candidate images"
            ),
            format!("add {SIGNATURE_EXCLUSION:?} to spec.exclusionList"),
        ));
    }
    for (i, regex) in &entries {
        if regex
            .as_ref()
            .is_some_and(|r| RELEASE_TAGS.iter().all(|t| r.is_match(t)))
        {
            out.push(EXCLUSION_HIDES_RELEASES.at(
                format!("spec.exclusionList[{i}]"),
                format!(
                    "{:?} also matches ordinary release tags ({}), so it hides every tag an ImagePolicy could select",
                    list[*i],
                    RELEASE_TAGS.join(", ")
                ),
                "anchor the entry to the tags it should hide, e.g. ^.*\\.(sig|att|sbom)$",
            ));
        }
    }
}

/// Every rule an ImagePolicy breaks.
pub fn check_image_policy(policy: &ImagePolicy, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let spec = &policy.spec;
    let mut out = Vec::new();
    // image-reflector-controller reads the ImageRepository from `imageRepositoryRef.namespace`
    // when set, refusing another namespace only under --no-cross-namespace-refs or when the
    // ImageRepository's `accessFrom` does not admit this one (imagepolicy_controller.go
    // getImageRepository, fluxcd/pkg runtime/acl HasAccessToRef).
    let own = ctx.namespace();
    let shared = &settings.shared_source_namespaces;
    if let Some(r) = &spec.image_repository_ref
        && let Some(ns) = foreign_namespace(r.namespace.as_deref(), own, shared)
    {
        let also = if shared.is_empty() {
            String::new()
        } else {
            format!(" or in [{}]", shared.join(", "))
        };
        out.push(CROSS_NAMESPACE_IMAGE_REPOSITORY.at(
            "spec.imageRepositoryRef.namespace",
            format!(
                "{ns:?} is another namespace: the policy would select tags from {ns}/{}, which {ns} scans with its own credentials",
                r.name
            ),
            format!("use an ImageRepository in {own}{also}"),
        ));
    }
    let choice = spec.policy.clone().unwrap_or_default();
    if let Some(semver) = &choice.semver {
        match Constraint::parse(&semver.range) {
            Err(e) => out.push(SEMVER_RANGE_INVALID.at(
                "spec.policy.semver.range",
                format!("{:?} is not a semver range: {e}", semver.range),
                "write a Masterminds semver range such as \">=1.2.0 <2.0.0\"",
            )),
            Ok(c) => {
                if let Some(alt) = c.unbounded_alternative()
                    && !settings.allow_unbounded_semver
                {
                    out.push(SEMVER_RANGE_UNBOUNDED.at(
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
        out.push(PATTERN_MISSING.at(
            "spec.filterTags.pattern",
            format!("is missing: a {name} policy then orders every tag in the repository, including ones that were never releases"),
            "set spec.filterTags.pattern to an anchored regex with a named group, e.g. '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', and extract: '$ts'",
        ));
    }
    let pattern = match pattern_text.map(Pattern::parse) {
        Some(Err(e)) => {
            out.push(PATTERN_INVALID.at(
                "spec.filterTags.pattern",
                format!("{:?} {e}", pattern_text.unwrap_or_default()),
                "write a Go (RE2) regular expression",
            ));
            None
        }
        Some(Ok(p)) => {
            let text = pattern_text.unwrap_or_default();
            let runnable = TagRegex::parse(text);
            // `^main-[a-f0-9]+-(?P<ts>.*)` ends with a run the search extends to the end of
            // the tag: anchored in effect (the Flux image-update guide's own example).
            if !p.is_anchored() && !runnable.as_ref().is_some_and(TagRegex::anchored_in_effect) {
                out.push(PATTERN_UNANCHORED.at(
                    "spec.filterTags.pattern",
                    format!(
                        "{text:?} is not anchored at both ends, so it also matches tags that merely contain it"
                    ),
                    "start the pattern with ^ and end it with $ (wrap alternatives: ^(a|b)$)",
                ));
            }
            Some((p, runnable))
        }
        None => None,
    };
    if let Some(extract) = filter.extract.as_deref().filter(|e| !e.is_empty()) {
        check_extract(extract, pattern_text, pattern.as_ref(), ordered, &mut out);
    }
    out
}

/// `spec.filterTags.extract`, expanded by image-reflector-controller with Go's
/// `Regexp.ExpandString` from each matching tag's groups (internal/policy/filter.go); the
/// results are what the policy orders, and tags with equal results collapse into one.
fn check_extract(
    extract: &str,
    pattern_text: Option<&str>,
    pattern: Option<&(Pattern, Option<TagRegex>)>,
    ordered: Option<&str>,
    out: &mut Vec<Finding>,
) {
    let field = "spec.filterTags.extract";
    let Some(text) = pattern_text else {
        out.push(EXTRACT_WITHOUT_PATTERN.at(
            field,
            format!(
                "{extract:?} is set without spec.filterTags.pattern, so it has no groups to read"
            ),
            "set spec.filterTags.pattern with the named groups extract uses",
        ));
        return;
    };
    // A pattern that does not compile is reported already.
    let Some((pattern, runnable)) = pattern else {
        return;
    };
    let refs = references(extract);
    if refs.is_empty() {
        out.push(EXTRACT_NO_GROUP.at(
            field,
            format!("{extract:?} refers to no group, so every tag extracts to the same value and the policy picks an arbitrary one"),
            "refer to a named group of the pattern, e.g. '$ts' for (?P<ts>...)",
        ));
        return;
    }
    let names = pattern.capture_names();
    let count = pattern.capture_count();
    let mut undefined = false;
    for r in &refs {
        let missing = match r {
            Reference::Named(n) => !names.contains(n),
            Reference::Number(n) => *n > count,
        };
        if missing {
            undefined = true;
            let shown = shown(r);
            let defined = if names.is_empty() {
                "no named groups".to_string()
            } else {
                format!("the named groups [{}]", names.join(", "))
            };
            out.push(EXTRACT_UNDEFINED_GROUP.at(
                field,
                format!(
                    "{extract:?} refers to {shown}, which the pattern {text:?} does not define (it has {defined}); Flux expands it to an empty string and picks a wrong tag"
                ),
                "define the group in the pattern, e.g. (?P<ts>[0-9]+), or refer to an existing one; write ${name} when text follows",
            ));
        }
    }
    let Some(runnable) = runnable.as_ref().filter(|_| !undefined) else {
        return;
    };
    let groups: Vec<(&Reference, usize)> = refs
        .iter()
        .filter_map(|r| Some((r, runnable.group_number(r)?)))
        .collect();
    if groups.len() != refs.len() {
        return;
    }
    let fixed: Option<Vec<String>> = groups
        .iter()
        .map(|(_, n)| runnable.group_fixed_text(*n))
        .collect();
    if let Some(fixed) = fixed.filter(|f| !f.is_empty()) {
        let mut each = groups
            .iter()
            .zip(&fixed)
            .map(|((r, _), t)| format!("{} is always {t:?}", shown(r)))
            .collect::<Vec<_>>()
            .join(", ");
        if fixed.iter().any(String::is_empty) {
            // Go's leftmost-first match stops a lazy repeat as early as it can.
            each.push_str(
                "; an empty group, or a lazy repeat with nothing after it, captures nothing",
            );
        }
        out.push(EXTRACT_GROUP_CONSTANT.at(
            field,
            format!(
                "{extract:?} reads only groups of {text:?} that capture one fixed text ({each}), so every tag extracts to the same value and the policy picks an arbitrary tag"
            ),
            "let the group capture the part that orders the tags, e.g. (?P<ts>[0-9]+)$",
        ));
        return;
    }
    // Semver ordering skips values that do not parse and keeps to its range; numerical and
    // alphabetical order whatever text the group accepts.
    let Some(ordering) = ordered else { return };
    let mut warned = Vec::new();
    for (r, n) in groups {
        if warned.contains(&n) || !runnable.group_accepts_any_text(n) {
            continue;
        }
        warned.push(n);
        let effect = if ordering == "numerical" {
            "a numerical policy fails on the first extracted text strconv.ParseFloat refuses, and ranks a pushed \"Inf\" or \"1e300\" above every real build"
        } else {
            "an alphabetical policy ranks a pushed \"zzz\" above every real build"
        };
        out.push(EXTRACT_GROUP_UNBOUNDED.at(
            field,
            format!(
                "{extract:?} reads {}, and that group of {text:?} accepts any text: {effect}",
                shown(r)
            ),
            "narrow the group to what orders the tags, e.g. (?P<ts>[1-9][0-9]*) (the stricter filter of the Flux image-update guide)",
        ));
    }
}

/// A reference as `extract` spells it.
fn shown(r: &Reference) -> String {
    match r {
        Reference::Named(n) => format!("${n}"),
        Reference::Number(n) => format!("${n}"),
    }
}

/// The part of an ImageUpdateAutomation the rules read (its typed view): `spec.git`, so a
/// field of it with the wrong type is refused by the flow with its path.
pub type Automation = Resource<AutomationSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct AutomationSpec {
    pub source_ref: Option<SourceRef>,
    pub git: Option<GitSpec>,
}

/// `spec.sourceRef`: the GitRepository the automation checks out and pushes to.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct SourceRef {
    pub namespace: Option<String>,
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
    /// The checked-out branch (`None`: the GitRepository's, not named here), which the
    /// controller pushes to when `spec.git.push.branch` is empty, also when a refspec is set.
    CheckoutBranch(Option<String>),
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
pub fn check_update_automation(automation: &Automation, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let mut out = Vec::new();
    // image-automation-controller reads the GitRepository, and its Secret, from
    // `sourceRef.namespace` when set (internal/source/source.go NewSourceManager; the Secret
    // in git.go getAuthOpts), refusing another namespace only under --no-cross-namespace-refs.
    let own = ctx.namespace();
    if let Some(ns) = automation
        .spec
        .source_ref
        .as_ref()
        .and_then(|s| s.namespace.as_deref())
        .filter(|ns| !ns.is_empty() && *ns != own)
    {
        out.push(CROSS_NAMESPACE_SOURCE.at(
            "spec.sourceRef.namespace",
            format!(
                "{ns:?} is another namespace: the automation would commit and push to {ns}'s GitRepository with {ns}'s Git credentials"
            ),
            format!("use a GitRepository in {own}"),
        ));
    }
    let require_review = settings.require_separate_push_branch;
    let protected = &settings.protected_branches;
    if !require_review && protected.is_empty() {
        return out;
    }
    let none = GitSpec::default();
    let git = automation.spec.git.as_ref().unwrap_or(&none);
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
    // The controller always pushes the commit to its push branch, `push.branch` or else the
    // checked-out branch, and then, when set, to the refspec (image-automation-controller
    // internal/source/git.go configurePush, source.go CommitAndPush; docs/spec/v1
    // imageupdateautomations.md "Refspec": "If only .push.refspec is set ... the controller
    // falls back to pushing to the branch from checkoutRef and also pushes to .push.refspec").
    match non_empty(&push.branch) {
        Some(b) => targets.push(PushTarget::Branch {
            name: b.to_string(),
            field: "spec.git.push.branch",
        }),
        None if non_empty(&push.refspec).is_some() => {
            targets.push(PushTarget::CheckoutBranch(checkout.clone()));
        }
        None => {}
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
            out.push(PUSH_BRANCH_MISSING.at("spec.git.push", problem, fix));
        }
        return out;
    }
    for target in &targets {
        let (name, field) = match target {
            PushTarget::Branch { name, field } => (name, *field),
            PushTarget::OtherRef(_) => continue,
            PushTarget::CheckoutBranch(branch) => {
                implicit_checkout_push(branch.as_deref(), require_review, protected, &mut out);
                continue;
            }
        };
        if !protected.is_empty() && (glob::any_matches(protected, name) || name.contains('*')) {
            out.push(PUSH_TO_PROTECTED_BRANCH.at(
                field,
                format!("pushes to {name:?}, a protected branch (protected: {protected_list})"),
                "push to a branch outside the protected ones and merge it through review",
            ));
        } else if require_review && checkout.as_deref() == Some(name.as_str()) {
            out.push(PUSH_TO_CHECKOUT_BRANCH.at(
                field,
                format!("pushes to {name:?}, the branch it checks out, so changes skip review"),
                "push to a separate branch (e.g. flux-image-updates) and merge it through review",
            ));
        }
    }
    if require_review && checkout.is_none() {
        out.push(CHECKOUT_BRANCH_MISSING.at(
            "spec.git.checkout.ref.branch",
            "is not set, so the push branch cannot be shown to differ from the branch the automation checks out",
            "set spec.git.checkout.ref.branch explicitly",
        ));
    }
    out
}

/// A refspec without `spec.git.push.branch`: before the refspec, the commit is pushed to
/// the checked-out branch (`checkout`, or the GitRepository's when `None`).
fn implicit_checkout_push(
    checkout: Option<&str>,
    require_review: bool,
    protected: &[String],
    out: &mut Vec<Finding>,
) {
    let field = "spec.git.push.branch";
    let branch = checkout.map_or("the branch the GitRepository checks out".to_string(), |b| {
        format!("the checked-out branch {b:?}")
    });
    let fix = "set spec.git.push.branch to a branch that is merged through review, and push the refspec from it (e.g. refs/heads/flux-updates:refs/for/main)";
    if !protected.is_empty() && checkout.is_none_or(|b| glob::any_matches(protected, b)) {
        let which = if checkout.is_some() {
            "a protected branch"
        } else {
            "which may be a protected one"
        };
        out.push(PUSH_TO_PROTECTED_BRANCH.at(
            field,
            format!(
                "is not set, so besides the refspec the controller pushes the commit to {branch}, {which} (protected: [{}])",
                protected.join(", ")
            ),
            fix,
        ));
    } else if require_review {
        out.push(PUSH_TO_CHECKOUT_BRANCH.at(
            field,
            format!(
                "is not set, so besides the refspec the controller pushes the commit to {branch}, and changes skip review"
            ),
            fix,
        ));
    }
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

    use crate::POLICY;
    use fluxgate_admission::flow::review_create;
    use serde_json::{Value, json};

    /// The rule ids an object of `kind` with `spec` in team-a gets under `settings`.
    fn rules(kind: &str, spec: Value, settings: Value) -> Vec<String> {
        let object = json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": kind,
            "metadata": {"name": "app", "namespace": "team-a"}, "spec": spec
        });
        let verdict = review_create(
            &POLICY,
            object,
            "system:serviceaccount:team-a:flux",
            settings,
        );
        verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    }

    fn repository(spec: Value, settings: Value) -> Vec<String> {
        rules("ImageRepository", spec, settings)
    }

    fn policy(spec: Value) -> Vec<String> {
        rules("ImagePolicy", spec, json!(null))
    }

    fn automation(git: Value, settings: Value) -> Vec<String> {
        rules("ImageUpdateAutomation", json!({"git": git}), settings)
    }

    #[test]
    fn image_repositories() {
        let allowed = json!({"allowedImages": ["ghcr.io/acme/"]});
        assert!(repository(json!({"image": "ghcr.io/acme/app"}), allowed.clone()).is_empty());
        assert_eq!(
            repository(json!({"image": "Not An Image"}), json!(null)),
            ["image/image-invalid"]
        );
        let tagged = json!({"image": "ghcr.io/acme/app:1.0"});
        assert_eq!(
            repository(tagged, json!(null)),
            ["image/image-tag-or-digest"]
        );
        let evil = json!({"image": "ghcr.io/acme-evil/app"});
        assert!(repository(evil.clone(), json!(null)).is_empty());
        assert_eq!(repository(evil, allowed), ["image/image-not-allowed"]);
        let insecure = json!({"image": "registry.local:5000/app", "insecure": true});
        assert_eq!(
            repository(insecure.clone(), json!(null)),
            ["image/insecure-registry"]
        );
        let registries = json!({"insecureRegistries": ["registry.local:5000"]});
        assert!(repository(insecure, registries).is_empty());
        let exclusions = json!({"image": "nginx", "exclusionList": ["(", "^.*\\.sig$"]});
        assert_eq!(
            repository(exclusions, json!(null)),
            ["image/exclusion-invalid"]
        );
        let drops = json!({"image": "nginx", "exclusionList": ["^dev-"]});
        assert_eq!(
            repository(drops, json!(null)),
            ["image/exclusion-drops-signatures"]
        );
    }

    #[test]
    fn exclusion_lists_are_judged_by_what_they_hide() {
        let list = |entries: Value| {
            repository(
                json!({"image": "nginx", "exclusionList": entries}),
                json!(null),
            )
        };
        for hides in [
            json!(["^.*\\.sig$"]),
            json!(["^.*\\.(sig|att|sbom)$"]),
            json!(["\\.sig$"]),
            json!(["^sha256-.*$"]),
            json!(["^sha256-[a-f0-9]{64}\\.sig$"]),
            json!(["(?i)\\.SIG$"]),
            json!(["^dev-", "\\.(att|sig)\\z"]),
        ] {
            assert!(list(hides.clone()).is_empty(), "{hides}");
        }
        for shows in [
            json!(["^.*\\.att$"]),
            json!([]),
            json!(["^.*-rc\\d+$"]),
            json!(["^sha256-[0-9]+\\.sig$"]),
            json!(["^sig$"]),
            json!(["\\p{Greek}"]),
        ] {
            assert_eq!(
                list(shows.clone()),
                ["image/exclusion-drops-signatures"],
                "{shows}"
            );
        }
        assert_eq!(list(json!([".*"])), ["image/exclusion-hides-releases"]);
        assert_eq!(
            list(json!(["^.*\\.sig$", "[0-9]"])),
            ["image/exclusion-hides-releases"]
        );
        assert!(list(json!(["^.*\\.sig$", "^v"])).is_empty());
    }

    #[test]
    fn image_policies() {
        let bounded = json!({"policy": {"semver": {"range": ">=1.2.0 <2.0.0"}}});
        assert!(policy(bounded).is_empty());
        let garbage = json!({"policy": {"semver": {"range": "one"}}});
        assert_eq!(policy(garbage), ["image/semver-range-invalid"]);
        let open = json!({"policy": {"semver": {"range": "~1.2 || x"}}});
        assert_eq!(policy(open.clone()), ["image/semver-range-unbounded"]);
        assert!(rules("ImagePolicy", open, json!({"allowUnboundedSemver": true})).is_empty());
        let no_pattern = json!({"policy": {"numerical": {"order": "asc"}}});
        assert_eq!(policy(no_pattern), ["image/pattern-missing"]);
        let broken = json!({"policy": {"alphabetical": {}}, "filterTags": {"pattern": "^(v$"}});
        assert_eq!(policy(broken), ["image/pattern-invalid"]);
        let loose = json!({"policy": {"alphabetical": {}}, "filterTags": {"pattern": "^v1|.*$"}});
        assert_eq!(policy(loose), ["image/pattern-unanchored"]);
    }

    #[test]
    fn trailing_runs_anchor_and_unbounded_groups_warn() {
        let filter = |order: &str, pattern: &str, extract: &str| {
            let choice = if order == "semver" {
                json!({"range": ">=1.0.0 <2.0.0"})
            } else {
                json!({})
            };
            let mut spec = json!({"policy": {order: choice}, "filterTags": {"pattern": pattern}});
            if !extract.is_empty() {
                spec["filterTags"]["extract"] = json!(extract);
            }
            policy(spec)
        };
        let guide = "^main-[a-fA-F0-9]+-(?P<ts>.*)";
        assert_eq!(
            filter("numerical", guide, "$ts"),
            ["image/extract-group-unbounded"]
        );
        assert_eq!(
            filter(
                "alphabetical",
                "^RELEASE\\.(?P<timestamp>.*)Z$",
                "$timestamp"
            ),
            ["image/extract-group-unbounded"]
        );
        assert!(filter("semver", guide, "$ts").is_empty());
        assert!(filter("numerical", "^main-[a-f0-9]+-(?P<ts>[1-9][0-9]*)$", "$ts").is_empty());
        assert!(filter("alphabetical", "^main-.*", "").is_empty());
        assert_eq!(
            filter("numerical", "main-[a-f0-9]+-(?P<ts>.*)", "$ts"),
            ["image/pattern-unanchored", "image/extract-group-unbounded"]
        );
        assert_eq!(
            filter("numerical", "^main-[a-f0-9]+-(?P<ts>[0-9]+)", "$ts"),
            ["image/pattern-unanchored"]
        );
        for constant in [
            "^main-[0-9]+(?P<ts>)$",
            "^main-(?P<ts>.*?)",
            "^(?P<ts>main)-[0-9]+$",
        ] {
            assert_eq!(
                filter("numerical", constant, "$ts"),
                ["image/extract-group-constant"],
                "{constant}"
            );
        }
        assert!(filter("numerical", "^(?P<b>main)-(?P<ts>[0-9]+)$", "$b$ts").is_empty());
    }

    #[test]
    fn extract_templates() {
        let good = json!({"filterTags": {"pattern": "^main-(?P<ts>[0-9]+)$", "extract": "$ts"}});
        assert!(policy(good).is_empty());
        let alone = json!({"filterTags": {"extract": "$ts"}});
        assert_eq!(policy(alone), ["image/extract-without-pattern"]);
        let constant = json!({"filterTags": {"pattern": "^main-(?P<ts>[0-9]+)$", "extract": "v"}});
        assert_eq!(policy(constant), ["image/extract-no-group"]);
        let missing = json!({"filterTags": {"pattern": "^(?P<ts>[0-9]+)$", "extract": "$tsZ $2"}});
        assert_eq!(
            policy(missing),
            [
                "image/extract-undefined-group",
                "image/extract-undefined-group"
            ]
        );
    }

    #[test]
    fn update_automations() {
        let review = json!({"requireSeparatePushBranch": true});
        let protected = json!({"protectedBranches": ["main", "release-*"]});
        let to_checkout =
            json!({"checkout": {"ref": {"branch": "main"}}, "push": {"branch": "main"}});
        assert!(automation(to_checkout.clone(), json!(null)).is_empty());
        assert_eq!(
            automation(to_checkout.clone(), review.clone()),
            ["image/push-to-checkout-branch"]
        );
        assert_eq!(
            automation(to_checkout, protected.clone()),
            ["image/push-to-protected-branch"]
        );
        let no_push = json!({"checkout": {"ref": {"branch": "main"}}});
        assert_eq!(
            automation(no_push.clone(), review.clone()),
            ["image/push-branch-missing"]
        );
        assert_eq!(
            automation(no_push, protected.clone()),
            ["image/push-branch-missing"]
        );
        let dev = json!({"checkout": {"ref": {"branch": "dev"}}});
        assert!(automation(dev, protected.clone()).is_empty());
        let no_checkout = json!({"push": {"branch": "flux-updates"}});
        assert_eq!(
            automation(no_checkout, review.clone()),
            ["image/checkout-branch-missing"]
        );
        let refspec = json!({"checkout": {"ref": {"branch": "dev"}}, "push": {"refspec": "+HEAD:refs/heads/release-2"}});
        assert_eq!(
            automation(refspec, protected.clone()),
            ["image/push-to-protected-branch"]
        );
        let gerrit = json!({"checkout": {"ref": {"branch": "main"}},
                            "push": {"branch": "flux-updates", "refspec": "refs/heads/flux-updates:refs/for/main"}});
        assert!(automation(gerrit.clone(), protected.clone()).is_empty());
        assert!(automation(gerrit, review.clone()).is_empty());
    }

    #[test]
    fn a_refspec_alone_pushes_the_checkout_branch_first() {
        let review = json!({"requireSeparatePushBranch": true});
        let protected = json!({"protectedBranches": ["main"]});
        let refspec = |checkout: Value, refspec: &str| json!({"checkout": checkout, "push": {"refspec": refspec}});
        let main = json!({"ref": {"branch": "main"}});
        let gerrit = refspec(main.clone(), "HEAD:refs/for/main");
        assert_eq!(
            automation(gerrit.clone(), review.clone()),
            ["image/push-to-checkout-branch"]
        );
        assert_eq!(
            automation(gerrit, protected.clone()),
            ["image/push-to-protected-branch"]
        );
        let elsewhere = refspec(main, "refs/heads/main:refs/heads/auto");
        assert_eq!(
            automation(elsewhere, review.clone()),
            ["image/push-to-checkout-branch"]
        );
        let dev = refspec(json!({"ref": {"branch": "dev"}}), "HEAD:refs/heads/auto");
        assert!(automation(dev.clone(), protected.clone()).is_empty());
        assert_eq!(
            automation(dev, review.clone()),
            ["image/push-to-checkout-branch"]
        );
        let unknown = json!({"push": {"refspec": "HEAD:refs/heads/auto"}});
        assert_eq!(
            automation(unknown.clone(), protected),
            ["image/push-to-protected-branch"]
        );
        assert_eq!(
            automation(unknown, review),
            [
                "image/push-to-checkout-branch",
                "image/checkout-branch-missing"
            ]
        );
    }

    #[test]
    fn cross_namespace_sources() {
        let spec = |ns: Value| json!({"sourceRef": {"kind": "GitRepository", "name": "fleet", "namespace": ns}});
        let rules_of = |ns: Value| rules("ImageUpdateAutomation", spec(ns), json!(null));
        assert_eq!(
            rules_of(json!("flux-system")),
            ["image/cross-namespace-source"]
        );
        assert_eq!(rules_of(json!("team-b")), ["image/cross-namespace-source"]);
        assert!(rules_of(json!("team-a")).is_empty());
        assert!(rules_of(json!("")).is_empty());
        assert!(rules_of(json!(null)).is_empty());
    }

    #[test]
    fn cloud_scans_need_an_identity_of_their_own() {
        let ecr = "123.dkr.ecr.eu-west-1.amazonaws.com/app";
        let scan = |spec: Value, settings: Value| {
            let mut spec = spec;
            spec["image"] = json!(ecr);
            repository(spec, settings)
        };
        assert_eq!(
            scan(json!({"provider": "aws"}), json!(null)),
            ["identity/controller-cloud-identity"]
        );
        // With a cloud provider the Secret is not read: it is no identity of the object's.
        assert_eq!(
            scan(
                json!({"provider": "gcp", "secretRef": {"name": "pull"}}),
                json!(null)
            ),
            ["identity/controller-cloud-identity"]
        );
        assert!(
            scan(
                json!({"provider": "azure", "serviceAccountName": "acr"}),
                json!(null)
            )
            .is_empty()
        );
        assert!(scan(json!({"provider": "generic"}), json!(null)).is_empty());
        assert!(scan(json!({}), json!(null)).is_empty());
        let lockdown = json!({"controllerLockdown": {"defaultServiceAccount": true}});
        assert!(scan(json!({"provider": "aws"}), lockdown).is_empty());
    }

    #[test]
    fn image_policies_read_their_own_namespace() {
        let policy_of = |ns: Value, settings: Value| {
            let spec = json!({"imageRepositoryRef": {"name": "app", "namespace": ns},
                              "policy": {"semver": {"range": "~1.2"}}});
            rules("ImagePolicy", spec, settings)
        };
        assert!(policy_of(json!(null), json!(null)).is_empty());
        assert!(policy_of(json!(""), json!(null)).is_empty());
        assert!(policy_of(json!("team-a"), json!(null)).is_empty());
        assert_eq!(
            policy_of(json!("team-b"), json!(null)),
            ["image/cross-namespace-image-repository"]
        );
        let shared = json!({"sharedSourceNamespaces": ["flux-system"]});
        assert!(policy_of(json!("flux-system"), shared.clone()).is_empty());
        assert_eq!(
            policy_of(json!("team-b"), shared.clone()),
            ["image/cross-namespace-image-repository"]
        );
        // Shared namespaces are for reading tags; an automation still never pushes there.
        let automation = json!({"sourceRef": {"kind": "GitRepository", "name": "fleet", "namespace": "flux-system"}});
        assert_eq!(
            rules("ImageUpdateAutomation", automation, shared),
            ["image/cross-namespace-source"]
        );
    }

    #[test]
    fn malformed_git_is_refused_by_the_flow() {
        let object = json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
            "metadata": {"name": "apps", "namespace": "team-a"},
            "spec": {"git": {"push": {"branch": 7}}}
        });
        let verdict = review_create(&POLICY, object, "u", json!(null));
        assert_eq!(verdict.code, Some(400));
        assert_eq!(verdict.findings[0].rule, "admission/invalid-object");
        assert_eq!(verdict.findings[0].field, "spec.git.push.branch");
    }

    #[test]
    fn platform_namespaces_are_shared_and_not_checked() {
        let object = |ns: &str| {
            json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
                   "metadata": {"name": "app", "namespace": ns}, "spec": {"image": "quay.io/x/app:1"}})
        };
        assert!(
            review_create(&POLICY, object("flux-system"), "u", json!(null))
                .findings
                .is_empty()
        );
        let none = json!({"platformNamespaces": []});
        let verdict = review_create(&POLICY, object("flux-system"), "u", none);
        assert_eq!(verdict.findings[0].rule, "image/image-tag-or-digest");
    }

    #[test]
    fn rules_are_listed_once_and_prefixed() {
        for rule in crate::RULES {
            let shared = rule.id == CLOUD_IDENTITY.id;
            assert!(rule.id.starts_with("image/") || shared, "{}", rule.id);
        }
        let mut ids: Vec<&str> = crate::RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), crate::RULES.len());
    }
}
