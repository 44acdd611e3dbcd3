//! Boards as data: the `dashboards/*.toml` files, read and checked the way rule packs are,
//! every problem named by its file, its board and its field.
//!
//! A board has an id, a title, the roles it is the home page of, panels and saved searches.
//! A panel lists the alerts its filter selects (the same filters as the queue's query
//! string), or shows the counts of alerts by state and priority.

use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use model::{AlertState, Priority, Role, RuleKind, SourceTier};
use store::{AlertFilter, AssigneeFilter, MAX_QUEUE_LIMIT, MAX_QUEUE_TEXT_CHARS, QueueSort};

/// The board files shipped with Lắng Nghe (the top-level `dashboards/` directory), used
/// when no directory is configured.
const EMBEDDED: &[(&str, &str)] = &[
    ("leadership.toml", include_str!("../../../../dashboards/leadership.toml")),
    ("officer.toml", include_str!("../../../../dashboards/officer.toml")),
    ("spokesperson.toml", include_str!("../../../../dashboards/spokesperson.toml")),
];

/// The most panels and saved searches a board may have: a board is a page, not a report.
const MAX_PANELS: usize = 12;
const MAX_SEARCHES: usize = 30;
/// The longest title and description.
const MAX_TITLE_CHARS: usize = 100;
const MAX_DESCRIPTION_CHARS: usize = 500;
/// Alerts a panel lists unless it says otherwise.
const DEFAULT_PANEL_LIMIT: i64 = 10;
/// The largest board file read.
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// One problem of a board file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardProblem {
    /// The file, as it was named when read.
    pub file: String,
    /// The board's id, when the file got that far.
    pub board: Option<String>,
    /// The field: `title`, `panels[2].state`, `searches[0].query`; empty for the file as
    /// a whole.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for BoardProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(board) = &self.board {
            write!(f, ": board {board}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Which states a filter takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum StateSel {
    /// Every open state.
    #[default]
    Open,
    /// Every state.
    All,
    /// These.
    Some(Vec<AlertState>),
}

/// Whose alerts a filter takes, before the user asking is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum AssigneeSel {
    #[default]
    Any,
    Me,
    Unassigned,
    User(i64),
}

/// What a panel or the queue selects: the queue's filters, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterSpec {
    pub(crate) states: StateSel,
    pub(crate) priorities: Vec<Priority>,
    pub(crate) kinds: Vec<RuleKind>,
    pub(crate) province: Option<&'static str>,
    pub(crate) assignee: AssigneeSel,
    pub(crate) tier: Option<SourceTier>,
    pub(crate) overdue: bool,
    pub(crate) text: Option<String>,
    pub(crate) sort: QueueSort,
}

fn join<T: Copy>(values: &[T], name: impl Fn(T) -> &'static str) -> String {
    values.iter().map(|v| name(*v)).collect::<Vec<_>>().join(",")
}

impl FilterSpec {
    /// The store's filter for `user` at `now`.
    pub(crate) fn to_filter(
        &self,
        user: i64,
        now: model::Timestamp,
        limit: i64,
        offset: i64,
    ) -> AlertFilter {
        AlertFilter {
            states: match &self.states {
                StateSel::Open => Vec::new(),
                StateSel::All => AlertState::ALL.to_vec(),
                StateSel::Some(s) => s.clone(),
            },
            priorities: self.priorities.clone(),
            kinds: self.kinds.clone(),
            province: self.province.map(str::to_owned),
            assignee: match self.assignee {
                AssigneeSel::Any => AssigneeFilter::Any,
                AssigneeSel::Me => AssigneeFilter::User(user),
                AssigneeSel::Unassigned => AssigneeFilter::Unassigned,
                AssigneeSel::User(id) => AssigneeFilter::User(id),
            },
            tier: self.tier,
            overdue: self.overdue,
            text: self.text.clone(),
            now,
            sort: self.sort,
            limit,
            offset,
        }
    }

