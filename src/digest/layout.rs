//! layout: which paragraphs of a document are body text, which are headings, and which are
//! scraping junk — and how much of a sentence's start is dateline or boilerplate?
//!
//! Feeds carry what a reader never sees as content: image placeholders ("xKoiAAA/1000)"),
//! captions, bylines, "未经授权，不得转载" footers, the title repeated as "# 标题". Summaries
//! built from them look broken, so the extractive summarizer asks this module what each
//! paragraph is and where each part of the document begins (its own headings, "**江华稀土：…**",
//! "央行动态", "车——硬件降本，软件增利"). It also trims a sentence for use as a bullet:
//! markdown emphasis, datelines ("红星资本局11月9日消息，"), and leading connectives ("此外，").
//! Trimming only ever removes text, so a trimmed sentence still verifies against its
//! paragraph. This module must not score or select anything.

use crate::document::{Document, is_cjk};

/// What a paragraph is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Content to summarize.
    Body,
    /// A heading of the document's own; the text is cleaned of markup.
    Heading(String),
    /// The title repeated as the first paragraph.
    TitleEcho,
    /// Image placeholders, captions, bylines, copyright footers, share prompts.
    Junk,
}

/// A part of the document under one heading (or the untitled opening part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub heading: Option<String>,
    /// 1-based paragraph numbers, inclusive.
    pub first: usize,
    pub last: usize,
}

/// The roles of a document's paragraphs and the parts its headings divide it into.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `roles[i]` is the role of paragraph `i + 1`.
    pub roles: Vec<Role>,
    pub parts: Vec<Part>,
    /// `part_of[i]` is the index in `parts` of paragraph `i + 1`.
    pub part_of: Vec<usize>,
}

impl Layout {
    pub fn of(doc: &Document) -> Layout {
        let n = doc.paragraphs.len();
        // A title of at most 60 characters cannot equal a paragraph of more (see
        // [`is_plainly_body`]): counted once, not per paragraph.
        let short_title = doc.title.trim().chars().count() <= 60;
        let mut roles = Vec::with_capacity(n);
        for (i, p) in doc.paragraphs.iter().enumerate() {
            let prev = if i > 0 {
                Some((doc.paragraphs[i - 1].as_str(), &roles[i - 1]))
            } else {
                None
            };
            roles.push(classify(p, &doc.title, short_title, i == 0, prev));
        }
        // Consecutive bold headings are one heading broken over lines
        // ("**江华稀土：为全国单本离子型稀土**" + "**开采指标最大的矿山**").
        for i in 1..n {
            if let (Role::Heading(a), Role::Heading(b)) = (&roles[i - 1], &roles[i])
                && is_bold(&doc.paragraphs[i - 1])
                && is_bold(&doc.paragraphs[i])
            {
                let joined = format!("{a}{}{b}", if needs_space(a, b) { " " } else { "" });
                roles[i] = Role::Heading(joined);
                roles[i - 1] = Role::Junk; // absorbed into the next one
            }
        }
        // A "heading" that ends in a Latin word the next paragraph continues is a line broken
        // inside a name ("根据特斯拉分析师Troy" + "Teslike的数据…"); one ending in a dateline
        // ("中新经纬1月4日电") opens the story.
        for (i, role) in roles.iter_mut().enumerate() {
            if let Role::Heading(h) = role {
                let ends_latin = h
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric());
                let next_latin = doc
                    .paragraphs
                    .get(i + 1)
                    .and_then(|p| p.trim_start().chars().next())
                    .is_some_and(|c| c.is_ascii_alphanumeric());
                let dateline = (h.ends_with('电') || h.ends_with('讯'))
                    && h.chars().any(|c| c.is_ascii_digit());
                if ends_latin && next_latin || dateline {
                    *role = Role::Body;
                }
            }
        }
        let mut parts = vec![Part {
            heading: None,
            first: 1,
            last: 0,
        }];
        let mut part_of = Vec::with_capacity(n);
        for (i, role) in roles.iter().enumerate() {
            match role {
                Role::Heading(h) => parts.push(Part {
                    heading: Some(h.clone()),
                    first: i + 1,
                    last: i + 1,
                }),
                // "**公司财报：** 本周百度、阿里巴巴…": a run-in heading opens a part too.
                Role::Body => {
                    if let Some(label) = run_in_heading(&doc.paragraphs[i]) {
                        parts.push(Part {
                            heading: Some(label),
                            first: i + 1,
                            last: i + 1,
                        });
                    }
                }
                _ => {}
            }
            let last = parts.len() - 1;
            parts[last].last = i + 1;
            part_of.push(last);
        }
        Layout {
            roles,
            parts,
            part_of,
        }
    }

    pub fn role(&self, paragraph: usize) -> &Role {
        &self.roles[paragraph - 1]
    }

    /// True when at least one heading divides the document.
    pub fn has_headings(&self) -> bool {
        self.parts.len() > 1
    }
}

/// The bold label a paragraph opens with, when it is one: "**休市安排：** 周一美股休市".
fn run_in_heading(p: &str) -> Option<String> {
    let rest = p.trim_start().strip_prefix("**")?;
    let end = rest.find("**")?;
    let label = rest[..end].trim();
    let label = label
        .strip_suffix('：')
        .or_else(|| label.strip_suffix(':'))?
        .trim();
    let n = label.chars().count();
    let after = rest[end + 2..].trim();
    ((2..=16).contains(&n) && !after.is_empty() && !label.contains(['，', '。', ',']))
        .then(|| strip_markup(label))
}

