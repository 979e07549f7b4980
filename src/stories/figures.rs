//! figures: which figures does a story state, and do its sources agree on them?
//!
//! The claim ledger. Every member's body is scanned with the verifier's number reader
//! (`digest::numbers`: 万/亿 scales, tonnes, percentages, currencies), keeping amounts of money,
//! mass and percentages (bare numbers, dates and years say too little on their own). What a
//! figure measures is the phrase before it in its clause with `为`/`达`/`约`/`超`/`was`/`about`
//! taken off (`出口量为3834吨` and `出口量约3800吨` both measure `出口量`), the noun after it when
//! nothing stands before it (`29.59万元的售价`), or the sentence's subject when what stands before
//! it only says it moved (`营收达6090亿元，同比增长10%`: `营收同比增长`). When: a period the
//! sentence names before the figure (`2022年`, `一季度` = `Q1`, `上半年`, `前三季度`, `10月`)
//! makes a different measure from the same phrase in another period. Two members state the same
//! measure when one phrase ends the other (the head of a Chinese noun phrase is last: `锑出口量`,
//! `出口量`) and they name no different period. Figures of one measure whose quantities match
//! (the verifier's own test, so 20.3亿元 and 2,030,000,000 yuan agree) are shown once with all
//! their sources (and so are equal values a rewritten copy words differently, see
//! `pair_reworded`); figures of one measure and unit that do not match are a conflict — shown
//! side by side, each cited `id [n]` — when a copy's sentence is another member's with the
//! figure changed, or when members wholly apart state them for a named measure and neither
//! states the other's value. How a measure reads is
//! `label`'s: the noun phrase itself (`长续航全轮驱动焕新版的售价`), not the matching key.

use serde::Serialize;

use super::sketch::numbered_body;

mod label;
use crate::digest::numbers::{self, Quantity, Unit};
use crate::document::Document;

/// Most letters (CJK characters) a Chinese measure keeps: the head of its noun phrase.
const MEASURE_CHARS: usize = 10;
/// Most words an English measure keeps.
const MEASURE_WORDS: usize = 4;

/// What a figure measures and for when, read from its sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Measure {
    /// The measure phrase, lower-cased: `出口量`, `营收同比增长`, `exports`.
    what: String,
    /// How it reads: the noun phrase the figure measures, as written (`Model Y长续/高性能降价`,
    /// `label`), or empty when its sentence names none.
    shown: String,
    /// The period named before the figure in its sentence, as written (`2023年Q2`) and in a
    /// canonical form (`2023 Q2`) that says `一季度` and `Q1` are one period.
    when: Option<(String, String)>,
}

impl Measure {
    /// Two statements measure the same thing when one phrase ends the other (Chinese noun
    /// phrases put their head last: `锑出口量` and `出口量`; `营收` and `总营收`) and they name no
    /// different period (a sentence that names none is taken to mean the story's).
    fn same_as(&self, other: &Measure) -> bool {
        let (a, b) = (&self.what, &other.what);
        (a.ends_with(b.as_str()) || b.ends_with(a.as_str())) && self.same_period(other)
    }

    /// They name no different period (a sentence that names none is taken to mean the story's).
    fn same_period(&self, other: &Measure) -> bool {
        match (&self.when, &other.when) {
            (Some((_, x)), Some((_, y))) => x == y,
            _ => true,
        }
    }
}

/// Sentence ends: a figure's measure and period are read from its sentence only.
fn is_sentence_break(text: &str, i: usize, c: char) -> bool {
    match c {
        '。' | '！' | '？' | '；' | '\n' | ';' | '!' | '?' => true,
        '.' => text[i + 1..].starts_with(' '),
        _ => false,
    }
}

/// Clause breaks inside a sentence (a comma before a digit is a thousands separator).
fn is_clause_break(text: &str, i: usize, c: char) -> bool {
    match c {
        '，' | '：' | '（' | '）' | '(' | ')' | '、' | '“' | '”' | '"' | ':' => true,
        ',' => !text[i + 1..].starts_with(|n: char| n.is_ascii_digit()),
        _ => is_sentence_break(text, i, c),
    }
}

/// The clauses of `text`, breaks left out.
fn clauses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut at = 0;
    for (i, c) in text.char_indices() {
        if is_clause_break(text, i, c) {
            out.push(&text[at..i]);
            at = i + c.len_utf8();
        }
    }
    out.push(&text[at..]);
    out
}

/// Words a measure phrase ends in that say nothing about what is measured (`为`, `约`, `超`,
/// `was`, `about`): stripped from its end, longest first.
const TAIL_ZH: &[&str] = &[
    "分别为", "分别是", "分别", "约为", "大约", "达到", "高达", "超过", "不足", "不到", "约合", "合计", "共计", "总计",
    "仅为", "已达", "已经", "约有", "左右", "人民币", "逾", "为", "达", "约", "近", "超", "共", "仅", "已", "有", "是",
    "了", "在", "的", "将", "或", "再", "又", "也", "均", "则", "仍", "还", "从", "由", "每", "就", "或许", "可能",
    "将会", "会",
];
const TAIL_EN: &[&str] = &[
    "at", "of", "by", "was", "were", "is", "are", "be", "been", "about", "around", "nearly", "almost", "some",
    "approximately", "roughly", "over", "more", "than", "just", "reached", "totaled", "totalled", "stood", "the", "a",
    "an", "and", "from", "for", "in", "on", "with", "us", "usd", "rmb", "hit", "its", "their", "estimated",
];
/// `增至`, `rose to`: the figure is the new level, so the measure is the thing itself.
const LEVEL_ZH: &[&str] = &["至", "到"];
const LEVEL_EN: &[&str] = &["to"];
/// Words that say a figure is a change rather than a level; they stay in the measure (`营收同比
/// 增长` is not `营收`) but are no measure on their own.
const MOVE_ZH: &[&str] = &[
    "同比增长", "同比下降", "同比上涨", "同比下跌", "同比增加", "同比减少", "环比增长", "环比下降", "增长", "下降", "上涨",
    "下跌", "上升", "减少", "增加", "提高", "降低", "提升", "下滑", "回落", "上调", "下调", "增幅", "降幅", "涨幅", "跌幅",
    "扩大", "收窄", "同比", "环比", "涨", "跌", "增", "降",
];
const MOVE_EN: &[&str] = &[
    "rose", "fell", "rise", "fall", "rising", "falling", "increased", "decreased", "increase", "decrease", "grew",
    "growth", "declined", "decline", "gained", "gain", "dropped", "drop", "jumped", "climbed", "up", "down", "surged",
    "slumped", "higher", "lower",
];

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// `s` with its trailing `words` stripped (repeatedly, with what is not a letter between).
fn strip_tail(s: &mut String, en: bool) {
    loop {
        let trimmed = s.trim_end_matches(|c: char| !c.is_alphabetic()).len();
        s.truncate(trimmed);
        let words: &[&str] = if en { TAIL_EN } else { TAIL_ZH };
        let levels: &[&str] = if en { LEVEL_EN } else { LEVEL_ZH };
        let ends = |w: &str, s: &str| {
            s.ends_with(w) && (!en || s.len() == w.len() || s[..s.len() - w.len()].ends_with(|c: char| !c.is_alphanumeric()))
        };
        if let Some(w) = levels.iter().find(|w| ends(w, s)) {
            s.truncate(s.len() - w.len());
            // `增至`, `rose to`: the move word before a level word goes too.
            let moves: &[&str] = if en { MOVE_EN } else { MOVE_ZH };
            let t = s.trim_end().len();
            s.truncate(t);
            if let Some(m) = moves.iter().find(|m| ends(m, s)) {
                s.truncate(s.len() - m.len());
            }
            continue;
        }
        match words.iter().find(|w| ends(w, s)) {
            Some(w) => s.truncate(s.len() - w.len()),
            None => return,
        }
    }
}

/// Conjunctions a clause opens with (`但其毛利率` is `毛利率`).
const LEAD_ZH: &[&str] =
    &["但其", "但是", "而其", "其中", "并且", "同时", "此外", "另外", "甚至", "预计", "但", "而", "其", "并", "且", "的"];
const LEAD_EN: &[&str] = &["and", "but", "while", "its", "the", "their"];

/// `s` with the conjunctions it opens with taken off.
fn strip_lead(s: &mut String, en: bool) {
    loop {
        let t = s.trim_start_matches(|c: char| !c.is_alphabetic()).to_string();
        *s = t;
        let words: &[&str] = if en { LEAD_EN } else { LEAD_ZH };
        let opens = |w: &str| {
            s.len() >= w.len()
                && s.is_char_boundary(w.len())
                && s[..w.len()].eq_ignore_ascii_case(w)
                && (!en || !s[w.len()..].starts_with(|c: char| c.is_alphanumeric()))
        };
        match words.iter().find(|w| opens(w)) {
            Some(w) => *s = s[w.len()..].to_string(),
            None => return,
        }
    }
}

/// Whether a phrase names nothing on its own: only move words, `同比`, stop words.
fn is_generic(s: &str, en: bool) -> bool {
    if en {
        return s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).all(|w| {
            MOVE_EN.contains(&w) || TAIL_EN.contains(&w) || LEVEL_EN.contains(&w)
        });
    }
    let mut rest = s.to_string();
    for w in MOVE_ZH.iter().chain(TAIL_ZH) {
        rest = rest.replace(w, "");
    }
    rest.chars().filter(|c| c.is_alphabetic()).count() < 2
}

/// A period named in `text`: its byte range, as written, and canonical.
struct Period {
    span: std::ops::Range<usize>,
    canonical: String,
}

