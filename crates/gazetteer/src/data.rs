//! The bundled tables (`data/*.tsv`, compiled in) and the lexicons built from them.
//!
//! Parsing never panics: a row that does not parse is skipped and described in
//! [`Gazetteer::problems`](crate::Gazetteer::problems), which the data tests require to be
//! empty, so a bad edit fails `cargo test` instead of a running server.

use crate::lexicon::{Lexicon, Syllable, syllables};
use crate::words::{CommuneKind, DistrictKind};
use crate::{FormerProvince, PlaceKind, Region, Unit, UnitKind};

pub(crate) const UNITS: &str = include_str!("../data/units.tsv");
pub(crate) const FORMER: &str = include_str!("../data/former.tsv");
pub(crate) const DISTRICTS: &str = include_str!("../data/districts.tsv");
pub(crate) const ALIASES: &str = include_str!("../data/aliases.tsv");
pub(crate) const REGIONS: &str = include_str!("../data/regions.tsv");
pub(crate) const COMMUNES: &str = include_str!("../data/communes.tsv");

/// How a name may be used in running text (see the header of `data/former.tsv`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// Also a given name: person context vetoes it; capitalised where the text has capitals.
    pub(crate) name: bool,
    /// Also an ordinary phrase: capitalised where the text has capitals, and with a place
    /// word before it where the text has none.
    pub(crate) word: bool,
    /// Only with a place word before it.
    pub(crate) ctx: bool,
    /// Written in capitals only (`HN`, `SG`).
    pub(crate) upper: bool,
    /// Its capitalised syllables are capitalised where the text has capitals.
    pub(crate) cap: bool,
    /// A former district recognised without a qualifier.
    pub(crate) bare: bool,
}

impl Flags {
    fn parse(field: &str) -> Result<Self, String> {
        let mut flags = Self::default();
        for flag in field.split_whitespace() {
            match flag {
                "name" => flags.name = true,
                "word" => flags.word = true,
                "ctx" => flags.ctx = true,
                "upper" => flags.upper = true,
                "cap" => flags.cap = true,
                "bare" => flags.bare = true,
                other => return Err(format!("unknown flag {other:?}")),
            }
        }
        Ok(flags)
    }

    /// Whether capitals in the name must be capitals in a text that has capitals.
    pub(crate) fn wants_capitals(self) -> bool {
        self.cap || self.name || self.word
    }
}

/// What a name in running text stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A unit, by index into the units table.
    Unit(u8),
    /// A region, by index into the regions table.
    Region(u8),
    /// A phrase that contains a place name without naming the place.
    Stop,
}

/// A name recognised anywhere in running text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Name {
    pub(crate) target: Target,
    pub(crate) historic: Option<&'static str>,
    pub(crate) kind: PlaceKind,
    pub(crate) flags: Flags,
}

/// A former district, recognised after a district or city qualifier (or bare, if flagged).
#[derive(Debug, Clone, Copy)]
pub(crate) struct District {
    pub(crate) unit: u8,
    pub(crate) historic: &'static str,
    pub(crate) kind: DistrictKind,
}

/// A commune name of one kind, and every unit a commune of that name and kind lies in.
#[derive(Debug)]
pub(crate) struct Commune {
    pub(crate) kind: CommuneKind,
    /// (unit index, former province code for communes before 2025)
    pub(crate) units: Box<[(u8, Option<&'static str>)]>,
}

/// Everything parsed from the bundled tables.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    pub(crate) units: Vec<Unit>,
    pub(crate) former: Vec<FormerProvince>,
    pub(crate) regions: Vec<Region>,
    pub(crate) names: Lexicon<Name>,
    pub(crate) districts: Lexicon<District>,
    pub(crate) communes: Lexicon<Commune>,
    pub(crate) problems: Vec<String>,
}

/// The data rows of a table: comments and blank lines skipped, each row split on tabs,
/// with its 1-based line number.
fn rows(table: &'static str) -> impl Iterator<Item = (usize, Vec<&'static str>)> {
    table
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(n, line)| (n + 1, line.split('\t').collect()))
}

fn code_index(code: &str) -> Option<usize> {
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code.parse().ok())?
}