fn needs_space(a: &str, b: &str) -> bool {
    a.chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && b.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

fn is_bold(p: &str) -> bool {
    let t = p.trim();
    t.starts_with("**") && t.ends_with("**") && t.len() > 4
}

/// Removes markdown emphasis and heading marks, and collapses whitespace runs.
pub fn strip_markup(text: &str) -> String {
    strip_markup_borrowed(text).into_owned()
}

/// [`strip_markup`], borrowing `text` when there is nothing to take out — most paragraphs (this
/// runs on every paragraph ingested).
fn strip_markup_borrowed(text: &str) -> std::borrow::Cow<'_, str> {
    let t = text.trim().trim_start_matches('#').trim();
    if is_plain(t) {
        return std::borrow::Cow::Borrowed(t.trim_matches('_').trim());
    }
    // Copied in runs between the characters it takes out or turns into a space, instead of a
    // character at a time: text with spaces takes this path, and it is most short paragraphs.
    let mut out = String::with_capacity(t.len());
    let mut last_space = false;
    let mut run = 0;
    for (i, c) in t.char_indices() {
        let space = c.is_whitespace();
        if space || c == '*' || c == '\u{200b}' {
            out.push_str(&t[run..i]);
            run = i + c.len_utf8();
            if space {
                if !last_space && !out.is_empty() {
                    out.push(' ');
                }
                last_space = true;
            }
            continue;
        }
        // A space between two CJK characters is a markup leftover ("**百度、** **英伟达**",
        // "**…优势** 。"). Everything before `c` is in `out` (a space or `*` copied it).
        if last_space
            && (is_cjk_punct(c)
                || is_cjk(c)
                    && out
                        .trim_end()
                        .chars()
                        .next_back()
                        .is_some_and(is_cjk_or_punct))
        {
            out.pop();
        }
        last_space = false;
    }
    out.push_str(&t[run..]);
    let out = out.trim().trim_matches('_').trim();
    std::borrow::Cow::Owned(out.to_string())
}

/// True when `t` has nothing [`strip_markup`] would change inside it: no `*`, no zero-width
/// space, no whitespace (Unicode's White_Space: ASCII, U+0085, U+00A0, U+1680, U+2000–U+200A,
/// U+2028, U+2029, U+202F, U+205F, U+3000). Read as bytes: UTF-8 gives each of those a lead
/// byte and continuation bytes no other character starts with.
fn is_plain(t: &str) -> bool {
    // Bytes that can start such a character: ASCII space and controls, `*`, and the lead bytes
    // 0xC2, 0xE1, 0xE2, 0xE3. A table lookup per byte; the exact test only where one is found
    // (、。“” start with 0xE2/0xE3, so Chinese text finds some).
    const SUSPECT: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i <= 0x20 {
            t[i] = true;
            i += 1;
        }
        t[b'*' as usize] = true;
        t[0xC2] = true;
        t[0xE1] = true;
        t[0xE2] = true;
        t[0xE3] = true;
        t
    };
    let b = t.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut from = 0;
    while let Some(off) = b[from..].iter().position(|&c| SUSPECT[c as usize]) {
        let i = from + off;
        let dirty = match b[i] {
            b'*' | b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' => true,
            0xC2 => matches!(at(i + 1), 0x85 | 0xA0),
            0xE1 => at(i + 1) == 0x9A && at(i + 2) == 0x80,
            0xE2 => matches!((at(i + 1), at(i + 2)), (0x80, 0x80..=0x8B | 0xA8 | 0xA9 | 0xAF) | (0x81, 0x9F)),
            0xE3 => at(i + 1) == 0x80 && at(i + 2) == 0x80,
            _ => false,
        };
        if dirty {
            return false;
        }
        from = i + 1;
    }
    true
}

fn is_cjk_or_punct(c: char) -> bool {
    is_cjk(c) || is_cjk_punct(c)
}

/// Full-width punctuation, which never has a space before it in Chinese typesetting.
fn is_cjk_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '、' | '：' | '；' | '！' | '？' | '”' | '）' | '》' | '】'
    )
}

/// Phrases that mark a paragraph or sentence as boilerplate rather than content.
const JUNK_PHRASES: &[&str] = &[
    "点击关注",
    "关注我们",
    "点击上方",
    "点击下方",
    "阅读原文",
    "责任编辑",
    "未经授权",
    "不得转载",
    "转载请",
    "版权归",
    "版权所有",
    "免责声明",
    "扫码",
    "二维码",
    "长按识别",
    "本文系",
    "图源",
    "截图",
    "图片来源",
    "视觉中国",
    "原标题",
    "（广告）",
    "推荐阅读",
    "相关阅读",
    "欢迎关注",
    "http://",
    "https://",
    "www.",
    "/1000)",
    ".jpg",
    ".png",
    "](",
    "Copyright",
    "All rights reserved",
    "Click here",
    "Subscribe",
    "Follow us",
    // Style sheets scraped as text.
    "--weui",
    "rgba(",
    "px;",
    "font-size:",
    "{display",
];

/// Byline-like openings that make a short paragraph junk ("编辑 杨程", "记者：童亮").
const BYLINE_STARTS: &[&str] = &[
    "编辑",
    "记者",
    "作者",
    "来源：",
    "来源:",
    "主编",
    "通讯员",
    "审核",
    "校对",
    "出品",
    "撰文",
    "文 |",
    "文|",
    "文丨",
    "图 |",
    "监制",
    "策划",
];

/// True for sentence text that is boilerplate.
pub fn is_junk_text(text: &str) -> bool {
    // One pass over the text, trying only the phrases that start with the character at hand:
    // this runs on every sentence of every document (and every short paragraph ingested with
    // stories on), so most characters are turned away by one bit of a table.
    let index = junk_index();
    text.char_indices().any(|(i, c)| {
        index.may_start(c)
            && index
                .by_first
                .binary_search_by_key(&c, |(first, _)| *first)
                .is_ok_and(|k| index.by_first[k].1.iter().any(|p| text[i..].starts_with(p)))
    })
}

/// `JUNK_PHRASES` grouped by first character, sorted for binary search, and a bit per
/// character of the Basic Multilingual Plane that starts one.
struct JunkIndex {
    by_first: Vec<(char, Vec<&'static str>)>,
    starts: Vec<u64>,
}

impl JunkIndex {
    fn may_start(&self, c: char) -> bool {
        let c = c as usize;
        self.starts.get(c / 64).is_none_or(|w| w >> (c % 64) & 1 == 1)
    }
}

fn junk_index() -> &'static JunkIndex {
    static INDEX: std::sync::OnceLock<JunkIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_first: Vec<(char, Vec<&'static str>)> = Vec::new();
        for p in JUNK_PHRASES {
            let Some(first) = p.chars().next() else {
                continue;
            };
            match by_first.iter_mut().find(|(c, _)| *c == first) {
                Some((_, v)) => v.push(p),
                None => by_first.push((first, vec![p])),
            }
        }
        by_first.sort_by_key(|(c, _)| *c);
        let mut starts = vec![0u64; 0x1_0000 / 64];
        for &(c, _) in &by_first {
            if let Some(w) = starts.get_mut(c as usize / 64) {
                *w |= 1 << (c as usize % 64);
            }
        }
        JunkIndex { by_first, starts }
    })
}

