//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
        /// Rule packs (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Run the whole system on the configured sources.
    Serve,
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
    /// Run feeds or feed files through the whole pipeline once.
    Ingest {
        /// Allow URLs on loopback and private networks.
        #[arg(long)]
        allow_private: bool,
        /// Feed URLs or files.
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
    /// Write the daily digest.
    Digest(DigestArgs),
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
        /// Rule directory (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Match JSON Lines {"id","title","body"} from stdin; one JSON line out per line in.
    Match {
        /// Rule directory (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Run a pack (or every pack of a directory) against the stored documents: hits per
    /// day and the latest matches, highlighted. Nothing is written.
    Backtest(BacktestArgs),
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

#[derive(Debug, Args)]
pub(crate) struct DigestArgs {
    /// The day, in Vietnam time.
    #[arg(long)]
    pub(crate) date: chrono::NaiveDate,
    /// Write the message to a file instead of sending it.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Where to write the message (.eml).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Create a user (or reset their password and role).
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
    /// Create an API token for a user; it is printed once.
    Token {
        /// Login name.
        name: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}
