//! The rule packs and claim files shipped in the repository's `rules/`, compiled into the
//! program, and where a load reads its files from: those built-in files, a directory of
//! the office's own, or the directory laid over the built-in files.
//!
//! A file of the directory replaces the built-in file with the same name relative to the
//! directory (`topics.toml`, `claims/food-hoaxes.toml`); its other files add packs and
//! claims. An empty file therefore switches a built-in pack off. Built-in files are named
//! `builtin:NAME` in diagnostics and in the `file` of their rules and claims.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// One shipped file.
#[derive(Debug, Clone, Copy)]
pub struct File {
    /// Its name relative to the rules directory, `/`-separated: `topics.toml`,
    /// `claims/covid-vaccines.toml`.
    pub name: &'static str,
    /// Its text.
    pub text: &'static str,
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(File { name: $name, text: include_str!(concat!("../../../rules/", $name)) }),*]
    };
}

/// The shipped rule packs (`rules/*.toml`), by name.
pub const PACKS: &[File] = shipped!["calendar.toml", "crisis.toml", "rumors.toml", "topics.toml"];

/// The shipped claim files (`rules/claims/*.toml`), by name.
pub const CLAIMS: &[File] = shipped![
    "claims/covid-vaccines.toml",
    "claims/food-hoaxes.toml",
    "claims/outbreaks-documents.toml",
    "claims/remedies-cures.toml",
];

/// What the name of a built-in file starts with where a path is expected.
pub const LABEL_PREFIX: &str = "builtin:";

/// The path that names built-in file `name` in diagnostics: `builtin:topics.toml`.
pub fn label(name: &str) -> PathBuf {
    PathBuf::from(format!("{LABEL_PREFIX}{name}"))
}

/// Whether `path` names a built-in file rather than one on disk.
pub fn is_builtin(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with(LABEL_PREFIX))
}

/// The text of the built-in pack or claim file with this relative name, if one is shipped.
pub fn text(name: &str) -> Option<&'static str> {
    PACKS.iter().chain(CLAIMS).find(|f| f.name == name).map(|f| f.text)
}

/// Where rule packs and claims are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSources {
    /// Whether the built-in packs and claims are read.
    pub builtin: bool,
    /// The office's directory: packs are its `*.toml`, claims its `claims/*.toml`. With
    /// the built-in files, a file here replaces the built-in file of the same name and a
    /// missing directory adds nothing; alone, a missing directory is a problem.
    pub dir: Option<PathBuf>,
}

impl RuleSources {
    /// The built-in packs and claims alone.
    pub fn builtin() -> RuleSources {
        RuleSources { builtin: true, dir: None }
    }

    /// The built-in packs and claims with `dir`'s files over them.
    pub fn layered(dir: impl Into<PathBuf>) -> RuleSources {
        RuleSources { builtin: true, dir: Some(dir.into()) }
    }

    /// The files of `dir` alone.
    pub fn dir_only(dir: impl Into<PathBuf>) -> RuleSources {
        RuleSources { builtin: false, dir: Some(dir.into()) }
    }

    /// The files to read for one layer (`sub` of the directory: `""` for packs, `"claims"`
    /// for claims), in name order, and the error that kept the directory from being listed.
    pub(crate) fn inputs(
        &self,
        shipped: &'static [File],
        sub: &str,
    ) -> (Vec<Input>, Option<(PathBuf, std::io::Error)>) {
        let mut files: BTreeMap<OsString, Input> = BTreeMap::new();
        if self.builtin {
            for f in shipped {
                let name = f.name.rsplit('/').next().unwrap_or(f.name);
                files.insert(name.into(), Input::Builtin { label: label(f.name), text: f.text });
            }
        }
        let mut error = None;
        if let Some(dir) = &self.dir {
            let dir = if sub.is_empty() { dir.clone() } else { dir.join(sub) };
            match std::fs::read_dir(&dir) {
                Ok(entries) => {
                    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
                        if path.extension().is_some_and(|x| x == "toml")
                            && let Some(name) = path.file_name()
                        {
                            files.insert(name.to_owned(), Input::Disk(path));
                        }
                    }
                }
                Err(e) => error = Some((dir, e)),
            }
        }
        (files.into_values().collect(), error)
    }
}

