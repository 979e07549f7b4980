//! numbers: when do two written quantities mean the same thing?
//!
//! Citation verification needs every number in a digest bullet to appear, after unit
//! normalization, in at least one cited paragraph — across languages ("3,834 tons" vs
//! "3,834吨", "$550 billion" vs "5500亿美元", "83.7%" vs "百分之八十三点七"). This module finds the
//! quantities written in a text and decides whether two of them denote the same thing. It
//! knows nothing about digests, citations or documents, and must not guess at meaning beyond
//! what is written: a quantity is a value, a unit, and the range of values its wording allows.
//!
//! Decisions, so that callers can rely on them:
//! - Precision comes from how a figure is written. "11.29亿" allows ±0.005亿, "1.13 billion"
//!   ±0.005 billion, and two quantities match when their ranges overlap, so a figure matches
//!   its own rounding ("1.13 billion" ≈ "11.29亿") but not a different value ("1.2 billion").
//!   Trailing zeros written out in Arabic digits count ("4,000" is ±0.5, and does not match
//!   3,834); a scale or Chinese unit word does not add digits ("4千", "四千" are ±500).
//! - Hedges widen the range by one unit of the last non-zero digit, in their direction, and
//!   the figure itself is the range's near end (no rounding allowance past it):
//!   "over 70%" / "超过70%" / "70%以上" = 70..80, "nearly 4,000" / "近四千" = 3,000..4,000,
//!   "about 3,800" / "约3800" = 3,750..3,850, "3000多吨" = 3,000..4,000.
//! - "七成" is 70% written to the nearest ten percent (65..75), so "70%" and "over 70%" match
//!   it and "80%" does not. "一半"/"half" is 50% to the nearest ten, and takes hedges like
//!   a figure: "一半以上" / "超过一半" / "over half" = 50..60.
//! - Percent and percentage points never match each other; basis points are 0.01 points.
//! - A number with no unit (`Plain`) matches the same value in any unit except dates; a year
//!   ("2025年", "in 2025") matches a `Plain` only when it was written without separators, so
//!   "2,025 tons" never matches the year 2025.
//! - Not quantities: citation markers "[3]", "[10, 12]"; ordinals and labels ("Group 1",
//!   "第三", "No. 5", "3rd"); list and section markers at line start ("1.", "2.1 Copper",
//!   "(1)", "1、"); identifiers ("F-35", "C919", "5G"); clock times ("07:02"); vague counts
//!   ("数十亿", "十几", "hundreds of"); English number words without a unit or scale ("two
//!   countries"), and single Chinese numerals that are parts of words ("一些", "统一", "十分").
//! - Signs are ignored: "fell 3%" and "下降3%" both say 3%.

use std::ops::Range;

use serde::Serialize;

/// A quantity written in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    /// The value as written, in the unit's base: yuan/dollars, tonnes, percent, percentage
    /// points, the duration's time unit; the year for `Year`; yyyymmdd (missing parts 0) for
    /// `Date`.
    pub value: f64,
    pub unit: Unit,
    /// The text as written, e.g. "11.29亿元" (hedge words such as "over" not included).
    pub raw: String,
    /// Byte range of `raw` in the text it was extracted from.
    pub span: Range<usize>,
    /// Lowest value the wording allows: the rounding of the last digit written, widened by a
    /// hedge ("over", "近", "多"…). Equal to `value` for dates.
    pub lo: f64,
    /// Highest value the wording allows.
    pub hi: f64,
}

/// What a quantity counts. Conversions between written forms happen at extraction, so equal
/// units compare values directly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Unit {
    /// A number with no recognized unit (counts of things included: "6国", "500,000 vehicles").
    Plain,
    /// Percent: "83.7%", "百分之八十三点七", "七成" (= 70, to the nearest ten), "三分之一".
    Percent,
    /// Percentage points: "0.5个百分点", "50 basis points" (= 0.5). Never equal to `Percent`.
    PercentagePoints,
    /// Money in whole currency units (yuan, dollars…); `None` when the currency is not named
    /// or ambiguous ("¥" is yuan or yen).
    Money { currency: Option<Currency> },
    /// Mass in tonnes.
    Mass,
    /// Multiples: "6倍", "six times", "tenfold".
    Multiple,
    /// A calendar year: "2025年", "in 2025", "二〇二五年".
    Year,
    /// A calendar date or month: "2025年7月1日", "July 1, 2025", "7月" (`y`/`d` absent).
    Date {
        y: Option<i32>,
        m: Option<u32>,
        d: Option<u32>,
    },
    /// A length of time: "29 years", "30天", "90-minute".
    Duration { of: TimeUnit },
}

/// Currencies that occur in the corpora.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Currency {
    Cny,
    Usd,
    Eur,
    Jpy,
    Hkd,
    Gbp,
    Krw,
    Aud,
    Cad,
    Inr,
}

/// Units of `Unit::Duration`; values convert where the factor is exact (12 months a year,
/// 7 days a week, 24 hours a day, 60 minutes an hour, 60 seconds a minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TimeUnit {
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
}

impl TimeUnit {
    /// The exact-conversion family and this unit's size in the family's smallest unit.
    fn family_size(self) -> (u8, f64) {
        match self {
            TimeUnit::Year => (0, 12.0),
            TimeUnit::Month => (0, 1.0),
            TimeUnit::Week => (1, 7.0 * 86_400.0),
            TimeUnit::Day => (1, 86_400.0),
            TimeUnit::Hour => (1, 3_600.0),
            TimeUnit::Minute => (1, 60.0),
            TimeUnit::Second => (1, 1.0),
        }
    }
}

/// Every quantity written in the text, in order of position.
pub fn extract(text: &str) -> Vec<Quantity> {
    Scanner::new(text).run()
}

impl Quantity {
    /// True when the two denote the same quantity (value equal within rounding of the less
    /// precise one, units compatible).
    pub fn matches(&self, other: &Quantity) -> bool {
        use Unit::*;
        match (&self.unit, &other.unit) {
            (
                Date {
                    y: y1,
                    m: m1,
                    d: d1,
                },
                Date {
                    y: y2,
                    m: m2,
                    d: d2,
                },
            ) => dates_agree((*y1, *m1, *d1), (*y2, *m2, *d2)),
            (Year, Year) => self.value == other.value,
            (Year, Date { y: Some(y), .. }) => self.value == f64::from(*y),
            (Date { y: Some(y), .. }, Year) => other.value == f64::from(*y),
            (Year, Plain) => plain_is_year(other, self),
            (Plain, Year) => plain_is_year(self, other),
            (Date { .. }, _) | (_, Date { .. }) | (Year, _) | (_, Year) => false,
            (Plain, _) | (_, Plain) => self.overlaps(other, 1.0),
            (Duration { of: a }, Duration { of: b }) => {
                let ((fa, sa), (fb, sb)) = (a.family_size(), b.family_size());
                fa == fb && self.overlaps(other, sb / sa)
            }
            (Money { currency: a }, Money { currency: b }) => {
                (a.is_none() || b.is_none() || a == b) && self.overlaps(other, 1.0)
            }
            (a, b) => a == b && self.overlaps(other, 1.0),
        }
    }

    /// Whether the ranges overlap once `other` is converted into this quantity's unit by
    /// multiplying with `factor`.
    fn overlaps(&self, other: &Quantity, factor: f64) -> bool {
        let (olo, ohi) = (other.lo * factor, other.hi * factor);
        // Rounding ranges are half-open: 19% (18.5..19.5) and 20% (19.5..20.5) only touch.
        let eps = 1e-9 * self.hi.abs().max(ohi.abs()).max(1.0);
        // An exact figure (lo == hi, e.g. 6596.083228万元 written to every digit) is a point:
        // it matches when it lies within the other's range, or equals the other point.
        let point = |lo: f64, hi: f64| (hi - lo).abs() <= eps;
        match (point(self.lo, self.hi), point(olo, ohi)) {
            (true, true) => (self.lo - olo).abs() <= eps,
            (true, false) => self.lo >= olo - eps && self.lo < ohi - eps,
            (false, true) => olo >= self.lo - eps && olo < self.hi - eps,
            (false, false) => self.lo < ohi - eps && olo < self.hi - eps,
        }
    }
}

fn plain_is_year(plain: &Quantity, year: &Quantity) -> bool {
    plain.value == year.value && !plain.raw.contains([',', '，'])
}

fn dates_agree(
    a: (Option<i32>, Option<u32>, Option<u32>),
    b: (Option<i32>, Option<u32>, Option<u32>),
) -> bool {
    let same = |x: Option<u32>, y: Option<u32>| x.is_none() || y.is_none() || x == y;
    let years = a.0.is_none() || b.0.is_none() || a.0 == b.0;
    // A day alone names no date unless both know the month.
    let shared = (a.0.is_some() && b.0.is_some())
        || (a.1.is_some() && b.1.is_some())
        || (a.2.is_some() && b.2.is_some() && a.1.is_none() && b.1.is_none());
    years && same(a.1, b.1) && same(a.2, b.2) && shared
}

/// True when `q` appears in `text` (extract + matches); convenience for verification.
pub fn appears_in(q: &Quantity, text: &str) -> bool {
    extract(text).iter().any(|p| q.matches(p))
}

// ---------------------------------------------------------------------------------------------
// Scanning

/// A number as written, before its unit: value, the place value of the last digit written
/// (`ulp`) and of the last non-zero digit (`ulp_nz`, what a hedge widens by).
#[derive(Debug, Clone, Copy)]
struct Num {
    value: f64,
    ulp: f64,
    ulp_nz: f64,
    /// Char indices.
    start: usize,
    end: usize,
    /// Written with thousands separators.
    grouped: bool,
    /// An integer of Arabic digits (no separators, no decimals) or a Chinese digit string
    /// like 二〇二五 — what a year can look like.
    year_like: bool,
    chinese: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Hedge {
    Up,
    Down,
    About,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TailUnit {
    None,
    /// A counting word after the number (个, 家, 国…): still `Plain`, but it shows the
    /// number is a count rather than a year.
    Measure,
    Percent,
    PercentagePoints(f64),
    Money(Option<Currency>),
    Mass(f64),
    Multiple,
    /// 年 after a number: a year or a number of years.
    YearCn,
    /// 月 after a number (not 个月): a month.
    MonthCn,
    /// 日/号 after a number: a day of the month.
    DayCn,
    Duration(TimeUnit),
    /// 成: tenths, as percent.
    Cheng,
    /// A month name after a day number ("1 July").
    MonthName(u32),
}

#[derive(Debug, Clone, Copy)]
struct Tail {
    /// Char index after the last char that belongs to the quantity.
    end: usize,
    scale: f64,
    unit: TailUnit,
    hedge: Option<Hedge>,
}

struct Scanner<'a> {
    text: &'a str,
    /// Byte offset and normalized char (full-width digits and signs folded to ASCII).
    chars: Vec<(usize, char)>,
    out: Vec<Quantity>,
}

const SPACES: [char; 3] = [' ', '\u{a0}', '\u{3000}'];

fn fold(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '．' => '.',
        '％' => '%',
        '＄' => '$',
        '（' => '(',
        '）' => ')',
        '－' | '—' | '–' => '-',
        _ => c,
    }
}

fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn cn_unit(c: char) -> Option<f64> {
    Some(match c {
        '十' => 10.0,
        '百' => 100.0,
        '千' => 1000.0,
        '万' => 1e4,
        '亿' => 1e8,
        _ => return None,
    })
}

fn is_cn_numeral(c: char) -> bool {
    cn_digit(c).is_some() || cn_unit(c).is_some()
}

/// Counting words: a number before them is a count.
const MEASURE_WORDS: &str =
    "个家国名人位辆台项座次只架艘条批款种类所户件股套部场轮期届城省市岁张册本篇份颗枚株";

/// Words that put an Arabic or Chinese number in a label, not a quantity ("Group 1").
const LABEL_WORDS: [&str; 26] = [
    "group",
    "no.",
    "number",
    "nr.",
    "phase",
    "section",
    "chapter",
    "article",
    "part",
    "item",
    "step",
    "tier",
    "level",
    "round",
    "stage",
    "figure",
    "fig.",
    "table",
    "page",
    "p.",
    "rule",
    "class",
    "type",
    "category",
    "model",
    "paragraph",
];

const MONTHS: [(&str, u32); 24] = [
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

/// Words before a bare month name that make it a date ("in June", "since March").
const MONTH_LEADS: [&str; 18] = [
    "in", "since", "by", "until", "till", "from", "through", "of", "early", "late", "mid", "end",
    "last", "this", "next", "during", "before", "after",
];

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        let chars = text.char_indices().map(|(b, c)| (b, fold(c))).collect();
        Scanner {
            text,
            chars,
            out: Vec::new(),
        }
    }

    fn n(&self) -> usize {
        self.chars.len()
    }

    fn ch(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|&(_, c)| c)
    }

    fn byte(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.text.len(), |&(b, _)| b)
    }

    fn is_digit(&self, i: usize) -> bool {
        self.ch(i).is_some_and(|c| c.is_ascii_digit())
    }

    fn is_alpha(&self, i: usize) -> bool {
        self.ch(i).is_some_and(|c| c.is_ascii_alphabetic())
    }

    /// Whether the chars at `i` spell `s` (after folding).
    fn at(&self, i: usize, s: &str) -> bool {
        (i..).zip(s.chars()).all(|(k, c)| self.ch(k) == Some(c))
    }

    /// Whether an ASCII word `w` (case-insensitive) starts at `i` and ends at a word boundary;
    /// returns the index after it.
    fn word_at(&self, i: usize, w: &str) -> Option<usize> {
        let mut k = i;
        for c in w.chars() {
            if !self.ch(k).is_some_and(|x| x.eq_ignore_ascii_case(&c)) {
                return None;
            }
            k += 1;
        }
        (!self.is_alpha(k)).then_some(k)
    }

    /// The first of `words` found at `i`, longest listed first by the caller.
    fn any_word_at(&self, i: usize, words: &[&str]) -> Option<usize> {
        words.iter().find_map(|w| self.word_at(i, w))
    }

    fn skip_space(&self, i: usize) -> usize {
        if self.ch(i).is_some_and(|c| SPACES.contains(&c)) {
            i + 1
        } else {
            i
        }
    }

    /// The text before char `i`, up to `max` chars, lowercased, trailing spaces removed.
    fn before(&self, i: usize, max: usize) -> String {
        let from = i.saturating_sub(max);
        let s: String = self.chars[from..i]
            .iter()
            .map(|&(_, c)| c.to_ascii_lowercase())
            .collect();
        s.trim_end_matches(SPACES).to_string()
    }

    /// True when `s` ends with the word `w` (a word boundary before it, for ASCII words).
    fn ends_with_word(s: &str, w: &str) -> bool {
        s.strip_suffix(w).is_some_and(|rest| {
            !w.starts_with(|c: char| c.is_ascii_alphabetic())
                || !rest.ends_with(|c: char| c.is_ascii_alphabetic())
        })
    }

    fn run(mut self) -> Vec<Quantity> {
        let mut i = 0;
        while i < self.n() {
            let c = self.chars[i].1;
            let next = if c == '[' {
                self.citation_end(i)
            } else if c.is_ascii_digit() {
                Some(self.arabic(i))
            } else if self.at(i, "百分之") {
                Some(self.chinese_percent(i))
            } else if cn_digit(c).is_some() || c == '十' || c == '半' {
                Some(self.chinese(i))
            } else if c.is_ascii_alphabetic() && !(i > 0 && self.is_alpha(i - 1)) {
                Some(self.english(i))
            } else {
                None
            };
            i = next.unwrap_or(i + 1).max(i + 1);
        }
        self.out
    }

    /// `[3]`, `[10, 12]`, `[1][3]`: citation markers are skipped whole.
    fn citation_end(&self, i: usize) -> Option<usize> {
        let mut k = i + 1;
        loop {
            let d0 = k;
            while self.is_digit(k) {
                k += 1;
            }
            if k == d0 {
                return None;
            }
            match self.ch(k) {
                Some(']') => return Some(k + 1),
                Some(',') | Some('，') | Some('、') => {
                    k = self.skip_space(k + 1);
                }
                _ => return None,
            }
        }
    }

    // ----- Arabic numbers ---------------------------------------------------------------

    /// Parses the number starting at `i` and whatever follows it; returns where to go on.
    fn arabic(&mut self, i: usize) -> usize {
        let Some(num) = self.arabic_number(i) else {
            return self.skip_token(i);
        };
        if self.is_label(&num) {
            return num.end;
        }
        // ISO-like dates: 2025-08-02, 2025/8/2.
        if let Some(end) = self.numeric_date(&num) {
            return end;
        }
        // Clock times and ratios: 07:02, 1:2.
        if matches!(self.ch(num.end), Some(':') | Some('：')) && self.is_digit(num.end + 1) {
            let mut k = num.end + 1;
            while self.is_digit(k) || self.ch(k) == Some(':') {
                k += 1;
            }
            return k;
        }
        // Attached letters make identifiers and ordinals ("5G", "3rd", "1990s") unless they
        // are a known unit ("5bn", "10kg", "3x").
        if self.is_alpha(num.end) && !self.attached_unit(num.end) {
            return self.skip_token(num.end);
        }
        self.finish(num)
    }

    fn skip_token(&self, mut k: usize) -> usize {
        while self
            .ch(k)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        {
            k += 1;
        }
        k
    }

    fn arabic_number(&self, i: usize) -> Option<Num> {
        // Identifiers: "C919", "F-35", "COVID-19", "x2"; also the tail of "1.2.3".
        if i > 0 {
            let p = self.chars[i - 1].1;
            if p.is_ascii_alphanumeric() || p == '_' || p == '.' || p == '/' || p == '#' {
                return None;
            }
            if p == '-' && i > 1 && self.is_alpha(i - 2) {
                return None;
            }
        }
        let mut k = i;
        let mut int = String::new();
        let mut grouped = false;
        while k < self.n() {
            let c = self.chars[k].1;
            if c.is_ascii_digit() {
                int.push(c);
                k += 1;
            } else if c == ','
                && !int.is_empty()
                && (1..=3).all(|d| self.is_digit(k + d))
                && !self.is_digit(k + 4)
            {
                grouped = true;
                k += 1;
            } else {
                break;
            }
        }
        let mut frac = String::new();
        if self.ch(k) == Some('.') && self.is_digit(k + 1) {
            let mut j = k + 1;
            while self.is_digit(j) {
                frac.push(self.chars[j].1);
                j += 1;
            }
            // "1.2.3" is a version or section number.
            if self.ch(j) == Some('.') && self.is_digit(j + 1) {
                return None;
            }
            k = j;
        }
        let value: f64 = format!("{int}.{}", if frac.is_empty() { "0" } else { &frac })
            .parse()
            .ok()?;
        let ulp = 10f64.powi(-(frac.len() as i32));
        let digits: Vec<u32> = int
            .chars()
            .chain(frac.chars())
            .filter_map(|c| c.to_digit(10))
            .collect();
        let last_nz = digits.iter().rposition(|&d| d != 0);
        let ulp_nz = match last_nz {
            Some(p) => 10f64.powi(int.len() as i32 - 1 - p as i32),
            None => ulp,
        };
        Some(Num {
            value,
            ulp,
            ulp_nz,
            start: i,
            end: k,
            grouped,
            year_like: !grouped && frac.is_empty(),
            chinese: false,
        })
    }

    /// Labels and markers that are numbers but not quantities.
    fn is_label(&self, num: &Num) -> bool {
        let before = self.before(num.start, 12);
        if before.ends_with('第') || before.ends_with('#') {
            return true;
        }
        if LABEL_WORDS.iter().any(|w| Self::ends_with_word(&before, w)) {
            return true;
        }
        // Line-start markers: "1. ", "1、", "1)", "(1)", "2.1 Copper".
        let line_start = before.is_empty() || before.ends_with('\n') || before.ends_with(']');
        let after = self.ch(num.end);
        if matches!(after, Some('、') | Some(')')) && (line_start || before.ends_with('(')) {
            return true;
        }
        if before.ends_with('(') && after == Some(')') && num.value < 100.0 {
            return true;
        }
        if line_start && num.value < 100.0 && !num.grouped {
            let k = if after == Some('.') {
                num.end + 1
            } else {
                num.end
            };
            if MONTHS.iter().any(|(m, _)| self.word_at(k + 1, m).is_some()) {
                return false; // "1 July 2025"
            }
            if self.ch(k) == Some(' ')
                && self.ch(k + 1).is_some_and(|c| {
                    c.is_ascii_uppercase()
                        || (crate::document::is_cjk(c) && !self.unit_start(k + 1))
                })
            {
                return true;
            }
        }
        false
    }

    /// Whether a unit or scale word (Chinese) starts at `k`.
    fn unit_start(&self, k: usize) -> bool {
        self.ch(k)
            .is_some_and(|c| cn_unit(c).is_some() || "%倍成吨元年月日天个".contains(c))
    }

    fn attached_unit(&self, k: usize) -> bool {
        const ATTACHED: [&str; 16] = [
            "bn", "mn", "tn", "mln", "bln", "kg", "kt", "x", "pp", "ppt", "ppts", "bp", "bps",
            "pct", "m", "k",
        ];
        ATTACHED.iter().any(|w| self.word_at(k, w).is_some())
    }

    /// 2025-08-02, 2025/8/2 (also a following clock time is skipped by the caller's loop).
    fn numeric_date(&mut self, num: &Num) -> Option<usize> {
        let sep = self.ch(num.end)?;
        if !(sep == '-' || sep == '/') || !num.year_like || !(1000.0..3000.0).contains(&num.value) {
            return None;
        }
        let (m, k) = self.small_int(num.end + 1, 2)?;
        if self.ch(k) != Some(sep) {
            return None;
        }
        let (d, k2) = self.small_int(k + 1, 2)?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || self.is_digit(k2) {
            return None;
        }
        self.push_date(num.start, k2, Some(num.value as i32), Some(m), Some(d));
        Some(k2)
    }

    /// An unsigned integer of at most `max` Arabic digits at `k`.
    fn small_int(&self, k: usize, max: usize) -> Option<(u32, usize)> {
        let mut j = k;
        let mut v = 0u32;
        while self.is_digit(j) && j - k < max {
            v = v * 10 + self.chars[j].1.to_digit(10)?;
            j += 1;
        }
        (j > k && !self.is_digit(j)).then_some((v, j))
    }

    // ----- Chinese numerals -------------------------------------------------------------

    /// Parses a run of Chinese numerals at `i` ("三千八百三十四", "八十三点七", "二〇二五",
    /// "一万二"); `None` when the run is not a number ("十四五", "七八").
    fn chinese_number(&self, i: usize) -> Option<Num> {
        let mut k = i;
        while self.ch(k).is_some_and(|c| {
            is_cn_numeral(c) || (c == '点' && self.ch(k + 1).and_then(cn_digit).is_some())
        }) {
            k += 1;
        }
        let run: Vec<char> = self.chars[i..k].iter().map(|&(_, c)| c).collect();
        // Scale words that begin a unit word stay out of the number: 万千瓦, 百分点.
        let mut end = run.len();
        for (p, w) in run.iter().enumerate() {
            if p > 0
                && (*w == '千' || *w == '百')
                && (self.at(i + p, "千瓦")
                    || self.at(i + p, "千克")
                    || self.at(i + p, "千米")
                    || self.at(i + p, "百分"))
            {
                end = p;
                break;
            }
        }
        let run = &run[..end];
        let (value, ulp, ulp_nz) = parse_cn(run)?;
        Some(Num {
            value,
            ulp,
            ulp_nz,
            start: i,
            end: i + run.len(),
            grouped: false,
            year_like: run.len() == 4 && run.iter().all(|&c| cn_digit(c).is_some()),
            chinese: true,
        })
    }

    fn chinese(&mut self, i: usize) -> usize {
        let c = self.chars[i].1;
        // 一半 / 过半 / 半数 as 50%; 半年 as half a year.
        if c == '半' {
            return self.half_cn(i);
        }
        let before = self.before(i, 3);
        let vague = [
            "数", "几", "上", "成", "好", "第", "星期", "周", "礼拜", "初", "之", "这", "那", "每",
            "其", "唯", "统", "同", "万", "逐", "单", "某", "哪", "任", "专", "均", "不", "划",
            "整", "归", "合",
        ];
        let Some(num) = self.chinese_number(i) else {
            return self.skip_cn_run(i);
        };
        if vague.iter().any(|v| before.ends_with(v)) || self.ch(num.end) == Some('几') {
            return self.skip_cn_run(i);
        }
        // X分之Y: fractions, as percent.
        if self.at(num.end, "分之") {
            if let Some(den) = self
                .chinese_number(num.end + 2)
                .or_else(|| self.arabic_number(num.end + 2))
                && num.value > 0.0
            {
                let pct = den.value / num.value * 100.0;
                let mut end = den.end;
                let hedge = self.hedge_after(&mut end).or_else(|| self.hedge_before(i));
                // Written as a fraction, the share is taken to the nearest percent.
                let q = self.quantity(i, end, pct, 1.0, 1.0, Unit::Percent, hedge);
                self.out.push(q);
                return end;
            }
            return num.end + 2;
        }
        let tail = self.tail(&num);
        let single = num.end - num.start == 1;
        // A lone numeral is part of a word (一些, 三大, 零售) unless a unit follows; before a
        // counting word 一 is the article "a" (一个, 一家) and 二 an ordinal prefix (二次);
        // a day of the month in Chinese numerals only counts after its month (七月十五日).
        let ok = match tail.unit {
            _ if single && matches!(c, '零' | '〇') => false,
            TailUnit::None | TailUnit::DayCn => !single && tail.unit == TailUnit::None,
            TailUnit::Measure => !(single && matches!(c, '一' | '二')),
            _ => true,
        };
        // `三元锂电池`, `三元材料`, `一元化`: a lone numeral and 元 that begin a word name no
        // amount of money (ternary batteries, not 3 yuan).
        let word_of_yuan = single
            && matches!(tail.unit, TailUnit::Money(_))
            && self.ch(num.end) == Some('元')
            && ["化", "论", "锂", "材料", "正极", "前驱", "电池", "体系", "结构", "函数"].iter().any(|w| self.at(num.end + 1, w));
        if !ok || word_of_yuan {
            return self.skip_cn_run(i);
        }
        self.emit(num, tail)
    }

    fn skip_cn_run(&self, i: usize) -> usize {
        let mut k = i;
        while self.ch(k).is_some_and(|c| is_cn_numeral(c) || c == '点') {
            k += 1;
        }
        k
    }

    fn half_cn(&mut self, i: usize) -> usize {
        let before = self.before(i, 2);
        let after_shu = self.ch(i + 1) == Some('数');
        if before.ends_with('一') || before.ends_with('过') || after_shu {
            let start = if before.ends_with('一') { i - 1 } else { i };
            let mut end = if after_shu { i + 2 } else { i + 1 };
            // 一半以上 is "more than half": the hedge after the word counts like after a figure.
            let hedge = if before.ends_with('过') {
                Some(Hedge::Up)
            } else {
                self.hedge_after(&mut end).or_else(|| self.hedge_before(start))
            };
            let q = self.quantity(start, end, 50.0, 10.0, 10.0, Unit::Percent, hedge);
            self.out.push(q);
            return end;
        }
        if self.at(i + 1, "年") {
            let q = self.quantity(
                i,
                i + 2,
                0.5,
                0.5,
                0.5,
                Unit::Duration { of: TimeUnit::Year },
                None,
            );
            self.out.push(q);
            return i + 2;
        }
        if self.at(i + 1, "个月") {
            let q = self.quantity(
                i,
                i + 3,
                0.5,
                0.5,
                0.5,
                Unit::Duration {
                    of: TimeUnit::Month,
                },
                None,
            );
            self.out.push(q);
            return i + 3;
        }
        i + 1
    }

    /// 百分之八十三点七, 百分之30.
    fn chinese_percent(&mut self, i: usize) -> usize {
        let k = i + 3;
        if self.at(k, "百") && !self.ch(k + 1).is_some_and(is_cn_numeral) {
            let q = self.quantity(
                i,
                k + 1,
                100.0,
                1.0,
                1.0,
                Unit::Percent,
                self.hedge_before(i),
            );
            self.out.push(q);
            return k + 1;
        }
        let num = self.chinese_number(k).or_else(|| {
            self.ch(k)
                .is_some_and(|c| c.is_ascii_digit())
                .then(|| self.arabic_number(k))
                .flatten()
        });
        let Some(num) = num else { return k };
        // 百分之十几, 百分之七八十: vague.
        if self.ch(num.end) == Some('几') {
            return num.end + 1;
        }
        let mut end = num.end;
        let hedge = self.hedge_after(&mut end).or_else(|| self.hedge_before(i));
        let q = self.quantity(i, end, num.value, num.ulp, num.ulp_nz, Unit::Percent, hedge);
        self.out.push(q);
        end
    }

    // ----- English ------------------------------------------------------------------------

    fn english(&mut self, i: usize) -> usize {
        let mut k = i;
        while self.is_alpha(k) {
            k += 1;
        }
        let word: String = self.chars[i..k]
            .iter()
            .map(|&(_, c)| c.to_ascii_lowercase())
            .collect();
        let capital = self.chars[i].1.is_ascii_uppercase();
        if let Some(&(_, m)) = MONTHS.iter().find(|(name, _)| *name == word) {
            if capital {
                return self.english_date(i, k, m);
            }
            return k;
        }
        if let Some(end) = self.english_fraction(i, &word, k) {
            return end;
        }
        if let Some(f) = fold_word(&word) {
            let q = self.quantity(i, k, f, 1.0, 1.0, Unit::Multiple, self.hedge_before(i));
            self.out.push(q);
            return k;
        }
        if word_value(&word).is_some() {
            return self.english_number(i);
        }
        k
    }

    /// "July 1, 2025", "July 2025", "July 1", "in July", "mid-July".
    fn english_date(&mut self, i: usize, k: usize, m: u32) -> usize {
        let mut end = k;
        if self.ch(end) == Some('.') {
            end += 1;
        }
        let mut d = None;
        let mut y = None;
        let j = self.skip_space(end);
        if j > end
            && let Some((v, j2)) = self.small_int(j, 4)
        {
            if (1..=31).contains(&v) && !self.is_alpha(j2) {
                d = Some(v);
                end = j2;
                let mut j3 = end;
                if self.ch(j3) == Some(',') {
                    j3 += 1;
                }
                let j4 = self.skip_space(j3);
                if let Some((yv, j5)) = self.small_int(j4, 4)
                    && (1000..3000).contains(&yv)
                    && j5 - j4 == 4
                {
                    y = Some(yv as i32);
                    end = j5;
                }
            } else if (1000..3000).contains(&v) && j2 - j == 4 {
                y = Some(v as i32);
                end = j2;
            }
        }
        if d.is_none() && y.is_none() {
            let before = self.before(i, 8);
            let led = MONTH_LEADS
                .iter()
                .any(|w| Self::ends_with_word(&before, w) || before.ends_with(&format!("{w}-")));
            if !led || (m == 5 && !before.ends_with("in")) {
                return k;
            }
        }
        self.push_date(i, end, y, Some(m), d);
        end
    }

    /// "one-third", "two-thirds", "a quarter of", "three-quarters", "half of".
    fn english_fraction(&mut self, i: usize, word: &str, k: usize) -> Option<usize> {
        if word == "half" {
            let before = self.before(i, 12);
            let of = self.skip_space(k);
            let hedged = self.hedge_before(i);
            if self.word_at(of, "of").is_some() || hedged.is_some() || before.ends_with("one") {
                let q = self.quantity(i, k, 50.0, 10.0, 10.0, Unit::Percent, hedged);
                self.out.push(q);
            }
            return Some(k);
        }
        let num = match word {
            "a" | "one" => 1.0,
            "two" => 2.0,
            "three" => 3.0,
            _ => return None,
        };
        let j = if self.ch(k) == Some('-') {
            k + 1
        } else {
            self.skip_space(k)
        };
        let den_words: [(&str, f64); 6] = [
            ("thirds", 3.0),
            ("third", 3.0),
            ("quarters", 4.0),
            ("quarter", 4.0),
            ("fifths", 5.0),
            ("fifth", 5.0),
        ];
        let (end, den) = den_words
            .iter()
            .find_map(|(w, d)| self.word_at(j, w).map(|e| (e, *d)))?;
        // "a quarter" is also a period of three months: only "a quarter of" is a share.
        if word == "a" && self.word_at(self.skip_space(end), "of").is_none() {
            return None;
        }
        if num >= den {
            return None;
        }
        let q = self.quantity(
            i,
            end,
            num / den * 100.0,
            1.0,
            1.0,
            Unit::Percent,
            self.hedge_before(i),
        );
        self.out.push(q);
        Some(end)
    }

    /// "six times", "two million", "three years", "twenty-five percent": number words count
    /// only with a scale or unit after them.
    fn english_number(&mut self, i: usize) -> usize {
        let word_end = |k: usize| {
            let mut j = k;
            while self.is_alpha(j) {
                j += 1;
            }
            j
        };
        let lower = |a: usize, b: usize| -> String {
            self.chars[a..b]
                .iter()
                .map(|&(_, c)| c.to_ascii_lowercase())
                .collect()
        };
        let mut k = i;
        let mut value = 0.0;
        let mut end = i;
        loop {
            let j = word_end(k);
            match lower(k, j).as_str() {
                "hundred" => value = f64::max(value, 1.0) * 100.0,
                w => match word_value(w) {
                    Some(v) => value += v,
                    None => break,
                },
            }
            end = j;
            // "twenty-five", "two hundred and fifty"
            let n = if self.ch(j) == Some('-') && self.is_alpha(j + 1) {
                j + 1
            } else {
                let s = self.skip_space(j);
                if s == j {
                    break;
                }
                match self.word_at(s, "and") {
                    Some(a) => self.skip_space(a),
                    None => s,
                }
            };
            if word_value(&lower(n, word_end(n))).is_none() {
                break;
            }
            k = n;
        }
        if end == i {
            return i + 1;
        }
        let num = Num {
            value,
            ulp: 1.0,
            ulp_nz: 1.0,
            start: i,
            end,
            grouped: false,
            year_like: false,
            chinese: false,
        };
        let tail = self.tail(&num);
        let unit_less = matches!(
            tail.unit,
            TailUnit::None
                | TailUnit::Measure
                | TailUnit::YearCn
                | TailUnit::MonthCn
                | TailUnit::DayCn
                | TailUnit::MonthName(_)
        );
        if unit_less && tail.scale == 1.0 {
            return end;
        }
        self.emit(num, tail)
    }

    // ----- Tails: scale, unit, hedges -----------------------------------------------------

    fn tail(&self, num: &Num) -> Tail {
        let mut k = num.end;
        let mut hedge = None;
        // 3000多吨, 100余亿元
        if matches!(self.ch(k), Some('多') | Some('余')) {
            hedge = Some(Hedge::Up);
            k += 1;
        }
        let mut scale = 1.0;
        // Some outlets (IT之家) set a space between Arabic digits and the Chinese after them
        // (`26.39 万元`, `47240 美元`): a scale or unit is read across one.
        let spaced = !num.chinese && matches!(self.ch(k), Some(' ' | '\u{a0}'));
        if spaced && matches!(self.ch(k + 1), Some('万' | '亿')) {
            k += 1;
        }
        // Chinese scale chain: 万, 亿, 万亿, 千万, 百万.
        while let Some((c, u)) = self.ch(k).and_then(|c| cn_unit(c).map(|u| (c, u))) {
            if (c == '千' && (self.at(k, "千瓦") || self.at(k, "千克") || self.at(k, "千米")))
                || (c == '百' && self.at(k, "百分"))
                || (c == '十' && num.chinese)
            {
                break;
            }
            scale *= u;
            k += 1;
        }
        if scale > 1.0 && matches!(self.ch(k), Some('多') | Some('余')) {
            hedge = Some(Hedge::Up);
            k += 1;
        }
        // English scale words, after an optional space.
        if scale == 1.0 && !num.chinese {
            let j = self.skip_space(k);
            let attached = j == k;
            let words: [(&str, f64); 10] = [
                ("thousand", 1e3),
                ("million", 1e6),
                ("billion", 1e9),
                ("trillion", 1e12),
                ("hundred", 1e2),
                ("mln", 1e6),
                ("bln", 1e9),
                ("bn", 1e9),
                ("mn", 1e6),
                ("tn", 1e12),
            ];
            if let Some((e, s)) = words
                .iter()
                .find_map(|(w, s)| self.word_at(j, w).map(|e| (e, *s)))
            {
                scale = s;
                k = e;
            } else if attached && self.has_currency_prefix(num.start) {
                // "$5m", "$300k"
                if let Some(e) = self.word_at(k, "m") {
                    scale = 1e6;
                    k = e;
                } else if let Some(e) = self.word_at(k, "k") {
                    scale = 1e3;
                    k = e;
                }
            }
        } else if scale == 1.0 {
            let j = self.skip_space(k);
            for (w, s) in [
                ("thousand", 1e3),
                ("million", 1e6),
                ("billion", 1e9),
                ("trillion", 1e12),
            ] {
                if let Some(e) = self.word_at(j, w) {
                    scale = s;
                    k = e;
                    break;
                }
            }
        }
        let (unit, end) = match self.unit_after(k, num) {
            (TailUnit::None, _) if spaced && scale == 1.0 && self.ch(k).is_some_and(|c| SPACES.contains(&c)) => {
                match self.unit_after(k + 1, num) {
                    (u @ (TailUnit::Money(_) | TailUnit::Mass(_) | TailUnit::Percent), e) => (u, e),
                    _ => self.unit_after(k, num),
                }
            }
            other => other,
        };
        let mut end = end;
        // Dates take no hedge: "比11月多" compares with November.
        let dated = matches!(
            unit,
            TailUnit::MonthCn | TailUnit::DayCn | TailUnit::MonthName(_)
        );
        let after = if dated {
            None
        } else {
            self.hedge_after(&mut end)
        };
        Tail {
            end,
            scale,
            unit,
            hedge: hedge.or(after),
        }
    }

    /// The unit written at `k` (after the number and its scale) and where it ends.
    fn unit_after(&self, k: usize, num: &Num) -> (TailUnit, usize) {
        use TailUnit as T;
        let c = self.ch(k);
        if c == Some('%') {
            return (T::Percent, k + 1);
        }
        let cn: [(&str, TailUnit); 44] = [
            ("个百分点", T::PercentagePoints(1.0)),
            ("百分点", T::PercentagePoints(1.0)),
            ("个基点", T::PercentagePoints(0.01)),
            ("基点", T::PercentagePoints(0.01)),
            ("美元", T::Money(Some(Currency::Usd))),
            ("美金", T::Money(Some(Currency::Usd))),
            ("欧元", T::Money(Some(Currency::Eur))),
            ("日元", T::Money(Some(Currency::Jpy))),
            ("港元", T::Money(Some(Currency::Hkd))),
            ("港币", T::Money(Some(Currency::Hkd))),
            ("英镑", T::Money(Some(Currency::Gbp))),
            ("韩元", T::Money(Some(Currency::Krw))),
            ("澳元", T::Money(Some(Currency::Aud))),
            ("加元", T::Money(Some(Currency::Cad))),
            ("卢比", T::Money(Some(Currency::Inr))),
            ("元人民币", T::Money(Some(Currency::Cny))),
            ("人民币", T::Money(Some(Currency::Cny))),
            ("元", T::Money(Some(Currency::Cny))),
            ("块钱", T::Money(Some(Currency::Cny))),
            ("公吨", T::Mass(1.0)),
            ("吨", T::Mass(1.0)),
            ("千克", T::Mass(1e-3)),
            ("公斤", T::Mass(1e-3)),
            ("倍", T::Multiple),
            ("个多月", T::Duration(TimeUnit::Month)),
            ("个月", T::Duration(TimeUnit::Month)),
            ("个星期", T::Duration(TimeUnit::Week)),
            ("个小时", T::Duration(TimeUnit::Hour)),
            ("小时", T::Duration(TimeUnit::Hour)),
            ("分钟", T::Duration(TimeUnit::Minute)),
            ("秒钟", T::Duration(TimeUnit::Second)),
            ("周年", T::Duration(TimeUnit::Year)),
            ("星期", T::Duration(TimeUnit::Week)),
            ("天", T::Duration(TimeUnit::Day)),
            ("周", T::Duration(TimeUnit::Week)),
            ("秒", T::Duration(TimeUnit::Second)),
            ("年", T::YearCn),
            ("月份", T::MonthCn),
            ("月", T::MonthCn),
            ("日", T::DayCn),
            ("号", T::DayCn),
            ("成", T::Cheng),
            ("克", T::Mass(1e-6)),
            ("磅", T::Mass(0.000_453_592_37)),
        ];
        for (w, u) in cn {
            if self.at(k, w) {
                let end = k + w.chars().count();
                if u == T::Cheng && !self.cheng_is_share(end, num) {
                    return (T::None, k);
                }
                if u == T::DayCn
                    && !(num.value >= 1.0 && num.value <= 31.0 && num.value.fract() == 0.0)
                {
                    return (T::None, k);
                }
                // 二年级 is a school grade, 3年期 a bond tenor (still years), 年级 is not.
                if u == T::YearCn && self.ch(end) == Some('级') {
                    return (T::None, k);
                }
                return (u, end);
            }
        }
        if c.is_some_and(|c| MEASURE_WORDS.contains(c)) {
            return (T::Measure, k);
        }
        if num.chinese {
            return (T::None, k);
        }
        // English units after an optional space or hyphen ("90-minute", "10-fold").
        let j = if self.ch(k) == Some('-') && self.is_alpha(k + 1) {
            k + 1
        } else {
            self.skip_space(k)
        };
        let en: [(&[&str], TailUnit); 20] = [
            (
                &[
                    "percentage points",
                    "percentage point",
                    "percent points",
                    "pct points",
                    "pp",
                    "ppt",
                    "ppts",
                ],
                T::PercentagePoints(1.0),
            ),
            (
                &["basis points", "basis point", "bps", "bp"],
                T::PercentagePoints(0.01),
            ),
            (&["percent", "per cent", "pct"], T::Percent),
            (
                &[
                    "US dollars",
                    "U.S. dollars",
                    "US dollar",
                    "dollars",
                    "dollar",
                    "dlrs",
                    "USD",
                ],
                T::Money(Some(Currency::Usd)),
            ),
            (
                &["yuan", "RMB", "renminbi", "CNY"],
                T::Money(Some(Currency::Cny)),
            ),
            (&["euros", "euro", "EUR"], T::Money(Some(Currency::Eur))),
            (&["yen", "JPY"], T::Money(Some(Currency::Jpy))),
            (
                &["Hong Kong dollars", "HK dollars", "HKD"],
                T::Money(Some(Currency::Hkd)),
            ),
            (
                &["Australian dollars", "AUD"],
                T::Money(Some(Currency::Aud)),
            ),
            (&["Canadian dollars", "CAD"], T::Money(Some(Currency::Cad))),
            (&["rupees", "INR"], T::Money(Some(Currency::Inr))),
            (
                &[
                    "metric tons",
                    "metric tonnes",
                    "tonnes",
                    "tonne",
                    "tons",
                    "ton",
                ],
                T::Mass(1.0),
            ),
            (&["kilograms", "kilogram", "kg"], T::Mass(1e-3)),
            (&["times", "fold", "x"], T::Multiple),
            (&["years", "year"], T::Duration(TimeUnit::Year)),
            (&["months", "month"], T::Duration(TimeUnit::Month)),
            (&["weeks", "week"], T::Duration(TimeUnit::Week)),
            (&["days", "day"], T::Duration(TimeUnit::Day)),
            (&["hours", "hour"], T::Duration(TimeUnit::Hour)),
            (&["minutes", "minute"], T::Duration(TimeUnit::Minute)),
        ];
        for (words, u) in en {
            if let Some(e) = self.any_word_at(j, words) {
                // "10x" only attached; "3 x 4" is arithmetic.
                if words[0] == "times" && e - j == 1 && j != k {
                    continue;
                }
                return (u, e);
            }
        }
        if let Some(e) = self.word_at(j, "won") {
            // "won" is a verb unless a scale or currency context precedes it.
            if k != num.end {
                return (T::Money(Some(Currency::Krw)), e);
            }
        }
        // "1 July": a day before a capitalized month name.
        if j > k
            && num.year_like
            && (1.0..=31.0).contains(&num.value)
            && self.ch(j).is_some_and(|c| c.is_ascii_uppercase())
            && let Some(&(_, m)) = MONTHS
                .iter()
                .find(|(name, _)| self.word_at(j, name).is_some())
        {
            let mut e = j;
            while self.is_alpha(e) {
                e += 1;
            }
            return (T::MonthName(m), e);
        }
        (T::None, k)
    }

    /// 成 after a number is a share unless it starts a word (成为, 成本, 一成不变…).
    fn cheng_is_share(&self, end: usize, num: &Num) -> bool {
        if !(num.value >= 1.0 && num.value <= 10.0) {
            return false;
        }
        !self
            .ch(end)
            .is_some_and(|c| "为立本功员交果绩长都熟型品就年人效分不功".contains(c))
    }

    /// Hedges written before the number at char `i` ("over", "超过", "近"…).
    fn hedge_before(&self, i: usize) -> Option<Hedge> {
        let mut k = i;
        // Skip a currency prefix: "over $550 billion".
        for p in [
            "US$",
            "HK$",
            "A$",
            "C$",
            "$",
            "¥",
            "￥",
            "€",
            "£",
            "RMB",
            "人民币",
        ] {
            let len = p.chars().count();
            if k >= len && self.at(k - len, p) {
                k -= len;
                break;
            }
        }
        let before = self.before(k, 16);
        const UP: [&str; 18] = [
            "over",
            "more than",
            "above",
            "exceeding",
            "exceeded",
            "exceeds",
            "at least",
            "upwards of",
            "in excess of",
            "超过",
            "超",
            "逾",
            "多于",
            "高于",
            "至少",
            "不低于",
            "突破",
            "大于",
        ];
        const DOWN: [&str; 16] = [
            "nearly",
            "almost",
            "close to",
            "under",
            "less than",
            "below",
            "up to",
            "just under",
            "近",
            "将近",
            "接近",
            "不到",
            "不足",
            "低于",
            "少于",
            "小于",
        ];
        const ABOUT: [&str; 9] = [
            "about",
            "around",
            "approximately",
            "roughly",
            "some",
            "约",
            "大约",
            "大概",
            "左右",
        ];
        let hit = |ws: &[&str]| ws.iter().any(|w| Self::ends_with_word(&before, w));
        if hit(&DOWN) {
            Some(Hedge::Down)
        } else if hit(&UP) {
            Some(Hedge::Up)
        } else if hit(&ABOUT) {
            Some(Hedge::About)
        } else {
            None
        }
    }

    /// Hedges written right after a quantity (以上, 左右…); moves `end` past them.
    fn hedge_after(&self, end: &mut usize) -> Option<Hedge> {
        for (w, h) in [
            ("以上", Hedge::Up),
            ("多", Hedge::Up),
            ("余", Hedge::Up),
            ("左右", Hedge::About),
            ("上下", Hedge::About),
            ("以下", Hedge::Down),
            ("以内", Hedge::Down),
        ] {
            if self.at(*end, w) {
                // 多/余 after a unit only hedge when nothing follows that makes them a word.
                if (w == "多" || w == "余")
                    && self.ch(*end + 1).is_some_and(crate::document::is_cjk)
                {
                    continue;
                }
                *end += w.chars().count();
                return Some(h);
            }
        }
        None
    }

    /// The currency written before the number at char `start`, with where the prefix starts.
    fn currency_prefix(&self, start: usize) -> Option<(Option<Currency>, usize)> {
        const PREFIXES: [(&str, Option<Currency>); 18] = [
            ("US$", Some(Currency::Usd)),
            ("HK$", Some(Currency::Hkd)),
            ("A$", Some(Currency::Aud)),
            ("C$", Some(Currency::Cad)),
            ("S$", None),
            ("NT$", None),
            ("$", Some(Currency::Usd)),
            ("¥", None),
            ("￥", None),
            ("€", Some(Currency::Eur)),
            ("£", Some(Currency::Gbp)),
            ("₹", Some(Currency::Inr)),
            ("₩", Some(Currency::Krw)),
            ("人民币", Some(Currency::Cny)),
            ("RMB", Some(Currency::Cny)),
            ("USD", Some(Currency::Usd)),
            ("CNY", Some(Currency::Cny)),
            ("EUR", Some(Currency::Eur)),
        ];
        let spaced = start >= 1 && SPACES.contains(&self.chars[start - 1].1);
        for (p, cur) in PREFIXES {
            let len = p.chars().count();
            // Words may stand a space apart from the number ("RMB 5 billion"), signs may not.
            let wordy = p
                .chars()
                .all(|c| c.is_ascii_alphabetic() || crate::document::is_cjk(c));
            for gap in [0, 1] {
                if gap == 1 && !(wordy && spaced) {
                    continue;
                }
                let Some(s) = start.checked_sub(len + gap) else {
                    continue;
                };
                if !self.at(s, p) {
                    continue;
                }
                if s > 0 && self.is_alpha(s - 1) {
                    if p == "$" {
                        return Some((None, s)); // some other dollar: "NZ$"
                    }
                    continue;
                }
                return Some((cur, s));
            }
        }
        None
    }

    fn has_currency_prefix(&self, start: usize) -> bool {
        self.currency_prefix(start).is_some()
    }

    // ----- Building quantities --------------------------------------------------------------

    /// Turns a number and its tail into quantities (two for a range like "10-20%").
    fn emit(&mut self, num: Num, tail: Tail) -> usize {
        // Ranges: "10-20%", "1-2亿元", "3至5年", "2 to 3 billion": the first number takes the
        // scale and unit of the second.
        if tail.unit == TailUnit::None && tail.scale == 1.0 && tail.hedge.is_none() {
            let mut j = tail.end;
            let conn = if matches!(
                self.ch(j),
                Some('-') | Some('~') | Some('～') | Some('至') | Some('到')
            ) {
                j += 1;
                true
            } else if let Some(e) = self.word_at(self.skip_space(j), "to") {
                j = self.skip_space(e);
                j > e && !num.chinese
            } else {
                false
            };
            let second = if conn {
                if self.is_digit(j) && !num.chinese {
                    self.arabic_number(j)
                } else if self.ch(j).is_some_and(is_cn_numeral) && num.chinese {
                    self.chinese_number(j)
                } else {
                    None
                }
            } else {
                None
            };
            if let Some(second) = second {
                let t2 = self.tail(&second);
                if t2.unit != TailUnit::None || t2.scale != 1.0 {
                    let first_tail = Tail {
                        end: num.end,
                        scale: t2.scale,
                        unit: t2.unit,
                        hedge: None,
                    };
                    self.build(num, first_tail, true);
                    return self.build(second, t2, false);
                }
            }
        }
        self.build(num, tail, false)
    }

    fn build(&mut self, num: Num, tail: Tail, range_first: bool) -> usize {
        use TailUnit as T;
        let hedge = tail.hedge.or_else(|| self.hedge_before(num.start));
        let (v, u, unz) = (
            num.value * tail.scale,
            num.ulp * tail.scale,
            num.ulp_nz * tail.scale,
        );
        let mut start = num.start;
        let end = tail.end;
        let unit = match tail.unit {
            T::None | T::Measure => {
                if let Some((cur, s)) = self.currency_prefix(num.start) {
                    start = s;
                    Unit::Money { currency: cur }
                } else if tail.unit == T::None
                    && tail.scale == 1.0
                    && num.year_like
                    && !num.chinese
                    && (1800.0..=2100.0).contains(&v)
                {
                    Unit::Year
                } else {
                    Unit::Plain
                }
            }
            T::Percent => Unit::Percent,
            T::PercentagePoints(f) => {
                let q = self.quantity(
                    start,
                    end,
                    v * f,
                    u * f,
                    unz * f,
                    Unit::PercentagePoints,
                    hedge,
                );
                self.out.push(q);
                return end;
            }
            T::Money(cur) => {
                let mut cur = cur;
                if let Some((pc, s)) = self.currency_prefix(num.start) {
                    start = s;
                    cur = cur.or(pc);
                }
                Unit::Money { currency: cur }
            }
            T::Mass(f) => {
                let q = self.quantity(start, end, v * f, u * f, unz * f, Unit::Mass, hedge);
                self.out.push(q);
                return end;
            }
            T::Multiple => Unit::Multiple,
            T::Cheng => {
                // 七成五 = 75%.
                let mut end = end;
                let mut value = v * 10.0;
                let mut ulp = 10.0;
                if let Some(d) = self
                    .ch(end)
                    .and_then(cn_digit)
                    .or_else(|| self.ch(end).and_then(|c| c.to_digit(10)))
                    && !self
                        .ch(end + 1)
                        .is_some_and(|c| is_cn_numeral(c) || c.is_ascii_digit())
                {
                    value += f64::from(d);
                    ulp = 5.0;
                    end += 1;
                }
                let q = self.quantity(start, end, value, ulp, 10.0, Unit::Percent, hedge);
                self.out.push(q);
                return end;
            }
            T::Duration(tu) => Unit::Duration { of: tu },
            T::YearCn => {
                if num.year_like && tail.scale == 1.0 && (1000.0..3000.0).contains(&v) {
                    if !range_first && let Some((m, d, e)) = self.month_day_after(end) {
                        self.push_date(start, e, Some(v as i32), Some(m), d);
                        return e;
                    }
                    Unit::Year
                } else {
                    // "年来", "年间" stay outside the span.
                    Unit::Duration { of: TimeUnit::Year }
                }
            }
            T::MonthCn => {
                let before = self.before(num.start, 1);
                if (1.0..=12.0).contains(&v)
                    && v.fract() == 0.0
                    && tail.scale == 1.0
                    && !before.ends_with('个')
                {
                    let mut e = end;
                    let mut d = None;
                    if !range_first && let Some((dv, de)) = self.day_after(end) {
                        d = Some(dv);
                        e = de;
                    }
                    self.push_date(start, e, None, Some(v as u32), d);
                    return e;
                }
                Unit::Plain
            }
            T::DayCn => {
                self.push_date(start, end, None, None, Some(v as u32));
                return end;
            }
            T::MonthName(m) => {
                // "1 July 2025"
                let mut e = end;
                let mut y = None;
                let j = self.skip_space(end);
                if let Some((yv, j2)) = self.small_int(j, 4)
                    && j > end
                    && (1000..3000).contains(&yv)
                    && j2 - j == 4
                {
                    y = Some(yv as i32);
                    e = j2;
                }
                self.push_date(start, e, y, Some(m), Some(v as u32));
                return e;
            }
        };
        let q = self.quantity(start, end, v, u, unz, unit, hedge);
        self.out.push(q);
        end
    }

    /// "7月1日" right after a year.
    fn month_day_after(&self, k: usize) -> Option<(u32, Option<u32>, usize)> {
        let num = if self.is_digit(k) {
            self.arabic_number(k)
        } else {
            self.chinese_number(k)
        }?;
        if !(1.0..=12.0).contains(&num.value) || num.value.fract() != 0.0 {
            return None;
        }
        let after = if self.at(num.end, "月份") {
            num.end + 2
        } else if self.at(num.end, "月") {
            num.end + 1
        } else {
            return None;
        };
        match self.day_after(after) {
            Some((d, e)) => Some((num.value as u32, Some(d), e)),
            None => Some((num.value as u32, None, after)),
        }
    }

    fn day_after(&self, k: usize) -> Option<(u32, usize)> {
        let num = if self.is_digit(k) {
            self.arabic_number(k)
        } else {
            self.chinese_number(k)
        }?;
        if !(1.0..=31.0).contains(&num.value) || num.value.fract() != 0.0 {
            return None;
        }
        (self.at(num.end, "日") || self.at(num.end, "号"))
            .then_some((num.value as u32, num.end + 1))
    }

    fn push_date(
        &mut self,
        start: usize,
        end: usize,
        y: Option<i32>,
        m: Option<u32>,
        d: Option<u32>,
    ) {
        let value = f64::from(y.unwrap_or(0)) * 10_000.0
            + f64::from(m.unwrap_or(0)) * 100.0
            + f64::from(d.unwrap_or(0));
        let q = Quantity {
            value,
            unit: Unit::Date { y, m, d },
            raw: self.text[self.byte(start)..self.byte(end)].to_string(),
            span: self.byte(start)..self.byte(end),
            lo: value,
            hi: value,
        };
        self.out.push(q);
    }

    /// A quantity from char range `start..end` with its rounding range widened by `hedge`.
    #[allow(clippy::too_many_arguments)]
    fn quantity(
        &self,
        start: usize,
        end: usize,
        value: f64,
        ulp: f64,
        ulp_nz: f64,
        unit: Unit,
        hedge: Option<Hedge>,
    ) -> Quantity {
        let half = ulp / 2.0;
        // A directional hedge puts the figure itself at the near end of the range: "近四千" is
        // just under 4,000, never 4,400, however coarse the figure is written.
        let (lo, hi) = match hedge {
            None => (value - half, value + half),
            Some(Hedge::Up) => (value, value + ulp_nz.max(ulp)),
            Some(Hedge::Down) => (value - ulp_nz.max(ulp), value),
            Some(Hedge::About) => (
                value - (ulp_nz / 2.0).max(half),
                value + (ulp_nz / 2.0).max(half),
            ),
        };
        let (b0, b1) = (self.byte(start), self.byte(end));
        let (lo, hi) = if unit == Unit::Year {
            (value, value)
        } else {
            (lo, hi)
        };
        Quantity {
            value,
            unit,
            raw: self.text[b0..b1].to_string(),
            span: b0..b1,
            lo,
            hi,
        }
    }

    fn finish(&mut self, num: Num) -> usize {
        let tail = self.tail(&num);
        self.emit(num, tail)
    }
}

