//! Masterminds/semver v3 constraints, the syntax of Helm chart `version`, OCIRepository
//! `ref.semver` and ImagePolicy `policy.semver.range` (Flux parses them with that Go library).
//!
//! Only what policies need: parse a constraint exactly as strictly as that syntax allows, and
//! tell whether every alternative has an upper bound, so an update cannot jump to any future
//! major version. The `semver` crate speaks Cargo's syntax (no `||`, no hyphen ranges), hence
//! this small parser.
//!
//! Syntax: alternatives separated by `||`; within one, comparators separated by commas or
//! spaces (`>= 1.2, < 3`); operators `=`, `!=`, `>`, `>=`, `=>`, `<`, `<=`, `=<`, `~`, `~>`, `^`
//! or none; hyphen ranges `1.2 - 1.4.5`; versions with an optional `v`, one to three parts,
//! `x`/`X`/`*` wildcards, `-prerelease` and `+build`. With no operator or `=`, a partial or
//! wildcard version means a range (`1.2` is `>=1.2.0 <1.3.0`), as in Masterminds.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Tilde,
    Caret,
}

/// One version part: a number, or a wildcard (`x`, `X`, `*`, or absent).
pub type Part = Option<u64>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialVersion {
    pub major: Part,
    pub minor: Part,
    pub patch: Part,
    pub prerelease: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparator {
    Single(Op, PartialVersion),
    /// `low - high`: `>= low, <= high`.
    Hyphen(PartialVersion, PartialVersion),
}

/// A parsed constraint: alternatives (OR) of comparator sets (AND).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub alternatives: Vec<Vec<Comparator>>,
    source: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Constraint {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if text.trim().is_empty() {
            return Err(ParseError("the constraint is empty".into()));
        }
        let mut alternatives = Vec::new();
        let mut source = Vec::new();
        for alternative in text.split("||") {
            let alternative = alternative.trim();
            if alternative.is_empty() {
                return Err(ParseError(format!(
                    "{text:?} has an empty alternative around `||`"
                )));
            }
            alternatives.push(parse_alternative(alternative)?);
            source.push(alternative.to_string());
        }
        Ok(Constraint {
            alternatives,
            source,
        })
    }

    /// The first alternative that lets versions grow without limit, if any
    /// (`*`, `>=1.0.0`, `!=2.0.0`, `1.x || >3`'s `>3`).
    pub fn unbounded_alternative(&self) -> Option<&str> {
        self.alternatives
            .iter()
            .zip(&self.source)
            .find(|(comparators, _)| !comparators.iter().any(Comparator::bounds_above))
            .map(|(_, text)| text.as_str())
    }

    pub fn is_bounded_above(&self) -> bool {
        self.unbounded_alternative().is_none()
    }
}

impl Comparator {
    /// Whether this comparator alone caps the versions it admits.
    pub fn bounds_above(&self) -> bool {
        match self {
            Comparator::Single(Op::Gt | Op::Ge | Op::Ne, _) => false,
            // `=1.x`, `~1`, `^1.2`, `<2`, `<=1.4`: capped once the major version is fixed.
            Comparator::Single(_, v) => v.major.is_some(),
            Comparator::Hyphen(_, high) => high.major.is_some(),
        }
    }
}

/// Splits one alternative into comparators: commas and spaces separate them, but an operator
/// may stand apart from its version (`>= 1.2`) and `-` between two versions is a range.
fn parse_alternative(text: &str) -> Result<Vec<Comparator>, ParseError> {
    let tokens: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    let mut comparators = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        if tokens.get(i + 1) == Some(&"-") {
            let high = tokens.get(i + 2).ok_or_else(|| {
                ParseError(format!(
                    "{text:?}: a hyphen range needs a version after `-`"
                ))
            })?;
            comparators.push(Comparator::Hyphen(
                parse_version(token)?,
                parse_version(high)?,
            ));
            i += 3;
            continue;
        }
        let (op, rest) = split_operator(token);
        let (version, used) = if rest.is_empty() {
            let next = tokens.get(i + 1).ok_or_else(|| {
                ParseError(format!("{text:?}: operator {token:?} has no version"))
            })?;
            (*next, 2)
        } else {
            (rest, 1)
        };
        comparators.push(Comparator::Single(op, parse_version(version)?));
        i += used;
    }
    Ok(comparators)
}

