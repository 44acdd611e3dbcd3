//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Lắng Nghe: social listening and rumour monitoring for Vietnamese health communication.
#[derive(Debug, Parser)]
#[command(name = "langnghe", version, about)]
pub(crate) struct Cli {
    /// Configuration file (TOML). Environment variables LANGNGHE_* override it.
    #[arg(long, global = true, env = "LANGNGHE_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What a `serve` process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ServeRole {
    /// Everything in one process.
    All,
    /// Pages and the API only; the index follows what workers store.
    Web,
    /// Polling, processing and periodic jobs; no HTTP listener.
    Worker,
}

impl ServeRole {
    /// Whether the process serves the dashboard.
    pub(crate) fn serves_web(self) -> bool {
        matches!(self, ServeRole::All | ServeRole::Web)
    }

    /// Whether the process polls sources and runs the periodic jobs.
    pub(crate) fn works(self) -> bool {
        matches!(self, ServeRole::All | ServeRole::Worker)
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the whole system on bundled demo feeds served from loopback.
    Demo {
        /// Dashboard port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Where the demo keeps its database and index.
        #[arg(long, default_value = "langnghe-demo")]
        data_dir: PathBuf,
        /// Rules directory over the built-in packs (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Run the whole system on the configured sources, or one role of it.
    Serve {
        /// all: dashboard, polling and periodic jobs in one process. web: the dashboard and
        /// the API, its index following the database. worker: polling and periodic jobs,
        /// no HTTP listener. Several web and worker processes share a PostgreSQL database.
        #[arg(long, value_enum, default_value_t = ServeRole::All, env = "LANGNGHE_ROLE")]
        role: ServeRole,
    },
    /// Normalise text: one input line on stdin gives one output line.
    Normalize {
        /// display, match, fold, or all (every form with its span map; implies --json).
        #[arg(long, default_value = "match")]
        form: String,
        /// One JSON object per line: the text and, for derived forms, the span map back to
        /// the display form.
        #[arg(long)]
        json: bool,
    },
    /// Check or try the rule packs.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// List, add, check and export the library of known false health claims.
    Claims {
        #[command(subcommand)]
        command: crate::claims::ClaimsCommand,
    },
    /// Run feeds or feed files through the whole pipeline once.
    Ingest {
        /// Allow URLs on loopback and private networks.
        #[arg(long)]
        allow_private: bool,
        /// What the URLs are: feed, html-listing, sitemap, search-feed or page. When omitted,
        /// a known source keeps its kind and a new URL is told from its content; files are
        /// told by their extension whatever this says.
        #[arg(long)]
        kind: Option<String>,
        /// Feed, page or sitemap URLs; feed files; social posts as .jsonl or .csv.
        #[arg(required = true)]
        inputs: Vec<String>,
    },
    /// Poll sources.
    Fetch {
        /// Poll every due source once, report, and exit.
        #[arg(long, required = true)]
        once: bool,
    },
    /// Search the index with the query language.
    Search {
        /// The query, such as "sốt xuất huyết" OR sxh.
        query: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Most recent first instead of best match first.
        #[arg(long)]
        newest: bool,
        /// Number of results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Find the provinces each stdin line names: one JSON line out per line in,
    /// {"places":[{"code","name","start","end"}],"province":CODE_OR_NULL}.
    Places,
    /// Run a spike method over a daily count series (`date,count` CSV), one line per day.
    Spikes {
        /// The series: a CSV file with a header row and the columns date (YYYY-MM-DD) and
        /// count, one row per day.
        #[arg(long)]
        series: PathBuf,
        /// ears-c1, ears-c2, ears-c3, ears-t-reweighted or medisys.
        #[arg(long)]
        method: String,
        /// JSON Lines {"date","count","expected","threshold","alert"} instead of columns.
        #[arg(long)]
        json: bool,
    },
    /// List stories (documents about the same event across outlets), most recent first,
    /// with their first publisher and how many outlets carried them.
    Stories {
        /// Only stories seen since then: a date (2026-12-01), a date and time, or a span
        /// back from now (24h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// Only stories about this province (its two-digit code, such as 79).
        #[arg(long)]
        province: Option<String>,
        /// Number of stories.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// JSON Lines, one story per line, with its timeline.
        #[arg(long)]
        json: bool,
        /// Re-cluster every stored document from scratch (stories are derived from
        /// documents and sightings), re-keying alerts to the new stories.
        #[arg(long, conflicts_with_all = ["since", "province", "json"])]
        rebuild: bool,
    },
    /// Write the daily digest of one reader (leadership, an officer, the spokesperson).
    Digest(DigestArgs),
    /// Write the period report (a half-year of the planning documents, the report year or
    /// any range of days) as XLSX, CSV or printable HTML.
    Report(crate::reporting::ReportArgs),
    /// List, add, enable, disable and remove sources; import and export OPML.
    Sources {
        #[command(subcommand)]
        command: SourcesCommand,
    },
    /// Manage dashboard users and API tokens.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Load every pack and run every rule's examples.
    Check {
        /// Rules directory over the built-in packs (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Match JSON Lines {"id","title","body"} from stdin; one JSON line out per line in.
    Match {
        /// Rules directory over the built-in packs (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Run a pack (or every pack of a directory) against the stored documents: hits per
    /// day and the latest matches, highlighted. Nothing is written.
    Backtest(BacktestArgs),
    /// Score the packs and claims on a labelled JSON Lines file
    /// {"id","title","body","label","topic"?,"register"?}: precision, recall and F1 per
    /// label, register and topic, the rumours missed and the false alarms.
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// The labelled file, one JSON object per line.
    pub(crate) file: PathBuf,
    /// Rules directory over the built-in packs (defaults to the configured rules_dir).
    #[arg(long)]
    pub(crate) rules: Option<PathBuf>,
    /// One JSON object with every figure and list.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only the tables, without the lists of misses and false alarms.
    #[arg(long)]
    pub(crate) summary: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    /// A rule pack file, or a directory of packs.
    pub(crate) file: PathBuf,
    /// Only this rule of the pack.
    #[arg(long)]
    pub(crate) rule: Option<String>,
    /// How far back: 30m, 24h, 7d, 2w, a date YYYY-MM-DD (Vietnam time), or all.
    #[arg(long, default_value = "7d")]
    pub(crate) since: String,
    /// Latest matches to show per rule.
    #[arg(long, default_value_t = 5)]
    pub(crate) samples: usize,
    /// One JSON object per rule.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SourcesCommand {
    /// Every source with its state: polls, share answered 304, errors.
    List {
        /// One JSON object per source.
        #[arg(long)]
        json: bool,
    },
    /// Add a source (kept when it is not in the configuration file).
    Add(SourceAddArgs),
    /// Poll a source again (it becomes due now).
    Enable {
        /// Source id or URL.
        source: String,
    },
    /// Stop polling a source; its documents stay searchable.
    Disable {
        /// Source id or URL.
        source: String,
    },
    /// Delete a source; one with documents needs --purge, which deletes them too.
    Remove {
        /// Source id or URL.
        source: String,
        /// Also delete its documents, their hits and their place in alerts and the index.
        #[arg(long)]
        purge: bool,
    },
    /// Add the feeds of an OPML file; URLs already known are left as they are, entries
    /// that are not http(s) URLs are skipped and make the exit status 1.
    Import {
        /// The OPML file.
        file: PathBuf,
        /// Tier of the imported sources.
        #[arg(long, default_value = "press")]
        tier: String,
        /// Polling interval of the imported sources.
        #[arg(long, default_value_t = 600)]
        interval_secs: i64,
    },
    /// Write the feed and search-feed sources as OPML (other kinds are not feeds).
    Export {
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SourceAddArgs {
    /// Feed, page or sitemap URL (a file path for --kind import).
    pub(crate) url: String,
    /// Display name (the URL when omitted).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// feed, html-listing, sitemap, search-feed, page or import.
    #[arg(long, default_value = "feed")]
    pub(crate) kind: String,
    /// official, press, aggregator or social.
    #[arg(long, default_value = "press")]
    pub(crate) tier: String,
    /// Most often the source is polled, in seconds.
    #[arg(long, default_value_t = 600)]
    pub(crate) interval_secs: i64,
    /// Fetch article pages for their text: auto (for teasers), always or never.
    #[arg(long, default_value = "auto")]
    pub(crate) fetch_articles: String,
    /// A grouping label (a province, a folder).
    #[arg(long)]
    pub(crate) category: Option<String>,
    /// Allow loopback and private-network addresses for this source.
    #[arg(long)]
    pub(crate) allow_private: bool,
    /// The province the source is about when its text does not say (a Sở Y tế portal):
    /// a province code such as 79, or a name such as "Hồ Chí Minh" or "Bình Dương".
    #[arg(long)]
    pub(crate) home_province: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DigestArgs {
    /// The day, in Vietnam time (today by default).
    #[arg(long, default_value_t = crate::clock::today_vn())]
    pub(crate) date: chrono::NaiveDate,
    /// Send the day's digest now to every user whose subscription asks for it and to
    /// `[digest] to`, and deliver it at once.
    #[arg(long, conflicts_with_all = ["dry_run", "out", "html", "role", "user"])]
    pub(crate) send: bool,
    /// Write the message to a file instead of sending it.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Where to write the message (.eml).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Who reads it: leadership (the summary), officer (their queue) or spokesperson
    /// (coverage and responses).
    #[arg(long, default_value = "leadership")]
    pub(crate) role: String,
    /// The reader, by login name: an officer's digest shows their queue.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// Also write the HTML as a page a browser opens, charts included.
    #[arg(long)]
    pub(crate) html: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Create a user, or reset their password and role (which ends their sessions).
    Add {
        /// Login name.
        name: String,
        /// admin, officer or viewer.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an API token for a user; it is printed once, on stdout.
    Token {
        /// Login name.
        name: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days until the token stops working (1 to 730).
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=730))]
        expires_days: u32,
    },
    /// List a user's API tokens: id, label, created, last used, expires, state.
    Tokens {
        /// Login name.
        name: String,
    },
    /// Revoke one API token of a user (--token ID, the id `users tokens` shows), or all.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["token", "all"])))]
    Revoke {
        /// Login name of the token's owner.
        name: String,
        /// The token's id.
        #[arg(long)]
        token: Option<i64>,
        /// Every token of the user.
        #[arg(long)]
        all: bool,
    },
    /// Stop a user from logging in; their sessions end and their API tokens are refused.
    Disable {
        /// Login name.
        name: String,
    },
    /// Let a disabled user log in again (their unexpired, unrevoked tokens work again).
    Enable {
        /// Login name.
        name: String,
    },
}
