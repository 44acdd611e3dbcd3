//! robots.txt (RFC 9309): which paths of a site we may fetch, and how long to wait between
//! requests (`Crawl-delay`, a common extension).
//!
//! The group for our product token is used when there is one, else the `*` group. The
//! longest matching rule decides, `Allow` winning a tie; `*` matches any run of characters
//! and a final `$` anchors the end.

use std::time::Duration;

/// The rules of one robots.txt for one user agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robots {
    /// (allow, pattern), in file order.
    rules: Vec<(bool, String)>,
    crawl_delay: Option<Duration>,
}

impl Robots {
    /// Every path allowed: what a missing robots.txt (4xx) means.
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Every path disallowed: what an unreachable robots.txt (5xx, network error) means
    /// until it can be read again.
    pub fn disallow_all() -> Robots {
        Robots { rules: vec![(false, "/".to_owned())], crawl_delay: None }
    }

    /// Parses `text` for the user agent whose product token is `agent` (such as
    /// `langnghe`; compared without case).
    pub fn parse(text: &str, agent: &str) -> Robots {
        let agent = agent.to_ascii_lowercase();
        // Groups: the agents named in consecutive user-agent lines, then their rules.
        let mut groups: Vec<(Vec<String>, Robots)> = Vec::new();
        let mut collecting_agents = false;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else { continue };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !collecting_agents {
                        groups.push((Vec::new(), Robots::default()));
                        collecting_agents = true;
                    }
                    if let Some((agents, _)) = groups.last_mut() {
                        agents.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    collecting_agents = false;
                    if let Some((_, robots)) = groups.last_mut()
                        && !value.is_empty()
                    {
                        robots.rules.push((key == "allow", value.to_owned()));
                    }
                }
                "crawl-delay" => {
                    collecting_agents = false;
                    if let Some((_, robots)) = groups.last_mut()
                        && let Ok(secs) = value.parse::<f64>()
                        && secs.is_finite()
                        && secs >= 0.0
                    {
                        robots.crawl_delay = Some(Duration::from_secs_f64(secs.min(3600.0)));
                    }
                }
                _ => {}
            }
        }
        let merge = |pred: &dyn Fn(&str) -> bool| -> Option<Robots> {
            let mut found: Option<Robots> = None;
            for (agents, robots) in &groups {
                if agents.iter().any(|a| pred(a)) {
                    let into = found.get_or_insert_with(Robots::default);
                    into.rules.extend(robots.rules.iter().cloned());
                    into.crawl_delay = into.crawl_delay.or(robots.crawl_delay);
                }
            }
            found
        };
        merge(&|a: &str| !agent.is_empty() && a == agent)
            .or_else(|| merge(&|a: &str| a == "*"))
            .unwrap_or_default()
    }

    /// Whether `path` (with its query string) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, *allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// The `Crawl-delay` for our group, if any.
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }
}

/// Whether a robots.txt pattern matches the start of `path`.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some((first, rest)) = parts.split_first() else { return true };
    let Some(mut tail) = path.strip_prefix(first) else { return false };
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last && anchored {
            return tail.ends_with(part);
        }
        match tail.find(part) {
            Some(at) => tail = &tail[at + part.len()..],
            None => return false,
        }
    }
    !anchored || tail.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# comments are ignored
User-agent: Googlebot
Disallow: /

User-agent: *
Disallow: /admin/
Disallow: /*.pdf$
Allow: /admin/public/
Crawl-delay: 2

User-agent: LangNghe
User-agent: other
Disallow: /tim-kiem
Allow: /tim-kiem/suc-khoe
";

    #[test]
    fn our_group_wins_over_the_star_group() {
        let r = Robots::parse(TEXT, "langnghe");
        assert!(!r.allows("/tim-kiem?q=sot"));
        assert!(r.allows("/tim-kiem/suc-khoe/1"));
        assert!(r.allows("/admin/"), "the * group does not apply to us");
        assert_eq!(r.crawl_delay(), None);
    }

    #[test]
    fn longest_match_decides_and_wildcards_work() {
        let r = Robots::parse(TEXT, "somebot");
        assert!(!r.allows("/admin/users"));
        assert!(r.allows("/admin/public/x.html"));
        assert!(!r.allows("/files/report.pdf"));
        assert!(r.allows("/files/report.pdf?download=1"));
        assert!(r.allows("/suc-khoe/tin-1.html"));
        assert!(r.allows("/robots.txt"));
        assert_eq!(r.crawl_delay(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn empty_missing_and_unreachable() {
        assert!(Robots::parse("", "langnghe").allows("/anything"));
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "langnghe").allows("/x"));
        assert!(Robots::allow_all().allows("/x"));
        assert!(!Robots::disallow_all().allows("/x"));
        assert!(Robots::disallow_all().allows("/robots.txt"));
    }

    #[test]
    fn pattern_matching() {
        assert!(matches("/a*b", "/a/x/b/c"));
        assert!(matches("/a*b$", "/a/x/b"));
        assert!(!matches("/a*b$", "/a/x/b/c"));
        assert!(matches("/", "/anything"));
        assert!(matches("*.php", "/index.php"));
        assert!(!matches("/fish", "/Fish.html"));
    }
}