/// Periods written in `text`: years (`2023年`, `2023` before a quarter or half), quarters (`一
/// 季度`, `第一季度`, `Q1`, `first quarter`), halves (`上半年`, `first half`), `前三季度`,
/// `全年`, months (`10月`, `1-9月`, not a date like `9月1日`).
fn periods(text: &str) -> Vec<Period> {
    const WORDS: &[(&str, &str)] = &[
        ("前三季度", "Q1-Q3"),
        ("前三个季度", "Q1-Q3"),
        ("第一季度", "Q1"),
        ("第二季度", "Q2"),
        ("第三季度", "Q3"),
        ("第四季度", "Q4"),
        ("一季度", "Q1"),
        ("二季度", "Q2"),
        ("三季度", "Q3"),
        ("四季度", "Q4"),
        ("1季度", "Q1"),
        ("2季度", "Q2"),
        ("3季度", "Q3"),
        ("4季度", "Q4"),
        ("上半年", "H1"),
        ("下半年", "H2"),
        ("全年", "FY"),
        ("财年", "FY"),
        ("first quarter", "Q1"),
        ("second quarter", "Q2"),
        ("third quarter", "Q3"),
        ("fourth quarter", "Q4"),
        ("first half", "H1"),
        ("second half", "H2"),
        ("full year", "FY"),
        ("fiscal year", "FY"),
    ];
    let lower = text.to_lowercase();
    // Lower-casing keeps byte offsets for the ASCII this matches; bail out to `text` otherwise.
    let hay = if lower.len() == text.len() { lower.as_str() } else { text };
    let bytes = hay.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < hay.len() {
        if !hay.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &hay[i..];
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if let Some((w, c)) = WORDS.iter().find(|(w, _)| rest.starts_with(w)) {
            out.push(Period { span: i..i + w.len(), canonical: (*c).to_string() });
            i += w.len();
            continue;
        }
        // Q1..Q4
        if word_start && rest.len() >= 2 && (bytes[i] == b'q') && matches!(bytes[i + 1], b'1'..=b'4') {
            let after = bytes.get(i + 2).copied();
            if !after.is_some_and(|b| b.is_ascii_alphanumeric()) {
                out.push(Period { span: i..i + 2, canonical: format!("Q{}", bytes[i + 1] as char) });
                i += 2;
                continue;
            }
        }
        // Digits: a year (19xx/20xx followed by 年 or a period word), or a month (`10月`, `1-9月`).
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit() && bytes[i - 1] != b'.') {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            let digits = &rest[..n];
            let after = &rest[n..];
            if n == 4 && (digits.starts_with("19") || digits.starts_with("20")) {
                let year_word = after.starts_with('年') && !after.starts_with("年度报告");
                let before_period = after.trim_start().starts_with(['q', 'Q'])
                    || WORDS.iter().any(|(w, _)| after.trim_start().starts_with(w));
                let english = word_start && !after.starts_with(|c: char| c.is_ascii_alphanumeric());
                if year_word || before_period || (english && hay.is_ascii()) {
                    let len = if year_word { n + '年'.len_utf8() } else { n };
                    out.push(Period { span: i..i + len, canonical: digits.to_string() });
                    i += len;
                    continue;
                }
            }
            if (1..=2).contains(&n) {
                // `1-9月`, `1至9月`: a range of months.
                let (end, range) = match after.strip_prefix('-').or_else(|| after.strip_prefix('至')) {
                    Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => {
                        let m = r.bytes().take_while(u8::is_ascii_digit).count();
                        (n + (after.len() - r.len()) + m, Some(&r[..m]))
                    }
                    _ => (n, None),
                };
                let tail = &rest[end..];
                if let Some(t) = tail.strip_prefix('月') {
                    let t = t.strip_prefix('份').unwrap_or(t);
                    let is_date = t.starts_with(|c: char| c.is_ascii_digit()) || t.starts_with(['日', '号']);
                    if !is_date {
                        let len = rest.len() - t.len();
                        let canonical = match range {
                            Some(to) => format!("M{digits}-{to}"),
                            None => format!("M{digits}"),
                        };
                        out.push(Period { span: i..i + len, canonical });
                        i += len;
                        continue;
                    }
                }
            }
            i += n;
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// The measure of the figure at bytes `span` of paragraph `p`: the phrase before it in its
/// clause (`出口量为` → `出口量`), the thing after it when it has none there (`29.59万元的售价`
/// → `售价`), or the subject of its sentence when what is before it only says it moved
/// (`营收达6090亿元，同比增长10%` → `营收同比增长`); and the period its sentence names before it.
fn measure_of(p: &str, q: &Quantity) -> Measure {
    let span = &q.span;
    let start = span.start.min(p.len());
    let sentence_start = p[..start]
        .char_indices()
        .rev()
        .find(|&(i, c)| is_sentence_break(p, i, c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let before = &p[sentence_start..start];
    let en = !before.chars().any(is_cjk);
    let found = periods(before);
    let dated_by = dating(before, &found);
    let when = (!dated_by.is_empty()).then(|| {
        let mut written = String::new();
        for (k, f) in dated_by.iter().enumerate() {
            let text = before[f.span.clone()].trim();
            if k > 0 {
                let between = before[dated_by[k - 1].span.end..f.span.start].trim();
                if RANGE_JOINERS.contains(&between) {
                    // `2019年至2021年`: one period, written as the sentence writes it.
                    written.push_str(between);
                } else if written.split(' ').any(|w| w == text) {
                    continue;
                } else if !between.is_empty() {
                    written.push(' ');
                }
            }
            written.push_str(text);
        }
        let mut canonical: Vec<&str> = Vec::new();
        for f in dated_by {
            if !canonical.contains(&f.canonical.as_str()) {
                canonical.push(&f.canonical);
            }
        }
        (written, canonical.join(" "))
    });
    // The sentence without its periods, so `2023年Q2特斯拉营收` reads `特斯拉营收`.
    let mut clean = String::with_capacity(before.len());
    let mut at = 0;
    for f in &found {
        clean.push_str(&before[at..f.span.start]);
        clean.push(' ');
        at = f.span.end;
    }
    clean.push_str(&before[at..]);
    let clause_start = clean
        .char_indices()
        .rev()
        .find(|&(i, c)| is_clause_break(&clean, i, c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let clause = &clean[clause_start..];
    // Only what follows the clause's previous number (`涨3%至` is about that one).
    let seg_start = label::last_number_end(clause);
    // …and past that number's unit (`降到了25万元` after `40-50万元的车`).
    // (Only after a number: `欧洲约占47%` opens with no unit.)
    let units = |c: char| "万亿千百元吨美欧日英港币镑个百分点".contains(c);
    let mut what = if seg_start > 0 { clause[seg_start..].trim_start_matches(units) } else { clause }.to_string();
    strip_tail(&mut what, en);
    let mut noun_after = None;
    if !en {
        // `公布了29.59万元的售价`: a figure followed by `的` is the value of what follows.
        if let Some(after) = p.get(span.end..).map(past_range).and_then(|a| a.strip_prefix('的')) {
            let noun: String = after.chars().take_while(|c| is_cjk(*c)).take(6).collect();
            // Only a noun that ends its clause (`的售价，`, `约70%的市场控制权，`), not the
            // subject of a new one (`的车降到了25万元`).
            let ends_clause = after[noun.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
            if (2..=5).contains(&noun.chars().count()) && ends_clause {
                noun_after = Some(noun.clone());
                what = noun;
            }
        }
    }
    strip_lead(&mut what, en);
    if is_generic(&what, en) {
        // The nearest clause (this one's start included: `营收增长10%至50亿元`) that names
        // something: `净利润27.03亿美元，同比增长20%`.
        let subject = clauses(&clean).into_iter().rev().find_map(|c| {
            let cut = c.char_indices().find(|(_, ch)| ch.is_ascii_digit()).map_or(c.len(), |(i, _)| i);
            let mut subject = c[..cut].to_string();
            let moves: &[&str] = if en { MOVE_EN } else { MOVE_ZH };
            if let Some(i) = moves.iter().filter_map(|m| find_word(&subject, m, en)).min() {
                subject.truncate(i);
            }
            strip_tail(&mut subject, en);
            strip_lead(&mut subject, en);
            (!is_generic(&subject, en)).then_some(subject)
        });
        if let Some(subject) = subject {
            let sep = if en { " " } else { "" };
            what = format!("{}{sep}{}", subject.trim(), what.trim());
        }
    }
    let shown = match noun_after {
        Some(noun) => noun,
        None if en => shown(&what),
        None => {
            // The high end of a range (`40-50万元`) is labelled by what comes before its low end.
            // Past the previous number's unit (`…万元的车降到了`), when there is one.
            let mut own = if seg_start > 0 { clause[seg_start..].trim_start_matches(units) } else { &clause[seg_start..] };
            let joiner = own.trim();
            let bare_low = clause[..seg_start].ends_with(|c: char| c.is_ascii_digit());
            if matches!(joiner, "-" | "~" | "～" | "—") || (bare_low && matches!(joiner, "至" | "到")) {
                let low = clause[..seg_start].trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | '%' | '％')).len();
                own = &clause[label::last_number_end(&clause[..low])..low];
            }
            label::of_clause(own, &clean, matches!(q.unit, Unit::Money { .. }))
        }
    };
    Measure { what: shorten(&what, en), shown, when }
}

/// What joins the two ends of a span of periods (`2019年至2021年`, `2022-2023年`).
const RANGE_JOINERS: &[&str] = &["至", "到", "-", "~", "～", "—", "to"];

/// The periods of `found` (all those of `before`, the figure's sentence up to it) that date the
/// figure: those of its own clause, else those of the nearest clause before it that names one
/// (`2023年1-9月，…实现利润总额5.4万亿元，同比下降9%`: the 9% is of 1–9月 2023). A clause naming
/// a day the ledger does not read as a period (`截至9月13日收盘，其股价为0.274美元`) dates what
/// follows it itself, and the search stops there: `2019年借壳上市后` two clauses earlier is not
/// when the share price was 0.274.
fn dating<'a>(before: &str, found: &'a [Period]) -> &'a [Period] {
    let mut end = before.len();
    loop {
        let start = before[..end]
            .char_indices()
            .rev()
            .find(|&(i, c)| is_clause_break(before, i, c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let first = found.partition_point(|f| f.span.start < start);
        let last = found.partition_point(|f| f.span.start < end);
        if first < last {
            return &found[first..last];
        }
        if start == 0 || names_a_day(&before[start..end]) {
            return &[];
        }
        // Past the break itself.
        end = before[..start].char_indices().next_back().map_or(0, |(i, _)| i);
    }
}

/// Whether a clause names a day (`9月13日`, `13号`, `当日`; not `1000日元`).
fn names_a_day(clause: &str) -> bool {
    let chars: Vec<char> = clause.chars().chain([' ']).collect();
    chars.windows(3).any(|w| {
        matches!(w[1], '日' | '号')
            && (w[0].is_ascii_digit() || "一二三四五六七八九十当同次昨今".contains(w[0]))
            && !"元圆本产".contains(w[2])
    })
}

/// English words a label does not hold: relatives, pronouns, determiners, auxiliaries and
/// common verbs (`which holds`, `the poll found`, `stands to lose`) — a label is the noun
/// phrase after the last of them.
const NOT_LABEL_EN: &[&str] = &[
    "which", "who", "whom", "that", "when", "where", "while", "as", "much", "many", "it", "he", "she", "they", "we", "i",
    "you", "his", "her", "our", "this", "these", "those", "there", "here", "also", "only", "still", "now", "then", "so",
    "if", "below", "above", "against", "worth", "per", "each", "all", "both", "such", "or", "s", "has", "have", "had",
    "holds", "hold", "will", "would", "should", "could", "can", "may", "might", "must", "said", "says", "say", "found",
    "lose", "offers", "offer", "represents", "arrange", "released", "remain", "climb", "dip", "expects", "expected",
    "issuing", "pays", "pay", "paid", "carries", "owes", "suspended", "reported", "plans", "make", "reduce", "raise",
    "cut", "buy", "sell", "sold", "bought", "get", "got", "see", "continue", "to", "not", "no", "today", "tomorrow",
    "yesterday",
];

/// An English measure as shown: the noun phrase (as written, at most [`MEASURE_WORDS`] words)
/// after the last word that is no part of one, with the move word it ends in (`Net profit
/// rose`); nothing when no noun phrase is left (`the poll found`).
fn shown(what: &str) -> String {
    let words: Vec<&str> = what.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let lower = |w: &str| w.to_lowercase();
    let stop = |w: &str| {
        let w = lower(w);
        NOT_LABEL_EN.contains(&w.as_str()) || TAIL_EN.contains(&w.as_str()) || LEAD_EN.contains(&w.as_str())
    };
    // The move word a change ends in stays (`Net profit rose`); its subject is what precedes it.
    let moved = words.last().filter(|w| MOVE_EN.contains(&lower(w).as_str()) || lower(w) == "off");
    let mut body = &words[..words.len() - usize::from(moved.is_some())];
    // `car sales were off`: the subject stands before the auxiliary.
    while moved.is_some() && body.last().is_some_and(|w| matches!(lower(w).as_str(), "was" | "were" | "is" | "are" | "has" | "have" | "had" | "been" | "be")) {
        body = &body[..body.len() - 1];
    }
    let from = body.iter().rposition(|w| stop(w)).map_or(0, |i| i + 1);
    let phrase = &body[from..];
    if phrase.is_empty() {
        return String::new();
    }
    let mut out = phrase[phrase.len().saturating_sub(MEASURE_WORDS)..].join(" ");
    if let Some(m) = moved {
        out.push(' ');
        out.push_str(m);
    }
    out
}

/// What joins the two ends of a range written out (`25.99-29.59万元`, `2%至6%`).
pub const RANGE_MARKS: [char; 6] = ['-', '~', '～', '—', '至', '到'];

/// `a` past the rest of a range it opens (`-29.59万元的售价` → `的售价`), else `a`.
fn past_range(a: &str) -> &str {
    // `2% 至 6%`: some outlets set spaces around the connector.
    let Some(rest) = a.trim_start().strip_prefix(RANGE_MARKS) else { return a };
    let rest = rest.trim_start();
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return a;
    }
    rest.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ',' | '万' | '亿' | '千' | '百' | '元' | '吨' | '%' | '％'))
}

/// Where `word` starts in `s` (as a whole word in English).
fn find_word(s: &str, word: &str, en: bool) -> Option<usize> {
    if !en {
        return s.find(word);
    }
    let mut at = 0;
    for w in s.split(|c: char| !c.is_alphanumeric()) {
        let here = at;
        at += w.len() + 1;
        if w.eq_ignore_ascii_case(word) {
            return Some(here);
        }
    }
    None
}

/// The measure's letters, lower-cased: the last [`MEASURE_CHARS`] of a Chinese phrase (its head
/// noun is last), the last [`MEASURE_WORDS`] words of an English one.
fn shorten(what: &str, en: bool) -> String {
    if en {
        let words: Vec<String> =
            what.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
        return words[words.len().saturating_sub(MEASURE_WORDS)..].join(" ");
    }
    let letters: Vec<char> = what.chars().filter(|c| c.is_alphanumeric()).collect();
    let letters = &letters[letters.len().saturating_sub(MEASURE_CHARS)..];
    letters.iter().collect::<String>().to_lowercase()
}

/// Whether `p` goes on with a Latin name `prev` breaks off (`…车型Model` + `S/X最高降幅…`).
fn broken_name(prev: &str, p: &str) -> bool {
    prev.trim_end().ends_with(|c: char| c.is_ascii_alphabetic()) && p.starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// The last sentence of `p` (all of it when it has no sentence break).
fn last_sentence(p: &str) -> &str {
    let p = p.trim_end();
    p.char_indices().rev().find(|&(i, c)| is_sentence_break(p, i, c)).map_or(p, |(i, c)| &p[i + c.len_utf8()..])
}

/// A paragraph a figure is stated in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cite {
    pub doc: String,
    pub paragraph: usize,
}

impl std::fmt::Display for Cite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.doc, self.paragraph)
    }
}