/// `short_title`: the title has at most 60 characters.
fn classify(p: &str, title: &str, short_title: bool, first: bool, prev: Option<(&str, &Role)>) -> Role {
    let raw = p.trim();
    if raw.is_empty() {
        return Role::Junk;
    }
    if short_title && is_plainly_body(raw, first) {
        return Role::Body;
    }
    classify_fully(raw, title, first, prev)
}

/// Most paragraphs ingested are Chinese prose longer than every rule of [`classify_fully`] but
/// two looks at (60 characters), and those two (a title echo, an italic caption) are told from
/// the paragraph's ends: such a paragraph is body text, known from one pass over its bytes
/// instead of cleaning it of markup first (a tenth of a story sketch's cost). True only when
/// [`classify_fully`] would say [`Role::Body`], given a title of at most 60 characters (which
/// cannot equal a paragraph of more).
fn is_plainly_body(raw: &str, first: bool) -> bool {
    if first && raw.starts_with('#') || raw.starts_with('_') && raw.ends_with('_') {
        return false;
    }
    // Characters that cleaning keeps for certain, counted low: every character but ASCII
    // controls and space, `*`, `#`, `_`, and those whose lead byte (C2, E1, E2, E3) is shared
    // with a Unicode space or U+200B. Branch-free, so it runs on vectors of bytes.
    let surely_kept = |b: u8| {
        (b & 0xC0 != 0x80)
            & (b > 0x20)
            & (b != b'*')
            & (b != b'#')
            & (b != b'_')
            & (b != 0xC2)
            & (b.wrapping_sub(0xE1) > 2)
    };
    // In blocks that a byte counter holds (summed in byte lanes), stopping once past 60.
    let mut kept = 0usize;
    for block in raw.as_bytes().chunks(255) {
        kept += usize::from(block.iter().fold(0u8, |n, &b| n + u8::from(surely_kept(b))));
        if kept > 60 {
            break;
        }
    }
    // Lead bytes E5–E9 start U+5000–U+9FFF, all CJK.
    let cjk = || raw.bytes().any(|b| b.wrapping_sub(0xE5) < 5);
    // Text without CJK is not an encoded leftover when it has a space between two words: an
    // ASCII space between ASCII letters or digits stays a space in the cleaned text (only a
    // space before CJK is taken out), and a letter is a word character. English prose, which
    // has no CJK and so took the long way every paragraph.
    let words = || {
        raw.as_bytes()
            .windows(3)
            .any(|w| w[1] == b' ' && w[0].is_ascii_alphanumeric() && w[2].is_ascii_alphanumeric())
    };
    kept > 60 && (cjk() || words())
}

fn classify_fully(raw: &str, title: &str, first: bool, prev: Option<(&str, &Role)>) -> Role {
    let clean = strip_markup_borrowed(raw);
    if clean.is_empty() {
        return Role::Junk;
    }
    let title_clean = title.trim();
    if !title_clean.is_empty()
        && (clean == title_clean
            || first
                && raw.starts_with('#')
                && clean.starts_with(title_clean)
                && clean.len() - title_clean.len() < 6)
    {
        return Role::TitleEcho;
    }
    let chars = clean.chars().count();
    let has_cjk = clean.chars().any(is_cjk);
    let has_words = clean.chars().any(crate::digest::terms::is_word_char);
    // Image placeholders and other encoded leftovers: no Chinese, no spaces, odd symbols.
    if !has_cjk
        && !clean.contains(' ')
        && clean
            .chars()
            .any(|c| matches!(c, '/' | ')' | '=' | '-' | '_'))
    {
        return Role::Junk;
    }
    if !has_words {
        return Role::Junk;
    }
    // Captions are set in italics: "_戴琪接受CNBC采访截图_".
    if raw.starts_with('_') && raw.ends_with('_') {
        return Role::Junk;
    }
    // Bylines and credits; "记者获悉，今天…" is a sentence, not a byline.
    let sentence_like = clean.contains('。') || clean.contains('，');
    if chars <= 60
        && BYLINE_STARTS.iter().any(|b| clean.starts_with(b))
        && (!sentence_like || clean.starts_with("来源"))
    {
        return Role::Junk;
    }
    if chars <= 60 && is_junk_text(&clean) {
        return Role::Junk;
    }
    // "中国基金报记者 南深", "红星新闻记者 蒋紫雯": a byline without a sentence.
    if chars <= 24
        && clean.contains("记者")
        && !clean.chars().any(|c| matches!(c, '，' | '。' | '：'))
    {
        return Role::Junk;
    }
    if chars <= 40 && clean.starts_with("本文") && clean.contains("稿件") {
        return Role::Junk;
    }
    if looks_like_heading(raw, &clean, chars, prev) {
        return Role::Heading(clean.into_owned());
    }
    Role::Body
}

