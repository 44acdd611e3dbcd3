//! Canonical article URLs, so the same article is stored once whatever link led to it.

/// Query parameters that only track where a click came from.
fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_")
        || matches!(
            name.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "zarsrc"
                | "zalo_source"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "_ga"
                | "ref_src"
        )
}

/// Resolves `link` against `base` and removes the fragment and tracking parameters.
/// Returns `None` for links that are not http(s).
pub fn canonical_url(link: &str, base: Option<&url::Url>) -> Option<String> {
    let link = link.trim();
    let mut url = match base {
        Some(base) => base.join(link).ok()?,
        None => url::Url::parse(link).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_tracking_and_fragments() {
        let base = url::Url::parse("https://bao.vn/rss/a.rss").unwrap();
        assert_eq!(
            canonical_url("/tin/1.html?utm_source=fb&fbclid=x&page=2#c", Some(&base)).unwrap(),
            "https://bao.vn/tin/1.html?page=2"
        );
        assert_eq!(canonical_url("https://a.vn/x?utm_medium=rss", None).unwrap(), "https://a.vn/x");
        assert_eq!(canonical_url("javascript:alert(1)", Some(&base)), None);
        assert_eq!(canonical_url("mailto:a@b.vn", None), None);
    }
}