/// One figure as the sources state it (agreeing statements merged).
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What it measures: the measure phrase of its sentence (`出口量`, `营收同比增长`).
    pub measure: String,
    /// The period its sentence names, as first written (`2023年Q2`); `None` when it names none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// As first written (`20.3亿元`).
    pub raw: String,
    pub value: f64,
    pub unit: String,
    pub sources: Vec<Cite>,
    /// Set when another figure of the same measure disagrees: the other values, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts_with: Vec<String>,
    /// The same, as indices into the ledger, in ledger order.
    #[serde(skip)]
    pub conflicts: Vec<usize>,
    /// For a figure whose sentence names nothing it measures (an empty [`Figure::label`]): the
    /// words that state it, as written (`…的车降到了25万元`), so a line of it still says what it
    /// is. Empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stated_as: String,
}

impl Figure {
    /// `出口量`, or `营收 (2023年Q2)` when the sentence names a period.
    /// Empty when the sentence names no noun phrase the figure measures (the amount and its
    /// citation then stand alone; see [`labelled`]).
    pub fn label(&self) -> String {
        match &self.when {
            Some(_) if self.measure.is_empty() => String::new(),
            Some(w) => format!("{} ({w})", self.measure),
            None => self.measure.clone(),
        }
    }

    /// How a line names it: its label, or, when it has none, the words that state it, quoted
    /// (`“把一台原售价40-50万元的车降到了25万元”`).
    pub fn caption(&self) -> String {
        let label = self.label();
        if label.is_empty() && !self.stated_as.is_empty() { format!("“{}”", self.stated_as) } else { label }
    }

    /// The members stating it, each once, in order.
    pub fn docs(&self) -> Vec<&str> {
        let mut docs: Vec<&str> = Vec::new();
        for c in &self.sources {
            if !docs.contains(&c.doc.as_str()) {
                docs.push(&c.doc);
            }
        }
        docs
    }
}

struct Stated {
    measure: Measure,
    q: Quantity,
    cite: Cite,
    /// The figure's sentence as [`Context`] compares it.
    context: Context,
    /// See [`Figure::stated_as`].
    stated_as: String,
}

/// Most characters of the words quoted for a figure with no label ([`Figure::stated_as`]) before
/// the figure, and after it.
const STATED_BEFORE: usize = 20;
const STATED_AFTER: usize = 10;