fn split_operator(token: &str) -> (Op, &str) {
    const OPERATORS: [(&str, Op); 11] = [
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("=>", Op::Ge),
        ("<=", Op::Le),
        ("=<", Op::Le),
        ("~>", Op::Tilde),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("~", Op::Tilde),
        ("^", Op::Caret),
    ];
    OPERATORS
        .iter()
        .find_map(|(prefix, op)| token.strip_prefix(prefix).map(|rest| (*op, rest)))
        .unwrap_or((Op::Eq, token))
}

/// `v1.2.3-rc.1+build`, `1.2`, `1.x`, `*`.
pub fn parse_version(text: &str) -> Result<PartialVersion, ParseError> {
    let bad = |why: &str| ParseError(format!("{text:?} is not a version: {why}"));
    let body = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let body = body.split_once('+').map_or(
        body,
        |(core, build)| {
            if build.is_empty() { "" } else { core }
        },
    );
    if body.is_empty() {
        return Err(bad("it is empty"));
    }
    let (core, prerelease) = match body.split_once('-') {
        Some((core, pre)) => {
            let valid = !pre.is_empty()
                && pre.split('.').all(|id| {
                    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                return Err(bad(
                    "the pre-release part must be dot-separated [0-9A-Za-z-] identifiers",
                ));
            }
            (core, Some(pre.to_string()))
        }
        None => (body, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return Err(bad("more than three parts"));
    }
    let mut numbers = [None; 3];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        *slot = match *part {
            "x" | "X" | "*" => None,
            "" => return Err(bad("an empty part")),
            digits if digits.chars().all(|c| c.is_ascii_digit()) => Some(
                digits
                    .parse::<u64>()
                    .map_err(|_| bad("a part is too large"))?,
            ),
            _ => return Err(bad("parts are numbers or x, X, *")),
        };
    }
    // A number after a wildcard (`1.x.3`) means nothing.
    if numbers
        .windows(2)
        .enumerate()
        .any(|(i, w)| i + 1 < parts.len() && w[0].is_none() && w[1].is_some())
    {
        return Err(bad("a number cannot follow a wildcard"));
    }
    Ok(PartialVersion {
        major: numbers[0],
        minor: numbers[1],
        patch: numbers[2],
        prerelease,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(text: &str) -> bool {
        Constraint::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .is_bounded_above()
    }

    #[test]
    fn bounded_constraints() {
        for c in [
            "1.2.3",
            "v1.2.3",
            "=1.2.3",
            "1.2",
            "1.x",
            "1.2.*",
            "~1.2.3",
            "~>1.2",
            "^1.2.3",
            "^0.0.1",
            "<2.0.0",
            "<= 1.4",
            ">=1.0.0 <2.0.0",
            ">= 1.0.0, < 2.0.0",
            ">=1.0.0,<2.0.0",
            "1.2 - 1.4.5",
            ">=1.0.0-0 <2.0.0-0",
            "1.x || 2.x",
            ">1 <3 || ~4.1",
            "6.x",
            "7.0.0-rc.1",
            "1.2.3+build.5",
        ] {
            assert!(bounded(c), "{c} should be bounded above");
        }
    }

    #[test]
    fn unbounded_constraints() {
        for (c, culprit) in [
            ("*", "*"),
            ("x", "x"),
            (">=1.0.0", ">=1.0.0"),
            ("> 1.2", "> 1.2"),
            ("!=2.0.0", "!=2.0.0"),
            ("1.x || >3", ">3"),
            ("^*", "^*"),
            ("~x", "~x"),
            ("1.2 - *", "1.2 - *"),
            ("v*", "v*"),
        ] {
            let parsed = Constraint::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(parsed.unbounded_alternative(), Some(culprit), "{c}");
        }
    }

    #[test]
    fn invalid_constraints() {
        for c in [
            "",
            "  ",
            "1.2.3.4",
            ">=",
            "1.x.3",
            "a.b.c",
            "1.2 -",
            "|| 1.0",
            "1.0 ||",
            "1..2",
            "1.0.0-",
            "1.0.0-a..b",
            "99999999999999999999999",
        ] {
            assert!(Constraint::parse(c).is_err(), "{c:?} should not parse");
        }
    }

    #[test]
    fn parts_and_prerelease() {
        let v = parse_version("v1.2.3-rc.1+meta").unwrap();
        assert_eq!(
            (v.major, v.minor, v.patch, v.prerelease.as_deref()),
            (Some(1), Some(2), Some(3), Some("rc.1"))
        );
        let v = parse_version("1.x").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (Some(1), None, None));
    }
}