/// One file a load reads.
pub(crate) enum Input {
    /// A built-in file, with the name diagnostics give it.
    Builtin { label: PathBuf, text: &'static str },
    /// A file of the directory.
    Disk(PathBuf),
}

impl Input {
    /// The path diagnostics, rules and claims name the file by.
    pub(crate) fn path(&self) -> &Path {
        match self {
            Input::Builtin { label, .. } => label,
            Input::Disk(path) => path,
        }
    }

    pub(crate) fn read(&self) -> std::io::Result<Cow<'static, str>> {
        match self {
            Input::Builtin { text, .. } => Ok(Cow::Borrowed(text)),
            Input::Disk(path) => std::fs::read_to_string(path).map(Cow::Owned),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::{ClaimLibrary, RuleSet};

    fn repo_rules() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
    }

    /// The `*.toml` files of `rules/sub`, named relative to `rules/`.
    fn toml_files(sub: &str) -> BTreeSet<String> {
        std::fs::read_dir(repo_rules().join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .map(|p| {
                let name = p.file_name().unwrap().to_str().unwrap().to_owned();
                if sub.is_empty() { name } else { format!("{sub}/{name}") }
            })
            .collect()
    }

    #[test]
    fn every_shipped_pack_and_claim_file_is_built_in() {
        let names = |files: &[File]| -> BTreeSet<String> {
            files.iter().map(|f| f.name.to_owned()).collect()
        };
        assert_eq!(names(PACKS), toml_files(""), "PACKS must list every rules/*.toml");
        assert_eq!(
            names(CLAIMS),
            toml_files("claims"),
            "CLAIMS must list every rules/claims/*.toml"
        );
        for f in PACKS.iter().chain(CLAIMS) {
            assert_eq!(text(f.name), Some(f.text));
        }
    }

    #[test]
    fn the_built_in_set_is_the_repository_s_and_loads_clean() {
        let (packs, diags) = RuleSet::load_builtin();
        assert!(diags.is_empty(), "{diags:?}");
        let (on_disk, _) = RuleSet::load_dir(&repo_rules());
        assert!(packs.len() >= 25);
        assert_eq!(packs.len(), on_disk.len());
        assert_eq!(packs.days().len(), on_disk.days().len());
        assert!(packs.rules().iter().all(|r| is_builtin(&r.file)), "named builtin:…");
        let topics = packs.rules().iter().find(|r| r.id.starts_with("topic.")).unwrap();
        assert_eq!(topics.file, Path::new("builtin:topics.toml"));

        let (claims, diags) = ClaimLibrary::load_builtin();
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(claims.len(), ClaimLibrary::load_dir(&repo_rules()).0.len());
        assert!(claims.claims()[0].file.starts_with("builtin:claims/"));
    }

    /// A directory removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("langnghe-builtin-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("claims")).unwrap();
            Scratch(dir)
        }

        fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const EXTRA: &str = r#"
[[rules]]
id = "rumor.la-oi-than-ky"
kind = "rumor"
title = "Nước lá ổi thần kỳ"
severity = "high"
query = '"lá ổi" NEAR/4 "thần kỳ"'
match = ["Uống nước lá ổi thần kỳ chữa khỏi tiểu đường"]
"#;

    const RUMORS: &str = r#"
[[rules]]
id = "rumor.chi-mot"
kind = "rumor"
title = "Chỉ một tin đồn"
severity = "low"
query = '"tin đồn thử"'
match = ["một tin đồn thử"]
"#;

    const CLAIM: &str = r#"
[[claims]]
id = "claim.office.nuoc-dua"
title = "Uống nước dừa làm tan sỏi thận"
severity = "medium"
tags = ["sỏi thận"]
query = '"nước dừa" NEAR/10 "sỏi thận"'
phrasings = ["Mỗi ngày uống nước dừa là sỏi thận tự tan, khỏi phải tán sỏi."]
[[claims.sources]]
publisher = "example.org"
title = "Nước dừa không làm tan sỏi thận"
url = "https://example.org/nuoc-dua"
"#;

