//! Finding place names in one field of a document: the longest name at each token, then
//! the words around it to tell the place from a commune, a street or a person.

use vi_text::Token;

use crate::data::{Commune, District, Flags, Name, Tables, Target};
use crate::lexicon::{Entry, Forms};
use crate::words::{DistrictKind, Qualifier, Words};
use crate::{Field, PlaceKind};

/// A name found in a field, before the document-level checks.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) target: Target,
    pub(crate) historic: Option<&'static str>,
    pub(crate) kind: PlaceKind,
    pub(crate) field: Field,
    /// Token range.
    pub(crate) first: usize,
    pub(crate) last: usize,
    /// Named by an institution or a "tỉnh"/"TP" qualifier: the surest kind of mention.
    pub(crate) strong: bool,
}

/// One field being scanned.
pub(crate) struct Scan<'a> {
    tables: &'a Tables,
    words: &'a Words,
    text: &'a str,
    tokens: &'a [Token],
    field: Field,
    /// The text has both capitals and small letters, so capitals are evidence.
    cased: bool,
    forms: Forms,
    /// Tokens before this index belong to a place already found (so a capitalised
    /// place name before another is not taken for a surname).
    place_end: usize,
    found: Vec<Found>,
}

impl<'a> Scan<'a> {
    pub(crate) fn new(
        tables: &'a Tables,
        words: &'a Words,
        text: &'a str,
        tokens: &'a [Token],
        field: Field,
    ) -> Self {
        let (mut upper, mut lower) = (false, false);
        for c in text.chars() {
            upper |= c.is_uppercase();
            lower |= c.is_lowercase();
            if upper && lower {
                break;
            }
        }
        // Text typed without diacritics has almost no accented syllable, news about three
        // in four; below a quarter, a post is read as typed bare (a few accented words in
        // it do not make its bare syllables deliberate).
        let words_only = tokens.iter().filter(|t| t.matched.chars().any(char::is_alphabetic));
        let (mut all, mut accented) = (0usize, 0usize);
        for t in words_only {
            all += 1;
            accented += usize::from(!t.is_plain());
        }
        let forms = if accented * 4 >= all && accented > 0 { Forms::Accented } else { Forms::Bare };
        Self {
            tables,
            words,
            text,
            tokens,
            field,
            cased: upper && lower,
            forms,
            place_end: 0,
            found: Vec::new(),
        }
    }

    /// Scans the whole field.
    pub(crate) fn run(mut self) -> Vec<Found> {
        let mut i = 0;
        while i < self.tokens.len() {
            i = self.step(i);
        }
        self.found
    }

    /// Handles the name or qualifier at token `i` and returns where to go on.
    fn step(&mut self, i: usize) -> usize {
        let name = self.tables.names.longest(self.text, self.tokens, i, self.forms, |_| true);
        let qualifier = self.words.qualifiers.starting_at(self.text, self.tokens, i, self.forms);
        if let Some((len, (qualifier, abbreviated))) = qualifier
            && name.as_ref().is_none_or(|(name_len, _)| *name_len <= len)
            && let Some(next) = self.after_qualifier(i, len, qualifier, abbreviated)
        {
            return next;
        }
        if let Some((len, entries)) = name {
            match self.judge(i, len, &entries) {
                Verdict::Place(found) => {
                    self.push(found);
                    return i + len;
                }
                Verdict::Stop => return i + len,
                Verdict::No => {}
            }
        }
        i + 1
    }

    fn push(&mut self, found: Found) {
        self.place_end = found.last + 1;
        self.found.push(found);
    }

    fn display(&self, i: usize) -> &str {
        &self.text[self.tokens[i].start..self.tokens[i].end]
    }

    fn gap(&self, before: usize) -> &str {
        &self.text[self.tokens[before - 1].end..self.tokens[before].start]
    }

    fn capitalised(&self, i: usize) -> bool {
        self.display(i).chars().next().is_some_and(|c| c.is_uppercase() || c.is_numeric())
    }