    /// The query-string pairs of `/queue` that select the same alerts.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match &self.states {
            StateSel::Open => {}
            StateSel::All => out.push(("state", "all".to_owned())),
            StateSel::Some(s) => out.push(("state", join(s, AlertState::as_str))),
        }
        if !self.priorities.is_empty() {
            out.push(("priority", join(&self.priorities, Priority::as_str)));
        }
        if !self.kinds.is_empty() {
            out.push(("kind", join(&self.kinds, RuleKind::as_str)));
        }
        if let Some(p) = self.province {
            out.push(("province", p.to_owned()));
        }
        match self.assignee {
            AssigneeSel::Any => {}
            AssigneeSel::Me => out.push(("assignee", "me".to_owned())),
            AssigneeSel::Unassigned => out.push(("assignee", "unassigned".to_owned())),
            AssigneeSel::User(id) => out.push(("assignee", id.to_string())),
        }
        if let Some(t) = self.tier {
            out.push(("tier", t.as_str().to_owned()));
        }
        if self.overdue {
            out.push(("overdue", "1".to_owned()));
        }
        if let Some(q) = &self.text {
            out.push(("q", q.clone()));
        }
        if self.sort == QueueSort::Recent {
            out.push(("sort", "recent".to_owned()));
        }
        out
    }

    /// The `/queue` link that selects the same alerts.
    pub(crate) fn queue_href(&self) -> String {
        let pairs = self.pairs();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::params::link("/queue", &refs)
    }

    /// Whether an alert just raised (new, nobody's, not late) surely belongs here, so a
    /// live page may add it without asking the server again.
    pub(crate) fn takes_new_alerts(&self) -> bool {
        let new_state = match &self.states {
            StateSel::Open | StateSel::All => true,
            StateSel::Some(s) => s.contains(&AlertState::New),
        };
        new_state
            && self.priorities.is_empty()
            && self.kinds.is_empty()
            && self.province.is_none()
            && matches!(self.assignee, AssigneeSel::Any | AssigneeSel::Unassigned)
            && self.tier.is_none()
            && !self.overdue
            && self.text.is_none()
    }
}

/// What a panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PanelShow {
    /// The alerts its filter selects.
    Alerts,
    /// How many alerts are in each state and priority, and how many are late.
    Counts,
}

/// One panel of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Panel {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) show: PanelShow,
    pub(crate) filter: FilterSpec,
    pub(crate) limit: i64,
}

/// A search kept on a board: a title and a query for `/search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SavedSearch {
    pub(crate) title: String,
    pub(crate) query: String,
}

impl SavedSearch {
    pub(crate) fn href(&self) -> String {
        crate::params::link("/search", &[("q", self.query.as_str())])
    }
}

/// One board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Board {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) description: String,
    /// The roles whose home page it is.
    pub(crate) roles: Vec<Role>,
    pub(crate) panels: Vec<Panel>,
    pub(crate) searches: Vec<SavedSearch>,
}

/// Every board, in the order of their files' names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Boards {
    boards: Vec<Board>,
}

static SHIPPED: LazyLock<Result<Boards, Vec<BoardProblem>>> =
    LazyLock::new(|| Boards::parse(EMBEDDED.iter().map(|&(f, t)| (f.to_owned(), t.to_owned()))));

impl Boards {
    /// The boards shipped with Lắng Nghe.
    pub fn embedded() -> Boards {
        match &*SHIPPED {
            Ok(boards) => boards.clone(),
            Err(problems) => {
                // The shipped files are checked by the tests; this is a build gone wrong.
                for p in problems {
                    tracing::error!(problem = %p, "A built-in board file has a problem.");
                }
                Boards::default()
            }
        }
    }