/// The words of `p` that state the figure from `from` (where a range starts) to `to`: its clause
/// (`20亿美元只是一个参考价格`), with the clause before when it holds nothing else, cut (`…`)
/// to [`STATED_BEFORE`] characters before the figure and [`STATED_AFTER`] after it. Brackets
/// and quotes stay inside: `收购河南御捷时代汽车有限公司（以下简称：河南御捷）100%股权`.
fn stating_words(p: &str, from: &std::ops::Range<usize>, to: &std::ops::Range<usize>) -> String {
    let start = from.start.min(p.len());
    let end = to.end.min(p.len()).max(start);
    let clause_from = |at: usize| p[..at].char_indices().rev().find(|&(i, c)| ends_stating_words(p, i, c)).map_or(0, |(i, c)| i + c.len_utf8());
    let mut clause_start = clause_from(start);
    let words = |a: usize, b: usize| p[a..b].chars().filter(|c| c.is_alphanumeric()).count();
    let clause_stop = clause_end(p, end);
    let after = words(end, clause_stop);
    loop {
        let head = &p[clause_start..start];
        let open = head.matches(['（', '(']).count() < head.matches(['）', ')']).count();
        if clause_start == 0 || !(open || words(clause_start, start) + after < 2) {
            break;
        }
        // The clause before too: this one closes a bracket it opened, or says nothing else.
        let break_at = p[..clause_start].char_indices().next_back().map_or(0, |(i, _)| i);
        clause_start = clause_from(break_at);
    }
    let head: Vec<char> = p[clause_start..start].trim_start().chars().collect();
    let mut tail = p[end..clause_stop].trim_end();
    // A bracket or quote opened after the figure and not closed in its clause, or closed and
    // not opened in it, is left out (`550亿元（人民币`, `收一半”`).
    if let Some(i) = tail.find(['（', '(', '“']).filter(|&i| !tail[i..].contains(['）', ')', '”'])) {
        tail = &tail[..i];
    }
    let mut out = String::new();
    if head.len() > STATED_BEFORE {
        out.push('…');
        out.extend(&head[head.len() - STATED_BEFORE..]);
    } else {
        out.extend(&head);
    }
    out.push_str(&p[start..end]);
    let mut kept = tail.chars().count().min(STATED_AFTER);
    // Never cut inside an amount (`5.0万元`, not `5.0…`).
    let in_amount = |c: char| c.is_ascii_digit() || ".,万亿千百元%％吨".contains(c);
    kept += tail.chars().skip(kept).take_while(|&c| in_amount(c)).count();
    out.extend(tail.chars().take(kept));
    if tail.chars().count() > kept {
        out.push('…');
    }
    let count = |set: &str| out.matches(|x| set.contains(x)).count();
    let (opens, closes) = (count("“「『"), count("”」』"));
    if opens < closes {
        out = out.trim_end_matches(['”', '」', '』']).to_string();
    } else if opens > closes {
        out = out.replacen(['“', '「', '『'], "", 1);
    }
    out
}

/// Where the words stating a figure end: clause and sentence breaks, not brackets or quotes (a
/// comma before a digit is a thousands separator).
fn ends_stating_words(text: &str, i: usize, c: char) -> bool {
    match c {
        '，' | '；' | '。' | '！' | '？' | '：' | ';' | ':' | '\n' => true,
        ',' => !text[i + 1..].starts_with(|n: char| n.is_ascii_digit()),
        _ => false,
    }
}

/// Where the clause holding byte `at` of `p` ends.
fn clause_end(p: &str, at: usize) -> usize {
    p[at..].char_indices().find(|&(i, c)| ends_stating_words(&p[at..], i, c)).map_or(p.len(), |(i, _)| at + i)
}


/// A statement's sentence reduced to what tells a copy's sentence from another sentence: its
/// character pairs, spaces dropped and every number written `#` (so a copy that changed only
/// the number still reads the same).
#[derive(Debug, Clone)]
struct Context {
    doc: String,
    pairs: Vec<(char, char)>,
    /// Where in its sentence the figure starts, in [`Context::letters`] (a sentence giving 营收
    /// and 海外营收, or 五万元 and 十五万元, holds two figures; the same sentence in a copy
    /// disputes neither).
    slot: usize,
}

impl Context {
    fn of(doc: &str, p: &str, span: &std::ops::Range<usize>) -> Context {
        let at = span.start.min(p.len());
        let start = p[..at].char_indices().rev().find(|&(i, c)| is_sentence_break(p, i, c)).map_or(0, |(i, c)| i + c.len_utf8());
        let tail = &p[span.end.min(p.len()).max(at)..];
        let end = tail.char_indices().find(|&(i, c)| is_sentence_break(tail, i, c)).map_or(p.len(), |(i, _)| p.len() - tail.len() + i);
        let letters = Self::letters(&p[start..end]);
        let mut pairs: Vec<(char, char)> = letters.windows(2).map(|w| (w[0], w[1])).collect();
        pairs.sort_unstable();
        pairs.dedup();
        Context { doc: doc.to_string(), pairs, slot: Self::letters(&p[start..at]).len() }
    }

    /// The sentence's letters, spaces dropped, each number one `#`.
    fn letters(text: &str) -> Vec<char> {
        let mut letters: Vec<char> = Vec::new();
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            let c = if c.is_ascii_digit() || (matches!(c, '.' | ',') && letters.last() == Some(&'#')) { '#' } else { c };
            if !(c == '#' && letters.last() == Some(&'#')) {
                letters.push(c);
            }
        }
        letters
    }

    /// Another member's copy of this sentence (the same character pairs, numbers apart, ≥ 95 %
    /// of them in common), the figure at the same place in it: where a copy changed a figure.
    /// A similar sentence is not it: `高性能版降至#美元` inside `高性能版上涨至#美元，此前为#美元`,
    /// or `调整后…每股摊薄收益为#美元` beside `…每股摊薄收益为#美元`, are other statements.
    fn corresponds(&self, other: &Context) -> bool {
        if self.doc == other.doc || self.slot != other.slot || self.pairs.len().min(other.pairs.len()) < 4 {
            return false;
        }
        let (held, _) = crate::stories::sketch::overlap(&self.pairs, &other.pairs);
        let common = held * self.pairs.len().min(other.pairs.len()) as f64;
        let union = (self.pairs.len() + other.pairs.len()) as f64 - common;
        common >= 0.95 * union
    }
}

fn kept(u: &Unit) -> bool {
    matches!(u, Unit::Money { .. } | Unit::Mass | Unit::Percent | Unit::PercentagePoints)
}

