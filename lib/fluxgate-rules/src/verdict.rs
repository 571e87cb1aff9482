use crate::finding::Finding;
use std::fmt;

/// How messages name an object: `Kind namespace/name` (`Kind name` when cluster-scoped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectRef {
    /// Empty when the request named no object the policy could read.
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// Names an object from its metadata and the request. The request's namespace wins: the
    /// API server fills it from the URL, while `metadata.namespace` is what the client wrote.
    /// The name falls back to the request's (a CREATE with `generateName` has no name yet).
    pub fn new(
        kind: &str,
        name: Option<&str>,
        generate_name: Option<&str>,
        namespace: Option<&str>,
        request_namespace: &str,
        request_name: &str,
    ) -> Self {
        let name = match (name, generate_name) {
            (Some(n), _) if !n.is_empty() => n.to_string(),
            _ if !request_name.is_empty() => request_name.to_string(),
            (_, Some(g)) if !g.is_empty() => format!("{g}<generated>"),
            _ => "<unnamed>".to_string(),
        };
        let namespace = match namespace {
            _ if !request_namespace.is_empty() => request_namespace.to_string(),
            Some(ns) => ns.to_string(),
            None => String::new(),
        };
        ObjectRef {
            kind: kind.to_string(),
            namespace,
            name,
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Findings a verdict keeps per rule. The rest are counted in one more finding of the rule,
/// so a message stays readable and bounded: a HelmRelease with 100,000 risky values is one
/// denial naming 20 of them, not a 25 MB message that `fluxgate_explain` then runs out of
/// memory rendering (found by `just fuzz`).
pub const MAX_FINDINGS_PER_RULE: usize = 20;

fn capped(findings: Vec<Finding>) -> Vec<Finding> {
    if findings.len() <= MAX_FINDINGS_PER_RULE {
        return findings;
    }
    // (rule, findings seen, the first one left out)
    let mut seen: Vec<(std::borrow::Cow<'static, str>, usize, Option<Finding>)> = Vec::new();
    let mut kept = Vec::new();
    for finding in findings {
        let at = match seen.iter().position(|(rule, ..)| *rule == finding.rule) {
            Some(at) => at,
            None => {
                seen.push((finding.rule.clone(), 0, None));
                seen.len() - 1
            }
        };
        let (_, count, first_left_out) = &mut seen[at];
        *count += 1;
        if *count <= MAX_FINDINGS_PER_RULE {
            kept.push(finding);
        } else if first_left_out.is_none() {
            *first_left_out = Some(finding);
        }
    }
    for (_, count, first_left_out) in seen {
        if let Some(first) = first_left_out {
            let more = count - MAX_FINDINGS_PER_RULE;
            kept.push(Finding {
                problem: format!(
                    "and {more} more finding(s) of this rule, the first of them: {}",
                    first.problem
                ),
                fix: format!("{} (everywhere the rule found it)", first.fix),
                ..first
            });
        }
    }
    kept
}

/// A policy's answer to one admission request: the object and what the rules found in it.
/// It denies when any finding denies; warnings become admission warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub object: ObjectRef,
    pub findings: Vec<Finding>,
    /// HTTP code of a denial: `None` (the API server's 400 default) for a rule, 400 for a
    /// request the policy cannot read, 500 for settings it cannot use.
    pub code: Option<u16>,
}

impl Verdict {
    /// Nothing found.
    pub fn accept(object: ObjectRef) -> Self {
        Verdict {
            object,
            ..Verdict::default()
        }
    }

    /// The verdict of a check's findings, at most [`MAX_FINDINGS_PER_RULE`] of each rule.
    pub fn of(object: ObjectRef, findings: Vec<Finding>) -> Self {
        Verdict {
            object,
            findings: capped(findings),
            code: None,
        }
    }

    /// A denial with an explicit HTTP code (400: unreadable request, 500: unusable settings).
    pub fn failed(object: ObjectRef, finding: Finding, code: u16) -> Self {
        Verdict {
            object,
            findings: vec![finding],
            code: Some(code),
        }
    }

    pub fn is_accepted(&self) -> bool {
        !self.findings.iter().any(Finding::denies)
    }

    /// The denial message: the object once, then every denying finding,
    /// `GitRepository ns/name: spec.verify: ...; fix: ... [rule] | spec.ref: ...`.
    pub fn message(&self) -> Option<String> {
        use fmt::Write;
        let mut denying = self.findings.iter().filter(|f| f.denies()).peekable();
        denying.peek()?;
        // One buffer, written in place: a message is rendered on every denial.
        let mut text = String::with_capacity(256);
        if !self.object.kind.is_empty() {
            let _ = write!(text, "{}: ", self.object);
        }
        for (i, finding) in denying.enumerate() {
            let _ = write!(text, "{}{finding}", if i > 0 { " | " } else { "" });
        }
        Some(text)
    }

    /// One admission warning per warning finding, each naming the object.
    pub fn warnings(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| !f.denies())
            .map(|f| self.prefixed(&f.to_string()))
            .collect()
    }

    fn prefixed(&self, text: &str) -> String {
        if self.object.kind.is_empty() {
            text.to_string()
        } else {
            format!("{}: {text}", self.object)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KindSpec, Rule, Severity};

    #[test]
    fn findings_are_capped_per_rule() {
        const A: Rule = Rule::deny("t/a", &[KindSpec::ANY], "a", "a", "");
        const B: Rule = Rule::deny("t/b", &[KindSpec::ANY], "b", "b", "");
        let mut findings: Vec<Finding> = (0..100_000)
            .map(|i| A.at(format!("spec.values[{i}]"), format!("value {i}"), "drop it"))
            .collect();
        findings.push(B.at("spec.x", "x", "fix x"));
        let verdict = Verdict::of(ObjectRef::default(), findings);
        let of = |rule: &str| verdict.findings.iter().filter(|f| f.rule == rule).count();
        assert_eq!((of("t/a"), of("t/b")), (MAX_FINDINGS_PER_RULE + 1, 1));
        let summary = verdict.findings.iter().rfind(|f| f.rule == "t/a").unwrap();
        assert_eq!(summary.field, "spec.values[20]");
        assert!(
            summary
                .problem
                .starts_with("and 99980 more finding(s) of this rule, the first of them: value 20")
        );
        assert!(verdict.message().unwrap().len() < 10_000);
        // Fewer than the cap: untouched.
        let few = vec![A.at("a", "p", "f"), A.at("b", "p", "f")];
        assert_eq!(Verdict::of(ObjectRef::default(), few.clone()).findings, few);
    }

    const DENY: Rule = Rule {
        id: "t/deny",
        severity: Severity::Deny,
        kinds: &[KindSpec::ANY],
        title: "",
        stops: "",
        on_by_default: true,
        setting: "",
    };
    const WARN: Rule = Rule {
        id: "t/warn",
        severity: Severity::Warn,
        ..DENY
    };

    fn podinfo() -> ObjectRef {
        ObjectRef::new("GitRepository", Some("podinfo"), None, Some("apps"), "", "")
    }

    #[test]
    fn message_names_object_field_fix_and_rule() {
        let v = Verdict::of(
            podinfo(),
            vec![
                DENY.at("spec.verify", "is missing", "add spec.verify"),
                WARN.at("spec.interval", "is short", "use 10m"),
                DENY.at("spec.ref", "is a branch", "use a tag"),
            ],
        );
        assert!(!v.is_accepted());
        assert_eq!(
            v.message().unwrap(),
            "GitRepository apps/podinfo: spec.verify: is missing; fix: add spec.verify [t/deny] \
             | spec.ref: is a branch; fix: use a tag [t/deny]"
        );
        assert_eq!(
            v.warnings(),
            ["GitRepository apps/podinfo: spec.interval: is short; fix: use 10m [t/warn]"]
        );
    }

    #[test]
    fn warnings_alone_accept() {
        let v = Verdict::of(podinfo(), vec![WARN.at("kind", "odd", "none")]);
        assert!(v.is_accepted());
        assert_eq!(v.message(), None);
        assert!(Verdict::accept(podinfo()).warnings().is_empty());
    }

    #[test]
    fn object_ref_falls_back_to_request_and_generate_name() {
        let r = ObjectRef::new("GitRepository", None, Some("repo-"), None, "team-a", "");
        assert_eq!(r.to_string(), "GitRepository team-a/repo-<generated>");
        let r = ObjectRef::new("K", Some("x"), None, Some("ns"), "", "y");
        assert_eq!(r.to_string(), "K ns/x");
        let r = ObjectRef::new("K", Some("x"), None, Some("claimed"), "real", "y");
        assert_eq!(r.to_string(), "K real/x");
        let r = ObjectRef::new("ClusterRole", None, None, None, "", "admin");
        assert_eq!(r.to_string(), "ClusterRole admin");
    }
}
