//! `langnghe report`: the period report (a half-year of the planning documents, the report
//! year, or any range of days) written as XLSX, CSV or printable HTML, and the `[report]`
//! configuration the dashboard's `/reports` page shares.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use chrono::{NaiveDate, Utc};
use clap::Args;
use report::{Cutoffs, Format, Stylesheet, period};
use serde::Deserialize;

use crate::config::Config;
use crate::system::open_store;

/// `[report]`: who the reports are from and where the half-years end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportConfig {
    /// The office, printed on every sheet and page ("Sở Y tế tỉnh Lạng Sơn").
    #[serde(default)]
    pub(crate) office: String,
    /// The last day of the first half (DD/MM).
    #[serde(default = "default_first_half_end")]
    pub(crate) first_half_end: String,
    /// The last day of the second half (DD/MM).
    #[serde(default = "default_second_half_end")]
    pub(crate) second_half_end: String,
}

fn default_first_half_end() -> String {
    "15/06".to_owned()
}

fn default_second_half_end() -> String {
    "15/11".to_owned()
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            office: String::new(),
            first_half_end: default_first_half_end(),
            second_half_end: default_second_half_end(),
        }
    }
}

impl ReportConfig {
    /// The cut-offs, checked.
    pub(crate) fn cutoffs(&self) -> Result<Cutoffs, report::PeriodError> {
        Cutoffs::parse(&self.first_half_end, &self.second_half_end)
    }

    /// What the dashboard and the command make reports with.
    pub(crate) fn settings(&self) -> anyhow::Result<dashboard::ReportSettings> {
        Ok(dashboard::ReportSettings {
            cutoffs: self.cutoffs().context("report.first_half_end, report.second_half_end")?,
            office: self.office.trim().to_owned(),
            about: vec![(
                "Phần mềm".to_owned(),
                format!("Lắng Nghe {}", env!("CARGO_PKG_VERSION")),
            )],
        })
    }
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// First day of a range (YYYY-MM-DD, Vietnam time).
    #[arg(long, requires = "to")]
    pub(crate) from: Option<NaiveDate>,
    /// Last day of a range, included.
    #[arg(long, requires = "from")]
    pub(crate) to: Option<NaiveDate>,
    /// A half-year or a report year: 2026-H1 (1/1 to 15/6), 2026-H2 (16/6 to 15/11) or
    /// 2026 (both), with the configured cut-offs. Without it or a range: the current half.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub(crate) period: Option<String>,
    /// xlsx, csv or html.
    #[arg(long, default_value = "xlsx")]
    pub(crate) format: String,
    /// Where to write the report (`-` for standard output); by default
    /// bao-cao-PERIOD.FORMAT in the current directory.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// With --format csv: only this sheet (1_TongHop, 3_DiaBan …) as one plain table.
    #[arg(long)]
    pub(crate) sheet: Option<String>,
}

/// Writes `bytes` to `path` whole: into a temporary file beside it, then renamed.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name =
        path.file_name().map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub(crate) async fn run(config: &Config, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let settings = config.report.settings()?;
    let format = Format::parse(&args.format)
        .ok_or_else(|| anyhow!("unknown format {:?}: expected xlsx, csv or html", args.format))?;
    if args.sheet.is_some() && format != Format::Csv {
        return Err(anyhow!("--sheet is for --format csv"));
    }
    let today = model::to_vn_time(Utc::now()).date_naive();
    let chosen =
        period::resolve(args.period.as_deref(), args.from, args.to, today, &settings.cutoffs)?;
    // Packs with problems still give their health days: the report goes out regardless.
    let sources = config.rule_sources(None)?;
    let (rules, problems) = rules::RuleSet::load(&sources);
    if !problems.is_empty() {
        tracing::warn!(n_problems = problems.len(), rules = %crate::claims::describe(&sources), "Rule packs have problems; run `langnghe rules check`.");
    }
    let store = open_store(config).await?;
    let req = dashboard::report_request(chosen, &settings, Some(&rules), Utc::now());
    let data = store.report_data(&req).await.context("gathering the report's figures")?;
    store.close().await;
    let bytes = match &args.sheet {
        Some(sheet) => report::csv_sheet(&data, sheet).ok_or_else(|| {
            anyhow!("no sheet {sheet:?}: expected one of {}", report::SHEETS.join(", "))
        })?,
        None => report::render(&data, format, &Stylesheet::Inline)?,
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(report::file_name(&data, format)));
    let mut stdout = std::io::stdout().lock();
    if out.as_os_str() == "-" {
        stdout.write_all(&bytes)?;
    } else {
        write_file(&out, &bytes)?;
        writeln!(
            stdout,
            "wrote {} ({} bytes): {}, {} documents, {} alerts",
            out.display(),
            bytes.len(),
            data.period.label,
            data.items.documents,
            data.alerts.opened
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_offs_default_to_the_planning_deadlines() {
        let c = ReportConfig::default().cutoffs();
        assert_eq!(c, Ok(Cutoffs::default()));
        let bad = ReportConfig { first_half_end: "31/06".to_owned(), ..ReportConfig::default() };
        assert!(bad.settings().is_err());
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("bao-cao.csv");
        write_file(&path, b"a").unwrap_or_else(|e| panic!("{e}"));
        write_file(&path, b"bb").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"bb");
        assert_eq!(std::fs::read_dir(dir.path()).map(Iterator::count).unwrap_or(0), 1);
    }
}