/// A heading is short, does not end like a sentence, and does not continue a sentence that the
/// previous paragraph left open (feeds break sentences across paragraphs).
fn looks_like_heading(raw: &str, clean: &str, chars: usize, prev: Option<(&str, &Role)>) -> bool {
    let bold = is_bold(raw);
    let marked = raw.starts_with('#');
    let limit = if bold || marked { 48 } else { 26 };
    if chars > limit || chars < 2 {
        return false;
    }
    let last = clean.chars().next_back().unwrap_or(' ');
    if matches!(
        last,
        '。' | '！'
            | '？'
            | '；'
            | '：'
            | ':'
            | '，'
            | ','
            | '.'
            | '、'
            | '…'
            | ';'
            | '”'
            | '）'
            | ')'
    ) {
        return false;
    }
    if clean.contains('。') || clean.contains("！") && !bold {
        return false;
    }
    // A plain line with a comma is a broken sentence unless a dash marks it as a title
    // ("车——硬件降本，软件增利").
    if !bold && !marked && (clean.contains('，') || clean.contains(',')) && !clean.contains('—')
    {
        return false;
    }
    // A lone English word ("Project") is a broken line, not a heading.
    if !clean.contains(' ') && clean.is_ascii() && !bold {
        return false;
    }
    // A continuation of the previous paragraph's open sentence.
    if let Some((prev_text, prev_role)) = prev {
        let prev_end = strip_markup(prev_text).chars().next_back().unwrap_or('。');
        let prev_open = !matches!(
            prev_end,
            '。' | '！' | '？' | '；' | '.' | '!' | '?' | '”' | '"' | '…' | '）' | ')' | '：' | ':'
        );
        if prev_open && matches!(prev_role, Role::Body) && !bold && !marked {
            return false;
        }
    }
    // Plain short lines need some Chinese or several words to be a heading.
    bold || marked || clean.chars().any(is_cjk) || clean.split_whitespace().count() >= 2
}

/// Trims a sentence for use as a bullet: markup, a repeated title, datelines and source tags at
/// the start, and a leading connective. Returns `None` when nothing usable is left or the
/// sentence is boilerplate that cannot be trimmed away.
pub fn trim_sentence(sentence: &str, title: &str) -> Option<String> {
    let mut s = strip_markup(sentence);
    s = strip_list_marker(&s).to_string();
    let title = title.trim();
    if !title.is_empty() && s.starts_with(title) && s.len() > title.len() {
        s = s[title.len()..].trim_start().to_string();
    }
    s = strip_quote_tickers(&s);
    s = strip_source_tag(&s);
    s = strip_dateline(&s);
    s = strip_connective(&s);
    if is_english_byline(&s) {
        return None;
    }
    if s.chars()
        .filter(|&c| crate::digest::terms::is_word_char(c))
        .take(4)
        .count()
        < 4
    {
        return None;
    }
    Some(s)
}

/// List numbering at the start of a sentence: "_1_ ", "1、", "1. ", "（1）", "①".
fn strip_list_marker(s: &str) -> &str {
    let t = s.trim_start_matches('_');
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    if (1..=2).contains(&digits) {
        let after = &t[digits..];
        for sep in ["_ ", "_", "、", ". ", "．", "）", ")"] {
            if let Some(rest) = after.strip_prefix(sep)
                && !rest.trim().is_empty()
            {
                return rest.trim_start();
            }
        }
    }
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(inner) = t.strip_prefix(open) {
            let n = inner
                .chars()
                .take_while(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(*c))
                .count();
            let len: usize = inner.chars().take(n).map(char::len_utf8).sum();
            if (1..=2).contains(&n)
                && let Some(rest) = inner[len..].strip_prefix(close)
            {
                return rest.trim_start();
            }
        }
    }
    let mut chars = t.chars();
    if chars.next().is_some_and(|c| ('①'..='⑳').contains(&c)) {
        return chars.as_str().trim_start();
    }
    s
}

