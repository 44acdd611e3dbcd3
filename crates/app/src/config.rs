//! Configuration: the one place that reads the configuration file and the environment.
//!
//! Layers, lowest first: the built-in defaults (`config/default.toml`), the file given with
//! `--config`, then `LANGNGHE_*` environment variables (`__` separates levels, so
//! `LANGNGHE_HTTP__LISTEN` sets `http.listen`). The merged document is then validated into
//! [`Config`], reporting every problem at once.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// The built-in configuration, which lists real Vietnamese health feeds.
pub(crate) const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) data_dir: PathBuf,
    #[serde(default)]
    pub(crate) database_url: String,
    /// The office's directory of rule packs and claim files, over the built-in ones; unset
    /// (or empty), `rules` under the data directory. See [`Config::rule_sources`].
    #[serde(default)]
    pub(crate) rules_dir: Option<PathBuf>,
    /// Whether the packs and claims built into the program are loaded under rules_dir's.
    pub(crate) builtin_rules: bool,
    /// Directory of board files (`*.toml`); unset, the boards built in (the repository's
    /// `dashboards/`) are shown.
    #[serde(default)]
    pub(crate) dashboards_dir: Option<PathBuf>,
    pub(crate) http: Http,
    pub(crate) fetch: Fetch,
    pub(crate) search: SearchConfig,
    pub(crate) digest: DigestConfig,
    /// Spike scans; every key has a default, so the section may be left out.
    #[serde(default)]
    pub(crate) spikes: SpikesConfig,
    /// Correction tracking; every key has a default, so the section may be left out.
    #[serde(default)]
    pub(crate) corrections: CorrectionsConfig,
    /// Alert handling: working hours, holidays and deadlines; every key has a default.
    #[serde(default)]
    pub(crate) workflow: WorkflowConfig,
    /// The office's own pages of health bodies, added to the built-in official list.
    #[serde(default)]
    pub(crate) impersonation: ImpersonationConfig,
    /// Where notifications and digests go out: SMTP, webhooks, Zalo OA (`notify`).
    #[serde(default)]
    pub(crate) notify: notify::NotifyConfig,
    /// The period report: the office's name and the half-years' cut-offs.
    #[serde(default)]
    pub(crate) report: crate::reporting::ReportConfig,
    /// Site adapter files of the administrator's own, added to the built-in ones.
    #[serde(default)]
    pub(crate) adapters: Vec<PathBuf>,
    #[serde(default)]
    pub(crate) sources: Vec<SourceConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Http {
    pub(crate) listen: String,
    pub(crate) secure_cookies: bool,
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client.
    /// Empty trusts nobody, so a client cannot pick the address its logins are counted by.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub(crate) trusted_proxies: Vec<String>,
    /// The dashboard's address as its readers reach it (`https://langnghe.soyte.example.vn`),
    /// which every link in digests and notifications starts with; see [`Config::public_url`].
    #[serde(default)]
    pub(crate) public_url: Option<String>,
    /// Where a worker process (`serve --role worker`, which serves no dashboard) serves
    /// `/metrics` alone; none when unset.
    #[serde(default)]
    pub(crate) metrics_listen: Option<String>,
}

/// A list, or a string of comma-separated items (how an environment variable is easiest
/// to write: `LANGNGHE_HTTP__TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8`).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCommas {
        List(Vec<String>),
        Commas(String),
    }
    Ok(match ListOrCommas::deserialize(d)? {
        ListOrCommas::List(items) => items,
        ListOrCommas::Commas(s) => {
            s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fetch {
    pub(crate) user_agent: String,
    pub(crate) connect_timeout_secs: u64,
    pub(crate) read_timeout_secs: u64,
    pub(crate) timeout_secs: u64,
    pub(crate) max_body_bytes: usize,
    pub(crate) max_redirects: usize,
    pub(crate) workers: usize,
    pub(crate) per_host: usize,
    pub(crate) host_delay_ms: u64,
    pub(crate) respect_robots: bool,
    pub(crate) robots_ttl_secs: u64,
    pub(crate) max_interval_secs: u64,
    pub(crate) max_backoff_secs: u64,
}

/// How searches from the dashboard and the API are run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchConfig {
    /// The longest one search may take before it is refused as too expensive.
    pub(crate) timeout_ms: u64,
    /// Searches run at once, each on a thread of its own.
    pub(crate) max_concurrent: usize,
    /// Searches waiting for a thread; more are refused with 503.
    pub(crate) max_queued: usize,
    /// What answers searches: the local tantivy index (the default) or PostgreSQL.
    #[serde(default)]
    pub(crate) backend: SearchBackend,
}

/// What answers the dashboard's and the API's searches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SearchBackend {
    /// The tantivy index in the data directory, one per web process.
    #[default]
    Tantivy,
    /// The lexemes the PostgreSQL store holds (`database_url` must be PostgreSQL): web
    /// processes need no index of their own.
    Postgres,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DigestConfig {
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    pub(crate) dashboard_url: String,
    /// When the daily digest goes out, `HH:MM` in Vietnam time.
    #[serde(default = "default_send_at")]
    pub(crate) send_at: String,
}

fn default_send_at() -> String {
    "07:00".to_owned()
}

/// How the spike scan runs inside `serve`: how often, by which method, and whether it
/// tests hours as well as days.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SpikesConfig {
    /// Seconds between scans (one runs at start).
    pub(crate) interval_secs: u64,
    /// The detection method, by name (`signals::Method`).
    pub(crate) method: String,
    /// Whether scans also test hourly counts (against the same hour of earlier days).
    pub(crate) hourly: bool,
}

impl Default for SpikesConfig {
    fn default() -> Self {
        let defaults = jobs::SpikeConfig::default();
        SpikesConfig {
            interval_secs: defaults.interval.as_secs(),
            method: defaults.method.name().to_owned(),
            hourly: defaults.hourly,
        }
    }
}

/// Alert handling: the office's working hours and days off (added to the built-in public
/// holidays of Vietnam) and the deadline of each priority class, as duration text (`30m`,
/// `4h`, `9h30m`, `none`; P1 counts around the clock, P2 and P3 in working time).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct WorkflowConfig {
    /// Working hours in Vietnam time, `HH:MM-HH:MM`, one or more spans a day.
    pub(crate) business_hours: Vec<String>,
    /// More days off, `YYYY-MM-DD`.
    pub(crate) holidays: Vec<String>,
    /// Weekend days worked in exchange for a bridge holiday, `YYYY-MM-DD`.
    pub(crate) extra_workdays: Vec<String>,
    /// Deadlines per priority class (`p1`, `p2`, `p3`).
    pub(crate) deadlines: std::collections::BTreeMap<String, DeadlineTexts>,
}

