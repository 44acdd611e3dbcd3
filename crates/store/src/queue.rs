//! The officers' queue: alerts filtered by state, priority, kind, province, assignee, source
//! tier, deadline and rule title, the overdue first; and the counts its tabs and the
//! boards' overview show.
//!
//! An alert's deadline is the one of its state (acknowledge while new, decide while
//! acknowledged or being verified, respond once a response is needed); it is overdue when
//! that deadline's due time has passed. The same rule is written once, as SQL, in [`due`].

use alerts::deadlines::DeadlineKind;
use model::{AlertState, Hit, Priority, RuleKind, SourceTier, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::alerts::{ALERT_COLUMNS, BoardEntry, alert_from_row};
use crate::documents::{DOCUMENT_COLUMNS, document_from_row, terms_from_json};
use crate::{Result, Store, millis, parse_enum};

/// The most alerts one page of the queue holds.
pub const MAX_QUEUE_LIMIT: i64 = 100;
/// The deepest offset the queue pages to.
pub const MAX_QUEUE_OFFSET: i64 = 10_000;
/// The longest rule-title search, in characters.
pub const MAX_QUEUE_TEXT_CHARS: usize = 200;

/// The columns (`{prefix}_from`, `{prefix}_due`) that hold a deadline of `kind`.
fn deadline_prefix(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Acknowledge => "ack",
        DeadlineKind::Decide => "decide",
        DeadlineKind::Respond => "respond",
    }
}

/// The deadline that applies to an alert in `state`, if any.
pub fn state_deadline(state: AlertState) -> Option<DeadlineKind> {
    DeadlineKind::of_state(state)
}

/// SQL for the `_due` (or `_from`) column of the deadline of alert `a`'s state; NULL in
/// states without one.
fn state_column(suffix: &str) -> String {
    let arms: String = AlertState::ALL
        .iter()
        .filter_map(|&s| Some((s, deadline_prefix(DeadlineKind::of_state(s)?))))
        .map(|(s, col)| format!(" WHEN '{}' THEN a.{col}_{suffix}", s.as_str()))
        .collect();
    format!("(CASE a.state{arms} ELSE NULL END)")
}

/// SQL for the due time of the deadline of alert `a`'s state.
fn due() -> String {
    state_column("due")
}

/// Whose alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Anybody's, or nobody's.
    #[default]
    Any,
    /// Nobody's yet.
    Unassigned,
    /// This user's.
    User(i64),
}

/// In which order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// What needs doing first: overdue, then by priority, then the latest seen.
    #[default]
    Urgency,
    /// The latest seen first.
    Recent,
}

/// Which alerts the queue shows, and which page of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFilter {
    /// In one of these states; empty means every open state.
    pub states: Vec<AlertState>,
    /// Of one of these priorities; empty means any.
    pub priorities: Vec<Priority>,
    /// Raised by a rule of one of these kinds; empty means any.
    pub kinds: Vec<RuleKind>,
    /// About this province (a unit code): one of its documents is, or the story of one of
    /// them is, or it is a spike in that province.
    pub province: Option<String>,
    /// Whose.
    pub assignee: AssigneeFilter,
    /// Carried by a source of this tier.
    pub tier: Option<SourceTier>,
    /// Only alerts whose current deadline has passed by `now`.
    pub overdue: bool,
    /// Words in the rule's title (or id), in any case.
    pub text: Option<String>,
    /// The time deadlines are compared with.
    pub now: Timestamp,
    /// The order.
    pub sort: QueueSort,
    /// At most this many, clamped to `1..=MAX_QUEUE_LIMIT`.
    pub limit: i64,
    /// After skipping this many, clamped to `0..=MAX_QUEUE_OFFSET`.
    pub offset: i64,
}

impl AlertFilter {
    /// Every open alert, the most urgent first, as of `now`.
    pub fn open(now: Timestamp) -> AlertFilter {
        AlertFilter {
            states: Vec::new(),
            priorities: Vec::new(),
            kinds: Vec::new(),
            province: None,
            assignee: AssigneeFilter::Any,
            tier: None,
            overdue: false,
            text: None,
            now,
            sort: QueueSort::Urgency,
            limit: 50,
            offset: 0,
        }
    }
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many there are in all.
    pub total: i64,
    /// The page size asked for (after clamping).
    pub limit: i64,
    /// Where the page starts (after clamping).
    pub offset: i64,
}