/// Every spelling of a name: final `i`/`y` after `h k l m qu s t` is written both ways
/// (`Lý Sơn`/`Lí Sơn`, `Kỳ Anh`/`Kì Anh`), and the match form keeps what was written.
fn spellings(written: &str) -> Vec<Box<[Syllable]>> {
    let mut out: Vec<Vec<Syllable>> = vec![Vec::new()];
    for syl in syllables(written).into_vec() {
        let other = vi_text::iy_variant(&syl.matched).map(|matched| Syllable {
            matched: matched.into_boxed_str(),
            folded: syl.folded.clone(),
            capital: syl.capital,
        });
        if let Some(other) = other.filter(|_| out.len() < 8) {
            let mut alternates = out.clone();
            for v in &mut alternates {
                v.push(other.clone());
            }
            for v in &mut out {
                v.push(syl.clone());
            }
            out.extend(alternates);
        } else {
            for v in &mut out {
                v.push(syl.clone());
            }
        }
    }
    out.into_iter().map(Vec::into_boxed_slice).collect()
}

/// The match-form key of a name, to compare names with each other.
pub(crate) fn key(written: &str) -> String {
    syllables(written).iter().map(|s| &*s.matched).collect::<Vec<_>>().join(" ")
}

impl Tables {
    pub(crate) fn load() -> Self {
        let mut t = Self::default();
        t.load_units();
        t.load_former();
        t.load_regions();
        t.load_aliases();
        t.load_districts();
        t.load_communes();
        t.names.finish();
        t.districts.finish();
        t.communes.finish();
        t
    }

    fn problem(&mut self, file: &str, line: usize, what: impl std::fmt::Display) {
        self.problems.push(format!("{file}:{line}: {what}"));
    }

    /// The index of the unit with this current code.
    pub(crate) fn unit_index(&self, code: &str) -> Option<u8> {
        let at = self.units.iter().position(|u| u.code == code)?;
        u8::try_from(at).ok()
    }

    /// The current unit of a former province code.
    fn unit_of_former(&self, old: &str) -> Option<u8> {
        let former = self.former.iter().find(|f| f.code == old)?;
        self.unit_index(former.unit)
    }

    fn load_units(&mut self) {
        for (line, row) in rows(UNITS) {
            let [code, name, short, kind, centre, capital] = row[..] else {
                self.problem("units.tsv", line, "expected 6 columns");
                continue;
            };
            let kind = match kind {
                "tỉnh" => UnitKind::Province,
                "thành phố" => UnitKind::City,
                other => {
                    self.problem("units.tsv", line, format!("unknown kind {other:?}"));
                    continue;
                }
            };
            if code_index(code).is_none() {
                self.problem("units.tsv", line, format!("bad code {code:?}"));
                continue;
            }
            self.units.push(Unit { code, name, short, kind, centre, capital });
        }
    }

    fn load_former(&mut self) {
        for (line, row) in rows(FORMER) {
            let [code, name, unit, flags] = row[..] else {
                self.problem("former.tsv", line, "expected 4 columns");
                continue;
            };
            let (Some(index), Ok(flags)) = (self.unit_index(unit), Flags::parse(flags)) else {
                self.problem("former.tsv", line, format!("bad unit {unit:?} or flags {flags:?}"));
                continue;
            };
            self.former.push(FormerProvince { code, name, unit });
            // A former province whose name the current unit kept is that unit by name;
            // only the others are historic areas.
            let own = key(self.units[index as usize].short) == key(name);
            let (kind, historic) = if own {
                (PlaceKind::Province, None)
            } else {
                (PlaceKind::FormerProvince, Some(code))
            };
            for s in spellings(name) {
                self.names.insert(s, Name { target: Target::Unit(index), historic, kind, flags });
            }
        }
    }

    fn load_regions(&mut self) {
        for (line, row) in rows(REGIONS) {
            let [id, name, former] = row[..] else {
                self.problem("regions.tsv", line, "expected 3 columns");
                continue;
            };
            let former: Vec<&'static str> = former.split_whitespace().collect();
            if let Some(bad) = former.iter().find(|c| !self.former.iter().any(|f| f.code == **c)) {
                self.problem("regions.tsv", line, format!("unknown former province {bad:?}"));
            }
            self.regions.push(Region { id, name, former });
        }
    }

