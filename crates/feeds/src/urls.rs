//! Canonical article URLs, so the same article is stored once whatever link led to it.

/// Query parameters that only track where a click came from.
fn is_tracking_param(name: &str) -> bool {
    const NAMES: [&str; 11] = [
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "zarsrc",
        "zalo_source",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "ref_src",
    ];
    name.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("utm_"))
        || NAMES.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// Resolves `link` against `base` and removes the fragment and tracking parameters.
/// Returns `None` for links that are not http(s).
pub fn canonical_url(link: &str, base: Option<&url::Url>) -> Option<String> {
    let link = link.trim();
    let url = match base {
        Some(base) => base.join(link).ok()?,
        None => url::Url::parse(link).ok()?,
    };
    canonical(url).ok()
}

/// [`canonical_url`] of a link already parsed (and so already absolute); the link is
/// handed back when it is not http(s).
pub(crate) fn canonical(mut url: url::Url) -> Result<String, url::Url> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(url);
    }
    url.set_fragment(None);
    if url.query().is_some() {
        if url.query_pairs().all(|(k, _)| is_tracking_param(&k)) {
            url.set_query(None);
        } else {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| !is_tracking_param(k))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Ok(url.into())
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
