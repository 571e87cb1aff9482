use std::fmt::{Display, Write as _};

/// `a; b; c; and 4 more`: the first `limit` items of a long list, for messages that must stay
/// readable however many subjects or grants an object carries. Only the items shown are
/// formatted, so a binding with 45,000 subjects costs `limit` formats, not 45,000.
pub fn abbreviated<T: Display>(items: impl IntoIterator<Item = T>, limit: usize) -> String {
    let mut text = String::new();
    let mut count = 0usize;
    for item in items {
        if count < limit {
            if count > 0 {
                text.push_str("; ");
            }
            let _ = write!(text, "{item}");
        }
        count += 1;
    }
    if count > limit {
        let _ = write!(text, "; and {} more", count - limit);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_abbreviated() {
        let items: Vec<String> = (1..=7).map(|i| format!("s{i}")).collect();
        assert_eq!(abbreviated(&items[..2], 5), "s1; s2");
        assert_eq!(abbreviated(&items, 5), "s1; s2; s3; s4; s5; and 2 more");
        assert_eq!(abbreviated(&[] as &[String], 5), "");
        // Items past the limit are counted, never formatted.
        struct Loud(u32);
        impl Display for Loud {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                assert!(self.0 < 2, "item {} formatted", self.0);
                write!(f, "n{}", self.0)
            }
        }
        assert_eq!(
            abbreviated((0..45_000).map(Loud), 2),
            "n0; n1; and 44998 more"
        );
    }
}