impl<T> Page<T> {
    /// Whether there are items after this page.
    pub fn has_more(&self) -> bool {
        self.offset + (self.items.len() as i64) < self.total
    }
}

/// The deadline an alert is working to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateDeadline {
    /// Which one.
    pub kind: DeadlineKind,
    /// When its time started.
    pub from: Timestamp,
    /// When it is due.
    pub due: Timestamp,
}

/// An alert of the queue: what the board shows of it, and its current deadline.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    /// The alert, its latest document and the evidence there.
    pub entry: BoardEntry,
    /// The deadline of its state, when it has one and it is set.
    pub deadline: Option<StateDeadline>,
}

impl QueueEntry {
    /// Whether its deadline has passed at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.deadline.is_some_and(|d| d.due < now)
    }
}

/// How many alerts are where: the queue's tabs and the boards' overview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Open alerts.
    pub open: i64,
    /// Open alerts assigned to the user asked about.
    pub mine: i64,
    /// Open alerts assigned to nobody.
    pub unassigned: i64,
    /// Open alerts whose current deadline has passed.
    pub overdue: i64,
    /// Alerts nobody has acknowledged yet.
    pub new: i64,
    /// Alerts in each state, every state listed.
    pub by_state: Vec<(AlertState, i64)>,
    /// Alerts in each state and priority, every pair listed.
    pub by_state_priority: Vec<(AlertState, Priority, i64)>,
    /// Overdue open alerts of each priority, every priority listed.
    pub overdue_by_priority: Vec<(Priority, i64)>,
}

impl QueueCounts {
    /// Alerts in `state`.
    pub fn in_state(&self, state: AlertState) -> i64 {
        self.by_state.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n)
    }

    /// Alerts in `state` with `priority`.
    pub fn in_state_priority(&self, state: AlertState, priority: Priority) -> i64 {
        self.by_state_priority
            .iter()
            .find(|(s, p, _)| *s == state && *p == priority)
            .map_or(0, |(.., n)| *n)
    }
}

/// A parameter of a query being built.
enum Bind {
    Int(i64),
    Text(String),
}