    fn all_capitals(&self, i: usize) -> bool {
        self.display(i).chars().all(|c| !c.is_alphabetic() || c.is_uppercase())
    }

    /// A qualifier and the name after it: `None` when what follows is no name, so the
    /// qualifier word is read as an ordinary word ("xã hội", "tỉnh táo").
    fn after_qualifier(
        &mut self,
        i: usize,
        len: usize,
        qualifier: Qualifier,
        abbreviated: bool,
    ) -> Option<usize> {
        let at = i + len;
        if at >= self.tokens.len() {
            return None;
        }
        let gap = self.gap(at);
        let dots = gap.chars().filter(|c| *c == '.').count();
        if gap.chars().count() > 3
            || dots > 1
            || !gap.chars().all(|c| c == '.' || c.is_whitespace())
        {
            return None;
        }
        if abbreviated && !(dots == 1 && self.all_capitals(i)) && !self.glued_district(i, at) {
            return None;
        }
        // "TP.HCM", "Q.8", but "… trên huyện. 2 vợ chồng …" ends a sentence.
        let tp = len == 1 && self.tokens[i].matched == "tp";
        if dots > 0 && !abbreviated && !tp {
            return None;
        }
        // Commune, district and street names are capitalised in text that has capitals
        // ("xã hội", "đường về" are words); a province after "tỉnh"/"TP" is found by its
        // name alone, which no ordinary word spells.
        let by_name = matches!(qualifier, Qualifier::Province | Qualifier::City);
        if self.cased && !self.capitalised(at) && !by_name {
            return None;
        }
        if self.tokens[at].matched == "hội" {
            return None;
        }
        match qualifier {
            Qualifier::Province => Some(self.province_after(at)),
            Qualifier::City => Some(self.city_after(at)),
            Qualifier::District(kind) => Some(self.district_after(at, Some(kind))),
            Qualifier::Commune(kind) => Some(self.commune_after(at, kind)),
            Qualifier::Minor => {
                let name =
                    self.tables.names.longest(self.text, self.tokens, at, self.forms, |_| true);
                Some(at + name.map_or(0, |(len, _)| len))
            }
        }
    }

    /// "q7", "ở Q10" in posts: "q" glued to the number of an urban district. In capitals
    /// "Q1" is as often a quarter of a year or a brand ("Idemitsu Q8"), so "Q" counts only
    /// after "ở"/"tại".
    fn glued_district(&self, q: usize, at: usize) -> bool {
        if self.tokens[q].matched != "q" || !self.gap(at).is_empty() {
            return false;
        }
        let Ok(n) = self.tokens[at].matched.parse::<u8>() else { return false };
        (1..=12).contains(&n) && (self.display(q) == "q" || self.at_before(q))
    }

    /// "tỉnh X": a province or former province name.
    fn province_after(&mut self, at: usize) -> usize {
        let name = self.tables.names.longest(self.text, self.tokens, at, self.forms, |e| {
            is_province_name(e) && upper_ok(e.value.flags, self, at)
        });
        let Some((len, entries)) = name else { return at };
        if let Some(e) = single(&entries, |e| e.value.target) {
            self.push(Found {
                target: e.value.target,
                historic: e.value.historic,
                kind: e.value.kind,
                field: self.field,
                first: at,
                last: at + len - 1,
                strong: true,
            });
        }
        at + len
    }

    /// "TP X": a former provincial city, else a centrally-run city or province name.
    fn city_after(&mut self, at: usize) -> usize {
        let city = self.tables.districts.longest(self.text, self.tokens, at, self.forms, |e| {
            matches!(e.value.kind, DistrictKind::City | DistrictKind::Town)
        });
        let province = self.tables.names.longest(self.text, self.tokens, at, self.forms, |e| {
            is_province_name(e) && upper_ok(e.value.flags, self, at)
        });
        let city_len = city.as_ref().map_or(0, |(len, _)| *len);
        let province_len = province.as_ref().map_or(0, |(len, _)| *len);
        if city_len > 0 && city_len >= province_len {
            return self.district_after(at, Some(DistrictKind::City));
        }
        if province_len > 0 {
            return self.province_after(at);
        }
        at
    }

