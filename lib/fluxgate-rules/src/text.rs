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
}