/// One priority class's deadlines; a key left out keeps the default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeadlineTexts {
    pub(crate) acknowledge: Option<String>,
    pub(crate) decide: Option<String>,
    pub(crate) respond: Option<String>,
}

impl WorkflowConfig {
    /// The deadlines alerts are handled by, or every problem found, each naming its key.
    pub(crate) fn schedule(&self) -> Result<alerts::deadlines::Schedule, Vec<String>> {
        use alerts::deadlines::{BusinessCalendar, DeadlineKind, DeadlinePolicy, Schedule};
        let mut problems = Vec::new();
        let mut calendar = BusinessCalendar::vietnam();
        if !self.business_hours.is_empty() {
            let mut spans = Vec::new();
            for (i, text) in self.business_hours.iter().enumerate() {
                let parsed = text.split_once('-').and_then(|(a, b)| {
                    Some((
                        alerts::deadlines::parse_hhmm(a.trim()).ok()?,
                        alerts::deadlines::parse_hhmm(b.trim()).ok()?,
                    ))
                });
                match parsed {
                    Some(span) => spans.push(span),
                    None => problems.push(format!(
                        "workflow.business_hours[{i}]: expected HH:MM-HH:MM, got {text:?}"
                    )),
                }
            }
            match calendar.clone().with_spans(spans) {
                Ok(c) => calendar = c,
                Err(e) => problems.push(format!("workflow.business_hours: {e}")),
            }
        }
        let dates = |key: &str, texts: &[String], problems: &mut Vec<String>| {
            let mut out = Vec::new();
            for (i, t) in texts.iter().enumerate() {
                match chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d") {
                    Ok(d) => out.push(d),
                    Err(_) => problems
                        .push(format!("workflow.{key}[{i}]: expected YYYY-MM-DD, got {t:?}")),
                }
            }
            out
        };
        calendar = calendar.with_holidays(dates("holidays", &self.holidays, &mut problems));
        let workdays = dates("extra_workdays", &self.extra_workdays, &mut problems);
        match calendar.clone().with_workdays(workdays) {
            Ok(c) => calendar = c,
            Err(e) => problems.push(format!("workflow.extra_workdays: {e}")),
        }
        let mut policy = DeadlinePolicy::standard(calendar.day_length());
        for (class, texts) in &self.deadlines {
            let Ok(priority) = class.parse::<model::Priority>() else {
                problems.push(format!(
                    "workflow.deadlines.{class}: unknown priority class, expected p1, p2 or p3"
                ));
                continue;
            };
            for (kind, text) in [
                (DeadlineKind::Acknowledge, &texts.acknowledge),
                (DeadlineKind::Decide, &texts.decide),
                (DeadlineKind::Respond, &texts.respond),
            ] {
                if let Some(text) = text
                    && let Err(e) = policy.set_text(priority, kind, text)
                {
                    problems.push(format!("workflow.deadlines.{class}.{}: {e}", kind.as_str()));
                }
            }
        }
        if problems.is_empty() { Ok(Schedule { policy, calendar }) } else { Err(problems) }
    }
}

/// `[impersonation]`: official pages beyond the built-in list
/// (`crates/rules/data/official-pages.toml`), each `{ name, url }`; a social page that
/// imitates a health body's name raises a watch alert unless it is one of them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ImpersonationConfig {
    pub(crate) official_pages: Vec<rules::OfficialPage>,
}