    /// "quận X", "huyện X", "thị xã X": a former district, placed only when every district
    /// of that name lies in one unit.
    fn district_after(&mut self, at: usize, kind: Option<DistrictKind>) -> usize {
        let Some((len, entries)) =
            self.tables.districts.longest(self.text, self.tokens, at, self.forms, |_| true)
        else {
            return at;
        };
        // "quận 8" but not "Q.1/2025" (a quarter) or "quận 5 năm"; only urban districts
        // have numbers.
        if self.tokens[at].matched.bytes().all(|b| b.is_ascii_digit()) {
            if kind != Some(DistrictKind::Urban) {
                return at;
            }
            let after = self.tokens[at].end;
            let next_slash = self.text[after..].starts_with('/');
            let next_year = self.tokens.get(at + 1).is_some_and(|t| {
                t.matched == "năm"
                    || (t.matched.len() == 4 && t.matched.bytes().all(|b| b.is_ascii_digit()))
            });
            if next_slash || next_year {
                return at + len;
            }
        }
        let same_kind: Vec<&Entry<District>> =
            entries.iter().copied().filter(|e| Some(e.value.kind) == kind).collect();
        let pool = if same_kind.is_empty() { entries } else { same_kind };
        if let Some(e) = single(&pool, |e| e.value.unit) {
            let kind = match e.value.kind {
                DistrictKind::Urban | DistrictKind::Rural => PlaceKind::District,
                DistrictKind::Town | DistrictKind::City => PlaceKind::City,
            };
            let historic = single(&pool, |e| e.value.historic).map(|e| e.value.historic);
            self.push(Found {
                target: Target::Unit(e.value.unit),
                historic,
                kind,
                field: self.field,
                first: at,
                last: at + len - 1,
                strong: false,
            });
        }
        at + len
    }

