//! The period report's figures, gathered for `[from, to)` and for the period it is compared
//! with: documents, sightings and stories per month, outlet, tier, topic and province; the
//! alerts and their handling (the very figures of `alerts::kpi`, over the same facts and
//! events as the KPI page); the rumours handled with their responses and correction
//! coverage; the responses issued; the health days' coverage; and the office's own counts
//! (`office_activity`, entered by hand).
//!
//! Documents are counted at their publication time, unless it is missing or later than
//! their fetch (as stories and trends count them), sightings likewise, stories at their
//! first sighting; every day is a Vietnam day.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use alerts::kpi::{self, Figures, Period, Timeline};
use chrono::{Datelike, Days, NaiveDate};
use model::report::{
    ActivityEntry, ActivityIndicator, ActivityRow, AlertFigures, BacklogRow, ComplianceRow,
    CorrectionFigures, Deadline, DurationFigure, HandlingFigures, HealthDayRow, HealthDayWindow,
    Indicator, Items, KindRow, MonthItems, OutletItems, Part, ProvinceItems, ReportData,
    ReportPeriod, ReportRequest, ResponseFigures, ResponseRow, RuleRow, RumourRow, StoryRow,
    TierItems, TopicItems,
};
use model::{
    AlertAction, AlertState, DismissReason, EscalationTarget, Priority, ResponseChannel, RuleKind,
    SourceTier, Timestamp,
};
use sqlx::Row;

use crate::{Error, Result, Store, from_millis, millis, parse_enum};

const DAY_MS: i64 = 86_400_000;
const VN_OFFSET_MS: i64 = 7 * 3_600_000;
/// Ids per statement when reading rows of many alerts or stories.
const IDS_PER_STATEMENT: usize = 500;
/// The stories listed as the period's most carried.
const TOP_STORIES: i64 = 10;

/// When a document appeared.
const DOC_TIME: &str = "(CASE WHEN d.published_at IS NOT NULL AND d.published_at <= d.fetched_at \
     THEN d.published_at ELSE d.fetched_at END)";
/// When a sighting appeared.
const SIGHT_TIME: &str = "(CASE WHEN g.published_at IS NOT NULL AND g.published_at <= g.fetched_at \
     THEN g.published_at ELSE g.fetched_at END)";

/// Documents of `[$1, $2)`; the first condition lets the indexes on both times answer.
fn docs_in_period() -> String {
    format!("(d.published_at >= $1 OR d.fetched_at >= $1) AND {DOC_TIME} >= $1 AND {DOC_TIME} < $2")
}

fn sightings_in_period() -> String {
    format!(
        "(g.published_at >= $1 OR g.fetched_at >= $1) AND {SIGHT_TIME} >= $1 AND {SIGHT_TIME} < $2"
    )
}

fn date_of(vday: i64) -> NaiveDate {
    let epoch = NaiveDate::default();
    u64::try_from(vday).ok().and_then(|d| epoch.checked_add_days(Days::new(d))).unwrap_or(epoch)
}

fn month_of(vday: i64) -> (i32, u32) {
    let d = date_of(vday);
    (d.year(), d.month())
}

/// The alert kinds the report lists, in this order.
const ALERT_KINDS: [RuleKind; 5] =
    [RuleKind::Rumor, RuleKind::Suspicion, RuleKind::Crisis, RuleKind::Watch, RuleKind::Spike];

const PRIORITIES: [Priority; 3] = [Priority::P1, Priority::P2, Priority::P3];

fn deadline_of(k: alerts::deadlines::DeadlineKind) -> Deadline {
    use alerts::deadlines::DeadlineKind as K;
    match k {
        K::Acknowledge => Deadline::Acknowledge,
        K::Decide => Deadline::Decide,
        K::Respond => Deadline::Respond,
    }
}

fn duration_figure(s: &kpi::DurationStats) -> DurationFigure {
    DurationFigure { count: s.count, median: s.median, p90: s.p90 }
}

fn ids_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

/// One period's figures, before the summary compares two.
#[derive(Debug, Clone, Default)]
struct Gathered {
    items: Items,
    alerts: AlertFigures,
    handling: HandlingFigures,
    responses: ResponseFigures,
    health_days: Vec<HealthDayRow>,
    activity: BTreeMap<ActivityIndicator, ActivityEntry>,
}

impl Store {
    /// Everything the report of `req.period` holds, compared with `req.previous`.
    pub async fn report_data(&self, req: &ReportRequest) -> Result<ReportData> {
        let (current, rumours, figures_at) = self.gather(req, &req.period, true).await?;
        let (previous, _, _) = self.gather(req, &req.previous, false).await?;
        let summary = indicators(&current, &previous);
        let activity = ActivityIndicator::ALL
            .iter()
            .map(|&indicator| ActivityRow {
                indicator,
                entry: current.activity.get(&indicator).cloned(),
                previous: previous.activity.get(&indicator).map(|e| e.value),
            })
            .collect();
        let definitions = self.definitions(req, figures_at).await?;
        tracing::debug!(
            period = %req.period.code,
            n_documents = current.items.documents,
            n_alerts = current.alerts.opened,
            n_rumours = rumours.len(),
            "Report figures gathered."
        );
        Ok(ReportData {
            office: req.office.clone(),
            period: req.period.clone(),
            previous: req.previous.clone(),
            generated_at: req.now,
            figures_at,
            summary,
            items: current.items,
            alerts: current.alerts,
            handling: current.handling,
            rumours,
            responses: current.responses,
            health_days: current.health_days,
            activity,
            definitions,
        })
    }