/// Value of a Chinese numeral run, the place value of its last digit, and of its last
/// non-zero digit; `None` when the run is not a well-formed number.
fn parse_cn(run: &[char]) -> Option<(f64, f64, f64)> {
    if run.is_empty() {
        return None;
    }
    // Digit strings: 二〇二五 (years), and decimals after 点.
    let point = run.iter().position(|&c| c == '点');
    let (int, frac) = match point {
        Some(p) => (&run[..p], &run[p + 1..]),
        None => (run, &run[..0]),
    };
    if frac.iter().any(|&c| cn_digit(c).is_none()) {
        // 一点五亿: a scale after the decimals.
        let digits_end = frac
            .iter()
            .position(|&c| cn_digit(c).is_none())
            .unwrap_or(frac.len());
        let (fd, scale) = frac.split_at(digits_end);
        let mut mult = 1.0;
        for &c in scale {
            mult *= cn_unit(c)?;
        }
        let (iv, _, _) = parse_cn_int(int)?;
        let fv = digits_value(fd)?;
        let ulp = 10f64.powi(-(fd.len() as i32)) * mult;
        let v = (iv + fv) * mult;
        return Some((v, ulp, ulp));
    }
    let (iv, ulp, ulp_nz) = parse_cn_int(int)?;
    if point.is_some() {
        if frac.is_empty() {
            return None;
        }
        let fv = digits_value(frac)?;
        let ulp = 10f64.powi(-(frac.len() as i32));
        return Some((iv + fv, ulp, ulp));
    }
    Some((iv, ulp, ulp_nz))
}