    #[test]
    fn a_directory_file_replaces_the_built_in_file_of_its_name_and_others_add() {
        let (builtin, _) = RuleSet::load_builtin();
        let (builtin_claims, _) = ClaimLibrary::load_builtin();
        let shipped_rumors =
            builtin.rules().iter().filter(|r| r.file == label("rumors.toml")).count();
        assert!(shipped_rumors > 1);

        let dir = Scratch::new("override");
        dir.write("rumors.toml", RUMORS);
        dir.write("extra.toml", EXTRA);
        dir.write("notes.txt", "not a pack");
        dir.write("claims/office.toml", CLAIM);
        // An empty file of a built-in name switches the shipped claims of that file off.
        dir.write("claims/food-hoaxes.toml", "");
        let (set, diags) = RuleSet::load_layered(&dir.0);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(set.len(), builtin.len() - shipped_rumors + 2);
        assert!(set.rules().iter().all(|r| r.file != label("rumors.toml")));
        let by_id = |id: &str| set.rules().iter().find(|r| &*r.id == id).unwrap();
        assert_eq!(by_id("rumor.chi-mot").file, dir.0.join("rumors.toml"));
        assert_eq!(by_id("rumor.la-oi-than-ky").file, dir.0.join("extra.toml"));
        assert_eq!(by_id("topic.sot-xuat-huyet").file, label("topics.toml"));
        assert!(set.rules().iter().all(|r| &*r.id != "rumor.than-duoc"), "replaced");

        let (claims, diags) = ClaimLibrary::load_layered(&dir.0);
        assert!(diags.is_empty(), "{diags:?}");
        let food = builtin_claims
            .claims()
            .iter()
            .filter(|c| c.file == label("claims/food-hoaxes.toml"))
            .count();
        assert!(food > 1);
        assert_eq!(claims.len(), builtin_claims.len() - food + 1);
        let office = claims.get("claim.office.nuoc-dua").unwrap();
        assert_eq!(office.file, dir.0.join("claims/office.toml"));
        assert!(claims.get("claim.food.gao-nhua").is_none());
        assert_eq!(
            claims.get("claim.covid-vac-xin.toi-phong-chua-covid").map(|c| c.file.clone()),
            Some(label("claims/covid-vaccines.toml"))
        );
    }

    #[test]
    fn diagnostics_name_the_built_in_file_or_the_directory_s() {
        let dir = Scratch::new("diagnostics");
        // Without the shipped crisis pack, the calendar's day refers to a missing rule: the
        // problem is in the built-in calendar.
        dir.write("crisis.toml", "");
        dir.write("broken.toml", &EXTRA.replace("NEAR/4", "NEAR/"));
        let (_, diags) = RuleSet::load_layered(&dir.0);
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert!(
            shown.iter().any(|d| d.starts_with("builtin:calendar.toml:")
                && d.contains("\"crisis.ngo-doc-tap-the\"")),
            "{shown:#?}"
        );
        let broken = dir.0.join("broken.toml").display().to_string();
        assert!(shown.iter().any(|d| d.starts_with(&format!("{broken}:7:"))), "{shown:#?}");

        // A duplicate of a built-in id is named where the second one is (files are read in
        // name order, built-in or not).
        dir.write("zz.toml", &RUMORS.replace("rumor.chi-mot", "rumor.than-duoc"));
        let (_, diags) = RuleSet::load_layered(&dir.0);
        let dup: Vec<&crate::Diagnostic> =
            diags.iter().filter(|d| d.message.contains("duplicate rule id")).collect();
        assert_eq!(dup.len(), 1, "{diags:?}");
        assert_eq!(dup[0].file, dir.0.join("zz.toml"));
    }

    #[test]
    fn a_missing_directory_adds_nothing_over_the_built_in_files_and_is_a_problem_alone() {
        let missing = std::env::temp_dir().join(format!("langnghe-no-such-{}", std::process::id()));
        let (layered, diags) = RuleSet::load_layered(&missing);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(layered.len(), RuleSet::load_builtin().0.len());
        let (claims, diags) = ClaimLibrary::load_layered(&missing);
        assert!(diags.is_empty() && claims.len() == ClaimLibrary::load_builtin().0.len());

        let (alone, diags) = RuleSet::load(&RuleSources::dir_only(&missing));
        assert!(alone.is_empty());
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("cannot read the rules directory"), "{diags:?}");
        assert_eq!(RuleSet::load_dir(&missing).1, diags);
    }
}