    fn load_aliases(&mut self) {
        for (line, row) in rows(ALIASES) {
            let [alias, target, historic, kind, flags] = row[..] else {
                self.problem("aliases.tsv", line, "expected 5 columns");
                continue;
            };
            let flags = match Flags::parse(flags) {
                Ok(flags) => flags,
                Err(e) => {
                    self.problem("aliases.tsv", line, e);
                    continue;
                }
            };
            let historic = (!historic.is_empty()).then_some(historic);
            if let Some(h) = historic.filter(|h| !self.former.iter().any(|f| f.code == *h)) {
                self.problem("aliases.tsv", line, format!("unknown historic code {h:?}"));
                continue;
            }
            let target = if target == "-" {
                Some(Target::Stop)
            } else if let Some(id) = target.strip_prefix('@') {
                let at = self.regions.iter().position(|r| r.id == id);
                at.and_then(|at| u8::try_from(at).ok()).map(Target::Region)
            } else {
                self.unit_index(target).map(Target::Unit)
            };
            let Some(target) = target else {
                self.problem("aliases.tsv", line, format!("unknown target {target:?}"));
                continue;
            };
            let kind = match (kind, historic) {
                ("abbreviation", _) => PlaceKind::Abbreviation,
                ("nickname", _) => PlaceKind::Nickname,
                ("spelling", None) => PlaceKind::Province,
                ("spelling", Some(_)) => PlaceKind::FormerProvince,
                ("landmark", _) => PlaceKind::Landmark,
                ("region" | "stop", _) => PlaceKind::Province,
                (other, _) => {
                    self.problem("aliases.tsv", line, format!("unknown kind {other:?}"));
                    continue;
                }
            };
            for s in spellings(alias) {
                self.names.insert(s, Name { target, historic, kind, flags });
            }
        }
    }

    fn load_districts(&mut self) {
        for (line, row) in rows(DISTRICTS) {
            let [name, kind, old, flags] = row[..] else {
                self.problem("districts.tsv", line, "expected 4 columns");
                continue;
            };
            let (Some(kind), Some(unit), Ok(flags)) =
                (DistrictKind::parse(kind), self.unit_of_former(old), Flags::parse(flags))
            else {
                self.problem("districts.tsv", line, "bad kind, former province or flags");
                continue;
            };
            let Some(historic) = self.former.iter().find(|f| f.code == old).map(|f| f.code) else {
                continue;
            };
            let district = District { unit, historic, kind };
            for s in spellings(name) {
                if flags.bare {
                    let kind = match kind {
                        DistrictKind::Urban | DistrictKind::Rural => PlaceKind::District,
                        DistrictKind::Town | DistrictKind::City => PlaceKind::City,
                    };
                    let target = Target::Unit(unit);
                    let historic = Some(historic);
                    self.names.insert(s.clone(), Name { target, historic, kind, flags });
                }
                self.districts.insert(s, district);
            }
        }
    }

    fn load_communes(&mut self) {
        for (line, row) in rows(COMMUNES) {
            let [kind, name, units] = row[..] else {
                self.problem("communes.tsv", line, "expected 3 columns");
                continue;
            };
            let Some(kind) = CommuneKind::parse(kind) else {
                self.problem("communes.tsv", line, format!("unknown kind {kind:?}"));
                continue;
            };
            let mut parsed = Vec::new();
            for entry in units.split_whitespace() {
                let (old, current) = match entry.split_once(':') {
                    Some((old, current)) => (Some(old), current),
                    None => (None, entry),
                };
                let consistent =
                    old.is_none_or(|o| self.unit_of_former(o) == self.unit_index(current));
                match self.unit_index(current) {
                    Some(unit) if consistent => parsed.push((unit, old)),
                    _ => self.problem("communes.tsv", line, format!("bad unit {entry:?}")),
                }
            }
            self.communes.insert(syllables(name), Commune { kind, units: parsed.into() });
        }
    }
}