/// 0.xyz from a string of Chinese digits after 点.
fn digits_value(fd: &[char]) -> Option<f64> {
    let mut v = 0.0;
    let mut p = 0.1;
    for &c in fd {
        v += f64::from(cn_digit(c)?) * p;
        p /= 10.0;
    }
    Some(v)
}

fn parse_cn_int(int: &[char]) -> Option<(f64, f64, f64)> {
    if int.is_empty() {
        return None;
    }
    // All digits: a digit string ("二〇二五") — only single digits and years are written so.
    if int.iter().all(|&c| cn_digit(c).is_some()) {
        return match int.len() {
            1 => Some((f64::from(cn_digit(int[0])?), 1.0, 1.0)),
            4 => {
                let mut v = 0.0;
                for &c in int {
                    v = v * 10.0 + f64::from(cn_digit(c)?);
                }
                Some((v, 1.0, 1.0))
            }
            _ => None,
        };
    }
    let (value, lowest) = cn_group(int, &[1e8, 1e4], true)?;
    if value == 0.0 {
        return None;
    }
    // Tens are written exactly (三十年); hundreds and up without lower digits are round.
    let ulp = if lowest <= 10.0 { 1.0 } else { lowest };
    Some((value, ulp, ulp))
}

/// Value and place of the last digit of a numeral below `10^k · scales[0]`, splitting at the
/// first of `scales` (亿, then 万) it contains.
fn cn_group(s: &[char], scales: &[f64], at_start: bool) -> Option<(f64, f64)> {
    let Some((&scale, lower)) = scales.split_first() else {
        return cn_section(s, at_start);
    };
    let marker = if scale == 1e8 { '亿' } else { '万' };
    let Some(p) = s.iter().position(|&c| c == marker) else {
        return cn_group(s, lower, at_start);
    };
    let (left, right) = (&s[..p], &s[p + 1..]);
    let (lv, ll) = cn_group(left, lower, at_start)?;
    if lv == 0.0 {
        return None;
    }
    if right.is_empty() {
        return Some((lv * scale, ll * scale));
    }
    // Colloquial 一万二 = 12,000, 三亿五 = 350,000,000: a lone digit names the next unit down.
    if right.len() == 1 {
        let d = f64::from(cn_digit(right[0])?);
        return Some((lv * scale + d * scale / 10.0, scale / 10.0));
    }
    let (rv, rl) = cn_group(right, lower, false)?;
    if rv >= scale {
        return None;
    }
    Some((lv * scale + rv, rl))
}

