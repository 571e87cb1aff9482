use crate::finding::{Finding, Severity};
use crate::kind::KindSpec;

/// A rule, declared once as a `const` next to its check: the id that crosses every boundary
/// (admission message, `fluxgate explain`, scanner, playground, `docs/rules.md`) and the
/// catalogue text. Ids are stable: a rule that changes meaning gets a new id.
///
/// Only `id` and `severity` reach a finding, so the catalogue text costs the wasm modules
/// nothing (the linker drops what no code reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// `area/what`, kebab case: `gcv/verify-missing`.
    pub id: &'static str,
    pub severity: Severity,
    /// The kinds whose objects it judges.
    pub kinds: &'static [KindSpec],
    /// What it requires, one line.
    pub title: &'static str,
    /// What it stops: the attacker's step or the accident it closes.
    pub stops: &'static str,
    /// Whether default settings enforce it.
    pub on_by_default: bool,
    /// The setting that relaxes it (or, when off by default, turns it on); `""`: none.
    pub setting: &'static str,
}

impl Rule {
    /// A deny rule that default settings enforce; `setting` relaxes it (`""`: none).
    pub const fn deny(
        id: &'static str,
        kinds: &'static [KindSpec],
        title: &'static str,
        stops: &'static str,
        setting: &'static str,
    ) -> Rule {
        Rule {
            id,
            severity: Severity::Deny,
            kinds,
            title,
            stops,
            on_by_default: true,
            setting,
        }
    }

    /// The same rule, enforced by default or only once `setting` turns it on.
    pub const fn on_by_default(self, on: bool) -> Rule {
        Rule {
            on_by_default: on,
            ..self
        }
    }

    /// The same rule as a warning: the object is admitted with an admission warning.
    pub const fn warning(self) -> Rule {
        Rule {
            severity: Severity::Warn,
            ..self
        }
    }

    /// A finding of this rule at `field` (a path in the object: `spec.verify.mode`).
    /// Always inlined: only `id` and `severity` then reach the module, not the catalogue text.
    #[inline(always)]
    pub fn at(
        &self,
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: self.id.into(),
            severity: self.severity,
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rule = Rule {
        id: "t/example",
        severity: Severity::Warn,
        kinds: &[KindSpec::ANY],
        title: "an example",
        stops: "nothing",
        on_by_default: true,
        setting: "",
    };

    #[test]
    fn findings_carry_id_and_severity() {
        let f = R.at("spec.x", "is odd", "make it even");
        assert_eq!(f.rule, "t/example");
        assert_eq!(f.severity, Severity::Warn);
        assert_eq!(
            f.to_string(),
            "spec.x: is odd; fix: make it even [t/example]"
        );
    }
}