    /// "xã X", "phường X": a commune, placed only when every commune of that name (and kind,
    /// when the kind has one) lies in one unit. Its name is never read as a province.
    fn commune_after(&mut self, at: usize, kind: crate::words::CommuneKind) -> usize {
        let commune =
            self.tables.communes.longest(self.text, self.tokens, at, self.forms, |_| true);
        let name = self.tables.names.longest(self.text, self.tokens, at, self.forms, |_| true);
        let name_len = name.map_or(0, |(len, _)| len);
        let Some((len, entries)) = commune else { return at + name_len };
        let same_kind: Vec<&Entry<Commune>> =
            entries.iter().copied().filter(|e| e.value.kind == kind).collect();
        let pool = if same_kind.is_empty() { entries } else { same_kind };
        let units: Vec<(u8, Option<&'static str>)> =
            pool.iter().flat_map(|e| e.value.units.iter().copied()).collect();
        let unit = units.first().map(|u| u.0).filter(|u| units.iter().all(|v| v.0 == *u));
        if let Some(unit) = unit {
            let historic =
                units.first().and_then(|u| u.1).filter(|h| units.iter().all(|v| v.1 == Some(h)));
            self.push(Found {
                target: Target::Unit(unit),
                historic,
                kind: PlaceKind::Commune,
                field: self.field,
                first: at,
                last: at + len - 1,
                strong: false,
            });
        }
        at + len.max(name_len)
    }

    /// Whether the longest names at `i` are a place here.
    fn judge(&self, i: usize, len: usize, entries: &[&Entry<Name>]) -> Verdict {
        let at = self.at_before(i) || self.institution_before(i);
        let fitting: Vec<&Entry<Name>> =
            entries.iter().copied().filter(|e| self.written_fits(e, i, at)).collect();
        let Some(entry) = single(&fitting, |e| e.value.target) else { return Verdict::No };
        let name = entry.value;
        if name.target == Target::Stop {
            return Verdict::Stop;
        }
        let strong = self.institution_before(i);
        let weak = strong || self.preposition_before(i);
        let flags = name.flags;
        let district = matches!(name.kind, PlaceKind::District | PlaceKind::City);
        if (flags.name || district) && !strong && self.person_around(i, i + len) {
            return Verdict::No;
        }
        if flags.ctx && !weak {
            return Verdict::No;
        }
        if flags.word && !self.cased && !weak {
            return Verdict::No;
        }
        // "Thủ đô Bangkok", "đất Cảng Hải Phòng": the nickname is said of the name after it.
        if name.kind == PlaceKind::Nickname
            && self.cased
            && self.next_in_phrase(i + len).is_some_and(|n| self.capitalised(n))
        {
            return Verdict::No;
        }
        if !self.cased && self.an_compound(i + len) {
            return Verdict::No;
        }
        Verdict::Place(Found {
            target: name.target,
            historic: name.historic,
            kind: name.kind,
            field: self.field,
            first: i,
            last: i + len - 1,
            strong,
        })
    }

    /// Whether the text spells the name the way the name requires: in capitals, or with
    /// capitals where the text has any. After "ở"/"tại" or an institution, a post that
    /// writes names in small letters is still naming a place ("ở bình dương", "o sg", "sở y
    /// tế thái bình"), except for names that are nothing but capitals in a text that has them.
    fn written_fits(&self, entry: &Entry<Name>, i: usize, at: bool) -> bool {
        let flags = entry.value.flags;
        if !upper_ok(flags, self, i) && (self.cased || !at) {
            return false;
        }
        let district = matches!(entry.value.kind, PlaceKind::District | PlaceKind::City);
        let relaxed = at && !flags.cap;
        if self.cased && (flags.wants_capitals() || district) && !relaxed {
            let capitals = entry.syllables.iter().enumerate().filter(|(_, s)| s.capital);
            return capitals.into_iter().all(|(k, _)| self.capitalised(i + k));
        }
        true
    }

    fn at_before(&self, i: usize) -> bool {
        i > 0
            && self.gap(i).chars().all(char::is_whitespace)
            && self.words.at.ending_before(self.text, self.tokens, i, self.forms).is_some()
    }

    /// The token after `end` when nothing but spaces separates them.
    fn next_in_phrase(&self, end: usize) -> Option<usize> {
        (end < self.tokens.len() && self.gap(end).chars().all(char::is_whitespace)).then_some(end)
    }

    fn institution_before(&self, i: usize) -> bool {
        if i == 0 || !self.gap(i).chars().all(|c| c.is_whitespace() || matches!(c, '(' | ')')) {
            return false;
        }
        self.words.institutions.ending_before(self.text, self.tokens, i, self.forms).is_some()
    }

    fn preposition_before(&self, i: usize) -> bool {
        if i == 0 || !self.gap(i).chars().all(char::is_whitespace) {
            return false;
        }
        if self.words.prepositions.ending_before(self.text, self.tokens, i, self.forms).is_some() {
            return true;
        }
        // "tỉnh Hòa Bình" where the qualifier did not take the name (text without capitals).
        self.words
            .qualifiers
            .ending_before(self.text, self.tokens, i, self.forms)
            .is_some_and(|(_, (q, _))| matches!(q, Qualifier::Province | Qualifier::City))
    }

    /// A title or surname just before the name, an age just after it, or a line of its
    /// own (a byline): a person.
    fn person_around(&self, first: usize, end: usize) -> bool {
        self.title_before(first)
            || self.surname_before(first)
            || self.age_after(end)
            || self.own_line(first, end)
    }

    /// The name is the whole of a line that is not the first: the reporter's byline under
    /// an article ("…\nThái Bình").
    fn own_line(&self, first: usize, end: usize) -> bool {
        let before = &self.text[..self.tokens[first].start];
        let after = &self.text[self.tokens[end - 1].end..];
        let Some(line_start) = before.rfind('\n') else { return false };
        let rest_of_line = after.split('\n').next().unwrap_or_default();
        before[line_start..].trim().is_empty()
            && rest_of_line.trim_matches(|c: char| c.is_whitespace() || c == '.').is_empty()
    }

    fn title_before(&self, i: usize) -> bool {
        if i == 0 {
            return false;
        }
        let words = self.words;
        // "Ảnh: Thái Bình", "Video: Hải Dương": a photographer or reporter.
        let gap = self.gap(i);
        if gap.trim() == ":"
            && words.credits.ending_before(self.text, self.tokens, i, self.forms).is_some()
        {
            return true;
        }
        if !gap.chars().all(char::is_whitespace) {
            return false;
        }
        let Some((len, ())) = words.titles.ending_before(self.text, self.tokens, i, self.forms)
        else {
            return false;
        };
        // "trẻ em", "bà con": a pair that ends in a title word is no title.
        let pair = len == 1
            && i >= 2
            && words.not_titles.ending_before(self.text, self.tokens, i, self.forms).is_some();
        !pair
    }

    fn surname_before(&self, i: usize) -> bool {
        if !self.cased || i == 0 || i - 1 < self.place_end {
            return false;
        }
        if !self.gap(i).chars().all(char::is_whitespace) || !self.capitalised(i - 1) {
            return false;
        }
        self.words.surnames.ending_before(self.text, self.tokens, i, self.forms).is_some()
    }

    /// "(32 tuổi)", ", 32 tuổi", "(SN 1990)", ", sinh năm 1990" after the name.
    fn age_after(&self, end: usize) -> bool {
        let Some(next) = self.tokens.get(end) else { return false };
        let gap = self.gap(end);
        if gap.chars().count() > 3 || !gap.chars().all(|c| c.is_whitespace() || ",(-–".contains(c))
        {
            return false;
        }
        let number =
            |t: Option<&Token>| t.is_some_and(|t| t.matched.bytes().all(|b| b.is_ascii_digit()));
        let word = |k: usize, w: &str| self.tokens.get(k).is_some_and(|t| t.folded == w);
        (number(Some(next)) && word(end + 1, "tuoi"))
            || (next.matched == "sn" && number(self.tokens.get(end + 1)))
            || (word(end, "sinh") && word(end + 1, "nam"))
    }

    /// "an toàn", "an ninh" …: the last syllable "an" starts an ordinary word.
    fn an_compound(&self, end: usize) -> bool {
        end > 0
            && self.tokens[end - 1].folded == "an"
            && self.next_in_phrase(end).is_some()
            && self.words.an_compounds.starting_at(self.text, self.tokens, end, self.forms).is_some()
            // "Long An toàn tỉnh", "Long An toàn bộ": "toàn" begins the next phrase.
            && !self.tokens.get(end + 1).is_some_and(|t| {
                matches!(t.folded.as_str(), "tinh" | "bo" | "dien" | "quoc" | "the" | "dan")
            })
    }
}

enum Verdict {
    Place(Found),
    Stop,
    No,
}

/// Whether a name is a province-level name (what may follow "tỉnh").
fn is_province_name(e: &Entry<Name>) -> bool {
    matches!(e.value.target, Target::Unit(_))
        && matches!(
            e.value.kind,
            PlaceKind::Province
                | PlaceKind::FormerProvince
                | PlaceKind::Abbreviation
                | PlaceKind::Nickname
        )
}

/// Names written in capitals only must be in capitals.
fn upper_ok(flags: Flags, scan: &Scan<'_>, i: usize) -> bool {
    if !flags.upper {
        return true;
    }
    scan.tokens.get(i).is_some_and(|_| scan.all_capitals(i))
}

/// The entry, when every entry agrees on `by`.
fn single<'e, T, K: PartialEq>(
    entries: &[&'e Entry<T>],
    by: impl Fn(&Entry<T>) -> K,
) -> Option<&'e Entry<T>> {
    let first = *entries.first()?;
    let k = by(first);
    entries.iter().all(|e| by(e) == k).then_some(first)
}