    async fn gather(
        &self,
        req: &ReportRequest,
        period: &ReportPeriod,
        detail: bool,
    ) -> Result<(Gathered, Vec<RumourRow>, Timestamp)> {
        let span = Period { from: period.from(), to: period.to() };
        let items = self.report_items(period, &req.provinces, detail).await?;
        let (facts, events) = self.handling_history(span.from, span.to).await?;
        // The same computation as the KPI page's, over the same facts and events.
        let figures = kpi::figures(&facts, &events, span, req.now, self.schedule());
        let lines = kpi::timelines(&facts, &events, self.schedule());
        let alerts = alert_figures(&facts, &events, &lines, &figures);
        let handling = handling_figures(&figures);
        let rumours =
            if detail { self.rumours(&facts, &lines, &figures).await? } else { Vec::new() };
        let responses = self.response_figures(span).await?;
        let windows =
            if period == &req.period { &req.health_days } else { &req.previous_health_days };
        let health_days = self.health_day_rows(period, windows).await?;
        let activity =
            self.office_activity(period).await?.into_iter().map(|e| (e.indicator, e)).collect();
        Ok((
            Gathered { items, alerts, handling, responses, health_days, activity },
            rumours,
            figures.at,
        ))
    }

    async fn report_items(
        &self,
        period: &ReportPeriod,
        provinces: &BTreeMap<String, String>,
        detail: bool,
    ) -> Result<Items> {
        let (from, to) = (millis(period.from()), millis(period.to()));
        let docs = docs_in_period();
        let day = |time: &str| format!("({time} + {VN_OFFSET_MS}) / {DAY_MS}");
        let mut months: BTreeMap<(i32, u32), MonthItems> = period
            .months()
            .into_iter()
            .map(|(year, month)| {
                (
                    (year, month),
                    MonthItems { year, month, documents: 0, sightings: 0, new_stories: 0 },
                )
            })
            .collect();
        let mut items = Items::default();

        let rows = sqlx::query(&format!(
            "SELECT {} AS vday, COUNT(*) AS n FROM documents d WHERE {docs} GROUP BY {}",
            day(DOC_TIME),
            day(DOC_TIME)
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            items.documents += n;
            if let Some(m) = months.get_mut(&month_of(r.try_get("vday")?)) {
                m.documents += n;
            }
        }
        let rows = sqlx::query(&format!(
            "SELECT {} AS vday, COUNT(*) AS n FROM sightings g WHERE {} GROUP BY {}",
            day(SIGHT_TIME),
            sightings_in_period(),
            day(SIGHT_TIME)
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            items.sightings += n;
            if let Some(m) = months.get_mut(&month_of(r.try_get("vday")?)) {
                m.sightings += n;
            }
        }
        let rows = sqlx::query(&format!(
            "SELECT {} AS vday, COUNT(*) AS n FROM stories t \
             WHERE t.first_seen >= $1 AND t.first_seen < $2 GROUP BY {}",
            day("t.first_seen"),
            day("t.first_seen")
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            items.new_stories += n;
            if let Some(m) = months.get_mut(&month_of(r.try_get("vday")?)) {
                m.new_stories += n;
            }
        }
        items.by_month = months.into_values().collect();

        // Outlets and tiers.
        let sources: HashMap<i64, model::Source> =
            self.list_sources().await?.into_iter().map(|s| (s.id, s)).collect();
        let mut per_source: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        let rows = sqlx::query(&format!(
            "SELECT d.source_id, COUNT(*) AS n FROM documents d WHERE {docs} GROUP BY d.source_id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            per_source.entry(r.try_get("source_id")?).or_default().0 += r.try_get::<i64, _>("n")?;
        }
        let rows = sqlx::query(&format!(
            "SELECT g.source_id, COUNT(*) AS n FROM sightings g WHERE {} GROUP BY g.source_id",
            sightings_in_period()
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            per_source.entry(r.try_get("source_id")?).or_default().1 += r.try_get::<i64, _>("n")?;
        }
        let mut tiers: BTreeMap<SourceTier, TierItems> = SourceTier::ALL
            .iter()
            .map(|&tier| (tier, TierItems { tier, outlets: 0, documents: 0, sightings: 0 }))
            .collect();
        let mut outlets = Vec::with_capacity(per_source.len());
        for (&id, &(documents, sightings)) in &per_source {
            let (name, tier) = sources.get(&id).map_or_else(
                || (format!("Nguồn {id}"), SourceTier::Press),
                |s| (s.name.clone(), s.tier),
            );
            if let Some(t) = tiers.get_mut(&tier) {
                t.outlets += i64::from(sightings > 0);
                t.documents += documents;
                t.sightings += sightings;
            }
            items.outlets += i64::from(sightings > 0);
            outlets.push(OutletItems { source_id: id, name, tier, documents, sightings });
        }
        outlets.sort_by(|a, b| {
            b.sightings
                .cmp(&a.sightings)
                .then(b.documents.cmp(&a.documents))
                .then(a.name.cmp(&b.name))
        });
        items.by_outlet = outlets;
        items.by_tier = tiers.into_values().collect();

        // Provinces.
        let name_of = |code: &Option<String>| match code {
            Some(c) => provinces.get(c).cloned().unwrap_or_else(|| c.clone()),
            None => "Chưa xác định địa bàn".to_owned(),
        };
        let rows = sqlx::query(&format!(
            "SELECT d.province, COUNT(*) AS n, COUNT(DISTINCT d.story_id) AS s FROM documents d \
             WHERE {docs} GROUP BY d.province"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut by_province = Vec::with_capacity(rows.len());
        for r in &rows {
            let code: Option<String> = r.try_get("province")?;
            let documents: i64 = r.try_get("n")?;
            if code.is_some() {
                items.with_province += documents;
            }
            by_province.push(ProvinceItems {
                name: name_of(&code),
                code,
                documents,
                stories: r.try_get("s")?,
            });
        }
        by_province.sort_by(|a, b| {
            a.code
                .is_none()
                .cmp(&b.code.is_none())
                .then(b.documents.cmp(&a.documents))
                .then(a.name.cmp(&b.name))
        });
        items.by_province = by_province;

        // Topics.
        let rows = sqlx::query(&format!(
            "SELECT h.rule_id, MAX(h.rule_title) AS title, d.province, COUNT(*) AS n \
             FROM rule_hits h JOIN documents d ON d.id = h.document_id \
             WHERE h.kind = 'topic' AND {docs} GROUP BY h.rule_id, d.province"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut topics: BTreeMap<String, TopicItems> = BTreeMap::new();
        for r in &rows {
            let rule_id: String = r.try_get("rule_id")?;
            let n: i64 = r.try_get("n")?;
            let t = topics.entry(rule_id.clone()).or_insert_with(|| TopicItems {
                rule_id: rule_id.clone(),
                title: String::new(),
                documents: 0,
                sightings: 0,
                stories: 0,
            });
            t.documents += n;
            let title: String = r.try_get("title")?;
            if t.title < title {
                t.title = title;
            }
            items.topic_province.push((rule_id, r.try_get("province")?, n));
        }
        let rows = sqlx::query(&format!(
            "SELECT h.rule_id, COUNT(DISTINCT d.story_id) AS s FROM rule_hits h \
             JOIN documents d ON d.id = h.document_id \
             WHERE h.kind = 'topic' AND {docs} GROUP BY h.rule_id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            if let Some(t) = topics.get_mut(r.try_get::<&str, _>("rule_id")?) {
                t.stories = r.try_get("s")?;
            }
        }
        let rows = sqlx::query(&format!(
            "SELECT h.rule_id, COUNT(*) AS n FROM rule_hits h \
             JOIN documents d ON d.id = h.document_id JOIN sightings g ON g.document_id = d.id \
             WHERE h.kind = 'topic' AND {docs} GROUP BY h.rule_id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            if let Some(t) = topics.get_mut(r.try_get::<&str, _>("rule_id")?) {
                t.sightings = r.try_get("n")?;
            }
        }
        let mut by_topic: Vec<TopicItems> = topics.into_values().collect();
        by_topic.sort_by(|a, b| b.documents.cmp(&a.documents).then(a.rule_id.cmp(&b.rule_id)));
        items.by_topic = by_topic;
        items.topic_province.sort();
        items.with_topic = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM documents d WHERE {docs} AND EXISTS \
             (SELECT 1 FROM rule_hits h WHERE h.document_id = d.id AND h.kind = 'topic')"
        ))
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT h.stance, COUNT(DISTINCT d.id) AS n FROM rule_hits h \
             JOIN documents d ON d.id = h.document_id \
             WHERE h.kind = 'rumor' AND h.stance IN ('carries', 'refutes') AND {docs} GROUP BY h.stance"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            match r.try_get::<&str, _>("stance")? {
                "carries" => items.carrying_rumours = r.try_get("n")?,
                _ => items.refuting_rumours = r.try_get("n")?,
            }
        }

        if detail {
            let rows = sqlx::query(
                "SELECT t.id, t.title, COALESCE(s.name, '') AS origin, t.province, t.first_seen, \
                 t.documents, t.sightings, t.outlets FROM stories t \
                 LEFT JOIN sources s ON s.id = t.origin_source \
                 WHERE t.first_seen >= $1 AND t.first_seen < $2 \
                 ORDER BY t.outlets DESC, t.sightings DESC, t.first_seen, t.id LIMIT $3",
            )
            .bind(from)
            .bind(to)
            .bind(TOP_STORIES)
            .fetch_all(&self.pool)
            .await?;
            items.top_stories = rows
                .iter()
                .map(|r| {
                    let province: Option<String> = r.try_get("province")?;
                    Ok(StoryRow {
                        id: r.try_get("id")?,
                        title: r.try_get("title")?,
                        origin: r.try_get("origin")?,
                        province: province.map(|c| name_of(&Some(c))),
                        first_seen: from_millis(r.try_get("first_seen")?),
                        documents: r.try_get("documents")?,
                        sightings: r.try_get("sightings")?,
                        outlets: r.try_get("outlets")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        }
        Ok(items)
    }

    /// The rumours and suspicious posts opened or handled in the period, oldest first.
    async fn rumours(
        &self,
        facts: &[kpi::AlertFacts],
        lines: &[Timeline],
        figures: &Figures,
    ) -> Result<Vec<RumourRow>> {
        let at = figures.at;
        let within = |t: Timestamp| figures.period.contains(t) && t < at;
        let picked: Vec<(&kpi::AlertFacts, &Timeline)> = facts
            .iter()
            .zip(lines)
            .filter(|(f, t)| {
                matches!(f.kind, RuleKind::Rumor | RuleKind::Suspicion)
                    && (within(f.opened_at) || t.actions.iter().any(|&(w, _)| within(w)))
            })
            .collect();
        let ids: Vec<i64> = picked.iter().map(|(f, _)| f.id).collect();
        let mut stories: HashMap<i64, (String, String, i64)> = HashMap::new();
        let mut responses: HashMap<i64, Vec<(ResponseChannel, Option<String>)>> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let list = ids_list(chunk);
            let rows = sqlx::query(&format!(
                "SELECT a.id, t.title, COALESCE(s.name, '') AS origin, t.outlets FROM alerts a \
                 JOIN stories t ON a.subject = 'story:' || CAST(t.id AS TEXT) \
                 LEFT JOIN sources s ON s.id = t.origin_source WHERE a.id IN ({list})"
            ))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                stories.insert(
                    r.try_get("id")?,
                    (r.try_get("title")?, r.try_get("origin")?, r.try_get("outlets")?),
                );
            }
            let rows = sqlx::query(&format!(
                "SELECT r.alert_id, r.channel, r.url FROM alert_responses r \
                 WHERE r.alert_id IN ({list}) AND r.published_at < $1 ORDER BY r.id"
            ))
            .bind(millis(at))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                responses
                    .entry(r.try_get("alert_id")?)
                    .or_default()
                    .push((parse_enum(r.try_get::<&str, _>("channel")?)?, r.try_get("url")?));
            }
        }
        let mut out = Vec::with_capacity(picked.len());
        for (f, t) in picked {
            let story = stories.get(&f.id);
            let given = responses.get(&f.id);
            let correction = self.alert_corrections(f.id).await?.map(|c| correction_figures(&[c]));
            out.push(RumourRow {
                alert_id: f.id,
                kind: f.kind,
                rule_title: f.rule_title.clone(),
                story_title: story.map(|s| s.0.clone()),
                opened_at: f.opened_at,
                origin: story.map(|s| s.1.clone()).filter(|o| !o.is_empty()),
                outlets: story.map(|s| s.2),
                priority: f.priority,
                state: t.state_before(at).unwrap_or(AlertState::New),
                tta: t
                    .first_ack
                    .filter(|a| *a < at)
                    .map(|a| (a - f.opened_at).max(chrono::Duration::zero())),
                ttr: t
                    .first_response
                    .filter(|r| *r < at)
                    .map(|r| (r - f.opened_at).max(chrono::Duration::zero())),
                responses: given.map_or(0, Vec::len),
                first_response: given.and_then(|g| g.first().cloned()),
                correction,
            });
        }
        out.sort_by_key(|r| (r.opened_at, r.alert_id));
        Ok(out)
    }

    async fn response_figures(&self, span: Period) -> Result<ResponseFigures> {
        // The digest's read, every response of the period.
        let list: Vec<ResponseRow> = self
            .responses_between(span.from, span.to, i64::MAX)
            .await?
            .into_iter()
            .map(|r| ResponseRow {
                published_at: r.response.response.published_at,
                channel: r.response.response.channel,
                alert_id: r.response.alert_id,
                rule_title: r.rule_title,
                text: r.response.response.text,
                url: r.response.response.url,
            })
            .collect();
        let by_channel = ResponseChannel::ALL
            .iter()
            .map(|&c| (c, list.iter().filter(|r| r.channel == c).count()))
            .collect();
        let alerts_answered = list.iter().map(|r| r.alert_id).collect::<BTreeSet<_>>().len();
        let tracked: Vec<i64> = sqlx::query_scalar(
            "SELECT alert_id FROM correction_tracking WHERE started_at >= $1 AND started_at < $2 \
             ORDER BY alert_id",
        )
        .bind(millis(span.from))
        .bind(millis(span.to))
        .fetch_all(&self.pool)
        .await?;
        let mut reports = Vec::with_capacity(tracked.len());
        for &id in &tracked {
            if let Some(r) = self.alert_corrections(id).await? {
                reports.push(r);
            }
        }
        Ok(ResponseFigures {
            total: list.len(),
            by_channel,
            alerts_answered,
            list,
            tracked: reports.len(),
            corrections: correction_figures(&reports),
        })
    }

    async fn health_day_rows(
        &self,
        period: &ReportPeriod,
        windows: &[HealthDayWindow],
    ) -> Result<Vec<HealthDayRow>> {
        let mut out = Vec::with_capacity(windows.len());
        for w in windows {
            // Only the days of the occurrence within the period count in it.
            let (first, last) = (w.first.max(period.first), w.last.min(period.last));
            if last < first {
                continue;
            }
            let clipped = ReportPeriod::new(first, last, String::new(), String::new());
            // The same count as the health-day calendar's.
            let c = self.rule_coverage(&w.rules, clipped.from(), clipped.to(), 0).await?;
            let row = HealthDayRow {
                title: w.title.clone(),
                first,
                last,
                rules: w.rules.len(),
                documents: c.documents,
                stories: c.stories,
                outlets: c.outlets,
            };
            out.push(row);
        }
        out.sort_by(|a, b| a.first.cmp(&b.first).then(a.title.cmp(&b.title)));
        Ok(out)
    }

    async fn definitions(
        &self,
        req: &ReportRequest,
        figures_at: Timestamp,
    ) -> Result<Vec<(String, String)>> {
        let vn = |t: Timestamp| model::to_vn_time(t).format("%H:%M %d/%m/%Y").to_string();
        let schema: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await?;
        let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(fetched_at) FROM documents")
            .fetch_one(&self.pool)
            .await?;
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM documents").fetch_one(&self.pool).await?;
        let mut out = Vec::new();
        if !req.office.is_empty() {
            out.push(("Đơn vị báo cáo".to_owned(), req.office.clone()));
        }
        out.extend([
            ("Kỳ báo cáo".to_owned(), req.period.label.clone()),
            ("Từ ngày".to_owned(), req.period.first.format("%d/%m/%Y").to_string()),
            (
                "Đến ngày (gồm cả ngày này)".to_owned(),
                req.period.last.format("%d/%m/%Y").to_string(),
            ),
            ("Kỳ so sánh".to_owned(), req.previous.label.clone()),
            ("Lập lúc".to_owned(), vn(req.now)),
            ("Số liệu tính đến".to_owned(), req.period.as_of(figures_at)),
            (
                "Cách tính ngày".to_owned(),
                "Giờ Việt Nam (UTC+7); một ngày tính từ 00:00 đến 24:00.".to_owned(),
            ),
            ("Phiên bản cơ sở dữ liệu".to_owned(), format!("lược đồ số {}", schema.unwrap_or(0))),
            (
                "Dữ liệu cập nhật đến".to_owned(),
                latest.map_or_else(|| "chưa có tin bài".to_owned(), |t| vn(from_millis(t))),
            ),
            ("Tin bài trong kho dữ liệu".to_owned(), stored.to_string()),
        ]);
        out.extend(req.about.iter().cloned());
        Ok(out)
    }

    /// The counts the office entered for exactly `period`, in indicator order.
    pub async fn office_activity(&self, period: &ReportPeriod) -> Result<Vec<ActivityEntry>> {
        let rows = sqlx::query(
            "SELECT indicator, value, note, author, updated_at FROM office_activity \
             WHERE period_from = $1 AND period_to = $2",
        )
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(ActivityEntry {
                    indicator: parse_enum(r.try_get::<&str, _>("indicator")?)?,
                    value: r.try_get("value")?,
                    note: r.try_get("note")?,
                    author: r.try_get("author")?,
                    updated_at: from_millis(r.try_get("updated_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|e| e.indicator);
        Ok(out)
    }

    /// Writes the office's counts for `period`: a value sets (or replaces) a count with its
    /// note, `None` clears it; counts that do not change keep their author and time. Returns
    /// how many changed. A negative count is refused.
    pub async fn set_office_activity(
        &self,
        period: &ReportPeriod,
        values: &[(ActivityIndicator, Option<i64>, String)],
        author: &str,
        now: Timestamp,
    ) -> Result<usize> {
        if let Some((i, _, _)) = values.iter().find(|v| v.1.is_some_and(|n| n < 0)) {
            return Err(Error::Refused(format!("the count {} cannot be negative", i.as_str())));
        }
        let current: HashMap<ActivityIndicator, (i64, String)> = self
            .office_activity(period)
            .await?
            .into_iter()
            .map(|e| (e.indicator, (e.value, e.note)))
            .collect();
        let (first, last) = (period.first.to_string(), period.last.to_string());
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for (indicator, value, note) in values {
            let note = note.trim();
            let before = current.get(indicator);
            match value {
                Some(v) if before.is_some_and(|(b, n)| b == v && n == note) => {}
                Some(v) => {
                    sqlx::query(
                        "INSERT INTO office_activity \
                         (period_from, period_to, indicator, value, note, author, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (period_from, period_to, indicator) DO UPDATE SET \
                         value = excluded.value, note = excluded.note, author = excluded.author, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(&first)
                    .bind(&last)
                    .bind(indicator.as_str())
                    .bind(*v)
                    .bind(note)
                    .bind(author)
                    .bind(millis(now))
                    .execute(&mut *tx)
                    .await?;
                    changed += 1;
                }
                None if before.is_some() => {
                    sqlx::query(
                        "DELETE FROM office_activity WHERE period_from = $1 AND period_to = $2 \
                         AND indicator = $3",
                    )
                    .bind(&first)
                    .bind(&last)
                    .bind(indicator.as_str())
                    .execute(&mut *tx)
                    .await?;
                    changed += 1;
                }
                None => {}
            }
        }
        tx.commit().await?;
        Ok(changed)
    }
}

/// The correction figures of some tracked alerts taken together: outlets and remedied
/// outlets added up, reach weighted over every outlet's reach.
fn correction_figures(reports: &[alerts::corrections::CorrectionReport]) -> CorrectionFigures {
    let mut c = CorrectionFigures::default();
    let (mut reach, mut remedied_reach) = (0_i64, 0_i64);
    for r in reports {
        c.outlets += r.coverage.whole;
        c.remedied += r.coverage.part;
        c.corrected += r.correction_coverage.part;
        c.residual_items += r.residual.items;
        for o in &r.outlets {
            reach += o.reach;
            if o.remedied {
                remedied_reach += o.reach;
            }
        }
    }
    c.reach_weighted = (reach > 0).then(|| remedied_reach as f64 / reach as f64);
    c
}

fn alert_figures(
    facts: &[kpi::AlertFacts],
    events: &[model::AlertEvent],
    lines: &[Timeline],
    figures: &Figures,
) -> AlertFigures {
    let at = figures.at;
    let within = |t: Timestamp| figures.period.contains(t) && t < at;
    let c = figures.counts;
    let mut by_kind: Vec<KindRow> =
        ALERT_KINDS.iter().map(|&kind| KindRow { kind, opened: 0, by_priority: [0; 3] }).collect();
    let mut by_state: BTreeMap<AlertState, usize> =
        AlertState::ALL.iter().map(|&s| (s, 0)).collect();
    let mut reasons: BTreeMap<DismissReason, usize> = BTreeMap::new();
    let mut rules: BTreeMap<&str, RuleRow> = BTreeMap::new();
    let mut opened = 0;
    for (f, t) in facts.iter().zip(lines) {
        if !within(f.opened_at) {
            continue;
        }
        opened += 1;
        let p = PRIORITIES.iter().position(|&p| p == f.priority).unwrap_or(2);
        match by_kind.iter_mut().find(|k| k.kind == f.kind) {
            Some(k) => {
                k.opened += 1;
                k.by_priority[p] += 1;
            }
            None => by_kind.push(KindRow {
                kind: f.kind,
                opened: 1,
                by_priority: std::array::from_fn(|i| usize::from(i == p)),
            }),
        }
        let state = t.state_before(at).unwrap_or(AlertState::New);
        *by_state.entry(state).or_default() += 1;
        if state == AlertState::Dismissed
            && let Some(reason) = t
                .decisions
                .iter()
                .rfind(|d| d.at < at && d.action == AlertAction::Dismiss)
                .and_then(|d| d.reason)
        {
            *reasons.entry(reason).or_default() += 1;
        }
        rules
            .entry(&f.rule_id)
            .or_insert_with(|| RuleRow {
                rule_id: f.rule_id.clone(),
                title: f.rule_title.clone(),
                kind: f.kind,
                opened: 0,
                decided: 0,
                dismissed: 0,
            })
            .opened += 1;
    }
    for d in &figures.dismissals {
        let kind =
            facts.iter().find(|f| f.rule_id == d.rule_id).map_or(RuleKind::Rumor, |f| f.kind);
        let r = rules.entry(&d.rule_id).or_insert_with(|| RuleRow {
            rule_id: d.rule_id.clone(),
            title: d.rule_title.clone(),
            kind,
            opened: 0,
            decided: 0,
            dismissed: 0,
        });
        r.decided = d.decided;
        r.dismissed = d.dismissed;
    }
    let mut by_rule: Vec<RuleRow> = rules.into_values().collect();
    by_rule.sort_by(|a, b| {
        b.opened.cmp(&a.opened).then(b.decided.cmp(&a.decided)).then(a.rule_id.cmp(&b.rule_id))
    });
    let escalations = EscalationTarget::ALL
        .iter()
        .map(|&target| {
            let n = events
                .iter()
                .filter(|e| e.action == AlertAction::Escalate && within(e.at))
                .filter(|e| {
                    e.data
                        .as_deref()
                        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                        .and_then(|v| v.get("to").and_then(|t| t.as_str()).map(str::to_owned))
                        .is_some_and(|t| t == target.as_str())
                })
                .count();
            (target, n)
        })
        .collect();
    AlertFigures {
        opened,
        acknowledged: c.acknowledged,
        decided: c.decided,
        dismissed: c.dismissed,
        responded: c.responded,
        closed: c.closed,
        by_kind,
        by_priority: PRIORITIES
            .iter()
            .map(|&p| (p, facts.iter().filter(|f| within(f.opened_at) && f.priority == p).count()))
            .collect(),
        by_state: by_state.into_iter().collect(),
        dismiss_reasons: DismissReason::ALL
            .iter()
            .map(|&r| (r, reasons.get(&r).copied().unwrap_or(0)))
            .collect(),
        by_rule,
        escalations,
    }
}

fn handling_figures(k: &Figures) -> HandlingFigures {
    use alerts::deadlines::DeadlineKind;
    let compliance = PRIORITIES
        .iter()
        .flat_map(|&p| DeadlineKind::ALL.iter().map(move |&kind| (p, kind)))
        .map(|(p, kind)| {
            let c = k.sla_total(p, kind);
            ComplianceRow {
                month: None,
                priority: p,
                deadline: deadline_of(kind),
                met: c.met,
                missed: c.missed,
            }
        })
        .collect();
    let compliance_by_month = k
        .sla
        .iter()
        .map(|c| ComplianceRow {
            month: Some((c.month.year, c.month.month)),
            priority: c.priority,
            deadline: deadline_of(c.kind),
            met: c.met,
            missed: c.missed,
        })
        .collect();
    HandlingFigures {
        ttd: duration_figure(&k.ttd),
        tta: duration_figure(&k.tta),
        ttdec: duration_figure(&k.ttdec),
        ttr: duration_figure(&k.ttr),
        ttr_origin: duration_figure(&k.ttr_origin),
        compliance,
        compliance_by_month,
        backlog: k
            .backlog
            .rows
            .iter()
            .map(|r| BacklogRow { state: r.state, count: r.count, overdue: r.overdue })
            .collect(),
    }
}

/// The summary's indicators with their codes, names, units and definitions, computed over
/// one period's figures.
type Measure = fn(&Gathered) -> Option<f64>;

fn count(n: impl TryInto<i64>) -> Option<f64> {
    n.try_into().ok().map(|n: i64| n as f64)
}

fn hours(d: Option<chrono::Duration>) -> Option<f64> {
    d.map(|d| d.num_milliseconds() as f64 / 3_600_000.0)
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

const MEASURES: &[(&str, Part, &str, &str, Measure, &str)] = &[
    (
        "TB01",
        Part::Grasp,
        "Tin bài được đăng trên các nguồn theo dõi",
        "tin bài",
        |g| count(g.items.documents),
        "Số tin bài đăng trong kỳ trên các nguồn theo dõi; một bài được nhiều trang đăng lại chỉ tính một lần.",
    ),
    (
        "TB02",
        Part::Grasp,
        "Lượt đăng, kể cả đăng lại",
        "lượt",
        |g| count(g.items.sightings),
        "Mỗi lần một nguồn đăng một tin bài (kể cả bản sao nguyên văn) là một lượt.",
    ),
    (
        "TB03",
        Part::Grasp,
        "Câu chuyện, sự việc mới",
        "câu chuyện",
        |g| count(g.items.new_stories),
        "Nhóm tin bài cùng nói về một sự việc trên nhiều nguồn, xuất hiện lần đầu trong kỳ.",
    ),
    (
        "TB04",
        Part::Grasp,
        "Nguồn tin có đăng bài",
        "nguồn",
        |g| count(g.items.outlets),
        "Số nguồn (báo, cổng thông tin, trang mạng xã hội) có ít nhất một lượt đăng trong kỳ.",
    ),
    (
        "TB05",
        Part::Grasp,
        "Tin bài thuộc các chủ đề y tế theo dõi",
        "tin bài",
        |g| count(g.items.with_topic),
        "Tin bài khớp ít nhất một quy tắc chủ đề.",
    ),
    (
        "TB06",
        Part::Grasp,
        "Tin bài lan truyền tin đồn, tin sai",
        "tin bài",
        |g| count(g.items.carrying_rumours),
        "Tin bài khớp một quy tắc tin đồn hoặc thông tin sai đã biết và được nhận định là lan truyền nó.",
    ),
    (
        "TB07",
        Part::Grasp,
        "Tin bài bác bỏ tin đồn, tin sai",
        "tin bài",
        |g| count(g.items.refuting_rumours),
        "Tin bài nhắc đến một tin đồn đã biết để bác bỏ, đính chính nó.",
    ),
    (
        "CB01",
        Part::Handle,
        "Cảnh báo mới",
        "cảnh báo",
        |g| count(g.alerts.opened),
        "Cảnh báo được tạo trong kỳ (tin đồn, khủng hoảng, theo dõi, tăng đột biến, nghi vấn).",
    ),
    (
        "CB02",
        Part::Handle,
        "Cảnh báo khẩn cấp (P1)",
        "cảnh báo",
        |g| count(g.alerts.by_priority.iter().find(|p| p.0 == Priority::P1).map_or(0, |p| p.1)),
        "Cảnh báo mới trong kỳ có mức ưu tiên P1.",
    ),
    (
        "CB03",
        Part::Handle,
        "Cảnh báo tin đồn, nghi vấn tin giả",
        "cảnh báo",
        |g| {
            count(
                g.alerts
                    .by_kind
                    .iter()
                    .filter(|k| matches!(k.kind, RuleKind::Rumor | RuleKind::Suspicion))
                    .map(|k| k.opened)
                    .sum::<usize>(),
            )
        },
        "Cảnh báo mới trong kỳ về tin đồn, thông tin sai hoặc bài đăng nghi vấn.",
    ),
    (
        "CB04",
        Part::Handle,
        "Cảnh báo tăng đột biến",
        "cảnh báo",
        |g| {
            count(
                g.alerts
                    .by_kind
                    .iter()
                    .filter(|k| k.kind == RuleKind::Spike)
                    .map(|k| k.opened)
                    .sum::<usize>(),
            )
        },
        "Số lần lượng tin về một chủ đề tăng bất thường so với các ngày trước.",
    ),
    (
        "CB05",
        Part::Handle,
        "Tỷ lệ cảnh báo bị bỏ qua",
        "%",
        |g| share(g.alerts.dismissed, g.alerts.decided),
        "Cảnh báo có quyết định cuối cùng trong kỳ là bỏ qua, trên số cảnh báo được quyết định trong kỳ.",
    ),
    (
        "XL01",
        Part::Handle,
        "Thời gian tiếp nhận (trung vị)",
        "giờ",
        |g| hours(g.handling.tta.median),
        "Trung vị thời gian từ khi cảnh báo được tạo đến lần tiếp nhận đầu tiên.",
    ),
    (
        "XL02",
        Part::Handle,
        "Thời gian quyết định (trung vị)",
        "giờ",
        |g| hours(g.handling.ttdec.median),
        "Trung vị thời gian từ lần tiếp nhận đầu tiên đến quyết định đầu tiên.",
    ),
    (
        "XL03",
        Part::Handle,
        "Thời gian phản hồi (trung vị)",
        "giờ",
        |g| hours(g.handling.ttr.median),
        "Trung vị thời gian từ khi cảnh báo được tạo đến phản hồi chính thức đầu tiên.",
    ),
    (
        "XL04",
        Part::Handle,
        "Thời gian phát hiện (trung vị)",
        "giờ",
        |g| hours(g.handling.ttd.median),
        "Trung vị thời gian từ khi bài đầu tiên của câu chuyện được đăng đến khi có cảnh báo.",
    ),
    (
        "XL05",
        Part::Handle,
        "Tỷ lệ xử lý đúng thời hạn",
        "%",
        |g| {
            let (met, missed) =
                g.handling.compliance.iter().fold((0, 0), |a, c| (a.0 + c.met, a.1 + c.missed));
            share(met, met + missed)
        },
        "Thời hạn tiếp nhận, quyết định, phản hồi được đáp ứng, trên số thời hạn có kết quả trong kỳ.",
    ),
    (
        "XL06",
        Part::Handle,
        "Cảnh báo còn mở cuối kỳ",
        "cảnh báo",
        |g| count(g.handling.backlog.iter().map(|b| b.count).sum::<usize>()),
        "Cảnh báo chưa đóng, chưa bỏ qua khi kết thúc kỳ.",
    ),
    (
        "XL07",
        Part::Handle,
        "Cảnh báo quá hạn cuối kỳ",
        "cảnh báo",
        |g| count(g.handling.backlog.iter().map(|b| b.overdue).sum::<usize>()),
        "Cảnh báo còn mở đã quá thời hạn của bước đang chờ khi kết thúc kỳ.",
    ),
    (
        "PH01",
        Part::Provide,
        "Phản hồi chính thức đã đăng",
        "phản hồi",
        |g| count(g.responses.total),
        "Thông cáo, họp báo, bài trên cổng thông tin, trang mạng xã hội, trả lời phỏng vấn, yêu cầu cải chính được đăng trong kỳ.",
    ),
    (
        "PH02",
        Part::Provide,
        "Tin đồn, sự việc đã được phản hồi",
        "sự việc",
        |g| count(g.responses.alerts_answered),
        "Số cảnh báo có ít nhất một phản hồi chính thức đăng trong kỳ.",
    ),
    (
        "PH03",
        Part::Provide,
        "Yêu cầu cải chính gửi cơ quan báo chí",
        "văn bản",
        |g| {
            count(
                g.responses
                    .by_channel
                    .iter()
                    .find(|c| c.0 == ResponseChannel::CorrectionRequest)
                    .map_or(0, |c| c.1),
            )
        },
        "Văn bản yêu cầu cơ quan báo chí cải chính thông tin sai đã đăng.",
    ),
    (
        "PH04",
        Part::Provide,
        "Độ phủ khắc phục sau phản hồi",
        "%",
        |g| g.responses.corrections.coverage_percent(),
        "Nguồn đã đăng cải chính, đăng phản hồi chính thức hoặc gỡ, sửa bài, trên số nguồn đã đăng tin sai, với các sự việc bắt đầu theo dõi cải chính trong kỳ.",
    ),
    (
        "PH05",
        Part::Provide,
        "Lượt báo cáo cấp trên",
        "lượt",
        |g| count(g.alerts.escalations.iter().map(|e| e.1).sum::<usize>()),
        "Báo cáo Bộ Y tế, lãnh đạo Sở, cơ quan quản lý báo chí, công an về một sự việc.",
    ),
    (
        "NS01",
        Part::Provide,
        "Ngày sức khỏe, chiến dịch trong kỳ",
        "ngày, chiến dịch",
        |g| count(g.health_days.len()),
        "Các ngày, tuần, tháng hành động về sức khỏe trong lịch của các gói quy tắc.",
    ),
    (
        "NS02",
        Part::Provide,
        "Tin bài về ngày sức khỏe, chiến dịch",
        "tin bài",
        |g| count(g.health_days.iter().map(|h| h.documents).sum::<i64>()),
        "Tin bài của các chủ đề liên quan đăng trong những ngày diễn ra.",
    ),
];

/// The codes of the activity counts, in indicator order.
const ACTIVITY_CODES: [&str; 11] =
    ["HD01", "HD02", "HD03", "HD04", "HD05", "HD06", "HD07", "HD08", "HD09", "HD10", "HD11"];

fn indicators(cur: &Gathered, prev: &Gathered) -> Vec<Indicator> {
    let mut out: Vec<Indicator> = MEASURES
        .iter()
        .map(|&(code, part, name, unit, measure, definition)| Indicator {
            code,
            part,
            name: name.to_owned(),
            unit,
            value: measure(cur),
            previous: measure(prev),
            definition,
        })
        .collect();
    for (&indicator, code) in ActivityIndicator::ALL.iter().zip(ACTIVITY_CODES) {
        out.push(Indicator {
            code,
            part: Part::Activity,
            name: indicator.label().to_owned(),
            unit: indicator.unit(),
            value: cur.activity.get(&indicator).map(|e| e.value as f64),
            previous: prev.activity.get(&indicator).map(|e| e.value as f64),
            definition: "Số liệu đơn vị tự nhập cho kỳ báo cáo.",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_activity_count_has_a_code() {
        assert_eq!(ACTIVITY_CODES.len(), ActivityIndicator::ALL.len());
        let mut codes: Vec<&str> = MEASURES.iter().map(|m| m.0).chain(ACTIVITY_CODES).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "codes are unique");
    }

    #[test]
    fn vietnam_days_map_to_their_month() {
        // 2026-06-15 is day 20619 since 1970-01-01.
        let d = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap_or_default();
        let n = (d - NaiveDate::default()).num_days();
        assert_eq!(month_of(n), (2026, 6));
        assert_eq!(date_of(n), d);
    }
}