/// A numeral below 万 (digits with 十百千, zeros as fillers): its value and the place of its
/// last digit (infinite when empty).
fn cn_section(s: &[char], at_start: bool) -> Option<(f64, f64)> {
    let mut value = 0.0;
    let mut digit: Option<f64> = None;
    let mut last_unit: Option<f64> = None;
    let mut lowest = f64::INFINITY;
    let mut zero = false;
    for (p, &c) in s.iter().enumerate() {
        if let Some(d) = cn_digit(c) {
            if digit.is_some() {
                return None; // two digits in a row: 十四五, 七八
            }
            if d == 0 {
                zero = true;
            } else {
                digit = Some(f64::from(d));
            }
            continue;
        }
        let x = cn_unit(c)?;
        if x >= 1e4 || last_unit.is_some_and(|lu| x >= lu) {
            return None; // units must descend: 三十五百
        }
        let d = match digit.take() {
            Some(d) => d,
            // 十 may stand alone: 十五 = 15, 一百零十 is odd but harmless.
            None if x == 10.0 && ((p == 0 && at_start) || zero) => 1.0,
            None => return None,
        };
        value += d * x;
        lowest = x;
        last_unit = Some(x);
        zero = false;
    }
    if let Some(d) = digit {
        // 三千五 = 3,500: a trailing digit right after 百/千 names the next unit down.
        let place = match last_unit {
            Some(u) if u > 10.0 && !zero => u / 10.0,
            _ => 1.0,
        };
        value += d * place;
        lowest = place;
    }
    Some((value, lowest))
}

