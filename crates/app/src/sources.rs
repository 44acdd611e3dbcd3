//! `langnghe sources`: listing, adding, enabling, disabling and removing sources, and OPML
//! import and export.
//!
//! Sources added here (or imported) belong to the administrator, not to the configuration
//! file: `serve` never disables them when they are missing from the file.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use model::{ArticleFetch, Source, SourceKind, SourceOrigin, SourceTier, to_vn_time};
use store::NewSource;

use crate::cli::{SourceAddArgs, SourcesCommand};
use crate::config::Config;
use crate::system::{open_index, open_store};

pub(crate) async fn run(config: &Config, command: SourcesCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let mut out = std::io::stdout().lock();
    let now = Utc::now();
    match command {
        SourcesCommand::List { json } => {
            let sources = store.list_sources().await?;
            if json {
                for s in &sources {
                    writeln!(out, "{}", source_json(s))?;
                }
            } else {
                write_table(&mut out, &sources)?;
            }
        }
        SourcesCommand::Add(args) => {
            let new = new_source(&args)?;
            if let Ok(s) = store.find_source(&new.url).await {
                bail!("a source with the URL {} already exists (source {})", new.url, s.id);
            }
            let s = store.upsert_source(&new, now).await?;
            writeln!(out, "source {} added: {} ({}, {})", s.id, s.name, s.kind, s.url)?;
        }
        SourcesCommand::Enable { source } => {
            let s = store.find_source(&source).await?;
            store.set_source_enabled(s.id, true, now).await?;
            writeln!(out, "source {} enabled: {}", s.id, s.name)?;
        }
        SourcesCommand::Disable { source } => {
            let s = store.find_source(&source).await?;
            store.set_source_enabled(s.id, false, now).await?;
            writeln!(out, "source {} disabled: {} (its documents stay searchable)", s.id, s.name)?;
        }
        SourcesCommand::Remove { source, purge } => {
            let s = store.find_source(&source).await?;
            let removed = match store.remove_source(s.id, purge).await {
                Ok(removed) => removed,
                // The store's refusal, said in terms of this command's options.
                Err(store::Error::Conflict(_)) => bail!(
                    "source {} has documents: remove it with --purge to delete them too, or \
                     `langnghe sources disable {}` to keep them searchable",
                    s.id,
                    s.id
                ),
                Err(e) => return Err(e.into()),
            };
            if !removed.is_empty() {
                let index = open_index(config)?;
                index.delete(&removed)?;
                index.commit(index.last_indexed_id()?)?;
            }
            writeln!(out, "source {} removed with {} document(s)", s.id, removed.len())?;
        }
        SourcesCommand::Import { file, tier, interval_secs } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let opml = feeds::opml::parse(&bytes)
                .with_context(|| format!("reading {} as OPML", file.display()))?;
            let tier: SourceTier = tier.parse().map_err(|e| anyhow::anyhow!("--tier: {e}"))?;
            let (mut added, mut known, mut skipped) = (0, 0, 0);
            for sub in &opml.feeds {
                // Normalised as `sources add` does, so both find the same source.
                let url = match web_url(&sub.xml_url) {
                    Ok(url) => url,
                    Err(e) => {
                        skipped += 1;
                        writeln!(out, "skipped {:?}: {e:#}", sub.title)?;
                        continue;
                    }
                };
                if store.find_source(&url).await.is_ok() {
                    known += 1;
                    continue;
                }
                let new = NewSource {
                    name: if sub.title.is_empty() { url.clone() } else { sub.title.clone() },
                    url,
                    kind: SourceKind::Feed,
                    tier,
                    interval_secs,
                    origin: SourceOrigin::Opml,
                    category: (!sub.category.is_empty()).then(|| sub.category.join(" / ")),
                    ..NewSource::default()
                };
                store.upsert_source(&new, now).await?;
                added += 1;
            }
            writeln!(
                out,
                "{added} source(s) added, {known} already known, {skipped} skipped, from {}",
                file.display()
            )?;
            if skipped > 0 {
                store.close().await;
                return Ok(ExitCode::from(1));
            }
        }
        SourcesCommand::Export { out: path } => {
            let sources = store.list_sources().await?;
            let opml = feeds::opml::Opml {
                title: "Lắng Nghe: nguồn tin".to_owned(),
                // OPML lists feeds: a listing page, sitemap or page written there would come
                // back as a feed that never parses.
                feeds: sources
                    .iter()
                    .filter(|s| matches!(s.kind, SourceKind::Feed | SourceKind::SearchFeed))
                    .map(|s| feeds::opml::Subscription {
                        title: s.name.clone(),
                        xml_url: s.url.clone(),
                        html_url: None,
                        category: s
                            .category
                            .as_deref()
                            .map(|c| c.split(" / ").map(str::to_owned).collect())
                            .unwrap_or_default(),
                    })
                    .collect(),
            };
            let text = feeds::opml::write(&opml);
            match path {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => out.write_all(text.as_bytes())?,
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn new_source(args: &SourceAddArgs) -> anyhow::Result<NewSource> {
    let kind: SourceKind = args.kind.parse().map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    let tier: SourceTier = args.tier.parse().map_err(|e| anyhow::anyhow!("--tier: {e}"))?;
    let fetch_articles: ArticleFetch =
        args.fetch_articles.parse().map_err(|e| anyhow::anyhow!("--fetch-articles: {e}"))?;
    if args.interval_secs < 30 {
        bail!("--interval-secs must be at least 30");
    }
    let home_province = match args.home_province.as_deref() {
        Some(text) => Some(
            crate::config::home_province_code(text)
                .map_err(|e| anyhow::anyhow!("--home-province: {e}"))?
                .to_owned(),
        ),
        None => None,
    };
    let url = if kind == SourceKind::Import {
        std::path::Path::new(&args.url)
            .canonicalize()
            .with_context(|| format!("reading {}", args.url))?
            .display()
            .to_string()
    } else {
        web_url(&args.url)?
    };
    Ok(NewSource {
        name: args.name.clone().unwrap_or_else(|| url.clone()),
        url,
        kind,
        tier,
        interval_secs: args.interval_secs,
        allow_private: args.allow_private,
        origin: SourceOrigin::Cli,
        fetch_articles,
        category: args.category.clone(),
        home_province,
    })
}

/// An http(s) URL in the one spelling sources are stored and looked up by.
pub(crate) fn web_url(text: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(text).with_context(|| format!("{text:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{text:?} is not an http or https URL");
    }
    Ok(parsed.to_string())
}

fn source_json(s: &Source) -> serde_json::Value {
    let time = |t: Option<model::Timestamp>| t.map(|t| t.to_rfc3339());
    serde_json::json!({
        "id": s.id, "name": s.name, "url": s.url, "kind": s.kind.as_str(), "tier": s.tier.as_str(),
        "enabled": s.enabled, "origin": s.origin.as_str(), "category": s.category,
        "home_province": s.home_province,
        "fetch_articles": s.fetch_articles.as_str(), "interval_secs": s.interval_secs,
        "poll_interval_secs": s.state.poll_interval_secs, "allow_private": s.allow_private,
        "polls": s.state.polls, "not_modified": s.state.not_modified,
        "error_count": s.state.error_count, "last_error": s.state.last_error,
        "last_fetched_at": time(s.state.last_fetched_at), "next_poll_at": time(s.state.next_poll_at),
    })
}

fn write_table(out: &mut impl Write, sources: &[Source]) -> std::io::Result<()> {
    if sources.is_empty() {
        return writeln!(out, "no sources");
    }
    for s in sources {
        let state = if s.enabled { "on" } else { "off" };
        let every = s.state.poll_interval_secs.unwrap_or(s.interval_secs);
        let unchanged = if s.state.polls > 0 {
            format!("{}% 304", s.state.not_modified * 100 / s.state.polls)
        } else {
            "never polled".to_owned()
        };
        let last = s
            .state
            .last_fetched_at
            .map(|t| to_vn_time(t).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".to_owned());
        writeln!(
            out,
            "{:>4}  {state:<3}  {:<12} {:<10} every {every}s  last {last}  {unchanged}  {}",
            s.id,
            s.kind.as_str(),
            s.tier.as_str(),
            s.name
        )?;
        writeln!(out, "      {}", s.url)?;
        if let Some(code) = &s.home_province {
            let name = gazetteer::unit(code).map_or("", |u| u.name);
            writeln!(out, "      home province {code} {name}")?;
        }
        if s.state.error_count > 0 {
            writeln!(
                out,
                "      {} error(s) in a row: {}",
                s.state.error_count,
                s.state.last_error.as_deref().unwrap_or("")
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command, SourcesCommand};

    fn add_args(args: &[&str]) -> crate::cli::SourceAddArgs {
        let argv = ["langnghe", "sources", "add", "https://soyte.example.vn/rss"];
        let cli = Cli::try_parse_from(argv.iter().chain(args)).unwrap();
        match cli.command {
            Command::Sources { command: SourcesCommand::Add(args) } => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn home_province_is_given_by_code_or_name_and_listed() {
        let new = super::new_source(&add_args(&["--home-province", "Bình Dương"])).unwrap();
        assert_eq!(new.home_province.as_deref(), Some("79"));
        assert_eq!(super::new_source(&add_args(&[])).unwrap().home_province, None);
        let err = super::new_source(&add_args(&["--home-province", "Atlantis"])).unwrap_err();
        assert!(err.to_string().starts_with("--home-province: \"Atlantis\""), "{err}");

        let source = model::Source {
            id: 1,
            name: new.name,
            url: new.url,
            kind: new.kind,
            tier: new.tier,
            interval_secs: new.interval_secs,
            allow_private: false,
            enabled: true,
            origin: new.origin,
            fetch_articles: new.fetch_articles,
            category: None,
            home_province: new.home_province,
            state: model::FetchState::default(),
        };
        assert_eq!(super::source_json(&source)["home_province"], "79");
        let mut table = Vec::new();
        super::write_table(&mut table, &[source]).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("home province 79 Thành phố Hồ Chí Minh"), "{table}");
    }
}