/// The `WHERE` of a queue query and its parameters, numbered in order.
#[derive(Default)]
struct Conditions {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Conditions {
    /// Adds a parameter; returns its placeholder.
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    fn list(&mut self, column: &str, values: &[&'static str]) {
        let marks: Vec<String> =
            values.iter().map(|v| self.bind(Bind::Text((*v).to_owned()))).collect();
        self.clauses.push(format!("{column} IN ({})", marks.join(", ")));
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() { "1 = 1".to_owned() } else { self.clauses.join(" AND ") }
    }

    fn apply<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for b in &self.binds {
            q = match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

fn open_states() -> Vec<AlertState> {
    AlertState::ALL.iter().copied().filter(|s| s.is_open()).collect()
}

/// `text` made a `LIKE` pattern matching it anywhere, its wildcards taken literally.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars().take(MAX_QUEUE_TEXT_CHARS) {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn conditions(f: &AlertFilter) -> Conditions {
    let mut c = Conditions::default();
    let states = if f.states.is_empty() { open_states() } else { f.states.clone() };
    c.list("a.state", &states.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    if !f.priorities.is_empty() {
        c.list("a.priority", &f.priorities.iter().map(|p| p.as_str()).collect::<Vec<_>>());
    }
    if !f.kinds.is_empty() {
        c.list("a.kind", &f.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>());
    }
    match f.assignee {
        AssigneeFilter::Any => {}
        AssigneeFilter::Unassigned => c.clauses.push("a.assignee_id IS NULL".to_owned()),
        AssigneeFilter::User(id) => {
            let p = c.bind(Bind::Int(id));
            c.clauses.push(format!("a.assignee_id = {p}"));
        }
    }
    if f.overdue {
        let p = c.bind(Bind::Int(millis(f.now)));
        c.clauses.push(format!("{} < {p}", due()));
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = c.bind(Bind::Text(like_pattern(text)));
        c.clauses.push(format!(
            "(LOWER(a.rule_title) LIKE {p} ESCAPE '\\' OR LOWER(a.rule_id) LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(tier) = f.tier {
        let p = c.bind(Bind::Text(tier.as_str().to_owned()));
        c.clauses.push(format!(
            "EXISTS (SELECT 1 FROM alert_documents ad JOIN documents dt ON dt.id = ad.document_id \
             JOIN sources st ON st.id = dt.source_id WHERE ad.alert_id = a.id AND st.tier = {p})"
        ));
    }
    if let Some(province) = &f.province {
        let spike = c.bind(Bind::Text(format!("spike:{}:%", province.replace(['%', '_'], ""))));
        let p = c.bind(Bind::Text(province.clone()));
        c.clauses.push(format!(
            "(a.subject LIKE {spike} OR EXISTS (SELECT 1 FROM alert_documents ad \
             JOIN documents dp ON dp.id = ad.document_id LEFT JOIN stories sp ON sp.id = dp.story_id \
             WHERE ad.alert_id = a.id AND (dp.province = {p} OR sp.province = {p})))"
        ));
    }
    c
}

fn queue_entry_from_row(row: &AnyRow) -> Result<QueueEntry> {
    let alert = alert_from_row(row)?;
    let deadline = match DeadlineKind::of_state(alert.state) {
        Some(kind) => crate::workflow::deadline(row, deadline_prefix(kind))?
            .map(|d| StateDeadline { kind, from: d.from, due: d.due }),
        None => None,
    };
    let hit = Hit {
        rule_id: alert.rule_id.as_str().into(),
        rule_title: alert.rule_title.as_str().into(),
        kind: alert.kind,
        severity: alert.severity,
        terms: match row.try_get::<Option<&str>, _>("terms")? {
            Some(terms) => terms_from_json(terms)?,
            None => Vec::new(),
        },
    };
    let entry = BoardEntry { document: document_from_row(row)?, alert, hit };
    Ok(QueueEntry { entry, deadline })
}

/// The columns and joins a queue row is read from.
fn entry_select() -> String {
    format!(
        "SELECT {ALERT_COLUMNS}, {DOCUMENT_COLUMNS}, h.terms FROM alerts a \
         JOIN documents d ON d.id = a.last_document_id JOIN sources s ON s.id = d.source_id \
         LEFT JOIN rule_hits h ON h.document_id = a.last_document_id AND h.rule_id = a.rule_id"
    )
}

impl Store {
    /// One page of the alerts `filter` selects, in its order, with how many it selects
    /// in all.
    pub async fn alert_queue(&self, filter: &AlertFilter) -> Result<Page<QueueEntry>> {
        let limit = filter.limit.clamp(1, MAX_QUEUE_LIMIT);
        let offset = filter.offset.clamp(0, MAX_QUEUE_OFFSET);
        let mut c = conditions(filter);
        let where_sql = c.sql();
        let total: i64 = {
            let sql = format!("SELECT COUNT(*) FROM alerts a WHERE {where_sql}");
            let row = c.apply(sqlx::query(&sql)).fetch_one(&self.pool).await?;
            row.try_get(0)?
        };
        let order = match filter.sort {
            QueueSort::Urgency => {
                let now = c.bind(Bind::Int(millis(filter.now)));
                format!(
                    "CASE WHEN {} < {now} THEN 0 ELSE 1 END, a.priority, a.last_seen DESC, a.id DESC",
                    due()
                )
            }
            QueueSort::Recent => "a.last_seen DESC, a.id DESC".to_owned(),
        };
        let lim = c.bind(Bind::Int(limit));
        let off = c.bind(Bind::Int(offset));
        let sql = format!(
            "{} WHERE {where_sql} ORDER BY {order} LIMIT {lim} OFFSET {off}",
            entry_select()
        );
        let rows = c.apply(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        let items = rows.iter().map(queue_entry_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total, limit, offset })
    }

    /// One alert as the queue shows it, whatever its state; `None` when there is none.
    pub async fn queue_entry(&self, alert_id: i64) -> Result<Option<QueueEntry>> {
        let row = sqlx::query(&format!("{} WHERE a.id = $1", entry_select()))
            .bind(alert_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(queue_entry_from_row).transpose()
    }

    /// How many alerts are in each state and priority, and of the open ones how many are
    /// `user`'s, nobody's, and overdue at `now`.
    pub async fn queue_counts(&self, user: Option<i64>, now: Timestamp) -> Result<QueueCounts> {
        // Answered from the (state, priority) index alone.
        let rows = sqlx::query(
            "SELECT a.state, a.priority, COUNT(*) AS n FROM alerts a GROUP BY a.state, a.priority",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut grid: Vec<(AlertState, Priority, i64)> = Vec::new();
        for s in AlertState::ALL {
            for p in Priority::ALL {
                grid.push((*s, *p, 0));
            }
        }
        for row in &rows {
            let state: AlertState = parse_enum(row.try_get::<&str, _>("state")?)?;
            let priority: Priority = parse_enum(row.try_get::<&str, _>("priority")?)?;
            let n: i64 = row.try_get("n")?;
            if let Some(cell) = grid.iter_mut().find(|(s, p, _)| *s == state && *p == priority) {
                cell.2 += n;
            }
        }
        let by_state: Vec<(AlertState, i64)> = AlertState::ALL
            .iter()
            .map(|s| (*s, grid.iter().filter(|(gs, ..)| gs == s).map(|(.., n)| n).sum()))
            .collect();

        let open = open_states();
        let marks: Vec<String> = (0..open.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT a.priority, COUNT(*) AS n, \
             SUM(CASE WHEN a.assignee_id = $1 THEN 1 ELSE 0 END) AS mine, \
             SUM(CASE WHEN a.assignee_id IS NULL THEN 1 ELSE 0 END) AS unassigned, \
             SUM(CASE WHEN {due} < $2 THEN 1 ELSE 0 END) AS overdue \
             FROM alerts a WHERE a.state IN ({}) GROUP BY a.priority",
            marks.join(", "),
            due = due(),
        );
        let mut q = sqlx::query(&sql).bind(user).bind(millis(now));
        for s in &open {
            q = q.bind(s.as_str());
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut counts = QueueCounts {
            new: by_state.iter().find(|(s, _)| *s == AlertState::New).map_or(0, |(_, n)| *n),
            by_state,
            by_state_priority: grid,
            overdue_by_priority: Priority::ALL.iter().map(|p| (*p, 0)).collect(),
            ..QueueCounts::default()
        };
        for row in &rows {
            let priority: Priority = parse_enum(row.try_get::<&str, _>("priority")?)?;
            let overdue: i64 = row.try_get("overdue")?;
            counts.open += row.try_get::<i64, _>("n")?;
            counts.mine += row.try_get::<i64, _>("mine")?;
            counts.unassigned += row.try_get::<i64, _>("unassigned")?;
            counts.overdue += overdue;
            if let Some(cell) = counts.overdue_by_priority.iter_mut().find(|(p, _)| *p == priority)
            {
                cell.1 += overdue;
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alerts::triage::{Actor, Command};
    use chrono::{Duration, TimeZone, Utc};
    use model::{
        AlertState, DocumentPlaces, Hit, MatchedTerm, NewDocument, Priority, Role, RuleKind,
        Severity, SourceKind, SourceTier, Timestamp,
    };

    use super::*;
    use crate::{NewSource, Processed};

    fn now() -> Timestamp {
        // Monday 7 December 2026, 09:00 in Vietnam.
        Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap()
    }

    #[test]
    fn the_state_deadlines_agree_with_the_handling() {
        let h = model::Handling {
            ack_due: Some(now()),
            decide_due: Some(now() + Duration::hours(1)),
            respond_due: Some(now() + Duration::hours(2)),
            ..model::Handling::default()
        };
        for s in AlertState::ALL {
            let expected = match state_deadline(*s) {
                Some(DeadlineKind::Acknowledge) => h.ack_due,
                Some(DeadlineKind::Decide) => h.decide_due,
                Some(DeadlineKind::Respond) => h.respond_due,
                None => None,
            };
            assert_eq!(h.due_in(*s), expected, "{s}");
        }
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("Lá ĐU"), "%lá đu%");
        assert_eq!(like_pattern("50%_x\\"), "%50\\%\\_x\\\\%");
    }

    async fn source(store: &Store, name: &str, tier: SourceTier) -> i64 {
        let s = NewSource {
            name: name.into(),
            url: format!("http://127.0.0.1:1/{name}.xml"),
            kind: SourceKind::Feed,
            tier,
            interval_secs: 300,
            allow_private: true,
            ..NewSource::default()
        };
        store.upsert_source(&s, now()).await.unwrap().id
    }

    /// Stores a document of `source` hit by rule `rule` and returns the alert's id.
    async fn alert(
        store: &Store,
        source: i64,
        rule: &str,
        severity: Severity,
        province: Option<&str>,
        at: Timestamp,
    ) -> i64 {
        let url = format!("https://x.vn/{rule}/{source}");
        let doc = NewDocument {
            source_id: source,
            url: url.clone(),
            title: format!("Bài về {rule}"),
            summary: String::new(),
            body: "Nội dung".to_owned(),
            author: None,
            published_at: Some(at),
            fetched_at: at,
            language: "vi".to_owned(),
            content_hash: url.clone(),
            post: None,
        };
        let hit = Hit {
            rule_id: rule.into(),
            rule_title: format!("Tin đồn {rule}").into(),
            kind: RuleKind::Rumor,
            severity,
            terms: vec![MatchedTerm { field: "title", start: 0, end: 3, term: "bài".into() }],
        };
        let mut p = Processed::new(doc, vec![hit]);
        p.places = DocumentPlaces { province: province.map(str::to_owned), places: Vec::new() };
        store.insert_batch(&[p]).await.unwrap();
        let page = store.alert_queue(&AlertFilter::open(now())).await.unwrap();
        page.items.iter().find(|e| e.entry.alert.rule_id == rule).unwrap().entry.alert.id
    }

    async fn ids(store: &Store, f: &AlertFilter) -> Vec<i64> {
        let page = store.alert_queue(f).await.unwrap();
        assert_eq!(page.total, page.items.len() as i64);
        page.items.iter().map(|e| e.entry.alert.id).collect()
    }

    #[tokio::test]
    async fn filters_narrow_and_the_overdue_come_first() {
        let dir = tempfile::tempdir().unwrap();
        for (backend, store) in crate::testing::stores(dir.path()).await {
            let press = source(&store, "press", SourceTier::Press).await;
            let social = source(&store, "social", SourceTier::Social).await;
            let t = |m| now() + Duration::minutes(m);
            let a = alert(&store, press, "r.a", Severity::Critical, Some("79"), t(0)).await;
            let b = alert(&store, social, "r.b", Severity::Medium, Some("01"), t(1)).await;
            let c = alert(&store, press, "r.c", Severity::High, None, t(2)).await;
            let me = store.create_user("lan", "x", Role::Officer, now()).await.unwrap();
            let actor = Actor::User { id: me.id, role: Role::Officer };
            store
                .act(b, &Command::Acknowledge { priority: None }, actor, None, t(3))
                .await
                .unwrap();
            let assign = Command::Assign { user: me.id, role: Role::Officer };
            store.act(b, &assign, actor, None, t(4)).await.unwrap();

            let all = AlertFilter::open(t(5));
            // Nothing overdue yet: P1 first, then P2, then P3.
            assert_eq!(ids(&store, &all).await, [a, c, b], "{backend}");
            let f = |g: &dyn Fn(&mut AlertFilter)| {
                let mut f = all.clone();
                g(&mut f);
                f
            };
            let new = f(&|f| f.states = vec![AlertState::New]);
            assert_eq!(ids(&store, &new).await, [a, c], "{backend}");
            let p3 = f(&|f| f.priorities = vec![Priority::P3]);
            assert_eq!(ids(&store, &p3).await, [b], "{backend}");
            let mine = f(&|f| f.assignee = AssigneeFilter::User(me.id));
            assert_eq!(ids(&store, &mine).await, [b], "{backend}");
            let nobody = f(&|f| f.assignee = AssigneeFilter::Unassigned);
            assert_eq!(ids(&store, &nobody).await, [a, c], "{backend}");
            let social_only = f(&|f| f.tier = Some(SourceTier::Social));
            assert_eq!(ids(&store, &social_only).await, [b], "{backend}");
            let hcm = f(&|f| f.province = Some("79".to_owned()));
            assert_eq!(ids(&store, &hcm).await, [a], "{backend}");
            let text = f(&|f| f.text = Some("ĐỒN R.C".to_lowercase()));
            assert_eq!(ids(&store, &text).await, [c], "{backend}");
            let wild = f(&|f| f.text = Some("%".to_owned()));
            assert!(ids(&store, &wild).await.is_empty(), "{backend}");
            let rumours = f(&|f| f.kinds = vec![RuleKind::Rumor, RuleKind::Crisis]);
            assert_eq!(ids(&store, &rumours).await.len(), 3, "{backend}");
            let crises = f(&|f| f.kinds = vec![RuleKind::Crisis]);
            assert!(ids(&store, &crises).await.is_empty(), "{backend}");

            // A week later every deadline has passed; the P2's acknowledgement is done, so
            // only the others are overdue... and all three are (b's decision is due too).
            let later = f(&|f| {
                f.now = now() + Duration::days(7);
                f.overdue = true;
            });
            assert_eq!(ids(&store, &later).await, [a, c, b], "{backend}");
            // Only a's acknowledgement (P1, around the clock) is late two hours on.
            let soon = f(&|f| {
                f.now = now() + Duration::hours(2);
                f.overdue = true;
            });
            assert_eq!(ids(&store, &soon).await, [a], "{backend}");
            // Acknowledging c starts its decision deadline; overdue alerts sort first.
            store
                .act(c, &Command::Acknowledge { priority: Some(Priority::P2) }, actor, None, t(6))
                .await
                .unwrap();
            let sorted = f(&|f| f.now = now() + Duration::hours(2));
            assert_eq!(ids(&store, &sorted).await, [a, c, b], "{backend}");
            let entry = store.queue_entry(a).await.unwrap().unwrap();
            let d = entry.deadline.unwrap();
            assert_eq!((d.kind, d.from), (DeadlineKind::Acknowledge, t(0)), "{backend}");
            assert!(entry.is_overdue(now() + Duration::hours(2)), "{backend}");
            assert!(store.queue_entry(9999).await.unwrap().is_none());

            // Pages.
            let page = store.alert_queue(&f(&|f| f.limit = 2)).await.unwrap();
            assert_eq!((page.items.len(), page.total, page.has_more()), (2, 3, true));
            let page = store
                .alert_queue(&f(&|f| {
                    f.limit = 2;
                    f.offset = 2;
                }))
                .await
                .unwrap();
            assert_eq!((page.items.len(), page.has_more()), (1, false), "{backend}");
            let page = store.alert_queue(&f(&|f| f.limit = 0)).await.unwrap();
            assert_eq!(page.limit, 1, "{backend}");

            // Finished alerts leave the open queue but not one that asks for them.
            let dismiss = Command::Dismiss { reason: model::DismissReason::NotRelevant };
            store.act(a, &dismiss, actor, None, t(7)).await.unwrap();
            assert!(!ids(&store, &all).await.contains(&a), "{backend}");
            let dismissed = f(&|f| f.states = vec![AlertState::Dismissed]);
            assert_eq!(ids(&store, &dismissed).await, [a], "{backend}");
            let recent = f(&|f| {
                f.states = AlertState::ALL.to_vec();
                f.sort = QueueSort::Recent;
            });
            assert_eq!(ids(&store, &recent).await, [c, b, a], "{backend}");

            let counts = store.queue_counts(Some(me.id), now() + Duration::hours(2)).await.unwrap();
            assert_eq!(
                (counts.open, counts.mine, counts.unassigned, counts.new, counts.overdue),
                (2, 1, 1, 0, 0),
                "{backend}"
            );
            assert_eq!(counts.in_state(AlertState::Dismissed), 1, "{backend}");
            assert_eq!(counts.in_state(AlertState::Verifying), 1, "{backend}");
            assert_eq!(counts.in_state_priority(AlertState::Acknowledged, Priority::P2), 1);
            assert_eq!(counts.by_state.len(), AlertState::ALL.len());
            let late = store.queue_counts(None, now() + Duration::days(7)).await.unwrap();
            assert_eq!((late.mine, late.overdue), (0, 2), "{backend}");
            assert_eq!(
                late.overdue_by_priority,
                [(Priority::P1, 0), (Priority::P2, 1), (Priority::P3, 1)]
            );

            // Thursday 09:30 a critical alert opens. A quarter of an hour later it is not
            // late, but c (P2, decision due Tuesday) and b (P3, due Thursday 09:03) are:
            // they come first, whatever their priority.
            let thursday = now() + Duration::days(3);
            let d = alert(
                &store,
                press,
                "r.d",
                Severity::Critical,
                None,
                thursday + Duration::minutes(30),
            )
            .await;
            let at = f(&|f| f.now = thursday + Duration::minutes(45));
            assert_eq!(ids(&store, &at).await, [c, b, d], "{backend}");
            store.close().await;
        }
    }
}