    /// Reads every `*.toml` file in `dir`, refusing the lot if any has a problem; every
    /// problem of every file is returned.
    pub fn load_dir(dir: &Path) -> Result<Boards, Vec<BoardProblem>> {
        let whole = |message: String| {
            vec![BoardProblem {
                file: dir.display().to_string(),
                board: None,
                field: String::new(),
                message,
            }]
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| whole(format!("cannot read the board directory: {e}")))?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(whole("no board file (*.toml) in the directory".to_owned()));
        }
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for path in paths {
            let name = path.display().to_string();
            let read = std::fs::metadata(&path).and_then(|m| {
                if m.len() > MAX_FILE_BYTES {
                    Err(std::io::Error::other(format!("larger than {MAX_FILE_BYTES} bytes")))
                } else {
                    std::fs::read_to_string(&path)
                }
            });
            match read {
                Ok(text) => files.push((name, text)),
                Err(e) => problems.push(BoardProblem {
                    file: name,
                    board: None,
                    field: String::new(),
                    message: format!("cannot read the file: {e}"),
                }),
            }
        }
        match Boards::parse(files) {
            Ok(boards) if problems.is_empty() => Ok(boards),
            Ok(_) => Err(problems),
            Err(more) => {
                problems.extend(more);
                Err(problems)
            }
        }
    }

    /// Reads boards from `(file name, text)` pairs, in that order.
    pub fn parse(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Boards, Vec<BoardProblem>> {
        let mut boards: Vec<(String, Board)> = Vec::new();
        let mut problems = Vec::new();
        for (file, text) in files {
            match parse_board(&file, &text) {
                Ok(b) => boards.push((file, b)),
                Err(p) => problems.extend(p),
            }
        }
        for (i, (file, b)) in boards.iter().enumerate() {
            if let Some((other, _)) = boards[..i].iter().find(|(_, o)| o.id == b.id) {
                problems.push(BoardProblem {
                    file: file.clone(),
                    board: Some(b.id.clone()),
                    field: "id".to_owned(),
                    message: format!("the id is already the id of the board in {other}"),
                });
            }
            for role in &b.roles {
                if let Some((other, o)) = boards[..i].iter().find(|(_, o)| o.roles.contains(role)) {
                    problems.push(BoardProblem {
                        file: file.clone(),
                        board: Some(b.id.clone()),
                        field: "roles".to_owned(),
                        message: format!(
                            "{role} already has a home board: {} in {other}; a role has one",
                            o.id
                        ),
                    });
                }
            }
        }
        if problems.is_empty() {
            Ok(Boards { boards: boards.into_iter().map(|(_, b)| b).collect() })
        } else {
            Err(problems)
        }
    }

    /// How many boards there are.
    pub fn len(&self) -> usize {
        self.boards.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.boards.is_empty()
    }

    /// The boards' ids, in order.
    pub fn ids(&self) -> Vec<&str> {
        self.boards.iter().map(|b| b.id.as_str()).collect()
    }

    pub(crate) fn all(&self) -> &[Board] {
        &self.boards
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Board> {
        self.boards.iter().find(|b| b.id == id)
    }

    /// The home board of `role`: the board that names it, else the first one.
    pub(crate) fn home(&self, role: Role) -> Option<&Board> {
        self.boards.iter().find(|b| b.roles.contains(&role)).or_else(|| self.boards.first())
    }
}

/// Problems of one file, each named by the file and, once known, the board.
struct Problems<'a> {
    file: &'a str,
    board: Option<String>,
    list: Vec<BoardProblem>,
}

impl Problems<'_> {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.list.push(BoardProblem {
            file: self.file.to_owned(),
            board: self.board.clone(),
            field: field.into(),
            message: message.into(),
        });
    }
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "a number",
        toml::Value::Float(_) => "a decimal number",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

fn unknown_keys(table: &toml::Table, known: &[&str], prefix: &str, p: &mut Problems<'_>) {
    for key in table.keys() {
        if !known.contains(&key.as_str()) {
            p.add(
                format!("{prefix}{key}"),
                format!("unknown key; expected one of: {}", known.join(", ")),
            );
        }
    }
}