/// English number words below a hundred.
fn word_value(w: &str) -> Option<f64> {
    const W: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const T: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(p) = W.iter().position(|x| *x == w) {
        return Some(p as f64);
    }
    if let Some(p) = T.iter().position(|x| *x == w) {
        return Some((p as f64 + 2.0) * 10.0);
    }
    (w == "hundred").then_some(100.0)
}

/// "tenfold", "threefold".
fn fold_word(w: &str) -> Option<f64> {
    let stem = w.strip_suffix("fold")?;
    word_value(stem).filter(|v| *v >= 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs `bullet | paragraph | y/n`: does every quantity of the bullet phrase appear in the
    /// paragraph phrase? Bullets come from the seed pages (../shared/seeds) and from English
    /// renderings of corpus sentences; paragraphs are phrases of qqnews, Reuters-21578 and the
    /// Chinese articles the seed digests summarize.
    const PAIRS: &str = "
3,834 tons of Chinese rare earth oxides | 五个月内3834吨中国稀土氧化物经泰国和墨西哥进入美国 | y
3,834 tons | 近四千吨稀土运往美 | y
3,834 tons | 3843吨 | n
4,400 tons | 近四千吨稀土运往美 | n
4,000 tons | 近四千吨 | y
55% | 一半以上的企业 | y
45% | 一半以上的企业 | n
66% | 超过七成 | n
$550 billion | 日本承诺投资5500亿美元 | y
$550 billion | 日本承诺投资550亿美元 | n
$550 billion | 5500亿元人民币 | n
South Korea's commitment of $350 billion | 韩国承诺3500亿美元 | y
a 40% punitive tariff | 对经中国转运的商品征收40%的惩罚性关税 | y
a 19% tariff | 菲律宾同意19%的关税 | y
a 19% tariff | 菲律宾同意20%的关税 | n
over 70% of global rare earth mining capacity | 中国掌握全球七成以上的稀土开采产能 | y
nearly 90% of refining capabilities | 近九成的冶炼能力 | y
85% of separation patents | 85%的分离专利 | y
70% | 七成 | y
72% | 七成 | y
80% | 七成 | n
for the first time in 29 years | 29年来首次大修 | y
29 years | 二十九年 | y
29 years | 2029年 | n
July 1, 2025 | 2025年7月1日 | y
July 1, 2025 | 7月1日起正式施行 | y
July 1, 2025 | 2025年6月1日 | n
July 1, 2025 | 2024年7月1日 | n
surged by 660% in June | 6月份对美出口同比增长660% | y
660% | 暴增6倍 | n
a $400 million investment | 4亿美元投资 | y
$400 million | 4000万美元 | n
over 1,000 tons annually | 每年超过1000吨稀土 | y
over 1,000 tons | 1000多吨 | y
1,000 tons | 1400吨 | n
approximately 13% of its rare earth imports | 约13%的稀土进口 | y
13% | 13个百分点 | n
1.7 million tons of rare earth oxides | 170万吨稀土氧化物 | y
1.7 million tons | 1.7万吨 | n
a 15% stake | 15%的股份 | y
approximately 80-85% of its rare earth needs | 80%至85%的稀土需求 | y
a staggering 83.7% dependence on China | 对中国的依赖度高达百分之八十三点七 | y
83.7% | 83.7个百分点 | n
97% of its heavy rare earth supply | 97%的重稀土供应 | y
92% of refining capacity | 百分之九十二的精炼产能 | y
daily losses of up to $22 million | 每天损失高达2200万美元 | y
$22 million | 2.2亿美元 | n
exceeding 980,000 yuan per ton | 价格突破98万元/吨 | y
a 35% increase in Tesla's battery costs | 电池成本上涨35% | y
purity levels of 99.9999% | 纯度达到99.9999% | y
99.9999% | 99.99% | n
a 150% export guarantee deposit | 150%的出口保证金 | y
a 2,700% increase | 增长2700% | y
468 tons of rare earth oxides | 468吨稀土氧化物 | y
25.17 tons of antimony ingots | 25.17吨锑锭 | y
25.17 tons | 25吨 | y
25.17 tons | 26吨 | n
rare earth reserves of 21 million tons | 稀土储量达2100万吨 | y
21 million tons | 21万吨 | n
the 90-minute phone call | 长达90分钟的通话 | y
90-minute | 60分钟 | n
tariffs to a high of 145% | 关税一度高达145% | y
8.5% in April | 4月CPI飙升至8.5% | y
losses estimated at over $120 billion | 损失超过1200亿美元 | y
approximately 21,000 rare earth patents | 约2.1万件稀土专利 | y
six times its annual military budget | 相当于其年度军费的6倍 | y
six times | 3倍 | n
a 50% tariff on Brazilian goods | 对巴西商品征收50%的关税 | y
30 days | 30天投降潮 | y
within five months | 五个月内 | y
five months | 5年 | n
over 20 years | 二十年来 | y
the first in over 70 years | 70年来首次启动新稀土矿 | y
10,000 tons | 1万吨 | y
10,000 tons | 10万吨 | n
1,500 tons | 1500吨 | y
$15 | 15美元 | y
$4 per kilogram | 每公斤4美元 | y
by 2050 | 到2050年 | y
in 2025 | 2025年 | y
2025 | 2,025吨 | n
since 1957 | 自1957年以来 | y
88% | 约88% | y
90% | 九成 | y
60% | 六成以上 | y
$800 billion | 8000亿美元 | y
a target price of $34 | 目标价34美元 | y
100% | 百分之百 | y
over half of its foreign exchange reserves | 超过一半的外汇储备 | y
40% | 四成 | y
4.7亿元 | 获加仓4.7亿元 | y
4.7亿元 | 4.7亿美元 | n
470 million yuan | 获加仓4.7亿元 | y
revenue of 2.286 billion yuan | 呷哺呷哺业务收入22.86亿元 | y
2.29 billion yuan | 22.86亿元 | y
2.3 billion yuan | 22.86亿元 | y
2.2 billion yuan | 22.86亿元 | n
296万吨 | 煤炭日均产量达到296万吨 | y
2.96 million tons | 296万吨 | y
2.96 million tons | 296吨 | n
40.159 million tons | 煤炭总储量4015.9万吨 | y
72 million tons of nickel reserves | 印尼的镍储量为7200万吨 | y
0.03 percentage points | 影响CPI上涨约0.03个百分点 | y
1.3 percentage points | 涨幅比上月扩大1.3个百分点 | y
1.3% | 涨幅比上月扩大1.3个百分点 | n
2.3 percentage points | 服务业PMI则下降2.3个百分点至51 | y
53.5% | 建筑业新订单指数为53.5% | y
49.9% | EBITDA同比增长49.9% | y
61.9% | 居民部门负债率为61.9% | y
62% | 居民部门负债率为61.9% | y
61% | 居民部门负债率为61.9% | n
$44 billion | 斥资440亿美元收购推特 | y
$40 billion | 达400亿美元 | y
$1.12 billion | 从2021年的11.2亿美元下降 | y
$2.81 billion | 同期亏损28.06亿美元 | y
$2.9 billion | 同期亏损28.06亿美元 | n
$116 billion | 全年净利润1160亿美元 | y
about $3 billion | 提供约30亿美元的紧急贷款 | y
$31.4 trillion | 提高联邦政府31.4万亿美元的债务上限 | y
11.32 trillion yuan | 委托贷款余额为11.32万亿元 | y
17.24 trillion yuan | 中长期贷款余额17.24万亿元 | y
17.24 trillion yuan | 17.24亿元 | n
80% | 韩国免税店八成以上的 | y
60% | 六成受访养老机构 | y
nearly 40% | 近四成美军 | y
70% | 物业费总额百分之七十的费用 | y
50% | 百分之五十以上 | y
more than 9 times | 搜索量同比增长超9倍 | y
2 times | 费用是研发费用的2倍左右 | y
at least 5 times | 国内最大项目的至少5倍 | y
12.7 times | 平均市盈率分别为12.70倍 | y
12 times | 平均市盈率分别为12.70倍 | n
June 30, 2022 | 招股书显示，截至2022年6月30日 | y
April 8, 2023 | 2023年4月8日，该楼 | y
March 16, 2023 | 当地时间2023年3月16日，法国 | y
March 16 | 3月16日 | y
March 16, 2023 | 2023年3月6日 | n
2 million yuan | 每次付200万元 | y
2.913 million yuan | 行业人均利润为291.3万元 | y
12 million yuan | 获得1200万元投资 | y
35.2 million yuan | 医院以3520万元买入 | y
over 150 million tons | 年度碳减排量超过1.5亿吨二氧化碳 | y
1.5 million tons | 年度碳减排量超过1.5亿吨 | n
1.5亿 | 1.5 million | n
230 million tons | 港口货物吞吐量达2.3亿吨 | y
$2.5 million each | 每枚价值250万美元 | y
$154,000 | 一年寄宿学费为15.4万美元 | y
about $20 million | 获利约2000万美元 | y
$75,000 | 年收入7.5万美元以下的家庭 | y
$12.4 million | 捐赠了1240万美元 | y
100 basis points | 分别回落155和100个基点 | y
15 basis points | 一年期存款产品均降15个基点 | y
0.15 percentage points | 一年期存款产品均降15个基点 | y
0.15% | 一年期存款产品均降15个基点 | n
$640 million | Goodyear Aerospace Corp for 640 mln dlrs | y
$171.03 million | Net is after tax 171.03 mln dlrs vs 188.52 mln | y
2.15 billion dollars | talks with Argentina over 2.15 billion dlrs of new loans | y
3.44 million tonnes | was estimated at 3.44 mln tonnes in France | y
250,000 tons | recent purchases of probably 250,000 tonnes | y
a 37% drop | citruspulp fell 37 pct to 516,000 tonnes | y
516,000 tonnes | citruspulp fell 37 pct to 516,000 tonnes | y
6.73 percentage points | load factor rose 6.73 percentage points to 64.91 pct | y
6.73% | load factor rose 6.73 percentage points | n
0.5 percentage points | cut its base lending rate 0.5 percentage points to 10.5 pct | y
49 basis points | the issue yields 49 basis points over | y
0.49 percentage points | the issue yields 49 basis points over | y
5.81% | mortgages fell to 5.81 percent last week | y
5.8% | mortgages fell to 5.81 percent last week | y
5.9% | mortgages fell to 5.81 percent last week | n
Group 1 - a 40% tariff [3] | 40%的关税 | y
3834 | 3834吨 | y
550 billion | 5500亿美元 | y
1.5 billion | 15亿元 | y
1.5 million | 1.5亿 | n
三千八百三十四吨 | 3,834 tons | y
两万 | 20000 | y
一万二千 | 12,000 | y
三分之一 | one-third | y
三分之一 | 33% | y
三分之一 | 25% | n
百分之五 | 5% | y
20个基点 | 0.2个百分点 | y
三年 | 3 years | y
三年 | 36个月 | y
半年 | six months | y
两周 | 14 days | y
24小时 | one day | y
7月 | in July | y
7月 | in June | n
1.2万亿元 | 1.2 trillion yuan | y
1.2万亿元 | 1.2 billion yuan | n
11.29亿元 | 1.13 billion yuan | y
11.29亿元 | 1.2 billion yuan | n
";

    fn summary(text: &str) -> String {
        extract(text)
            .iter()
            .map(|q| {
                format!(
                    "{} = {:?} {} [{}, {}] @{:?}",
                    q.raw, q.unit, q.value, q.lo, q.hi, q.span
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// IT之家 (qq-8691) sets a space between digits and the Chinese after them: the scale and
    /// the unit still belong to the number; a year or a count across a space stays as it was.
    #[test]
    fn a_space_between_digits_and_a_chinese_unit_is_read_across() {
        let qs = extract("Model Y 在中国的价格上涨至 26.39 万元，在美国上涨至 47240 美元，降幅在 2% 至 6% 之间，约 3.7 万日元。");
        let got: Vec<(String, f64)> = qs.iter().map(|q| (q.raw.clone(), q.value)).collect();
        assert_eq!(
            got,
            [
                ("26.39 万元".to_string(), 263_900.0),
                ("47240 美元".to_string(), 47_240.0),
                ("2%".to_string(), 2.0),
                ("6%".to_string(), 6.0),
                ("3.7 万日元".to_string(), 37_000.0),
            ]
        );
        assert!(matches!(qs[1].unit, Unit::Money { currency: Some(Currency::Usd) }));
        // Not units: a year, a count with its measure word.
        let other = extract("2023 年共有 12 家公司");
        assert!(other.iter().all(|q| !matches!(q.unit, Unit::Money { .. } | Unit::Mass)), "{other:?}");
    }

    #[test]
    fn spans_are_byte_ranges_of_the_raw_text() {
        let text = "Japan has pledged $550 billion, 日本承诺5500亿美元（约合3.9万亿元人民币），占比超过七成。";
        let qs = extract(text);
        assert_eq!(qs.len(), 4, "{qs:?}");
        for q in &qs {
            assert_eq!(&text[q.span.clone()], q.raw);
        }
        assert_eq!(qs[0].raw, "$550 billion");
        assert_eq!(
            qs[0].unit,
            Unit::Money {
                currency: Some(Currency::Usd)
            }
        );
        assert_eq!(qs[0].value, 550e9);
        assert_eq!(qs[1].raw, "5500亿美元");
        assert_eq!(qs[2].raw, "3.9万亿元人民币");
        assert_eq!(qs[2].value, 3.9e12);
        assert_eq!(qs[3].raw, "七成");
        assert_eq!((qs[3].lo, qs[3].hi), (70.0, 80.0)); // 七成 is 65..75; "超过" makes it 70 up to one ten more
    }

    #[test]
    fn extracts_values_units_and_ranges() {
        let cases = [
            "3,834吨",
            "3,834 tons",
            "11.29亿元",
            "1.129 billion yuan",
            "1.13 billion",
            "百分之八十三点七",
            "$550 billion",
            "5500亿美元",
            "1.2万亿元",
            "1.2 trillion yuan",
            "七成",
            "七成五",
            "over 70%",
            "2025年7月1日",
            "July 1, 2025",
            "1 July 2025",
            "2025-08-02 07:02",
            "29年",
            "29 years",
            "近四千吨",
            "nearly 4,000 tons",
            "三千八百三十四",
            "一万二",
            "三亿五千万",
            "二〇二五年",
            "1-5月",
            "10-20%",
            "1-2亿元",
            "3至5年",
            "3000多吨",
            "100多亿元",
            "三分之一",
            "two-thirds",
            "a quarter of",
            "over half of",
            "一半以上",
            "in June",
            "mid-July",
            "0.5个百分点",
            "50 basis points",
            "25bp",
            "6倍",
            "six times",
            "tenfold",
            "twenty-five percent",
            "two million tons",
            "US$5bn",
            "HK$3 billion",
            "¥1.2 trillion",
            "RMB 5 billion",
            "人民币100亿元",
            "€40 million",
            "640 mln dlrs",
            "37 pct",
            "10kg",
            "90-minute",
            "36个月",
            "两周",
            "半年",
            "75周年",
            "98万元/吨",
            "2000家企业",
            "in 2025",
            "2,025 tons",
            "近9成",
            "约77.5％",
            "１２％",
            "百分之百",
            "12倍多",
            "120万千瓦",
        ];
        let out = cases
            .iter()
            .map(|c| format!("{c}  =>  {}", summary(c)))
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn labels_markers_and_words_are_not_quantities() {
        for text in [
            "Group 1 - The alliance",
            "[3][5]",
            "[10, 12]",
            "2.1 Copper - prices",
            "1. Overview",
            "(2) 供需",
            "1、加强监管",
            "第三季度",
            "第3季度",
            "No. 5",
            "the 3rd round",
            "F-35 jets",
            "COVID-19",
            "C919客机",
            "5G网络",
            "the 1990s",
            "07:02",
            "十四五规划",
            "一些企业",
            "统一大市场",
            "十分重要",
            "数十亿元",
            "十几年",
            "七八个",
            "零部件",
            "二次感染",
            "不管三元锂电池还是磷酸铁锂电池",
            "三元材料",
            "一元化",
            "这一成绩",
            "成为",
            "两岸",
            "one of the largest",
            "two countries",
            "hundreds of millions",
            "version 1.2.3",
            "百分之十几",
            "May be",
            "march on",
        ] {
            assert_eq!(summary(text), "", "{text:?} should have no quantity");
        }
        // An amount of a few yuan written in Chinese is still one.
        assert!(summary("公交票价由两元调整为三元。").contains("三元 = Money"), "{}", summary("公交票价由两元调整为三元。"));
    }

    #[test]
    fn percent_and_percentage_points_differ() {
        let pct = &extract("上涨1.3%")[0];
        let pp = &extract("上升1.3个百分点")[0];
        assert!(!pct.matches(pp) && !pp.matches(pct));
        assert!(pp.matches(&extract("130 basis points")[0]));
    }

    #[test]
    fn matching_is_symmetric_and_years_need_year_shapes() {
        let year = &extract("2025年")[0];
        let plain = &extract("2025")[0];
        let tons = &extract("2,025 tons")[0];
        let grouped = &extract("2,025")[0];
        assert_eq!(year.unit, Unit::Year);
        assert!(year.matches(plain) && plain.matches(year));
        assert!(!year.matches(tons) && !tons.matches(year));
        assert!(!year.matches(grouped));
        let date = &extract("2025年7月1日")[0];
        assert!(year.matches(date) && date.matches(year));
        assert!(!extract("2024年")[0].matches(date));
        for (a, b) in [
            ("11.29亿元", "1.13 billion yuan"),
            ("七成", "70%"),
            ("$550 billion", "5500亿美元"),
        ] {
            let (a, b) = (&extract(a)[0], &extract(b)[0]);
            assert!(a.matches(b) && b.matches(a));
        }
    }

    #[test]
    fn durations_convert_only_by_exact_factors() {
        let y = &extract("3 years")[0];
        assert!(y.matches(&extract("36个月")[0]));
        assert!(!y.matches(&extract("1095天")[0]));
        assert!(extract("两周")[0].matches(&extract("14 days")[0]));
    }

    #[test]
    fn currencies_must_agree_when_both_are_named() {
        let cny = &extract("4.7亿元")[0];
        assert!(!cny.matches(&extract("4.7亿美元")[0]));
        assert!(
            cny.matches(&extract("¥470 million")[0]),
            "¥ names no single currency"
        );
        assert!(
            cny.matches(&extract("4.7亿")[0]),
            "a bare number matches any unit"
        );
    }

    #[test]
    fn real_pairs_match_as_expected() {
        let mut rows = 0;
        let mut failures = Vec::new();
        for line in PAIRS.lines().filter(|l| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.split(" | ").collect();
            assert_eq!(parts.len(), 3, "bad table row {line:?}");
            let (bullet, paragraph, expected) = (parts[0], parts[1], parts[2] == "y");
            let qs = extract(bullet);
            assert!(!qs.is_empty(), "no quantity in bullet phrase {bullet:?}");
            let got = qs.iter().all(|q| appears_in(q, paragraph));
            if got != expected {
                failures.push(format!(
                    "{line}\n    bullet: {qs:?}\n    paragraph: {:?}",
                    extract(paragraph)
                ));
            }
            rows += 1;
        }
        assert!(rows >= 120, "the table shrank to {rows} rows");
        assert!(
            failures.is_empty(),
            "{} of {rows} rows wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
