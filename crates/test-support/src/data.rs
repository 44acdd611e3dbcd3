//! Where tests and benchmarks find the shared data sets that are never copied into the
//! repository (`../shared/data`: treebanks, real feeds, feedparser's suite), and the one
//! policy for when they are absent: say so on one line and skip.
//!
//! A fresh clone has no `../shared`, and its `cargo test --workspace` must still pass, so a
//! test that needs shared data asks [`shared_data`] and returns early on `None`. Setting
//! `LANGNGHE_TEST_DATA` points every such test at another copy of the data (or, set to a
//! directory that does not exist, shows what a fresh clone sees).

use std::path::{Path, PathBuf};

/// The variable that overrides where the shared data lives.
pub const DATA_VAR: &str = "LANGNGHE_TEST_DATA";

/// The shared data directory: `$LANGNGHE_TEST_DATA` when set, else `../shared/data` beside
/// the workspace root. It may not exist.
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("../shared/data"),
    }
}

/// The workspace root: this crate lives in `<root>/crates/test-support`, wherever the
/// checkout is, so every crate's tests resolve the same directory.
fn workspace_root() -> &'static Path {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().nth(2).unwrap_or(here)
}

/// `rel` (a file or directory, `/`-separated) under the shared data directory, or `None`
/// after one line on stderr saying it is absent, so the caller can return early and pass
/// as skipped.
// A test that passes without running must say so; stderr is where cargo test shows it
// (for failed tests, or all with --nocapture) and where `cargo run -p bench` keeps it
// apart from the JSON lines on stdout.
#[allow(clippy::print_stderr, reason = "the one line that tells a skip from a pass")]
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = data_dir().join(rel);
    if path.exists() {
        return Some(path);
    }
    eprintln!(
        "skipped: shared data {} not found (a fresh clone has no ../shared; set {DATA_VAR} to use another copy)",
        path.display()
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_none_and_the_data_dir_is_beside_the_workspace() {
        assert_eq!(shared_data("no-such-data-set/nothing-here.txt"), None);
        let dir = data_dir();
        if std::env::var_os(DATA_VAR).is_none_or(|v| v.is_empty()) {
            assert!(dir.ends_with("shared/data"), "{}", dir.display());
        }
    }
}