/// A text field: `None` when missing (or wrong, with the problem recorded).
fn text(
    table: &toml::Table,
    key: &str,
    prefix: &str,
    max_chars: usize,
    p: &mut Problems<'_>,
) -> Option<String> {
    match table.get(key)? {
        toml::Value::String(s) => {
            let s = s.trim();
            if s.chars().count() > max_chars {
                p.add(format!("{prefix}{key}"), format!("longer than {max_chars} characters"));
                None
            } else if s.chars().any(char::is_control) {
                p.add(format!("{prefix}{key}"), "holds a control character");
                None
            } else {
                Some(s.to_owned())
            }
        }
        other => {
            p.add(format!("{prefix}{key}"), format!("must be a string, not {}", type_name(other)));
            None
        }
    }
}

/// A field that is one string or a list of them; empty when missing.
fn words(table: &toml::Table, key: &str, prefix: &str, p: &mut Problems<'_>) -> Vec<String> {
    let field = format!("{prefix}{key}");
    match table.get(key) {
        None => Vec::new(),
        Some(toml::Value::String(s)) => vec![s.trim().to_owned()],
        Some(toml::Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    toml::Value::String(s) => out.push(s.trim().to_owned()),
                    other => p.add(
                        format!("{field}[{i}]"),
                        format!("must be a string, not {}", type_name(other)),
                    ),
                }
            }
            if items.is_empty() {
                p.add(field, "an empty list selects nothing: leave the key out instead");
            }
            out
        }
        Some(other) => {
            p.add(
                field,
                format!("must be a string or a list of strings, not {}", type_name(other)),
            );
            Vec::new()
        }
    }
}

/// Every word parsed as a `T`, each failure recorded with the accepted values.
fn values<T: std::str::FromStr<Err = model::UnknownValue> + PartialEq>(
    table: &toml::Table,
    key: &str,
    prefix: &str,
    p: &mut Problems<'_>,
) -> Vec<T> {
    let mut out = Vec::new();
    for w in words(table, key, prefix, p) {
        match w.parse::<T>() {
            Ok(v) if !out.contains(&v) => out.push(v),
            Ok(_) => {}
            Err(e) => p.add(format!("{prefix}{key}"), e.to_string()),
        }
    }
    out
}

const BOARD_KEYS: &[&str] = &["id", "title", "description", "roles", "panels", "searches"];
const PANEL_KEYS: &[&str] = &[
    "title",
    "description",
    "show",
    "state",
    "priority",
    "kind",
    "province",
    "assignee",
    "tier",
    "overdue",
    "q",
    "sort",
    "limit",
];
const FILTER_KEYS: &[&str] =
    &["state", "priority", "kind", "province", "assignee", "tier", "overdue", "q", "sort", "limit"];