fn unit_name(u: &Unit) -> String {
    match u {
        Unit::Money { currency: Some(c) } => format!("{c:?}").to_uppercase(),
        Unit::Money { currency: None } => "money".into(),
        Unit::Mass => "t".into(),
        Unit::Percent => "%".into(),
        Unit::PercentagePoints => "pp".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// `q` with the range its digits allow, not the wider one a hedge word gives it: the verifier
/// lets a summary's `约3800吨` stand for a source's 3834吨, but two sources writing 3834 and
/// 3800 disagree, and the analyst should see it. `raw` holds no hedge word, so reading it alone
/// gives that range; when it reads as something else (a unit named earlier), `q` stays.
fn unhedged(q: Quantity) -> Quantity {
    match numbers::extract(&q.raw).into_iter().next() {
        Some(strict) if strict.unit == q.unit && strict.value == q.value => Quantity { lo: strict.lo, hi: strict.hi, ..q },
        _ => q,
    }
}

/// A figure written with a minus sign (`年平均增长率为-2.85%`, `同比变动46.04%、-31.87%`) is
/// negative: the number reader reads the digits only, and the ledger must not turn a fall into
/// a rise. A `-` after a digit, a Latin letter or an amount's unit (`15-20万元`, `1万元-2万元`,
/// `COVID-19`) joins a range or a word and is no sign.
fn signed(p: &str, q: Quantity) -> Quantity {
    let head = &p[..q.span.start.min(p.len())];
    let Some(sign) = head.chars().next_back().filter(|c| matches!(c, '-' | '－' | '−')) else { return q };
    let before = head[..head.len() - sign.len_utf8()].chars().next_back();
    if before.is_some_and(|c| c.is_ascii_alphanumeric() || ".%％)）万亿千百元吨".contains(c)) {
        return q;
    }
    Quantity {
        value: -q.value,
        lo: -q.hi,
        hi: -q.lo,
        raw: format!("-{}", q.raw),
        span: q.span.start - sign.len_utf8()..q.span.end,
        ..q
    }
}

/// The ledger of a story's members (best first): figures in order of first statement.
pub fn ledger<D: std::borrow::Borrow<Document>>(members: &[D]) -> Vec<Figure> {
    let mut stated = Vec::new();
    for d in members {
        let d = d.borrow();
        let body = numbered_body(d);
        for (k, &(n, p)) in body.iter().enumerate() {
            // `…旗下车型Model` + `S/X最高降幅6.2万元`: a name broken over two paragraphs is read
            // whole (the figure is still cited to the paragraph that states it).
            let lead = k.checked_sub(1).map(|j| body[j]).filter(|&(m, prev)| m + 1 == n && broken_name(prev, p));
            let text = match lead {
                Some((_, prev)) => format!("{} {p}", last_sentence(prev)),
                None => p.to_string(),
            };
            let shift = text.len() - p.len();
            // The span of the range's low end the next figure closes (`2%` of `2%至6%`).
            let mut range_from: Option<std::ops::Range<usize>> = None;
            for q in numbers::extract(p) {
                if !kept(&q.unit) {
                    range_from = None;
                    continue;
                }
                // The low end of a range (`25.99` of `25.99-29.59万元`, `2%` of `降幅在2%至6%之间`)
                // would dispute any single figure; the high end stands for the range, measured
                // where the range starts (after `降幅在`, not after `2%至`).
                let after = &p[q.span.end..];
                let rest = past_range(after);
                let unit_tail = |s: &str| s.trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ',')).chars().next_back();
                let closes_same_unit = rest.len() != after.len() && unit_tail(&after[..after.len() - rest.len()]) == q.raw.chars().next_back();
                let low_end = rest.len() != after.len() && (q.raw.ends_with(|c: char| c.is_ascii_digit()) || closes_same_unit);
                if low_end {
                    range_from = Some(q.span.clone());
                    continue;
                }
                let q = signed(p, unhedged(q));
                let measured_at = match range_from.take() {
                    Some(from) => Quantity { span: from, ..q.clone() },
                    None => q.clone(),
                };
                let mut measure = measure_of(p, &measured_at);
                // Matching reads the paragraph alone, as it always has; only the label reads on.
                if shift > 0 {
                    let span = measured_at.span.start + shift..measured_at.span.end + shift;
                    measure.shown = measure_of(&text, &Quantity { span, ..q.clone() }).shown;
                }
                if measure.what.chars().filter(|c| c.is_alphabetic()).count() < 2 {
                    continue;
                }
                let context = Context::of(&d.id, p, &q.span);
                let stated_as = if measure.shown.is_empty() {
                    let moved = |r: &std::ops::Range<usize>| r.start + shift..r.end + shift;
                    stating_words(&text, &moved(&measured_at.span), &moved(&q.span))
                } else {
                    String::new()
                };
                stated.push(Stated { measure, q, cite: Cite { doc: d.id.clone(), paragraph: n }, context, stated_as });
            }
        }
    }
    let mut figures: Vec<Draft> = Vec::new();
    for s in stated {
        match figures.iter_mut().find(|d| d.measure.same_as(&s.measure) && same_value(&d.q, &s.q)) {
            Some(d) => {
                if !d.figure.sources.contains(&s.cite) {
                    d.figure.sources.push(s.cite);
                }
                d.contexts.push(s.context);
            }
            None => figures.push(Draft {
                figure: Figure {
                    measure: s.measure.shown.clone(),
                    when: s.measure.when.as_ref().map(|(written, _)| written.clone()),
                    raw: s.q.raw.clone(),
                    value: s.q.value,
                    unit: unit_name(&s.q.unit),
                    sources: vec![s.cite],
                    conflicts_with: Vec::new(),
                    conflicts: Vec::new(),
                    stated_as: s.stated_as,
                },
                q: s.q,
                measure: s.measure,
                contexts: vec![s.context],
            }),
        }
    }
    pair_reworded(&mut figures);
    // A conflict: the same measure and unit, another value, and either a copy's sentence worded
    // as another member's with the figure changed (`…焕新版的售价为29.59万元` / `…39.59万元`), or
    // members on the two sides that do not overlap at all and a measure that says what it is:
    // the same phrase, or one of three letters or more (`出口量` 3834吨 / 3800吨). A member
    // stating both values, or a bare `价格`/`售价` nested in a longer phrase about something else
    // (`Model 3价格` and `Model Y在美国的价格`), is no dispute.
    let mut conflicts: Vec<Vec<usize>> = vec![Vec::new(); figures.len()];
    for i in 0..figures.len() {
        for j in i + 1..figures.len() {
            let (a, b) = (&figures[i], &figures[j]);
            if a.q.unit != b.q.unit || !a.measure.same_as(&b.measure) {
                continue;
            }
            let (da, db) = (a.figure.docs(), b.figure.docs());
            // …and neither side states the other's value anywhere (`此前为53990美元`).
            let states = |docs: &[&str], q: &Quantity| {
                figures.iter().any(|d| same_value(&d.q, q) && d.figure.sources.iter().any(|c| docs.contains(&c.doc.as_str())))
            };
            let apart = da.iter().all(|d| !db.contains(d)) && !states(&da, &b.q) && !states(&db, &a.q);
            let (wa, wb) = (&a.measure.what, &b.measure.what);
            let named = wa == wb || wa.chars().count().min(wb.chars().count()) >= 3;
            // (Unless the member of either sentence also gives the other's value in a sentence
            // worded the same: qq-3816's copies each state 持续经营净利润228亿元 for the year and
            // 48亿元 for the quarter in two sentences worded alike.)
            let echoed = |x: &Context, side: &Draft, member: &str| side.contexts.iter().any(|z| z.doc == member && z.corresponds(x));
            let reworded = a.contexts.iter().any(|x| {
                b.contexts.iter().any(|y| x.corresponds(y) && !echoed(x, a, &y.doc) && !echoed(y, b, &x.doc))
            });
            if apart && named || reworded {
                conflicts[i].push(j);
                conflicts[j].push(i);
            }
        }
    }
    let raws: Vec<String> = figures.iter().map(|d| d.figure.raw.clone()).collect();
    figures
        .into_iter()
        .zip(conflicts)
        .map(|(d, c)| Figure { conflicts_with: c.iter().map(|&j| raws[j].clone()).collect(), conflicts: c, ..d.figure })
        .collect()
}

/// A figure while the ledger is being made: what it will show, and what it is matched by — the
/// first statement's quantity and measure, and every statement's sentence.
struct Draft {
    figure: Figure,
    q: Quantity,
    measure: Measure,
    contexts: Vec<Context>,
}

/// Two statements give the same value: one unit, each value within the other's rounding.
fn same_value(a: &Quantity, b: &Quantity) -> bool {
    a.unit == b.unit && a.matches(b) && b.matches(a)
}

/// Copies that reword a sentence state one figure under two phrasings (`Model Y售价涨至26.39万元`,
/// `Model Y 在中国的价格上涨至 26.39 万元`), which the measure match keeps apart. Two figures each
/// stated by one member only — different members — are one agreed figure when their values agree
/// both ways, they name no different period, their phrases share a content character
/// ([`share_content`]: 营收 and 利润 do not), and neither member states that value of that unit
/// anywhere else (a copy giving 2000元 twice, for two models, pairs with nothing). The first
/// (from the better member) keeps its label, or takes the other's when it has none.
fn pair_reworded(figures: &mut Vec<Draft>) {
    let alone = |f: &Figure| -> Option<String> {
        let docs = f.docs();
        (docs.len() == 1).then(|| docs[0].to_string())
    };
    // Whether figure `i` is the only one of member `doc` with its value.
    let unique_in_member = |figures: &[Draft], i: usize, doc: &str| {
        figures.iter().filter(|d| d.figure.sources.iter().any(|c| c.doc == doc) && same_value(&d.q, &figures[i].q)).count() == 1
    };
    let mut i = 0;
    while i < figures.len() {
        let Some(doc_i) = alone(&figures[i].figure) else {
            i += 1;
            continue;
        };
        let partner = (i + 1..figures.len()).find(|&j| {
            let (a, b) = (&figures[i], &figures[j]);
            let Some(doc_j) = alone(&b.figure) else { return false };
            doc_j != doc_i
                && same_value(&a.q, &b.q)
                && a.measure.same_period(&b.measure)
                && share_content(&a.measure.what, &b.measure.what)
                && unique_in_member(figures, i, &doc_i)
                && unique_in_member(figures, j, &doc_j)
        });
        if let Some(j) = partner {
            let other = figures.remove(j);
            let d = &mut figures[i];
            d.contexts.extend(other.contexts);
            d.figure.sources.extend(other.figure.sources);
            if d.figure.measure.is_empty() {
                d.figure.measure = other.figure.measure;
                d.measure.shown = other.measure.shown;
            }
        } else {
            i += 1;
        }
    }
}

/// Whether two measure phrases share a letter that says what is measured: a CJK character other
/// than the grammatical ones (的, 为, 至, 了…), or a Latin word of two letters or more.
fn share_content(a: &str, b: &str) -> bool {
    const GRAMMAR: &str = "的为至了在到将已和与及其该此年月日同比环比增长上涨下降";
    let cjk = |s: &str| -> std::collections::HashSet<char> {
        s.chars().filter(|&c| is_cjk(c) && !GRAMMAR.contains(c)).collect()
    };
    let words = |s: &str| -> std::collections::HashSet<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| w.len() >= 2).map(str::to_lowercase).collect()
    };
    !cjk(a).is_disjoint(&cjk(b)) || !words(a).is_disjoint(&words(b))
}

/// One row of `dossier figures`: a figure of a story.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub story: i64,
    pub title: String,
    #[serde(flatten)]
    pub figure: Figure,
}

/// The figures of the stories matching a search, for `dossier figures`.
pub fn for_search(engine: &mut crate::engine::Engine, request: &crate::search::SearchRequest) -> crate::Result<Vec<Row>> {
    let mut request = request.clone();
    request.collapse = Some(crate::search::Collapse::Story);
    let results = engine.search(&request)?;
    let mut rows = Vec::new();
    for hit in &results.hits {
        let Some(story) = hit.story else { continue };
        let page = super::page::build(engine.store(), story.id)?;
        rows.extend(page.figures.into_iter().map(|figure| Row { story: story.id, title: page.title.clone(), figure }));
    }
    Ok(rows)
}

