//! The one way fluxgate policies answer: a [`Verdict`] built from [`Violation`]s.

use crate::object::ObjectRef;
use std::fmt;

/// One broken rule: which field, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Field path in the object, e.g. `spec.verify.mode`.
    pub field: String,
    /// What is wrong, including the offending value where there is one.
    pub problem: String,
    /// What to change to comply.
    pub fix: String,
}

impl Violation {
    pub fn new(
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Violation {
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; fix: {}", self.field, self.problem, self.fix)
    }
}

/// `a; b; c; and 4 more`: the first `limit` items of a long list, for messages that must stay
/// readable however many subjects or grants an object carries.
pub fn abbreviated(items: &[String], limit: usize) -> String {
    let mut text = items
        .iter()
        .take(limit)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > limit {
        text.push_str(&format!("; and {} more", items.len() - limit));
    }
    text
}

/// A policy's answer to one admission request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept { warnings: Vec<String> },
    Reject { message: String, code: Option<u16> },
}

impl Verdict {
    pub fn accept() -> Self {
        Verdict::Accept {
            warnings: Vec::new(),
        }
    }

    pub fn accept_with_warning(warning: impl Into<String>) -> Self {
        Verdict::Accept {
            warnings: vec![warning.into()],
        }
    }

    /// Rejects with an HTTP code; `message` should already name the object.
    pub fn reject(message: impl Into<String>, code: Option<u16>) -> Self {
        Verdict::Reject {
            message: message.into(),
            code,
        }
    }

    /// Accepts when there are no violations, otherwise rejects with one message naming the
    /// object once and every violation after it:
    /// `GitRepository ns/name: spec.verify: ...; fix: ... | spec.ref: ...; fix: ...`.
    pub fn from_violations(object: &ObjectRef, violations: &[Violation]) -> Self {
        if violations.is_empty() {
            return Verdict::accept();
        }
        let details: Vec<String> = violations.iter().map(Violation::to_string).collect();
        Verdict::reject(format!("{object}: {}", details.join(" | ")), None)
    }

    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accept { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_abbreviated() {
        let items: Vec<String> = (1..=7).map(|i| format!("s{i}")).collect();
        assert_eq!(abbreviated(&items[..2], 5), "s1; s2");
        assert_eq!(abbreviated(&items, 5), "s1; s2; s3; s4; s5; and 2 more");
        assert_eq!(abbreviated(&[], 5), "");
    }

    #[test]
    fn message_names_object_field_and_fix() {
        let obj = ObjectRef {
            kind: "GitRepository".into(),
            namespace: "apps".into(),
            name: "podinfo".into(),
        };
        let v = Verdict::from_violations(
            &obj,
            &[
                Violation::new("spec.verify", "is missing", "add spec.verify"),
                Violation::new("spec.ref", "is a branch", "use a tag"),
            ],
        );
        assert_eq!(
            v,
            Verdict::Reject {
                message:
                    "GitRepository apps/podinfo: spec.verify: is missing; fix: add spec.verify \
                          | spec.ref: is a branch; fix: use a tag"
                        .into(),
                code: None
            }
        );
        assert!(Verdict::from_violations(&obj, &[]).is_accepted());
    }
}