const SEARCH_KEYS: &[&str] = &["title", "query"];

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn parse_board(file: &str, text_: &str) -> Result<Board, Vec<BoardProblem>> {
    let mut p = Problems { file, board: None, list: Vec::new() };
    let table: toml::Table = match text_.parse() {
        Ok(t) => t,
        Err(e) => {
            let message = e.to_string().lines().next().unwrap_or("not TOML").trim().to_owned();
            p.add("", format!("not valid TOML: {message}"));
            return Err(p.list);
        }
    };
    let id = match text(&table, "id", "", 40, &mut p) {
        Some(id) if valid_id(&id) => {
            p.board = Some(id.clone());
            id
        }
        Some(id) => {
            p.add(
                "id",
                format!("{id:?} is not an id: lowercase letters, digits, - and _, at most 40"),
            );
            String::new()
        }
        None => {
            if !table.contains_key("id") {
                p.add("id", "missing: every board has an id, such as \"officer\"");
            }
            String::new()
        }
    };
    unknown_keys(&table, BOARD_KEYS, "", &mut p);
    let title = text(&table, "title", "", MAX_TITLE_CHARS, &mut p).unwrap_or_default();
    if title.is_empty() && !p.list.iter().any(|x| x.field == "title") {
        p.add("title", "missing or empty: every board has a title");
    }
    let description =
        text(&table, "description", "", MAX_DESCRIPTION_CHARS, &mut p).unwrap_or_default();
    let roles: Vec<Role> = values(&table, "roles", "", &mut p);
    let mut panels = Vec::new();
    match table.get("panels") {
        None => p.add("panels", "missing: a board has at least one [[panels]]"),
        Some(toml::Value::Array(items)) => {
            if items.is_empty() {
                p.add("panels", "empty: a board has at least one panel");
            }
            if items.len() > MAX_PANELS {
                p.add(
                    "panels",
                    format!("{} panels; a board has at most {MAX_PANELS}", items.len()),
                );
            }
            for (i, item) in items.iter().enumerate() {
                match item {
                    toml::Value::Table(t) => {
                        if let Some(panel) = parse_panel(t, i, &mut p) {
                            panels.push(panel);
                        }
                    }
                    other => p.add(
                        format!("panels[{i}]"),
                        format!("must be a table ([[panels]]), not {}", type_name(other)),
                    ),
                }
            }
        }
        Some(other) => p.add(
            "panels",
            format!("must be a list of tables ([[panels]]), not {}", type_name(other)),
        ),
    }
    let mut searches = Vec::new();
    match table.get("searches") {
        None => {}
        Some(toml::Value::Array(items)) => {
            if items.len() > MAX_SEARCHES {
                p.add(
                    "searches",
                    format!("{} searches; a board keeps at most {MAX_SEARCHES}", items.len()),
                );
            }
            for (i, item) in items.iter().enumerate() {
                match item {
                    toml::Value::Table(t) => {
                        if let Some(s) = parse_search(t, i, &mut p) {
                            searches.push(s);
                        }
                    }
                    other => p.add(
                        format!("searches[{i}]"),
                        format!("must be a table ([[searches]]), not {}", type_name(other)),
                    ),
                }
            }
        }
        Some(other) => p.add(
            "searches",
            format!("must be a list of tables ([[searches]]), not {}", type_name(other)),
        ),
    }
    if p.list.is_empty() {
        Ok(Board { id, title, description, roles, panels, searches })
    } else {
        Err(p.list)
    }
}

fn parse_search(t: &toml::Table, i: usize, p: &mut Problems<'_>) -> Option<SavedSearch> {
    let prefix = format!("searches[{i}].");
    unknown_keys(t, SEARCH_KEYS, &prefix, p);
    let title = text(t, "title", &prefix, MAX_TITLE_CHARS, p).filter(|s| !s.is_empty());
    let query = text(t, "query", &prefix, query::MAX_QUERY_CHARS, p).filter(|s| !s.is_empty());
    if title.is_none() && !t.contains_key("title") {
        p.add(format!("{prefix}title"), "missing: a saved search has a title");
    }
    let Some(query) = query else {
        if !t.contains_key("query") {
            p.add(format!("{prefix}query"), "missing: a saved search has a query");
        }
        return None;
    };
    if let Err(e) = query::parse(&query) {
        let col = query::line_col(&query, e.offset).1;
        p.add(
            format!("{prefix}query"),
            format!("not a valid query at column {col}: {}", e.message),
        );
        return None;
    }
    Some(SavedSearch { title: title?, query })
}