/// How correction tracking runs inside `serve`: how often it looks for responses,
/// corrections and pages due a check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CorrectionsConfig {
    /// Seconds between scans (one runs at start).
    pub(crate) interval_secs: u64,
}

impl Default for CorrectionsConfig {
    fn default() -> Self {
        CorrectionsConfig { interval_secs: jobs::CorrectionConfig::default().interval.as_secs() }
    }
}

/// Checks fall due from an hour after a response; scanning more often than every ten
/// seconds is wasted work, less often than hourly would miss the first check's hour.
const CORRECTION_INTERVAL_SECS: std::ops::RangeInclusive<u64> = 10..=3_600;

/// Scans read a hundred days of sightings, so more often than this is wasted work; less
/// often than daily would leave a day (or its hours) unscanned (each scan looks at today
/// and yesterday).
const SPIKE_INTERVAL_SECS: std::ops::RangeInclusive<u64> = 60..=86_400;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceConfig {
    pub(crate) name: String,
    pub(crate) url: String,
    #[serde(default = "default_kind")]
    pub(crate) kind: String,
    #[serde(default = "default_tier")]
    pub(crate) tier: String,
    #[serde(default = "default_interval")]
    pub(crate) interval_secs: i64,
    #[serde(default)]
    pub(crate) allow_private: bool,
    #[serde(default = "default_fetch_articles")]
    pub(crate) fetch_articles: String,
    #[serde(default)]
    pub(crate) category: Option<String>,
    /// The province the source is about when its text does not say: a unit's code or a
    /// province's name ([`home_province_code`]).
    #[serde(default, deserialize_with = "name_or_code")]
    pub(crate) home_province: Option<String>,
}

impl SourceConfig {
    /// The source to store. Only called on a validated configuration, so the enum values
    /// parse.
    pub(crate) fn to_new_source(&self) -> store::NewSource {
        store::NewSource {
            name: self.name.clone(),
            url: self.url.clone(),
            kind: self.kind.parse().unwrap_or(model::SourceKind::Feed),
            tier: self.tier.parse().unwrap_or(model::SourceTier::Press),
            interval_secs: self.interval_secs,
            allow_private: self.allow_private,
            origin: model::SourceOrigin::Config,
            fetch_articles: self.fetch_articles.parse().unwrap_or(model::ArticleFetch::Auto),
            category: self.category.clone(),
            home_province: self
                .home_province
                .as_deref()
                .and_then(|h| home_province_code(h).ok())
                .map(str::to_owned),
        }
    }
}

/// A home province as an administrator writes it, as the code of its current unit: the
/// two-digit code of one of the 34 units ("79"), or the name of a unit or of a former
/// province, with or without diacritics or "tỉnh"/"thành phố" ("Hồ Chí Minh", "tỉnh Gia
/// Lai", "Bình Dương" → "79"), or a name the press uses ("TP.HCM", "Sài Gòn", "BR-VT").
/// The error says why the text is none of these.
pub(crate) fn home_province_code(text: &str) -> Result<&'static str, String> {
    let gazetteer = gazetteer::Gazetteer::embedded();
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        if let Some(unit) = gazetteer.unit(text) {
            return Ok(unit.code);
        }
        // Codes of the provinces merged away in 2025 still circulate: say what they became.
        if let Some(former) = gazetteer.former_provinces().iter().find(|f| f.code == text) {
            let now = gazetteer.unit(former.unit).map_or("", |u| u.name);
            return Err(format!(
                "{text:?} was the code of {} before 1 July 2025: write {:?} ({now})",
                former.name, former.unit
            ));
        }
        return Err(format!("{text:?} is not the code of one of the 34 provinces (01 to 96)"));
    }
    let key = |name: &str| {
        let folded = vi_text::fold_form(name);
        let words: Vec<&str> = folded.split_whitespace().collect();
        let words = match words.as_slice() {
            ["tinh", rest @ ..] | ["thanh", "pho", rest @ ..] | ["tp", rest @ ..] => rest,
            all => all,
        };
        words.join(" ")
    };
    let wanted = key(text);
    let mut codes: Vec<&'static str> = gazetteer
        .units()
        .iter()
        .filter(|u| key(u.short) == wanted)
        .map(|u| u.code)
        .chain(
            gazetteer.former_provinces().iter().filter(|f| key(f.name) == wanted).map(|f| f.unit),
        )
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if let [code] = codes.as_slice() {
        return Ok(code);
    }
    // Abbreviations and nicknames: the gazetteer must find one unit, named by the whole
    // text ("Sở Y tế Đồng Nai" is a sentence, not a province).
    let display = vi_text::display(text);
    let found = gazetteer.places_in(&display);
    let outside: String = {
        let mut rest = display.clone();
        for p in found.places.iter().rev() {
            rest.replace_range(p.start..p.end, " ");
        }
        rest
    };
    let named_whole = key(&outside).chars().all(|c| !c.is_alphanumeric());
    match found.codes().as_slice() {
        [code] if named_whole && found.regions.is_empty() => Ok(code),
        _ => Err(format!(
            "{text:?} is neither the code nor the name of one of the 34 provinces \
             (a code such as \"79\", or a name such as \"Hồ Chí Minh\" or \"Bình Dương\")"
        )),
    }
}