/// Removes live quote tickers pasted after company names by finance portals:
/// "蒙牛乳业(30.05,0.05,0.17%)(02319)" → "蒙牛乳业(02319)".
fn strip_quote_tickers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find(['(', '（']) {
        let close_char = if rest[open..].starts_with('(') {
            ')'
        } else {
            '）'
        };
        let after_open = open + rest[open..].chars().next().map_or(1, char::len_utf8);
        match rest[after_open..].find(close_char) {
            Some(len) if is_quote_ticker(&rest[after_open..after_open + len]) => {
                out.push_str(&rest[..open]);
                rest = &rest[after_open + len + close_char.len_utf8()..];
            }
            _ => {
                out.push_str(&rest[..after_open]);
                rest = &rest[after_open..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// "30.05,0.05,0.17%" or "76.000,2.50,3.40%": price, change, change in percent.
fn is_quote_ticker(inner: &str) -> bool {
    let parts: Vec<&str> = inner.split([',', '，']).map(str::trim).collect();
    parts.len() == 3
        && parts[2].ends_with('%')
        && parts.iter().all(|p| {
            let p = p.trim_end_matches('%').trim_start_matches(['-', '+']);
            !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
}

/// "（观察者网讯）", "【环球时报特约记者 任重】", "【文/观察者网 王世纯】", "财联社3月14日讯（编辑
/// 史正丞）" at the start, and the tail of a byline whose opening bracket the feed put in the
/// paragraph before ("赵觉珵】欧洲理事会…").
fn strip_source_tag(s: &str) -> String {
    let mut t = s;
    if let Some(end) = t.find('】')
        && !t[..end].contains('【')
        && t[..end].chars().count() <= 20
        && t[..end].chars().all(|c| !matches!(c, '，' | '。' | '：' | '“' | ',' | ':'))
    {
        t = t[end + '】'.len_utf8()..].trim_start();
    }
    for (open, close) in [('（', '）'), ('(', ')'), ('【', '】'), ('[', ']')] {
        if let Some(rest) = t.strip_prefix(open)
            && let Some(end) = rest.find(close)
        {
            let inner = &rest[..end];
            if inner.chars().count() <= 30 && SOURCE_MARKS.iter().any(|m| inner.contains(m)) {
                t = rest[end + close.len_utf8()..].trim_start();
            }
        }
    }
    // "观察者网：澳大利亚总理…": the outlet introducing its own text is a byline too. Only a
    // short all-Chinese name ending like an outlet's, so "外交部：…" (who said it) stays.
    if let Some(end) = t.find(['：', ':']) {
        let head = &t[..end];
        if (2..=8).contains(&head.chars().count())
            && head.chars().all(is_cjk)
            && OUTLET_ENDS.iter().any(|e| head.ends_with(e))
        {
            let colon = t[end..].chars().next().map_or(1, char::len_utf8);
            t = t[end + colon..].trim_start();
        }
    }
    t.to_string()
}

/// How the names of outlets end (观察者网, 环球时报, 新华社, 腾讯新闻, 第一财经).
const OUTLET_ENDS: &[&str] = &["网", "报", "社", "新闻", "财经"];

const SOURCE_MARKS: &[&str] = &[
    "讯", "记者", "电", "报道", "编辑", "综合", "来源", "文/", "文／", "作者", "撰文", "观察者网",
];

/// Bullets at most this long read as one claim: characters for Chinese, words for English.
pub const MAX_CLAIM_CHARS: usize = 120;
pub const MAX_CLAIM_WORDS: usize = 45;

/// Trims a sentence longer than one claim to the clause that carries it: first a leading
/// time clause ("当地时间4月2日，"), then everything after the last clause break (`，` or
/// ", ") that keeps it within `MAX_CLAIM_CHARS`/`MAX_CLAIM_WORDS`, marked with "…". Never cuts
/// at or after a `；` or `;`: the pieces of a list stay together. Returns the sentence as it
/// was when no such cut exists.
pub fn trim_to_claim(s: &str, lang: crate::document::Lang) -> String {
    if lang == crate::document::Lang::En {
        let words = s.split_whitespace().count();
        if words <= MAX_CLAIM_WORDS {
            return s.to_string();
        }
        let list_at = s.find(';').unwrap_or(s.len());
        let mut best: Option<usize> = None;
        let mut count = 0;
        let mut prev_space = true;
        for (i, c) in s.char_indices() {
            if i >= list_at {
                break;
            }
            if c.is_whitespace() {
                prev_space = true;
                continue;
            }
            if prev_space {
                count += 1;
                prev_space = false;
            }
            if count > MAX_CLAIM_WORDS {
                break;
            }
            // A comma followed by a space: "1,000" is a number, not a clause break.
            if c == ',' && s[i + 1..].starts_with(' ') && count >= 15 {
                best = Some(i);
            }
        }
        return match best {
            Some(i) => format!("{}…", &s[..i]),
            None => s.to_string(),
        };
    }
    let mut t = s;
    if t.chars().count() > MAX_CLAIM_CHARS
        && let Some(comma) = t.find('，')
    {
        let head = &t[..comma];
        if head.chars().count() <= 16
            && (head.contains("当地时间") || (head.ends_with('日') && head.contains('月')))
            && !head.contains(['“', '《'])
        {
            t = &t[comma + '，'.len_utf8()..];
        }
    }
    if t.chars().count() <= MAX_CLAIM_CHARS {
        return t.to_string();
    }
    let list_at = t.find(['；', ';']).unwrap_or(t.len());
    let mut best: Option<usize> = None;
    let mut depth = 0i32;
    for (n, (i, c)) in t.char_indices().enumerate() {
        if n >= MAX_CLAIM_CHARS || i >= list_at {
            break;
        }
        match c {
            '“' | '《' | '（' | '(' => depth += 1,
            '”' | '》' | '）' | ')' => depth -= 1,
            // Not inside a quotation: cutting there would leave it open.
            '，' if depth <= 0 && n >= 40 => best = Some(i),
            _ => {}
        }
    }
    match best {
        Some(i) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

/// True for an English sentence that is a byline or an author note ("By David Nicholson, a
/// Washington writer…"): "By" and two capitalized words.
fn is_english_byline(s: &str) -> bool {
    s.strip_prefix("By ").is_some_and(|rest| {
        rest.split_whitespace()
            .take(2)
            .filter(|w| w.starts_with(|c: char| c.is_uppercase()))
            .count()
            == 2
    })
}

/// "红星资本局11月9日消息，", "中新网北京2月21日电(记者 袁秀月)", "NEW YORK -- ".
fn strip_dateline(s: &str) -> String {
    // English wire datelines: capitals, then " -- " or " - ".
    if let Some(pos) = s.find(" -- ").or_else(|| s.find(" - ")) {
        let head = &s[..pos];
        let all_caps = head
            .chars()
            .all(|c| c.is_ascii_uppercase() || matches!(c, ' ' | ',' | '.'));
        // "WSJ Feb. 28, 2001 WASHINGTON": a paper, a date, then the place in capitals.
        let dated_place = head.contains(',')
            && head
                .split_whitespace()
                .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit()))
            && head.split_whitespace().next_back().is_some_and(|w| {
                w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase())
            });
        if pos <= 40 && (all_caps || dated_place) {
            let sep = if s[pos..].starts_with(" -- ") { 4 } else { 3 };
            return s[pos + sep..].trim_start().to_string();
        }
    }
    // The head is at most 24 characters, so only the start of the sentence can hold a mark.
    let window_end = s.char_indices().nth(28).map_or(s.len(), |(b, _)| b);
    let window = &s[..window_end];
    for mark in [
        "消息，",
        "消息,",
        "电，",
        "电,",
        "讯，",
        "讯,",
        "获悉，",
        "获悉,",
        "电（",
        "电(",
        "讯（",
        "讯(",
        "消息",
    ] {
        let Some(pos) = window.find(mark) else {
            continue;
        };
        let head = &s[..pos];
        if head.chars().count() > 24
            || !head
                .chars()
                .any(|c| c.is_ascii_digit() || c == '日' || c == '月')
                && !head.ends_with("APP")
        {
            continue;
        }
        // Not a sentence of its own: the head must not contain punctuation.
        if head
            .chars()
            .any(|c| matches!(c, '，' | '。' | '：' | '“' | ',' | ':'))
        {
            continue;
        }
        let mut rest = &s[pos + mark.len()..];
        if mark.ends_with('（') || mark.ends_with('(') {
            let close = if mark.ends_with('（') { '）' } else { ')' };
            match rest.find(close) {
                Some(end) if end <= 40 => rest = &rest[end + close.len_utf8()..],
                _ => continue,
            }
        }
        let rest = rest.trim_start_matches(['，', ',', ' ']);
        if rest.chars().count() >= 8 {
            return rest.to_string();
        }
    }
    s.to_string()
}

/// Connectives that tie a sentence to the one before it; alone in a bullet they dangle.
const CONNECTIVES: &[&str] = &[
    "此外，",
    "另外，",
    "同时，",
    "与此同时，",
    "值得注意的是，",
    "值得一提的是，",
    "据悉，",
    "据了解，",
    "而且，",
    "并且，",
    "不过，",
    "然而，",
    "对此，",
    "总之，",
    "其次，",
    "最后，",
    "首先，",
    "具体来看，",
    "具体而言，",
    "另一方面，",
    "事实上，",
    "实际上，",
    "In addition, ",
    "Meanwhile, ",
    "However, ",
    "Also, ",
    "Moreover, ",
    "Furthermore, ",
    "But ",
    "And ",
];

fn strip_connective(s: &str) -> String {
    for c in CONNECTIVES {
        if let Some(rest) = s.strip_prefix(c) {
            let mut out = String::with_capacity(rest.len());
            let mut chars = rest.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
            if out.chars().count() >= 6 {
                return out;
            }
        }
    }
    s.to_string()
}

/// The opening of the document's readable text (headings and body, without junk or a repeated
/// title), at most `max_chars` characters, ending in "..." when cut. Falls back to the title
/// when the document has no readable paragraph.
pub fn excerpt(doc: &Document, max_chars: usize) -> String {
    let layout = Layout::of(doc);
    let mut text = String::new();
    for (i, p) in doc.paragraphs.iter().enumerate() {
        if matches!(layout.roles[i], Role::Body | Role::Heading(_)) {
            let clean = strip_markup(p);
            if !text.is_empty() {
                text.push(if doc.lang == crate::document::Lang::En {
                    ' '
                } else {
                    '\n'
                });
            }
            text.push_str(&clean);
        }
        if text.chars().count() > max_chars {
            break;
        }
    }
    if text.trim().is_empty() {
        text = strip_markup(&doc.title);
    }
    cut_at(&text, max_chars)
}

/// Cuts `text` to at most `max_chars` characters, at a sentence end when one falls in the last
/// 40%, else at a word boundary for English; appends "..." when anything was cut.
fn cut_at(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.trim().to_string();
    }
    let byte_limit = text
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(b, _)| b);
    let head = &text[..byte_limit];
    let min_keep = head.len() * 6 / 10;
    let sentence_end = head
        .char_indices()
        .rfind(|&(b, c)| b >= min_keep && matches!(c, '。' | '！' | '？' | '.' | '!' | '?' | '\n'))
        .map(|(b, c)| b + c.len_utf8());
    let end = sentence_end.or_else(|| {
        head.rfind(' ')
            .filter(|&b| b >= min_keep && head.is_ascii())
    });
    let cut = &head[..end.unwrap_or(head.len())];
    format!("{}...", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str, paragraphs: &[&str]) -> Document {
        Document::for_test(title, paragraphs)
    }

    #[test]
    fn plain_text_is_told_from_text_with_markup_or_spaces_for_every_character() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let dirty = c == '*' || c == '\u{200b}' || c.is_whitespace();
            let text = format!("稀土{c}出口");
            assert_eq!(is_plain(&text), !dirty, "U+{:04X}", c as u32);
        }
        assert_eq!(strip_markup("__稀土出口管制__"), "稀土出口管制");
        assert_eq!(strip_markup("**百度、** **英伟达**"), "百度、英伟达");
    }

    /// Every paragraph (with its title, whether it is first, and its predecessor) of the
    /// documents in the labelled story pairs: real text from every shared corpus.
    fn real_paragraphs(mut each: impl FnMut(&str, &str, bool, Option<(&str, &Role)>)) {
        use std::io::Read;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stories/pairs.jsonl.gz");
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut text = String::new();
        flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap_or_else(|e| panic!("{path}: {e}"));
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}"));
            for side in ["a", "b"] {
                let title = v[side]["title"].as_str().unwrap_or_default();
                let paragraphs: Vec<&str> =
                    v[side]["paragraphs"].as_array().into_iter().flatten().filter_map(|p| p.as_str()).collect();
                let body = Role::Body;
                for (i, p) in paragraphs.iter().enumerate() {
                    // The rules read the previous paragraph's role only as Body or not.
                    let prev = i.checked_sub(1).map(|j| (paragraphs[j], &body));
                    each(p, title, i == 0, prev);
                }
            }
        }
    }

    #[test]
    fn plainly_body_paragraphs_are_body_by_every_rule() {
        // Bytes of text taking the short way, of all.
        let (mut plainly, mut all) = (0usize, 0usize);
        real_paragraphs(|p, title, first, prev| {
            all += p.len();
            let raw = p.trim();
            if !raw.is_empty() && title.trim().chars().count() <= 60 && is_plainly_body(raw, first) {
                plainly += p.len();
                assert_eq!(classify_fully(raw, title, first, prev), Role::Body, "{raw}");
            }
        });
        // Most text takes the short way, or it saves nothing.
        assert!(plainly * 2 > all, "{plainly} of {all} bytes");
        // Any character at either end or inside a long Chinese paragraph.
        let prose = "稀土出口管制措施自今年起实施，相关企业需要申请许可证。".repeat(3);
        for c in (0..=0xFFFFu32).filter_map(char::from_u32) {
            for p in [format!("{c}{prose}{c}"), format!("{prose}{c}{c}{c}{prose}")] {
                let raw = p.trim();
                if is_plainly_body(raw, true) {
                    assert_eq!(classify_fully(raw, "稀土", true, None), Role::Body, "U+{:04X}", c as u32);
                }
            }
        }
        // Any character at either end or inside a long English paragraph.
        let english = "Rare earth export controls took effect this year and exporters need a licence. ".repeat(2);
        for c in (0..=0xFFFFu32).filter_map(char::from_u32) {
            for p in [format!("{c}{english}{c}"), format!("{english}{c}{c}{c}{english}"), format!("{c}{english}").replace(' ', &c.to_string())] {
                let raw = p.trim();
                if is_plainly_body(raw, true) {
                    assert_eq!(classify_fully(raw, "Rare earths", true, None), Role::Body, "U+{:04X}", c as u32);
                }
            }
        }
        assert!(is_plainly_body(english.trim(), false));
        // No space between words: maybe an encoded leftover, the long way.
        assert!(!is_plainly_body(&"aGVsbG8/d29ybGQ=".repeat(6), false));
        // The two rules for long paragraphs: a title echo, an italic caption.
        let title = "商务部新闻发言人就稀土相关物项出口管制措施答记者问：管制措施不针对任何特定国家和地区，符合出口管制的国际通行做法，有利于维护全球产业链供应链安全稳定";
        assert!(title.chars().count() > 60);
        // The paragraph alone looks plainly body: the title's length is what keeps it apart.
        assert!(is_plainly_body(title, false));
        assert_eq!(classify(title, title, false, false, None), Role::TitleEcho);
        assert_eq!(classify(&format!("# {title}"), title, false, true, None), Role::TitleEcho);
        let caption = format!("_{prose}_");
        assert_eq!(classify(&caption, "稀土", true, false, None), Role::Junk);
        assert_eq!(classify(&prose, "稀土", true, false, None), Role::Body);
    }

    #[test]
    fn roles_of_a_scraped_article() {
        let d = doc(
            "大动作！“稀土航母”开启整合大幕",
            &[
                "# 大动作！“稀土航母”开启整合大幕",
                "中国基金报记者 南深",
                "国字号“稀土航母”中国稀土集团组建以来的首个资本运作来了。",
                "xKoiAAA/1000)",
                "**江华稀土：为全国单本离子型稀土**",
                "**开采指标最大的矿山**",
                "中国稀土公告显示，江华稀土的主营业务为稀土矿露天开采。",
                "_戴琪接受CNBC采访截图_",
                "**本文系观察者网独家稿件，未经授权，不得转载。**",
                "编辑 杨程",
            ],
        );
        let l = Layout::of(&d);
        assert_eq!(l.roles[0], Role::TitleEcho);
        assert_eq!(l.roles[1], Role::Junk, "a byline");
        let d2 = doc(
            "t",
            &[
                "记者获悉，今天（26日）6时30分左右，申嘉湖高速发生多车相撞事故。",
                "（总台记者 王殿甲 俞翔）",
                "编辑：程家乐 | 视频：王紫嫣",
            ],
        );
        assert_eq!(
            Layout::of(&d2).roles,
            vec![Role::Body, Role::Junk, Role::Junk]
        );
        assert_eq!(l.roles[2], Role::Body);
        assert_eq!(l.roles[3], Role::Junk);
        assert_eq!(
            l.roles[5],
            Role::Heading("江华稀土：为全国单本离子型稀土开采指标最大的矿山".into())
        );
        assert_eq!(l.roles[4], Role::Junk);
        assert_eq!(l.roles[7], Role::Junk);
        assert_eq!(l.roles[8], Role::Junk);
        assert_eq!(l.roles[9], Role::Junk);
        assert_eq!(l.parts.len(), 2);
        assert_eq!(
            l.parts[1].heading.as_deref(),
            Some("江华稀土：为全国单本离子型稀土开采指标最大的矿山")
        );
        assert_eq!((l.parts[1].first, l.parts[1].last), (6, 10));
        assert_eq!(l.part_of[6], 1);
    }

    #[test]
    fn broken_lines_are_not_headings() {
        let d = doc(
            "马来西亚将禁止稀土出口",
            &[
                "安瓦尔并未透露何时开始禁止稀土原料出口。",
                "Project",
                "Blue分析师大卫·梅里曼对路透社表示，影响尚不清楚。",
                "并对二者的“输出动力”进行对比，资料来源为",
                "仰望发布会",
                "。本周看点较为密集。",
                "央行动态",
                "中国人民银行将于周一公布LPR数据。",
            ],
        );
        let l = Layout::of(&d);
        assert_eq!(l.roles[1], Role::Body, "{:?}", l.roles);
        assert_eq!(l.roles[4], Role::Body);
        assert_eq!(l.roles[6], Role::Heading("央行动态".into()));
    }

    #[test]
    fn strips_bylines_cut_over_paragraphs_and_author_tags() {
        let t = |s: &str| trim_sentence(s, "标题").unwrap_or_default();
        assert_eq!(
            t("赵觉珵】欧洲理事会当地时间18日宣布通过《关键原材料法案》。"),
            "欧洲理事会当地时间18日宣布通过《关键原材料法案》。"
        );
        assert_eq!(
            t("【文/观察者网王世纯】在电动汽车之后，欧盟又盯上了中国的风电行业。"),
            "在电动汽车之后，欧盟又盯上了中国的风电行业。"
        );
        // A bracket closed inside a claim is not a byline.
        assert_eq!(
            t("他说，美方的做法是“损人不利己”，这一点【已经】被证明。"),
            "他说，美方的做法是“损人不利己”，这一点【已经】被证明。"
        );
        assert_eq!(
            t("WSJ Feb. 28, 2001 WASHINGTON -- In a break with tradition, the Fed cut rates."),
            "In a break with tradition, the Fed cut rates."
        );
        assert_eq!(trim_sentence("By David Nicholson, a Washington writer.", "T"), None);
        assert_eq!(
            t("By contrast, the budget office sees a deficit of 170 billion dlrs."),
            "By contrast, the budget office sees a deficit of 170 billion dlrs."
        );
    }

    #[test]
    fn long_sentences_are_trimmed_to_one_claim_but_lists_stay_whole() {
        use crate::document::Lang;
        let long = format!("{}，{}，{}。", "甲".repeat(50), "乙".repeat(50), "丙".repeat(50));
        let cut = trim_to_claim(&long, Lang::Zh);
        assert_eq!(cut, format!("{}，{}…", "甲".repeat(50), "乙".repeat(50)));
        assert!(cut.chars().count() <= MAX_CLAIM_CHARS + 1);
        // A leading time clause goes first.
        let dated = format!("当地时间4月2日，{}。", "丁".repeat(115));
        assert_eq!(trim_to_claim(&dated, Lang::Zh), format!("{}。", "丁".repeat(115)));
        // Never inside a `；` list, nor inside a quotation.
        let list = format!("{}；{}，{}。", "戊".repeat(60), "己".repeat(40), "庚".repeat(40));
        assert_eq!(trim_to_claim(&list, Lang::Zh), list);
        let quoted = format!("他说：“{}，{}”。", "辛".repeat(60), "壬".repeat(70));
        assert_eq!(trim_to_claim(&quoted, Lang::Zh), quoted);
        let short = "中国稀土产量占全球精炼产量的90%。";
        assert_eq!(trim_to_claim(short, Lang::Zh), short);

        let words = |n: usize, w: &str| vec![w; n].join(" ");
        let en = format!("{}, {}, {}.", words(20, "alpha"), words(20, "beta"), words(20, "gamma"));
        let cut = trim_to_claim(&en, Lang::En);
        assert_eq!(cut, format!("{}, {}…", words(20, "alpha"), words(20, "beta")));
        // "1,000" is a number, not a clause break.
        let number = format!("{} 1,000 {}.", words(30, "alpha"), words(30, "beta"));
        assert_eq!(trim_to_claim(&number, Lang::En), number);
    }

    #[test]
    fn trims_datelines_tags_and_connectives() {
        let t = |s: &str| trim_sentence(s, "标题").unwrap_or_default();
        assert_eq!(
            t("红星资本局11月9日消息，近日，西部证券研报中一张图表引发关注。"),
            "近日，西部证券研报中一张图表引发关注。"
        );
        assert_eq!(
            t("（观察者网讯）据美国消费者新闻与商业频道报道，戴琪声称中国占主导。"),
            "据美国消费者新闻与商业频道报道，戴琪声称中国占主导。"
        );
        assert_eq!(
            t("【环球时报特约记者 任重】马来西亚总理安瓦尔11日宣布禁止稀土原材料出口。"),
            "马来西亚总理安瓦尔11日宣布禁止稀土原材料出口。"
        );
        // qq-23087 [16]: an outlet prefix goes like a byline; a speaker's does not.
        assert_eq!(
            t("**观察者网：澳大利亚总理阿尔巴尼斯11月4日至7日访华期间，将出席第六届中国国际进口博览会。**"),
            "澳大利亚总理阿尔巴尼斯11月4日至7日访华期间，将出席第六届中国国际进口博览会。"
        );
        assert_eq!(t("外交部：中方欢迎澳大利亚总理访华。"), "外交部：中方欢迎澳大利亚总理访华。");
        assert_eq!(
            t("中新网北京2月21日电(记者 袁秀月)21日，20余省份公布考研初试成绩。"),
            "21日，20余省份公布考研初试成绩。"
        );
        assert_eq!(
            t("此外，2021年度江华稀土净利润为1.77亿元。"),
            "2021年度江华稀土净利润为1.77亿元。"
        );
        assert_eq!(
            t("**特斯拉储能业务充分融合了电池技术优势** 。"),
            "特斯拉储能业务充分融合了电池技术优势。"
        );
        assert_eq!(
            t("NEW YORK -- Small stocks rose in light trading."),
            "Small stocks rose in light trading."
        );
        assert_eq!(t("However, the dollar fell."), "The dollar fell.");
        assert_eq!(
            t("* _1_ 综合考虑病毒特点，我国已具备调整的基本条件。"),
            "综合考虑病毒特点，我国已具备调整的基本条件。"
        );
        assert_eq!(
            t("1、出现气促，呼吸频率≥30次/分。"),
            "出现气促，呼吸频率≥30次/分。"
        );
        assert_eq!(
            t("（二）加强药品供应储备，满足患者需求。"),
            "加强药品供应储备，满足患者需求。"
        );
        assert_eq!(
            t("1.5亿元订单落地，公司业绩改善。"),
            "1.5亿元订单落地，公司业绩改善。"
        );
        assert_eq!(
            t("银河国际称，蒙牛乳业(30.05,0.05,0.17%)(02319)提议收购贝拉米。"),
            "银河国际称，蒙牛乳业(02319)提议收购贝拉米。"
        );
        assert_eq!(
            t("摩通予中国平安(76.000,-2.50,-3.40%)目标价100港元(评级增持)。"),
            "摩通予中国平安目标价100港元(评级增持)。"
        );
        // A sentence that only looks like a dateline keeps its text.
        assert_eq!(
            t("中国稀土表示，将积极推动整合消息，属实。"),
            "中国稀土表示，将积极推动整合消息，属实。"
        );
    }

    #[test]
    fn excerpts_skip_junk_and_cut_at_sentence_ends() {
        let d = doc(
            "马来西亚计划禁止稀土原材料出口",
            &[
                "# 马来西亚计划禁止稀土原材料出口",
                "10月24日，马来西亚将禁止稀土原材料的出口。",
                "kAA/0)",
                "今年9月，马来西亚表示将制定相关政策。",
            ],
        );
        assert_eq!(
            excerpt(&d, 300),
            "10月24日，马来西亚将禁止稀土原材料的出口。\n今年9月，马来西亚表示将制定相关政策。"
        );
        assert_eq!(
            excerpt(&d, 30),
            "10月24日，马来西亚将禁止稀土原材料的出口。..."
        );
        let only_title = doc("稀土变“西土”？", &["# 稀土变“西土”？"]);
        assert_eq!(excerpt(&only_title, 300), "稀土变“西土”？");
    }

    #[test]
    fn names_broken_over_lines_are_not_headings() {
        let d = doc(
            "t",
            &[
                "特斯拉销量下滑。",
                "根据特斯拉分析师Troy",
                "Teslike的数据，特斯拉份额下滑。",
                "中新经纬1月4日电",
                "(付健青)4日，立讯精密跌停。",
            ],
        );
        let l = Layout::of(&d);
        assert_eq!(l.roles[1], Role::Body);
        assert_eq!(l.roles[3], Role::Body);
        assert!(!l.has_headings());
    }

    #[test]
    fn run_in_headings_open_parts() {
        assert_eq!(
            run_in_heading("**公司财报：** 本周中国两大科技巨头百度、阿里巴巴即将公布财报。"),
            Some("公司财报".into())
        );
        assert_eq!(run_in_heading("**当前降息的必要性不高。**"), None);
        assert_eq!(run_in_heading("**以下为本周央行重要议程：**"), None);
    }
}
