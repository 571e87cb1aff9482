//! `spec.path` as Flux resolves it: relative to the source's root.

/// The path's components after removing `.`, empty parts and resolving `..`;
/// `None` when `..` climbs above the source root.
pub fn normalize(path: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts)
}

/// Whether `path` lies inside `prefix` (both normalised), component by component, so
/// `tenants/team-a` never admits `tenants/team-a-evil`.
pub fn within(path: &[&str], prefix: &[&str]) -> bool {
    path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_a_relative_path() {
        assert_eq!(
            normalize("./tenants//team-a/./apps/").unwrap(),
            ["tenants", "team-a", "apps"]
        );
        assert_eq!(
            normalize("./tenants/team-a/../team-b").unwrap(),
            ["tenants", "team-b"]
        );
        assert_eq!(normalize("./").unwrap(), Vec::<&str>::new());
        assert_eq!(normalize("../outside"), None);
        assert_eq!(normalize("tenants/../../x"), None);
    }

    #[test]
    fn prefixes_match_whole_components() {
        let prefix = normalize("./tenants/team-a/").unwrap();
        assert!(within(&normalize("tenants/team-a/apps").unwrap(), &prefix));
        assert!(within(&normalize("./tenants/team-a").unwrap(), &prefix));
        assert!(!within(
            &normalize("./tenants/team-a-evil").unwrap(),
            &prefix
        ));
        assert!(!within(&normalize("./tenants").unwrap(), &prefix));
    }
}
