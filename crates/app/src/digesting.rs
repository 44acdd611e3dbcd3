//! `langnghe digest`: one day's digest for one reader, gathered and composed by
//! `jobs::digests` exactly as the scheduler and the dashboard's `/digest` page do it, and
//! written as an e-mail message (`--dry-run --out FILE.eml`) or as a page a browser opens
//! (`--html FILE`); and the demo's plan for the next health day, so its calendar and
//! digest show one.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use digest::Audience;

use model::Timestamp;

use crate::cli::DigestArgs;
use crate::config::Config;
use crate::system::open_store;

pub(crate) async fn run(config: &Config, args: &DigestArgs) -> anyhow::Result<ExitCode> {
    let role: Audience = args.role.parse()?;
    if args.out.is_some() && !args.dry_run {
        bail!("--out writes the message instead of sending it: add --dry-run");
    }
    if args.out.is_none() && args.html.is_none() {
        bail!(
            "say where the digest goes: --dry-run --out FILE.eml for the message, --html FILE for the page, or --send to send it to its subscribers now"
        );
    }
    let store = open_store(config).await?;
    let sources = config.rule_sources(None)?;
    let (rules, diags) = rules::RuleSet::load(&sources);
    if !diags.is_empty() {
        // Packs with problems still give the days that loaded; the digest goes out regardless.
        tracing::warn!(n_problems = diags.len(), rules = %crate::claims::describe(&sources), "Rule packs have problems; run `langnghe rules check`.");
    }
    let user = match &args.user {
        Some(name) => Some(
            store.user_by_name(name).await?.with_context(|| format!("no user named {name:?}"))?.0,
        ),
        None => None,
    };
    let now = Utc::now();
    let public_url = config.public_url();
    let composed = jobs::digests::compose_digest(
        &store,
        &rules,
        role,
        args.date,
        now,
        &public_url,
        user.as_ref(),
    )
    .await
    .context("gathering the digest")?;
    let mut out = std::io::stdout().lock();
    if let Some(path) = &args.out {
        let to = if config.digest.to.is_empty() {
            vec!["lanh-dao@localhost".to_owned()]
        } else {
            config.digest.to.clone()
        };
        let domain = config.digest.from.rsplit_once('@').map_or("localhost", |(_, d)| d);
        let reader = user.as_ref().map_or("to", |u| u.name.as_str());
        let id = jobs::digests::message_id(args.date, role, reader, domain);
        let bytes = jobs::digests::to_message(&composed, &config.digest.from, &to, now, &id)?;
        std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "{} → {}", composed.subject, path.display())?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, composed.with_data_images(false))
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "{} → {}", composed.subject, path.display())?;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Notes a planned message, by one of the demo's officers, for the soonest health day the
/// office should be preparing for (or, between seasons, the next one the calendar shows),
/// unless one is noted already: the demo's calendar and the spokesperson's digest then show
/// what a plan looks like.
pub(crate) async fn plan_demo_day(
    store: &store::Store,
    sources: &rules::RuleSources,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (rules, _) = rules::RuleSet::load(sources);
    let today = model::to_vn_time(now).date_naive();
    let days = jobs::digests::upcoming_days_within(&rules, today, jobs::digests::CALENDAR_DAYS);
    let with_rules = || days.iter().filter(|d| !d.related.is_empty());
    let Some(day) = with_rules().find(|d| d.needs_preparation).or_else(|| with_rules().next())
    else {
        return Ok(());
    };
    if !store.health_day_notes(std::slice::from_ref(&day.key)).await?.is_empty() {
        return Ok(());
    }
    let plan = format!(
        "Hưởng ứng {}: bài viết trên Cổng thông tin điện tử và trang Facebook của Sở, một \
         infographic gửi qua Zalo OA, tin phát trên đài truyền thanh cơ sở; nhắc số đường dây \
         nóng của Sở Y tế.",
        day.title
    );
    store.add_health_day_note(&day.key, &plan, demo::handling::OFFICERS[0], now).await?;
    Ok(())
}
