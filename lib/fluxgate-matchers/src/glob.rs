//! Shell-style globs for settings that name identities or objects: `*` matches any run of
//! characters (also none), `?` exactly one; everything else matches itself.

/// Whether `text` matches `pattern` as a whole.
pub fn matches(pattern: &str, text: &str) -> bool {
    if !pattern.bytes().any(|b| b == b'*' || b == b'?') {
        return pattern == text;
    }
    // Classic two-pointer walk with backtracking to the last `*`: linear in practice,
    // never exponential, no recursion, no allocation (a binding with 100k subjects is
    // matched against every allowlist entry). Positions are byte offsets at character
    // boundaries; `*` and `?` stand for one character, whatever its width.
    let next = |s: &str, at: usize| s[at..].chars().next();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(tc) = next(text, ti) {
        match next(pattern, pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(pc) if pc == '?' || pc == tc => {
                pi += pc.len_utf8();
                ti += tc.len_utf8();
            }
            _ => match star {
                Some((sp, st)) => {
                    // The `*` takes one more character of the text.
                    let st = st + next(text, st).map_or(1, char::len_utf8);
                    pi = sp + 1;
                    ti = st;
                    star = Some((sp, st));
                }
                None => return false,
            },
        }
    }
    pattern[pi..].chars().all(|c| c == '*')
}

/// Whether any of `patterns` matches `text`.
pub fn any_matches(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| matches(p, text))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches(
            "system:serviceaccount:team-*:*",
            "system:serviceaccount:team-a:deployer"
        ));
        assert!(!matches(
            "system:serviceaccount:team-*:*",
            "system:serviceaccount:flux-system:x"
        ));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(matches("ab?", "abc"));
        assert!(!matches("ab?", "ab"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
        assert!(matches("**", "anything"));
        // One character, whatever its width; literal patterns compare whole.
        assert!(matches("t?am-*", "tëam-a"));
        assert!(matches("*é", "café"));
        assert!(!matches("caf?", "caféé"));
        assert!(matches("é*é", "éxé"));
        assert!(!matches("é*é", "é"));
        assert!(!matches("team", "teams"));
        assert!(!matches("", "a"));
        assert!(matches("", ""));
        assert!(matches("*a*a*", "banana"));
        assert!(!matches("*a*b", "aaaa"));
    }
}