/// A string, or a number written without quotes (`home_province = 79`) as a two-digit code.
fn name_or_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOrCode {
        Name(String),
        Code(u32),
    }
    Ok(Option::<NameOrCode>::deserialize(d)?.map(|v| match v {
        NameOrCode::Name(name) => name,
        NameOrCode::Code(code) => format!("{code:02}"),
    }))
}

fn default_kind() -> String {
    "feed".to_owned()
}

fn default_fetch_articles() -> String {
    "auto".to_owned()
}

fn default_tier() -> String {
    "press".to_owned()
}

fn default_interval() -> i64 {
    600
}

/// Merges `over` into `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Reads an environment value as a TOML scalar when it is one (number, boolean, array),
/// else as a string.
fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn apply_env(table: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) {
    for (key, value) in vars {
        let Some(path) = key.strip_prefix("LANGNGHE_") else { continue };
        // Variables that are not configuration keys (the test database URL…) are skipped.
        if path.starts_with("TEST_") || path.is_empty() {
            continue;
        }
        let parts: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        // Paths and URLs stay strings even when they would parse as something else.
        let keep_string = parts
            .last()
            .is_some_and(|k| k.ends_with("_url") || k.ends_with("_dir") || k.ends_with("listen"));
        let value = if keep_string { toml::Value::String(value) } else { env_value(&value) };
        set_path(table, &parts, value);
    }
}

fn set_path(table: &mut toml::Table, parts: &[String], value: toml::Value) {
    match parts {
        [] => {}
        [last] => {
            table.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(inner) = entry {
                set_path(inner, rest, value);
            }
        }
    }
}