fn parse_panel(t: &toml::Table, i: usize, p: &mut Problems<'_>) -> Option<Panel> {
    let before = p.list.len();
    let title = text(t, "title", &format!("panels[{i}]."), MAX_TITLE_CHARS, p);
    // Problems further down name the panel by its title too, which is what a reader sees.
    let prefix = match &title {
        Some(title) if !title.is_empty() => format!("panels[{i}] ({title})."),
        _ => format!("panels[{i}]."),
    };
    if title.as_deref().is_none_or(str::is_empty) && !t.contains_key("title") {
        p.add(format!("{prefix}title"), "missing: every panel has a title");
    }
    unknown_keys(t, PANEL_KEYS, &prefix, p);
    let description = text(t, "description", &prefix, MAX_DESCRIPTION_CHARS, p).unwrap_or_default();
    let show = match text(t, "show", &prefix, 20, p).as_deref() {
        None | Some("alerts") => PanelShow::Alerts,
        Some("counts") => PanelShow::Counts,
        Some(other) => {
            p.add(format!("{prefix}show"), format!("{other:?} is not alerts or counts"));
            PanelShow::Alerts
        }
    };
    if show == PanelShow::Counts {
        for key in FILTER_KEYS.iter().filter(|k| t.contains_key(**k)) {
            p.add(
                format!("{prefix}{key}"),
                "a counts panel counts every alert and takes no filter: remove the key",
            );
        }
    }
    let mut filter = FilterSpec::default();
    let states = words(t, "state", &prefix, p);
    filter.states = match states.as_slice() {
        [] => StateSel::Open,
        [one] if one == "open" => StateSel::Open,
        [one] if one == "all" => StateSel::All,
        many => {
            let mut list = Vec::new();
            for s in many {
                match s.parse::<AlertState>() {
                    Ok(s) if !list.contains(&s) => list.push(s),
                    Ok(_) => {}
                    Err(_) if s == "open" || s == "all" => p.add(
                        format!("{prefix}state"),
                        format!("{s:?} stands alone: it cannot be listed with other states"),
                    ),
                    Err(e) => p.add(format!("{prefix}state"), format!("{e}, or open, or all")),
                }
            }
            StateSel::Some(list)
        }
    };
    filter.priorities = values(t, "priority", &prefix, p);
    filter.kinds = values(t, "kind", &prefix, p);
    if filter.kinds.contains(&RuleKind::Topic) {
        p.add(
            format!("{prefix}kind"),
            "topic rules raise no alerts: expected rumor, watch, crisis or spike",
        );
    }
    if let Some(code) = text(t, "province", &prefix, 10, p) {
        match gazetteer::unit(&code) {
            Some(u) => filter.province = Some(u.code),
            None => p.add(
                format!("{prefix}province"),
                format!(
                    "{code:?} is not the code of one of the 34 provinces, such as \"01\" or \"79\""
                ),
            ),
        }
    }
    filter.assignee = match text(t, "assignee", &prefix, 20, p).as_deref() {
        None | Some("any") => AssigneeSel::Any,
        Some("me") => AssigneeSel::Me,
        Some("unassigned") => AssigneeSel::Unassigned,
        Some(other) => {
            p.add(format!("{prefix}assignee"), format!("{other:?} is not any, me or unassigned"));
            AssigneeSel::Any
        }
    };
    if let Some(tier) = text(t, "tier", &prefix, 20, p) {
        match tier.parse::<SourceTier>() {
            Ok(tier) => filter.tier = Some(tier),
            Err(e) => p.add(format!("{prefix}tier"), e.to_string()),
        }
    }
    match t.get("overdue") {
        None => {}
        Some(toml::Value::Boolean(b)) => filter.overdue = *b,
        Some(other) => p.add(
            format!("{prefix}overdue"),
            format!("must be true or false, not {}", type_name(other)),
        ),
    }
    filter.text = text(t, "q", &prefix, MAX_QUEUE_TEXT_CHARS, p).filter(|q| !q.is_empty());
    filter.sort = match text(t, "sort", &prefix, 20, p).as_deref() {
        None | Some("urgency") => QueueSort::Urgency,
        Some("recent") => QueueSort::Recent,
        Some(other) => {
            p.add(format!("{prefix}sort"), format!("{other:?} is not urgency or recent"));
            QueueSort::Urgency
        }
    };
    let limit = match t.get("limit") {
        None => DEFAULT_PANEL_LIMIT,
        Some(toml::Value::Integer(n)) if (1..=MAX_QUEUE_LIMIT).contains(n) => *n,
        Some(toml::Value::Integer(n)) => {
            p.add(format!("{prefix}limit"), format!("{n} is not between 1 and {MAX_QUEUE_LIMIT}"));
            DEFAULT_PANEL_LIMIT
        }
        Some(other) => {
            p.add(format!("{prefix}limit"), format!("must be a number, not {}", type_name(other)));
            DEFAULT_PANEL_LIMIT
        }
    };
    (p.list.len() == before).then(|| Panel {
        title: title.unwrap_or_default(),
        description,
        show,
        filter,
        limit,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(text: &str) -> Result<Boards, Vec<BoardProblem>> {
        Boards::parse([("x.toml".to_owned(), text.to_owned())])
    }

    fn problems(text: &str) -> Vec<String> {
        parse(text).unwrap_err().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_shipped_boards_load_and_every_role_has_a_home() {
        let boards = SHIPPED.clone().unwrap();
        assert_eq!(boards.ids(), ["leadership", "officer", "spokesperson"]);
        assert_eq!(boards.home(Role::Viewer).unwrap().id, "leadership");
        assert_eq!(boards.home(Role::Officer).unwrap().id, "officer");
        assert_eq!(boards.home(Role::Admin).unwrap().id, "officer");
        let officer = boards.get("officer").unwrap();
        let titles: Vec<&str> = officer.panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["Việc của tôi", "Chưa phân công", "Quá hạn", "Mới"]);
        // Every file of the directory is built in.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dashboards");
        let on_disk = Boards::load_dir(&dir).unwrap();
        assert_eq!(on_disk, boards);
    }

    #[test]
    fn the_example_of_the_readme_is_a_valid_board() {
        let readme = include_str!("../../../../dashboards/README.md");
        let start = readme.find("```toml\n").unwrap() + "```toml\n".len();
        let example = &readme[start..start + readme[start..].find("```").unwrap()];
        let boards = parse(example).unwrap();
        assert_eq!(boards.all()[0].panels.len(), 3);
        assert!(readme.contains(&problems("id = \"desk\"\ntitle = \"T\"\n[[panels]]\ntitle = \"x\"\n[[panels]]\ntitle = \"Quá hạn\"\nstate = \"opened\"\n")[0].replace("x.toml", "dashboards/desk.toml")));
    }

    #[test]
    fn a_minimal_board_reads_with_its_defaults() {
        let b = parse("id = \"a\"\ntitle = \"A\"\n[[panels]]\ntitle = \"Mở\"\n").unwrap();
        let panel = &b.all()[0].panels[0];
        assert_eq!((panel.show, panel.limit), (PanelShow::Alerts, DEFAULT_PANEL_LIMIT));
        assert_eq!(panel.filter, FilterSpec::default());
        assert!(panel.filter.takes_new_alerts());
        assert_eq!(panel.filter.queue_href(), "/queue");
    }

    #[test]
    fn filters_read_one_value_or_several_and_link_to_the_queue() {
        let b = parse(
            "id = \"a\"\ntitle = \"A\"\nroles = \"officer\"\n[[panels]]\ntitle = \"P\"\n\
             state = [\"new\", \"acknowledged\"]\npriority = \"p1\"\nkind = [\"rumor\", \"crisis\"]\n\
             province = \"79\"\nassignee = \"me\"\ntier = \"social\"\noverdue = true\nq = \"đu đủ\"\n\
             sort = \"recent\"\nlimit = 5\n",
        )
        .unwrap();
        let board = &b.all()[0];
        assert_eq!(board.roles, [Role::Officer]);
        let f = &board.panels[0].filter;
        assert_eq!(f.states, StateSel::Some(vec![AlertState::New, AlertState::Acknowledged]));
        assert!(!f.takes_new_alerts());
        assert_eq!(
            f.queue_href(),
            "/queue?state=new%2Cacknowledged&priority=p1&kind=rumor%2Ccrisis&province=79&assignee=me&tier=social&overdue=1&q=%C4%91u+%C4%91%E1%BB%A7&sort=recent"
        );
        let store_filter = f.to_filter(7, chrono::Utc::now(), 5, 0);
        assert_eq!(store_filter.assignee, AssigneeFilter::User(7));
        assert_eq!(store_filter.province.as_deref(), Some("79"));
    }

    #[test]
    fn every_problem_names_its_file_board_and_field() {
        let got = problems(
            "id = \"officer\"\ntitle = \"A\"\ncolour = \"red\"\nroles = [\"chief\"]\n\
             [[panels]]\ntitle = \"Quá hạn\"\nstate = [\"opened\"]\npriority = \"p4\"\n\
             limit = 500\nassignee = \"lan\"\noverdue = \"yes\"\nprovince = \"74\"\n\
             [[panels]]\nstate = \"new\"\n\
             [[panels]]\ntitle = \"Tổng\"\nshow = \"counts\"\nstate = \"new\"\n\
             [[searches]]\ntitle = \"Hỏng\"\nquery = '(sốt'\n",
        );
        let expect = [
            "x.toml: board officer: colour: unknown key",
            "x.toml: board officer: roles: unknown role \"chief\"",
            "x.toml: board officer: panels[0] (Quá hạn).state: unknown alert state \"opened\"",
            "x.toml: board officer: panels[0] (Quá hạn).priority: unknown priority \"p4\"",
            "x.toml: board officer: panels[0] (Quá hạn).limit: 500 is not between 1 and 100",
            "x.toml: board officer: panels[0] (Quá hạn).assignee: \"lan\" is not any, me or unassigned",
            "x.toml: board officer: panels[0] (Quá hạn).overdue: must be true or false",
            "x.toml: board officer: panels[0] (Quá hạn).province: \"74\" is not the code",
            "x.toml: board officer: panels[1].title: missing",
            "x.toml: board officer: panels[2] (Tổng).state: a counts panel",
            "x.toml: board officer: searches[0].query: not a valid query",
        ];
        for e in expect {
            assert!(got.iter().any(|g| g.starts_with(e)), "{e}\nnot in:\n{}", got.join("\n"));
        }
        assert_eq!(got.len(), expect.len(), "{}", got.join("\n"));
        assert!(problems("id = [")[0].starts_with("x.toml: not valid TOML"));
        assert!(
            problems("title = \"A\"\n[[panels]]\ntitle = \"P\"")[0]
                .starts_with("x.toml: id: missing")
        );
        let nopanels = problems("id = \"Ở\"\ntitle = \"A\"");
        assert!(nopanels[0].contains("is not an id"), "{nopanels:?}");
        assert!(nopanels.iter().any(|p| p.contains("panels: missing")), "{nopanels:?}");
    }

    #[test]
    fn ids_and_home_roles_are_not_shared() {
        let file = |id: &str, role: &str| {
            format!(
                "id = \"{id}\"\ntitle = \"T\"\nroles = [\"{role}\"]\n[[panels]]\ntitle = \"P\"\n"
            )
        };
        let got = Boards::parse([
            ("a.toml".to_owned(), file("a", "viewer")),
            ("b.toml".to_owned(), file("a", "officer")),
            ("c.toml".to_owned(), file("c", "viewer")),
        ])
        .unwrap_err();
        let got: Vec<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "b.toml: board a: id: the id is already the id of the board in a.toml",
                "c.toml: board c: roles: viewer already has a home board: a in a.toml; a role has one",
            ]
        );
    }

    #[test]
    fn a_directory_is_read_in_name_order_and_an_empty_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Boards::load_dir(dir.path()).unwrap_err()[0].message.contains("no board file"));
        std::fs::write(
            dir.path().join("b.toml"),
            "id = \"b\"\ntitle = \"B\"\n[[panels]]\ntitle = \"P\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "id = \"a\"\ntitle = \"A\"\n[[panels]]\ntitle = \"P\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.md"), "not a board").unwrap();
        assert_eq!(Boards::load_dir(dir.path()).unwrap().ids(), ["a", "b"]);
        std::fs::write(
            dir.path().join("c.toml"),
            "id = \"c\"\ntitle = \"C\"\n[[panels]]\ntitle = \"P\"\nlimit = 0\n",
        )
        .unwrap();
        let err = Boards::load_dir(dir.path()).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(
            err[0]
                .to_string()
                .ends_with("c.toml: board c: panels[0] (P).limit: 0 is not between 1 and 100"),
            "{}",
            err[0]
        );
    }
}