/// `qq-1 [4][12], qq-2 [4]`: a figure's sources, each member once with its paragraphs, the way
/// briefs and digests cite.
pub fn sources_text(f: &Figure) -> String {
    f.docs()
        .into_iter()
        .map(|d| {
            let ps: Vec<usize> = f.sources.iter().filter(|c| c.doc == d).map(|c| c.paragraph).collect();
            format!("{d}{}", crate::digest::render::citations(&ps))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of a ledger as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Figures of one measure the sources disagree on, side by side (indices, ledger order).
    Conflict(Vec<usize>),
    /// A figure the sources agree on (or that one source alone states).
    Agreed(usize),
}

/// How a ledger reads: every conflict first — what an analyst must check — its values side by
/// side; then the figures at least `min_sources` members state, each once.
pub fn lines(figures: &[Figure], min_sources: usize) -> Vec<Line> {
    let mut out = Vec::new();
    let mut shown = vec![false; figures.len()];
    for i in 0..figures.len() {
        if shown[i] || figures[i].conflicts.is_empty() {
            continue;
        }
        // Everything that disagrees with anything in the group, transitively.
        let mut group = vec![i];
        shown[i] = true;
        let mut k = 0;
        while k < group.len() {
            for &j in &figures[group[k]].conflicts {
                if !shown.get(j).copied().unwrap_or(true) {
                    shown[j] = true;
                    group.push(j);
                }
            }
            k += 1;
        }
        group.sort_unstable();
        out.push(Line::Conflict(group));
    }
    for (i, f) in figures.iter().enumerate() {
        if !shown[i] && f.docs().len() >= min_sources {
            out.push(Line::Agreed(i));
        }
    }
    out
}

/// How a story page reads its ledger: for a story of several members, the conflicts and the
/// figures at least two of them state (what the copies confirm or dispute), then apart the
/// figures only one states; a story of one member has only the first list, all of its figures.
pub fn page_lines(figures: &[Figure], members: usize) -> (Vec<Line>, Vec<Line>) {
    if members < 2 {
        return (lines(figures, 1), Vec::new());
    }
    let one_source = lines(figures, 1)
        .into_iter()
        .filter(|l| matches!(l, Line::Agreed(i) if figures[*i].docs().len() < 2))
        .collect();
    (lines(figures, 2), one_source)
}

/// What a line is labelled: the most specific measure of its figures (`全轮驱动焕新版的售价`
/// over `售价`), with the period any of them names; when none names a measure, the words that
/// state the first, quoted ([`Figure::caption`]).
pub fn line_label(figures: &[Figure], line: &Line) -> String {
    match line {
        Line::Conflict(group) => {
            let of = || group.iter().map(|&i| &figures[i]);
            let Some(longest) = of().min_by_key(|f| std::cmp::Reverse(f.measure.chars().count())) else { return String::new() };
            Figure { when: of().find_map(|f| f.when.clone()), ..longest.clone() }.caption()
        }
        Line::Agreed(i) => figures[*i].caption(),
    }
}

/// `出口量: ` before a line's values, nothing when it has no label.
pub fn labelled(label: &str) -> String {
    if label.is_empty() { String::new() } else { format!("{label}: ") }
}

/// A ledger line as text: `出口量: 3834吨 — a [1] ≠ 3800吨 — b [1] (sources disagree)`.
pub fn line_text(figures: &[Figure], line: &Line) -> String {
    let value = |i: usize| format!("{} — {}", figures[i].raw, sources_text(&figures[i]));
    match line {
        Line::Conflict(group) => format!(
            "{}{} (sources disagree)",
            labelled(&line_label(figures, line)),
            group.iter().map(|&i| value(i)).collect::<Vec<_>>().join(" ≠ ")
        ),
        Line::Agreed(i) => format!("{}{}", labelled(&line_label(figures, line)), value(*i)),
    }
}

/// Rows as an aligned terminal table; a disagreement is marked `≠` with the other values.
pub fn table(rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut last = None;
    for r in rows {
        if last != Some(r.story) {
            let _ = writeln!(out, "\nStory {} · {}", r.story, crate::report::terminal_safe(&r.title));
            last = Some(r.story);
        }
        let flag = if r.figure.conflicts_with.is_empty() {
            String::new()
        } else {
            format!("  ≠ {} (sources disagree)", r.figure.conflicts_with.join(", "))
        };
        let _ = writeln!(
            out,
            "  {:<10} {:>14}  {}{}",
            crate::report::terminal_safe(&r.figure.caption()),
            crate::report::terminal_safe(&r.figure.raw),
            crate::report::terminal_safe(&sources_text(&r.figure)),
            crate::report::terminal_safe(&flag)
        );
    }
    if rows.is_empty() {
        out.push_str("No figures (money, tonnes, percentages) in the matching stories.\n");
    }
    out
}

/// Rows as CSV (RFC 4180 quoting): story, title, measure, when, raw, value, unit, sources,
/// conflicts, and the words stating a figure that has no measure.
pub fn csv(rows: &[Row]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("story,title,measure,when,raw,value,unit,sources,conflicts_with,stated_as\n");
    for r in rows {
        let f = &r.figure;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.story,
            q(&r.title),
            q(&f.measure),
            q(f.when.as_deref().unwrap_or("")),
            q(&f.raw),
            f.value,
            q(&f.unit),
            q(&sources_text(f)),
            q(&f.conflicts_with.join("; ")),
            q(&f.stated_as)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Lang;

    fn doc(id: &str, p: &str) -> Document {
        Document {
            id: id.into(),
            title: "t".into(),
            source: "s".into(),
            published_at: None,
            published_precision: None,
            url: None,
            lang: Lang::Zh,
            paragraphs: vec![p.into()],
            meta: serde_json::Value::Null,
        }
    }

    /// A rewritten copy words a figure differently: the same value, a phrase sharing a content
    /// character, one figure with both sources (qq-8692 / qq-8691); different things that happen
    /// to share a value, or a value a copy gives twice, stay apart.
    #[test]
    fn reworded_copies_of_one_figure_agree() {
        let a = doc("qq-8692", "在涨价后，特斯拉Model 3售价涨至23.19万元，Model Y售价涨至26.39万元。公司营收增长20%。");
        let b = doc("qq-8691", "目前特斯拉 Model Y 在中国的价格上涨至 26.39 万元。此外，特斯拉 Model 3 在中国的售价涨至 23.19 万元。净利润增长20%。");
        let l = ledger(&[a, b]);
        let of = |raw: &str| -> Vec<Vec<String>> {
            l.iter().filter(|f| f.raw.replace(' ', "") == raw).map(|f| f.docs().iter().map(|d| d.to_string()).collect()).collect()
        };
        assert_eq!(of("26.39万元"), [vec!["qq-8692".to_string(), "qq-8691".to_string()]], "{l:#?}");
        assert_eq!(of("23.19万元"), [vec!["qq-8692".to_string(), "qq-8691".to_string()]], "{l:#?}");
        assert_eq!(of("20%").len(), 2, "营收 and 净利润 are not one figure: {l:#?}");
        // A copy stating a value twice pairs neither.
        let c = doc("c", "Model 3和Model Y各涨价2000元，其中Model Y涨价2000元。");
        let d = doc("d", "特斯拉宣布涨价2000元。");
        let l = ledger(&[c, d]);
        assert!(l.iter().all(|f| f.docs().len() == 1), "{l:#?}");
        assert!(share_content("售价涨至", "中国的价格上涨") && !share_content("营收增长", "净利润增长"));
    }

    /// A range with its unit on both ends (`降幅在2%至6%之间`) is one figure, its high end, measured
    /// where the range starts; `增长10%至50亿元` is two figures.
    #[test]
    fn a_range_is_its_high_end_measured_where_it_starts() {
        let l = ledger(&[doc("a", "整体降幅在2%至6%之间。营收增长10%至50亿元。")]);
        let got: Vec<String> = l.iter().map(|f| format!("{}={}", f.measure, f.raw)).collect();
        assert_eq!(got, ["整体降幅=6%", "营收增长=10%", "营收=50亿元"], "{l:#?}");
        let spaced = ledger(&[doc("b", "整体降幅在 2% 至 6% 之间。")]);
        assert_eq!(spaced.iter().map(|f| f.raw.as_str()).collect::<Vec<_>>(), ["6%"], "{spaced:#?}");
    }

    /// A story page puts what two copies both state (or dispute) first and what only one states
    /// apart; a story of one copy has one list.
    #[test]
    fn a_story_page_sets_figures_one_source_alone_states_apart() {
        let a = doc("a", "今年锑出口量为3834吨。公司营收为50亿元。");
        let b = doc("b", "今年锑出口量为3834吨。");
        let l = ledger(&[a.clone(), b]);
        let (shared, one) = page_lines(&l, 2);
        let raws = |lines: &[Line]| -> Vec<String> {
            lines.iter().map(|line| match line {
                Line::Agreed(i) => l[*i].raw.clone(),
                Line::Conflict(g) => g.iter().map(|&i| l[i].raw.clone()).collect::<Vec<_>>().join("≠"),
            }).collect()
        };
        assert_eq!(raws(&shared), ["3834吨"]);
        assert_eq!(raws(&one), ["50亿元"]);
        let alone = ledger(&[a]);
        let (all, none) = page_lines(&alone, 1);
        assert_eq!(all.len(), 2);
        assert!(none.is_empty());
    }

    /// The measure and period of every kept figure of `p`, as `measure@when=raw`.
    fn measures(p: &str) -> Vec<String> {
        numbers::extract(p)
            .into_iter()
            .filter(|q| kept(&q.unit))
            .map(|q| {
                let m = measure_of(p, &q);
                match m.when {
                    Some((_, when)) => format!("{}@{when}={}", m.what, q.raw),
                    None => format!("{}={}", m.what, q.raw),
                }
            })
            .collect()
    }

    /// The period of a figure is the one of its own clause, or of the nearest clause before it
    /// that names one, unless a clause between names a day (qq-19707 [17] and [19]; a NBS line).
    #[test]
    fn a_figure_is_dated_by_its_own_clause_or_the_nearest_before_it() {
        let whens = |p: &str| -> Vec<String> {
            numbers::extract(p)
                .into_iter()
                .filter(|q| kept(&q.unit))
                .map(|q| format!("{}@{}", q.raw, measure_of(p, &q).when.map(|(w, _)| w).unwrap_or_default()))
                .collect()
        };
        assert_eq!(
            whens("根据港交所IPO招股书显示，威马汽车在2019年至2021年三年累计亏损超174亿元，截至2021年底，威马汽车资产负债率高达202.36%，截至2022年3月31日，账面剩余现金及现金等价物为36.78亿元。"),
            ["174亿元@2019年至2021年", "202.36%@2021年", "36.78亿元@2022年"]
        );
        assert_eq!(
            whens("2019年借壳上市后，开心汽车股价曾一度跌到0.17美元，截至9月13日收盘，其股价为0.274美元，市值不足1亿美元。"),
            ["0.17美元@2019年", "0.274美元@", "1亿美元@"]
        );
        assert_eq!(
            whens("2023年1-9月，全国规模以上工业企业实现利润总额5.4万亿元，同比下降9%。"),
            ["5.4万亿元@2023年1-9月", "9%@2023年1-9月"]
        );
        // A price in yen is no day.
        assert_eq!(whens("2023年，单价1000日元，利润率为5%。"), ["1000日元@2023年", "5%@2023年"]);
    }

    /// Real sentences (qqnews qq-18608 [12] and [29], qq-34389, a Reuters-style line): the
    /// measure is the phrase the figure belongs to, `约`/`为`/`至` and conjunctions taken off,
    /// the subject of an earlier clause when the figure's own only says it moved.
    #[test]
    fn the_measure_is_the_phrase_of_the_sentence_and_the_period_it_names() {
        assert_eq!(
            measures("2023年Q2特斯拉营收249.27亿美元，同比增长47%，净利润27.03亿美元，同比增长20%，但其毛利率已经下滑至18.2%，创三年新低。"),
            [
                "特斯拉营收@2023 Q2=249.27亿美元",
                "特斯拉营收同比增长@2023 Q2=47%",
                "净利润@2023 Q2=27.03亿美元",
                "净利润同比增长@2023 Q2=20%",
                "毛利率@2023 Q2=18.2%",
            ]
        );
        assert_eq!(
            measures("3后轮驱动焕新版相比2022款后轮驱动版（23.19万）上涨了2.8万元；长续航全轮驱动焕新版的售价为29.59万元，且暂时并没有提供像2022款的高性能版车型"),
            ["上涨=2.8万元", "全轮驱动焕新版的售价=29.59万元"]
        );
        assert_eq!(measures("3，同时还公布了25.99-29.59万元的售价，并将在今年第四季度开始交付。"), ["售价=25.99", "售价=29.59万元"]);
        let l = ledger(&[doc("a", "同时还公布了25.99-29.59万元的售价。营收增长10%至50亿元。")]);
        let raws: Vec<&str> = l.iter().map(|f| f.raw.as_str()).collect();
        assert_eq!(raws, ["29.59万元", "10%", "50亿元"], "a range's low end is no figure of its own: {l:#?}");
        assert_eq!(measures("腾讯2023全年总营收达6090亿元，同比增长10%。"), ["腾讯总营收@2023 FY=6090亿元", "腾讯总营收同比增长@2023 FY=10%"]);
        assert_eq!(measures("海关数据显示，前三季度锑出口量为3834吨，同比下降。"), ["锑出口量@Q1-Q3=3834吨"]);
        assert_eq!(measures("据统计，1-9月出口量约3800吨。9月1日，出口额为5亿元。"), ["出口量@M1-9=3800吨", "出口额=5亿元"]);
        assert_eq!(measures("Exports rose 3.5%, to $1,200 million. Revenue in the first quarter was $5 billion."), [
            "exports rose=3.5%",
            "exports=$1,200 million",
            "revenue@Q1=$5 billion"
        ]);
    }

    /// How each kept figure of `p` is labelled.
    fn labels(p: &str) -> Vec<String> {
        numbers::extract(p).into_iter().filter(|q| kept(&q.unit)).map(|q| measure_of(p, &q).shown).collect()
    }

    /// Real sentences (qqnews qq-18608 [12][29][65][66][68], qq-121 [17][32][48][75]) and a
    /// Reuters-style line: the label is the noun phrase the figure measures, whole words and
    /// whole Latin names, with the change it states; a clause that names nothing it measures
    /// gives no label rather than a fragment (`还会侵蚀…`).
    #[test]
    fn the_label_is_the_noun_phrase_the_figure_measures() {
        assert_eq!(labels("长续航全轮驱动焕新版的售价为29.59万元，且暂时并没有提供像2022款的高性能版车型"), ["长续航全轮驱动焕新版的售价"]);
        assert_eq!(
            labels("2023年Q2特斯拉营收249.27亿美元，同比增长47%，净利润27.03亿美元，同比增长20%，但其毛利率已经下滑至18.2%，创三年新低。"),
            ["特斯拉营收", "特斯拉营收同比增长", "净利润", "净利润同比增长", "毛利率下滑至"]
        );
        assert_eq!(labels("Model Y长续/高性能降1.4万元，旗下高端车型Model S/X最高降幅6.2万元"), ["Model Y长续/高性能降价", "Model S/X最高降幅"]);
        assert_eq!(labels("Model 3在未来真的降到20万元以内，不仅同级车型难以招架，还会侵蚀15-20万元紧凑级纯电轿车市场。"), ["Model 3降至", "", ""]);
        assert_eq!(labels("此前，联发科已对第四季度5G芯片砍单30%-35%"), ["5G芯片砍单", "5G芯片砍单"]);
        assert_eq!(labels("三星营收环比下降28.1%，SK海力士销售额下降超过26%"), ["三星营收环比下降", "SK海力士销售额下降"]);
        assert_eq!(labels("WSTS预测，2023年半导体市场规模预计将同比减少4.1%至5565亿美元。"), ["半导体市场规模同比减少", "半导体市场规模"]);
        assert_eq!(labels("力积电今年资本支出将自原定的15亿美元大举调降至8.5亿美元，降幅达43%"), ["力积电今年资本支出", "力积电今年资本支出", "力积电今年资本支出降幅"]);
        assert_eq!(labels("Net profit rose 12% to $3.4 billion in the quarter."), ["Net profit rose", "Net profit"]);
        // reut-279 [1], reut-656 [3], reut-1618 [3].
        assert_eq!(labels("Nippon Telegraph and Telephone Corp (NTT) expects its profits to fall to 328 billion yen."), ["profits"]);
        assert_eq!(labels("Last year the United States released about 4,900 tonnes of tin."), [""]);
        assert_eq!(labels("It said for the full month, car sales were off 20.7 pct to 286,771 from 361,785 a year before."), ["car sales off"]);
    }

    /// Real sentences of the bundled sample (qq-26498 [3][5], xwlb-20240422-12348 [9],
    /// qq-21473 [16], qq-29912 [7]): a stock index's name keeps its digits, a market move
    /// (`低开`, `拉升`) is a change, a change before the phrase is its change, a share reads as
    /// what its subject holds, and `三元锂电池` states no figure.
    #[test]
    fn market_moves_shares_and_index_names_are_labelled() {
        assert_eq!(
            labels("今日A股三大指数低开，沪指跌0.18%，报2966.95点，深成指跌0.2%，报9451.16点，创业板指跌0.19%，报1867.5点；另外北证50指数低开0.41%。"),
            ["沪指跌", "深成指跌", "创业板指跌", "北证50指数低开"]
        );
        assert_eq!(labels("盘中指数分化，截至发稿，创业板指拉升涨逾1%，沪指跌0.13%，深成指涨0.63%。"), ["创业板指拉升涨", "沪指跌", "深成指涨"]);
        assert_eq!(labels("该船每行驶100海里可节约燃油3900公斤，减少二氧化碳排放12.4吨。"), ["可节约燃油", "二氧化碳排放减少"]);
        assert_eq!(
            labels("2022年全球海上风电总装机容量为64.3吉瓦，欧洲约占47%，而亚太地区以近53%的水平超越欧洲。其中，仅中国一家就占全球总装机容量的近49%。"),
            ["欧洲占比", "亚太地区", "中国占全球总装机容量"]
        );
        assert_eq!(labels("电动载人汽车，不管三元锂电池还是磷酸铁锂电池，都是“锂”当家。"), Vec::<String>::new());
        // xwlb-20260309-21960 [5], xwlb-20251117-20452 [2], qq-35544 [53]: the whole a share is
        // of, with the change after it; `非` kept; a weekday names nothing (the move alone is
        // what the clause says).
        assert_eq!(labels("2025年，我国非化石能源消费占一次能源消费比重比上一年提高约1.9个百分点，达到21.7%。"), ["非化石能源消费占一次能源消费比重提高", ""]);
        assert_eq!(labels("其中，电动汽车增长125.39%，高新技术产品占中部地区出口总值近三成。"), ["电动汽车增长", "高新技术产品占地区出口总值"]);
        assert_eq!(labels("美国汽油和天然气期货涨跌不一。上周四反弹近3%的NYMEX"), ["反弹"]);
        // qq-11226 [36]: a borrowed subject that holds the move already does not take it twice.
        assert_eq!(labels("“一旦将来市场下行，大家都降价，别人可以降2000元，如果你拿地的价格高，你就没得降。"), ["降价"]);
        // qq-11226 [15]: a city tier stays (`二三线城市` is not `城市`), also in a subject borrowed
        // from the clause before. (The second value of `3%、2%` has no label of its own.)
        assert_eq!(
            labels("今年前5月，一线城市成交面积同比增长30%，二三线城市仅增长3%、2%，一线城市成交总价同比增长10%，二三线则下滑19%、12%。"),
            ["一线城市成交面积同比增长", "二三线城市增长", "", "一线城市成交总价同比增长", "二三线城市成交总价下滑", ""]
        );
    }

    /// qq-3816 / qq-3817 (a story of three copies): each states the year's and the quarter's
    /// 持续经营净利润 in two sentences worded alike; no copy disputes another's. The intraday
    /// move each copy gives differently (网易跌9.49％ / 10％) still is a dispute.
    #[test]
    fn two_values_every_copy_states_are_no_dispute() {
        let p = |move_: &str| {
            format!(
                "网易跌{move_}，网易发布2022年第四季度及全年财报，2022年实现净收入965亿元；非公认会计准则下，归属于公司股东的持续经营净利润228亿元。\
                 其中，第四季度营收达254亿元；非公认会计准则下，归属于公司股东的持续经营净利润48亿元."
            )
        };
        let l = ledger(&[doc("qq-3816", &p("9.49％")), doc("qq-3817", &p("10％"))]);
        let disputed: Vec<&str> = l.iter().filter(|f| !f.conflicts.is_empty()).map(|f| f.raw.as_str()).collect();
        assert_eq!(disputed, ["9.49％", "10％"], "{l:#?}");
    }

    /// A minus sign is kept (qqnews: 年平均增长率为-2.85%); a dash between amounts is a range.
    #[test]
    fn a_figure_written_with_a_minus_sign_is_negative() {
        let l = ledger(&[doc("a", "截至2022年，全区人口不足69万人，年平均增长率为-2.85%。")]);
        assert_eq!((l[0].raw.as_str(), l[0].value, l[0].measure.as_str()), ("-2.85%", -2.85, "年平均增长率"), "{l:#?}");
        let l = ledger(&[doc("a", "营收同比变动46.04%、-31.87%、-38.19%。")]);
        let raws: Vec<&str> = l.iter().map(|f| f.raw.as_str()).collect();
        assert_eq!(raws, ["46.04%", "-31.87%", "-38.19%"]);
        let l = ledger(&[doc("a", "还会侵蚀15-20万元紧凑级纯电轿车市场，价格在1万元-2万元之间。")]);
        assert!(l.iter().all(|f| f.value > 0.0), "{l:#?}");
        // Copies agree on a negative value written the same.
        let p = "被全球市场紧盯的环比增速为-0.1%。";
        let l = ledger(&[doc("a", p), doc("b", p)]);
        assert_eq!((l.len(), l[0].raw.as_str(), l[0].docs()), (1, "-0.1%", vec!["a", "b"]));
    }

    /// A figure whose clause names nothing it measures is named by the words that state it
    /// (qq-18566 [68], [14] and [29] of qq-19707): its clause, a range from its start, the clause
    /// before when this one holds only the figure or closes a bracket it opened.
    #[test]
    fn a_figure_without_a_label_is_named_by_the_words_that_state_it() {
        let p = "Model 3在未来真的降到20万元以内，还会侵蚀15-20万元紧凑级纯电轿车市场。";
        let l = ledger(&[doc("a", p), doc("b", p)]);
        let shown: Vec<String> = lines(&l, 2).iter().map(|line| line_text(&l, line)).collect();
        assert_eq!(shown, ["Model 3降至: 20万元以内 — a [1], b [1]", "“还会侵蚀15-20万元紧凑级纯电轿车市场”: 20万元 — a [1], b [1]"]);
        let captions = |p: &str| -> Vec<String> { ledger(&[doc("a", p)]).iter().map(Figure::caption).collect() };
        assert_eq!(
            captions("针对市场传言，林明军回应称，威马资产包庞大且复杂，一切要等着审计报告之后才能确定，20亿美元只是一个参考价格。"),
            ["“20亿美元只是一个参考价格”"]
        );
        assert_eq!(
            captions("事实上，早在2021年9月，开心汽车曾高调宣布收购河南御捷时代汽车有限公司（以下简称：河南御捷）100%股权，后因股东发生变化，收购进程陷入停滞。"),
            ["“…捷时代汽车有限公司（以下简称：河南御捷）100%股权”"]
        );
        assert_eq!(captions("营收：50亿元。"), ["“营收：50亿元”"], "a clause of the figure alone takes the one before");
        // Cut at the ends, never inside an amount; a quote it closes and did not open is left out.
        let wages = captions("2022年，东部、中部、西部、东北地区年平均工资分别为7.3万元、5.3万元、5.6万元和5.0万元，增速分别为4.7%、1.5%、2.8%和3.7%。");
        assert_eq!(wages[1], "“…部、东北地区年平均工资分别为7.3万元、5.3万元、5.6万元和5.0万元”", "{wages:?}");
        assert_eq!(
            captions("旁边一名男子回答：“15分钟之内可以给你捞上来，捞成功1500元，不成功就收一半”。"),
            ["“捞成功1500元”", "“不成功就收一半”"]
        );
        // A labelled figure keeps its label.
        assert_eq!(captions("海关数据显示，前三季度锑出口量为3834吨。"), ["锑出口量 (前三季度)"]);
    }

    /// A name broken over two paragraphs (`…车型Model` / `S/X最高降幅…`) is read whole.
    #[test]
    fn a_latin_name_broken_over_paragraphs_labels_whole() {
        let mut d = doc("a", "之后又紧跟两次降价，旗下高端车型Model");
        d.paragraphs.push("S/X最高降幅6.2万元，随后蔚来等品牌继续降价。".into());
        let l = ledger(&[d]);
        assert_eq!((l[0].measure.as_str(), l[0].sources[0].paragraph), ("Model S/X最高降幅", 2), "{l:#?}");
    }

    #[test]
    fn one_measure_in_two_periods_is_two_measures_and_a_suffix_is_the_same_measure() {
        let m = |p: &str| {
            let q = numbers::extract(p).into_iter().find(|q| kept(&q.unit)).unwrap_or_else(|| panic!("{p}"));
            measure_of(p, &q)
        };
        assert!(m("锑出口量为3834吨").same_as(&m("出口量约3800吨")));
        assert!(m("前三季度锑出口量为3834吨").same_as(&m("出口量约3800吨")), "no period named is not another period");
        assert!(!m("2022年出口量为3834吨").same_as(&m("2023年出口量为3800吨")));
        assert!(m("一季度营收20.3亿元").same_as(&m("第一季度营收为20.3亿元")));
        assert!(m("Q1营收20.3亿元").same_as(&m("一季度营收为20.3亿元")));
        assert!(!m("一季度营收20.3亿元").same_as(&m("上半年营收为20.3亿元")));
        assert!(!m("营收20.3亿元").same_as(&m("净利润2.03亿元")));
    }

    #[test]
    fn agreeing_figures_merge_and_disagreeing_ones_are_flagged_with_both_citations() {
        let a = doc("a", "海关数据显示，前三季度锑出口量为3834吨，同比下降。公司营收为20.3亿元。公司净利润2.03亿元。");
        let b = doc("b", "海关数据显示，锑出口量约3800吨。公司营收为203000万元。公司净利润为2.03亿元。");
        let l = ledger(&[a, b]);
        let by = |m: &str| -> Vec<&Figure> { l.iter().filter(|f| f.measure.ends_with(m)).collect() };
        let revenue = by("营收");
        assert_eq!(revenue.len(), 1, "{l:#?}");
        assert_eq!(sources_text(revenue[0]), "a [1], b [1]");
        assert!(revenue[0].conflicts_with.is_empty(), "营收20.3亿元 and 净利润2.03亿元 are two measures: {l:#?}");
        let exports = by("出口量");
        assert_eq!(exports.len(), 2, "{l:#?}");
        assert_eq!((exports[0].label().as_str(), sources_text(exports[0]).as_str()), ("锑出口量 (前三季度)", "a [1]"));
        assert_eq!(exports[0].conflicts_with, ["3800吨"]);
        assert_eq!(sources_text(exports[1]), "b [1]");
        assert_eq!(exports[1].conflicts_with, ["3834吨"]);
        let shown: Vec<String> = lines(&l, 2).iter().map(|line| line_text(&l, line)).collect();
        assert_eq!(
            shown,
            [
                "锑出口量 (前三季度): 3834吨 — a [1] ≠ 3800吨 — b [1] (sources disagree)",
                "公司营收: 20.3亿元 — a [1], b [1]",
                "公司净利润: 2.03亿元 — a [1], b [1]",
            ]
        );
    }

    /// Copies of a sentence holding two figures of nested measures (营收, 海外营收) dispute
    /// neither; a copy that changed the figure does, and a bare `价格` nested in another
    /// member's longer phrase about something else does not.
    #[test]
    fn only_a_changed_figure_in_a_copied_sentence_or_a_named_measure_is_a_dispute() {
        let s = "公司营收增长10%，其中海外营收增长30%。";
        assert!(ledger(&[doc("a", s), doc("b", s)]).iter().all(|f| f.conflicts.is_empty()));
        let l = ledger(&[doc("a", "公司营收增长10%，其中海外营收增长30%。"), doc("b", "公司营收增长10%，其中海外营收增长35%。")]);
        let disputed: Vec<&str> = l.iter().filter(|f| !f.conflicts.is_empty()).map(|f| f.raw.as_str()).collect();
        assert_eq!(disputed, ["30%", "35%"], "{l:#?}");
        let l = ledger(&[doc("a", "Model Y全系车型均上调2000元的价格。"), doc("b", "目前特斯拉Model Y在中国的价格上涨至26.39万元。")]);
        assert!(l.iter().all(|f| f.conflicts.is_empty()), "{l:#?}");
        // A member that states the other value itself (an earlier price) disputes nothing.
        let l = ledger(&[
            doc("a", "高性能版上涨至53240美元。特斯拉Model Y高性能版上涨至54240美元，此前为53990美元。"),
            doc("b", "Model Y高性能版降至53990美元。"),
        ]);
        assert!(l.iter().all(|f| f.conflicts.is_empty()), "{l:#?}");
    }

    /// One member stating two figures of one phrase (two stocks that each `涨超`) is no dispute.
    #[test]
    fn figures_stated_by_the_same_members_do_not_conflict() {
        let a = doc("a", "蔚来涨超5%。小鹏涨超5%，理想汽车涨超3%。");
        let b = doc("b", "蔚来涨超5%。小鹏涨超5%，理想汽车涨超3%。");
        assert!(ledger(&[a, b]).iter().all(|f| f.conflicts.is_empty()));
    }
}