impl Config {
    /// Loads defaults, then `file`, then the environment.
    pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        Config::load_with(file, std::env::vars())
    }

    pub(crate) fn load_with(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut table: toml::Table =
            DEFAULT_TOML.parse().context("parsing the built-in configuration")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the configuration {}", path.display()))?;
            let over: toml::Table = text
                .parse()
                .with_context(|| format!("parsing the configuration {}", path.display()))?;
            // Sources in a file replace the built-in list rather than adding to it.
            if over.contains_key("sources") {
                table.remove("sources");
            }
            merge(&mut table, over);
        }
        apply_env(&mut table, env);
        let config: Config = toml::Value::Table(table).try_into().with_context(|| {
            format!(
                "invalid configuration{}",
                file.map(|p| format!(" in {}", p.display())).unwrap_or_default()
            )
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The dashboard's public address, without a trailing slash: `http.public_url`, else
    /// the older `digest.dashboard_url`, else `http://` and the listening address.
    pub(crate) fn public_url(&self) -> String {
        let configured =
            [self.http.public_url.as_deref(), Some(self.digest.dashboard_url.as_str())]
                .into_iter()
                .flatten()
                .map(str::trim)
                .find(|u| !u.is_empty());
        match configured {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.http.listen),
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if let Some(url) = self.http.public_url.as_deref().filter(|u| !u.is_empty())
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            problems.push(format!(
                "http.public_url {url:?} must be an address such as https://langnghe.soyte.example.vn"
            ));
        }
        if self.http.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "http.listen {:?} is not an address such as 127.0.0.1:8080",
                self.http.listen
            ));
        }
        if let Some(addr) = &self.http.metrics_listen
            && addr.parse::<std::net::SocketAddr>().is_err()
        {
            problems.push(format!(
                "http.metrics_listen {addr:?} is not an address such as 127.0.0.1:9101"
            ));
        }
        if !self.database_url.is_empty()
            && !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| self.database_url.starts_with(p))
        {
            problems.push(
                "database_url must start with sqlite:, postgres:// or postgresql://".to_owned(),
            );
        }
        for (i, entry) in self.http.trusted_proxies.iter().enumerate() {
            if let Err(e) = entry.parse::<dashboard::auth::IpNet>() {
                problems.push(format!("http.trusted_proxies[{i}]: {e}"));
            }
        }
        if self.fetch.workers == 0 {
            problems.push("fetch.workers must be at least 1".to_owned());
        }
        if self.fetch.max_body_bytes < 1024 {
            problems.push("fetch.max_body_bytes must be at least 1024".to_owned());
        }
        if self.fetch.max_interval_secs < 30 {
            problems.push("fetch.max_interval_secs must be at least 30".to_owned());
        }
        if self.fetch.per_host == 0 {
            problems.push("fetch.per_host must be at least 1".to_owned());
        }
        for (key, secs) in [
            ("fetch.connect_timeout_secs", self.fetch.connect_timeout_secs),
            ("fetch.read_timeout_secs", self.fetch.read_timeout_secs),
            ("fetch.timeout_secs", self.fetch.timeout_secs),
        ] {
            if secs == 0 {
                problems.push(format!("{key} must be at least 1"));
            }
        }
        if self.search.timeout_ms < 100 {
            problems.push("search.timeout_ms must be at least 100".to_owned());
        }
        if self.search.backend == SearchBackend::Postgres
            && !["postgres://", "postgresql://"].iter().any(|p| self.database_url.starts_with(p))
        {
            problems.push(
                "search.backend = \"postgres\" needs a PostgreSQL database_url (postgres://…); \
                 with SQLite, leave search.backend unset (\"tantivy\")"
                    .to_owned(),
            );
        }
        if self.search.max_concurrent == 0 {
            problems.push("search.max_concurrent must be at least 1".to_owned());
        }
        if !self.fetch.user_agent.contains('@') && !self.fetch.user_agent.contains("http") {
            problems.push(
                "fetch.user_agent must carry a contact address (an e-mail or a URL) so sites can reach the office"
                    .to_owned(),
            );
        }
        if !SPIKE_INTERVAL_SECS.contains(&self.spikes.interval_secs) {
            problems.push(format!(
                "spikes.interval_secs must be between {} and {} (one day), got {}",
                SPIKE_INTERVAL_SECS.start(),
                SPIKE_INTERVAL_SECS.end(),
                self.spikes.interval_secs
            ));
        }
        if let Err(e) = self.spikes.method.parse::<signals::Method>() {
            problems.push(format!("spikes.method: {e}"));
        }
        for (i, page) in self.impersonation.official_pages.iter().enumerate() {
            if page.name.trim().is_empty() {
                problems.push(format!("impersonation.official_pages[{i}].name is empty"));
            }
            if let Some(url) = &page.url
                && rules::impersonation::normalise_url(url).is_none()
            {
                problems.push(format!(
                    "impersonation.official_pages[{i}].url {url:?} is not a page address"
                ));
            }
        }
        if !CORRECTION_INTERVAL_SECS.contains(&self.corrections.interval_secs) {
            problems.push(format!(
                "corrections.interval_secs must be between {} and {}, got {}",
                CORRECTION_INTERVAL_SECS.start(),
                CORRECTION_INTERVAL_SECS.end(),
                self.corrections.interval_secs
            ));
        }
        if alerts::deadlines::parse_hhmm(&self.digest.send_at).is_err() {
            problems.push(format!(
                "digest.send_at {:?} is not a time of day such as 07:00",
                self.digest.send_at
            ));
        }
        if let Err(mut found) = self.workflow.schedule() {
            problems.append(&mut found);
        }
        if let Err(e) = self.report.cutoffs() {
            problems.push(format!("report: {e}"));
        }
        for (i, s) in self.sources.iter().enumerate() {
            if let Err(e) = s.tier.parse::<model::SourceTier>() {
                problems.push(format!("sources[{i}] ({}): {e}", s.name));
            }
            let kind = s.kind.parse::<model::SourceKind>();
            if let Err(e) = &kind {
                problems.push(format!("sources[{i}] ({}): {e}", s.name));
            }
            if let Err(e) = s.fetch_articles.parse::<model::ArticleFetch>() {
                problems.push(format!("sources[{i}] ({}): {e}", s.name));
            }
            if s.interval_secs < 30 {
                problems
                    .push(format!("sources[{i}] ({}): interval_secs must be at least 30", s.name));
            }
            if let Some(Err(e)) = s.home_province.as_deref().map(home_province_code) {
                problems.push(format!("sources[{i}] ({}): home_province {e}", s.name));
            }
            let web = s.url.starts_with("http://") || s.url.starts_with("https://");
            if kind == Ok(model::SourceKind::Import) {
                if web {
                    problems.push(format!(
                        "sources[{i}] ({}): an import source is a file path, not a URL",
                        s.name
                    ));
                }
            } else if !web {
                problems.push(format!("sources[{i}] ({}): url must be http or https", s.name));
            }
        }
        for path in &self.adapters {
            if !path.is_file() {
                problems.push(format!("adapters: {} is not a readable file", path.display()));
            }
        }
        if !problems.is_empty() {
            bail!("invalid configuration:\n  - {}", problems.join("\n  - "));
        }
        Ok(())
    }

    /// The database URL to use: the configured one, or SQLite in the data directory.
    pub(crate) fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("langnghe.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The office's rules directory: `rules_dir`, else `rules` under the data directory.
    /// Claims and watch rules added from the dashboard or the command line are written
    /// there; it need not exist until then.
    pub(crate) fn local_rules_dir(&self) -> PathBuf {
        match &self.rules_dir {
            Some(dir) if !dir.as_os_str().is_empty() => dir.clone(),
            _ => self.data_dir.join("rules"),
        }
    }

    /// Where the rule packs and claims are read from: the built-in ones (unless
    /// `builtin_rules` is false) with a directory over them, `flag` (a command's `--rules`,
    /// which must exist) else [`Config::local_rules_dir`]. A configured `rules_dir` that
    /// does not exist is warned about and the built-in packs are used alone: a
    /// configuration written when the packs were read from the working directory keeps
    /// working wherever it is run.
    pub(crate) fn rule_sources(&self, flag: Option<&Path>) -> anyhow::Result<rules::RuleSources> {
        let dir = match flag {
            Some(dir) if !dir.is_dir() => {
                bail!("--rules {}: no such directory", dir.display());
            }
            Some(dir) => dir.to_owned(),
            None => self.local_rules_dir(),
        };
        let configured = self.rules_dir.as_ref().is_some_and(|d| !d.as_os_str().is_empty());
        if flag.is_none() && configured && self.builtin_rules && !dir.exists() {
            tracing::warn!(
                rules_dir = %dir.display(),
                "The configured rules_dir does not exist: the built-in rule packs and claims are used alone (claims added from the dashboard will create it)."
            );
        }
        Ok(rules::RuleSources { builtin: self.builtin_rules, dir: Some(dir) })
    }

    pub(crate) fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    pub(crate) fn search_limits(&self) -> dashboard::SearchLimits {
        dashboard::SearchLimits {
            timeout: Duration::from_millis(self.search.timeout_ms),
            max_concurrent: self.search.max_concurrent,
            max_queued: self.search.max_queued,
        }
    }

    /// The spike scan's settings. Only called on a validated configuration, so the method
    /// parses.
    pub(crate) fn spike_config(&self) -> jobs::SpikeConfig {
        let defaults = jobs::SpikeConfig::default();
        jobs::SpikeConfig {
            interval: Duration::from_secs(self.spikes.interval_secs),
            method: self.spikes.method.parse().unwrap_or(defaults.method),
            hourly: self.spikes.hourly,
            ..defaults
        }
    }

    /// When the daily digest goes out (checked when the configuration was read).
    pub(crate) fn send_at(&self) -> chrono::NaiveTime {
        alerts::deadlines::parse_hhmm(&self.digest.send_at)
            .unwrap_or_else(|_| chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default())
    }

    /// The correction tracking's settings.
    pub(crate) fn correction_config(&self) -> jobs::CorrectionConfig {
        jobs::CorrectionConfig { interval: Duration::from_secs(self.corrections.interval_secs) }
    }

    pub(crate) fn fetch_config(&self) -> fetch::FetchConfig {
        fetch::FetchConfig {
            user_agent: self.fetch.user_agent.clone(),
            connect_timeout: Duration::from_secs(self.fetch.connect_timeout_secs),
            read_timeout: Duration::from_secs(self.fetch.read_timeout_secs),
            timeout: Duration::from_secs(self.fetch.timeout_secs),
            max_body_bytes: self.fetch.max_body_bytes,
            max_redirects: self.fetch.max_redirects,
            per_host: self.fetch.per_host,
            host_delay: Duration::from_millis(self.fetch.host_delay_ms),
            respect_robots: self.fetch.respect_robots,
            robots_ttl: Duration::from_secs(self.fetch.robots_ttl_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_postgres_search_backend_needs_a_postgres_database() {
        let c = Config::load_with(None, env(&[])).unwrap();
        assert_eq!(c.search.backend, SearchBackend::Tantivy);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[search]\nbackend = \"postgres\"\n").unwrap();
        let e = Config::load_with(Some(&path), env(&[])).unwrap_err();
        assert!(format!("{e:#}").contains("needs a PostgreSQL database_url"), "{e:#}");
        std::fs::write(
            &path,
            "database_url = \"postgres://u@127.0.0.1/db\"\n[search]\nbackend = \"postgres\"\n",
        )
        .unwrap();
        let c = Config::load_with(Some(&path), env(&[])).unwrap();
        assert_eq!(c.search.backend, SearchBackend::Postgres);
        std::fs::write(&path, "[search]\nbackend = \"elastic\"\n").unwrap();
        assert!(Config::load_with(Some(&path), env(&[])).is_err());
    }

    #[test]
    fn defaults_list_real_feeds() {
        let c = Config::load_with(None, env(&[])).unwrap();
        assert!(c.sources.len() >= 5);
        assert!(c.sources.iter().all(|s| s.url.starts_with("https://")));
        assert!(c.database_url().starts_with("sqlite://data/langnghe.db"));
    }

    #[test]
    fn rules_are_built_in_with_the_office_s_directory_over_them() {
        let c = Config::load_with(None, env(&[])).unwrap();
        assert_eq!(c.rules_dir, None);
        assert_eq!(c.local_rules_dir(), PathBuf::from("data/rules"));
        let sources = c.rule_sources(None).unwrap();
        assert_eq!(sources, rules::RuleSources::layered("data/rules"));

        // An empty variable unsets a configured directory; builtin_rules switches the
        // built-in packs off.
        let c = Config::load_with(
            None,
            env(&[("LANGNGHE_RULES_DIR", ""), ("LANGNGHE_BUILTIN_RULES", "false")]),
        )
        .unwrap();
        assert_eq!(c.local_rules_dir(), PathBuf::from("data/rules"));
        assert_eq!(c.rule_sources(None).unwrap(), rules::RuleSources::dir_only("data/rules"));

        // A command's --rules must name a directory.
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load_with(None, env(&[])).unwrap();
        let e = c.rule_sources(Some(&dir.path().join("nope"))).unwrap_err();
        assert!(e.to_string().contains("no such directory"), "{e}");
        let given = c.rule_sources(Some(dir.path())).unwrap();
        assert_eq!(given, rules::RuleSources::layered(dir.path()));
    }

    #[test]
    fn a_configured_rules_dir_that_is_missing_leaves_the_built_in_rules() {
        // The configuration of a release that read the packs from the working directory.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "rules_dir = \"rules\"\n").unwrap();
        let c = Config::load_with(Some(&path), env(&[])).unwrap();
        let sources = c.rule_sources(None).unwrap();
        assert_eq!(sources, rules::RuleSources::layered("rules"));
        let missing = rules::RuleSources::layered(dir.path().join("rules"));
        let loaded = crate::claims::load(&missing);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(
            loaded.rules.len(),
            crate::claims::load(&rules::RuleSources::builtin()).rules.len()
        );
        assert!(loaded.library.len() >= 150);
        assert_eq!(crate::claims::describe(&missing), "the built-in packs");
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "data_dir = \"/srv/ln\"\n[http]\nlisten = \"0.0.0.0:9000\"\n[[sources]]\nname = \"A\"\nurl = \"https://a.vn/rss\"\n").unwrap();
        let c = Config::load_with(
            Some(&path),
            env(&[
                ("LANGNGHE_HTTP__LISTEN", "127.0.0.1:7000"),
                ("LANGNGHE_FETCH__WORKERS", "2"),
                ("LANGNGHE_TEST_POSTGRES_URL", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/ln"));
        assert_eq!(c.http.listen, "127.0.0.1:7000");
        assert_eq!(c.fetch.workers, 2);
        assert_eq!(c.sources.len(), 1, "a file's sources replace the built-in ones");
        assert_eq!(c.sources[0].interval_secs, 600);
    }

    #[test]
    fn links_start_with_the_public_url_else_the_listening_address() {
        let c = Config::load_with(None, env(&[])).unwrap();
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
        let c = Config::load_with(
            None,
            env(&[("LANGNGHE_HTTP__PUBLIC_URL", "https://langnghe.soyte.example.vn/")]),
        )
        .unwrap();
        assert_eq!(c.public_url(), "https://langnghe.soyte.example.vn");
        let c = Config::load_with(
            None,
            env(&[("LANGNGHE_DIGEST__DASHBOARD_URL", "https://cu.soyte.example.vn")]),
        )
        .unwrap();
        assert_eq!(c.public_url(), "https://cu.soyte.example.vn", "the older key still counts");
        let e = Config::load_with(None, env(&[("LANGNGHE_HTTP__PUBLIC_URL", "langnghe.vn")]))
            .unwrap_err();
        assert!(format!("{e:#}").contains("http.public_url"), "{e:#}");
    }

    #[test]
    fn trusted_proxies_are_a_list_or_commas_and_must_parse() {
        let c = Config::load_with(None, env(&[])).unwrap();
        assert!(c.http.trusted_proxies.is_empty(), "nobody is trusted by default");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[http]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n")
            .unwrap();
        let c = Config::load_with(Some(&path), env(&[])).unwrap();
        assert_eq!(c.http.trusted_proxies, ["127.0.0.1", "10.0.0.0/8"]);
        let c = Config::load_with(
            None,
            env(&[("LANGNGHE_HTTP__TRUSTED_PROXIES", "127.0.0.1, fd00::/8")]),
        )
        .unwrap();
        assert_eq!(c.http.trusted_proxies, ["127.0.0.1", "fd00::/8"]);
        let c =
            Config::load_with(None, env(&[("LANGNGHE_HTTP__TRUSTED_PROXIES", "[\"192.0.2.1\"]")]))
                .unwrap();
        assert_eq!(c.http.trusted_proxies, ["192.0.2.1"]);
        let err = Config::load_with(
            None,
            env(&[("LANGNGHE_HTTP__TRUSTED_PROXIES", "10.0.0.0/33,proxy.local")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("http.trusted_proxies[0]") && err.contains("http.trusted_proxies[1]"),
            "{err}"
        );
    }

    #[test]
    fn home_province_is_a_code_or_a_name_and_is_stored_as_a_code() {
        for (text, code) in [
            ("79", "79"),
            ("01", "01"),
            ("Hồ Chí Minh", "79"),
            ("Thành phố Hồ Chí Minh", "79"),
            ("tinh gia lai", "52"),
            ("Tỉnh Gia Lai", "52"),
            ("Bình Dương", "79"),
            ("Quảng Bình", "44"),
            ("TP.HCM", "79"),
            ("Sài Gòn", "79"),
            (" Huế ", "46"),
        ] {
            assert_eq!(home_province_code(text), Ok(code), "{text}");
        }
        for text in ["", "7", "99", "Sở Y tế Đồng Nai", "Tây Nguyên", "Atlantis"] {
            assert!(home_province_code(text).is_err(), "{text:?} accepted");
        }
        let former = home_province_code("74").unwrap_err();
        assert!(former.contains("Bình Dương") && former.contains("\"79\""), "{former}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[[sources]]\nname = \"Sở Y tế\"\nurl = \"https://soyte.vn/rss\"\nhome_province = \"Bình Dương\"\n",
        )
        .unwrap();
        let c = Config::load_with(Some(&path), env(&[])).unwrap();
        assert_eq!(c.sources[0].to_new_source().home_province.as_deref(), Some("79"));
        std::fs::write(
            &path,
            "[[sources]]\nname = \"A\"\nurl = \"https://a.vn/rss\"\nhome_province = 1\n",
        )
        .unwrap();
        let c = Config::load_with(Some(&path), env(&[])).unwrap();
        assert_eq!(c.sources[0].to_new_source().home_province.as_deref(), Some("01"));

        std::fs::write(
            &path,
            "[[sources]]\nname = \"A\"\nurl = \"https://a.vn/rss\"\nhome_province = \"Atlantis\"\n\
             [[sources]]\nname = \"B\"\nurl = \"https://b.vn/rss\"\nhome_province = \"99\"\n",
        )
        .unwrap();
        let err = Config::load_with(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("sources[0] (A): home_province \"Atlantis\"")
                && err.contains("sources[1] (B): home_province \"99\""),
            "{err}"
        );
    }

    #[test]
    fn workflow_hours_holidays_and_deadlines_are_read_and_checked() {
        use alerts::deadlines::DeadlineKind;
        use model::Priority;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[workflow]\nbusiness_hours = [\"07:30-11:30\", \"13:30-17:00\"]\n\
             holidays = [\"2026-12-31\"]\n\
             [workflow.deadlines.p2]\nacknowledge = \"1h\"\n[workflow.deadlines.p3]\nrespond = \"none\"\n",
        )
        .unwrap();
        let c = Config::load_with(Some(&path), env(&[])).unwrap();
        let schedule = c.workflow.schedule().unwrap();
        let ack = schedule.policy.limit(Priority::P2, DeadlineKind::Acknowledge).unwrap();
        assert_eq!(ack.duration, chrono::Duration::hours(1));
        assert!(schedule.policy.limit(Priority::P3, DeadlineKind::Respond).is_none());
        assert!(
            schedule.calendar.is_holiday(chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())
        );
        assert_eq!(schedule.calendar.day_length(), chrono::Duration::minutes(450));

        std::fs::write(
            &path,
            "[workflow]\nbusiness_hours = [\"7h-17h\"]\nholidays = [\"31/12/2026\"]\n\
             [workflow.deadlines.p4]\nacknowledge = \"1h\"\n[workflow.deadlines.p1]\ndecide = \"soon\"\n",
        )
        .unwrap();
        let err = Config::load_with(Some(&path), env(&[])).unwrap_err().to_string();
        for expected in [
            "workflow.business_hours[0]: expected HH:MM-HH:MM",
            "workflow.holidays[0]: expected YYYY-MM-DD",
            "workflow.deadlines.p4: unknown priority class",
            "workflow.deadlines.p1.decide",
        ] {
            assert!(err.contains(expected), "{expected} in {err}");
        }
    }

    #[test]
    fn spikes_default_to_the_production_method_every_15_minutes_and_are_checked() {
        let c = Config::load_with(None, env(&[])).unwrap();
        let spikes = c.spike_config();
        assert_eq!(spikes.interval, Duration::from_secs(900));
        assert_eq!(spikes.method, signals::Method::EarsTReweighted);
        assert!(spikes.hourly, "hours are scanned by default");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[spikes]\nmethod = \"ears-c2\"\nhourly = false\n").unwrap();
        let c = Config::load_with(Some(&path), env(&[("LANGNGHE_SPIKES__INTERVAL_SECS", "300")]))
            .unwrap();
        let spikes = c.spike_config();
        assert_eq!(
            (spikes.interval, spikes.method, spikes.hourly),
            (Duration::from_secs(300), signals::Method::EarsC2, false)
        );
        let c =
            Config::load_with(Some(&path), env(&[("LANGNGHE_SPIKES__HOURLY", "true")])).unwrap();
        assert!(c.spike_config().hourly, "the environment overrides the file");

        let err = Config::load_with(
            None,
            env(&[("LANGNGHE_SPIKES__INTERVAL_SECS", "5"), ("LANGNGHE_SPIKES__METHOD", "cusum")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("spikes.interval_secs must be between 60"), "{err}");
        assert!(err.contains("spikes.method: unknown method `cusum`"), "{err}");
        assert!(err.contains("ears-t-reweighted"), "the valid names are listed: {err}");
        std::fs::write(&path, "[spikes]\nbucket = \"hour\"\n").unwrap();
        let err = format!("{:#}", Config::load_with(Some(&path), env(&[])).unwrap_err());
        assert!(err.contains("unknown field `bucket`"), "{err}");
    }

    #[test]
    fn every_problem_is_reported() {
        let err = Config::load_with(
            None,
            env(&[("LANGNGHE_HTTP__LISTEN", "nowhere"), ("LANGNGHE_FETCH__WORKERS", "0")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("http.listen") && err.contains("fetch.workers"), "{err}");
        let err = format!(
            "{:#}",
            Config::load_with(None, env(&[("LANGNGHE_HTTP__LISTENN", "x")])).unwrap_err()
        );
        assert!(err.contains("unknown field `listenn`"), "{err}");
    }
}
