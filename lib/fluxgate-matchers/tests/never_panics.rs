//! The shared parsing code answers every input with a value or an error, never a panic:
//! a panic in a policy is a trap, and a trap is a 500 for the API server.

use fluxgate_matchers::semver_range::Constraint;
use proptest::prelude::*;

proptest! {
    #[test]
    fn constraint_parser_never_panics(text in "\\PC{0,40}") {
        let _ = Constraint::parse(&text).map(|c| c.is_bounded_above());
    }

    #[test]
    fn constraint_parser_never_panics_on_constraint_like_text(
        text in "[ ,|<>=!~^vxX*0-9.+-]{0,30}"
    ) {
        let _ = Constraint::parse(&text).map(|c| c.unbounded_alternative().map(str::len));
    }

    #[test]
    fn a_fixed_major_upper_bound_always_bounds(major in 0u64..1000, minor in 0u64..1000) {
        let text = format!(">={major}.{minor}.0 <{}.0.0", major + 1);
        prop_assert!(Constraint::parse(&text).unwrap().is_bounded_above());
        let open = format!(">={major}.{minor}.0");
        prop_assert!(!Constraint::parse(&open).unwrap().is_bounded_above());
    }
}

proptest! {
    #[test]
    fn glob_matching_never_panics(pattern in "[a-z*?:-]{0,12}", text in "[a-z:-]{0,24}") {
        let _ = fluxgate_matchers::glob::matches(&pattern, &text);
        // A pattern always matches itself when it has no wildcards.
        if !pattern.contains(['*', '?']) {
            prop_assert!(fluxgate_matchers::glob::matches(&pattern, &pattern));
        }
    }
}
