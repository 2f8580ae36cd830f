//! QEMU's comma-separated option lists (`a=1,b=x,,y,flag`): `,,` is a
//! literal comma, a bare word has no value. `mimic img -o`, `-drive`,
//! `-device` and the human monitor's key=value arguments all split here.

/// Splits `a=1,b=x,,y,flag` into [("a", Some("1")), ("b", Some("x,y")),
/// ("flag", None)], in order; empty items are dropped.
pub fn split_opts(s: &str) -> Vec<(String, Option<String>)> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ',' {
            if chars.peek() == Some(&',') {
                chars.next();
                cur.push(',');
                continue;
            }
            items.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    items.push(cur);
    items
        .into_iter()
        .filter(|i| !i.is_empty())
        .map(|i| match i.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (i, None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_values_and_bare_words() {
        assert_eq!(
            split_opts("a=1,b=x,,y,flag,c="),
            vec![
                ("a".into(), Some("1".into())),
                ("b".into(), Some("x,y".into())),
                ("flag".into(), None),
                ("c".into(), Some(String::new())),
            ]
        );
        assert!(split_opts("").is_empty());
        assert_eq!(split_opts("k=a=b"), vec![("k".into(), Some("a=b".into()))]);
    }
}
