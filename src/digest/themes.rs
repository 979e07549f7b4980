//! themes: which few words name what a group of sentences is about?
//!
//! A digest group is headed by one phrase of its text that names its theme ("Group 1:
//! 关键原材料法案", "Group 2: trade deficit"): its strongest key term grown into the noun
//! phrase it stands in (jieba's part-of-speech tags for Chinese), never two terms glued
//! together. Key terms are in the source's language. Chinese words come from the search segmenter (jieba with dossier's finance
//! dictionary), English words and capitalized names ("Newmont Mining") from the text as
//! written. A term scores by how often the group uses it, how rare it is in financial news
//! (the background table of `terms`), and how specific it is to the group rather than to the
//! whole document — so the document's topic word does not head every group. This module only
//! names groups; it must not decide what goes into them.

use crate::digest::terms::{TermId, TermMap, for_each_term, idf};
use crate::document::{Lang, is_cjk};

/// Words too generic to name a theme, whatever their background weight.
const GENERIC_ZH: &[&str] = &[
    "表示",
    "认为",
    "指出",
    "称",
    "报道",
    "方面",
    "情况",
    "问题",
    "相关",
    "记者",
    "消息",
    "今年",
    "去年",
    "明年",
    "目前",
    "近日",
    "此前",
    "日前",
    "其中",
    "包括",
    "进行",
    "通过",
    "已经",
    "可能",
    "需要",
    "进一步",
    "主要",
    "重要",
    "一些",
    "这些",
    "这种",
    "这个",
    "我们",
    "他们",
    "时间",
    "以来",
    "期间",
    "之后",
    "之前",
    "同比",
    "环比",
    "显示",
    "数据",
    "成为",
    "表明",
    "提到",
    "强调",
    "介绍",
    "发布",
    "宣布",
    "预计",
    "有望",
    "继续",
    "持续",
    "方式",
    "实现",
    "推动",
    "加快",
    "提升",
    "能力",
    "领域",
    "行业",
    "市场",
    "公司",
    "企业",
    "国家",
    "全球",
    "世界",
    "此次",
    "本次",
    "该国",
    "当地",
    "部分",
    "上述",
    "有关",
    "所谓",
    "文章",
    "报告",
    "研报",
    "分析",
    "如果",
    "由于",
    "因此",
    "但是",
    "同时",
    "此外",
    "另外",
    "还是",
    "以及",
    "或者",
    "并且",
    "而且",
    "不过",
    "其他",
    "之一",
    "一方面",
    "另一方面",
    "最终",
    "未来",
    "可以",
    "没有",
    "不是",
    "就是",
    "这样",
    "那么",
    "什么",
    "如何",
    "为何",
    "一定",
    "非常",
    "更加",
    "已于",
    "分别",
    "合计",
    "共计",
    "约合",
    "左右",
    "以上",
    "以下",
    "持有",
    "签订",
    "签署",
    "完成",
    "开展",
    "获得",
    "成立",
    "形成",
    "提出",
    "加强",
    "采取",
    "支持",
    "建立",
    "扩大",
    "保持",
    "达到",
    "增加",
    "减少",
    "出现",
    "导致",
    "面临",
    "承认",
    "声称",
    "来自",
    "这里",
    "那里",
    "前面",
    "后面",
    "新型",
    "充足",
    "高达",
    "前往",
    "赶往",
    "一位",
    "多位",
    "人士",
    "知情",
    "负责人",
    "工作人员",
    "网友",
    "近期",
    "最近",
    "当时",
    "之间",
    "方向",
    "告诉",
];

const GENERIC_EN: &[&str] = &[
    "said",
    "says",
    "say",
    "would",
    "could",
    "should",
    "year",
    "years",
    "also",
    "last",
    "next",
    "this",
    "that",
    "with",
    "from",
    "have",
    "has",
    "been",
    "were",
    "will",
    "which",
    "their",
    "they",
    "about",
    "after",
    "before",
    "over",
    "under",
    "more",
    "most",
    "some",
    "other",
    "than",
    "into",
    "while",
    "analysts",
    "analyst",
    "officials",
    "official",
    "company",
    "companies",
    "percent",
    "pct",
    "mln",
    "dlrs",
    "dlr",
    "billion",
    "million",
    "reuters",
    "according",
    "added",
    "told",
    "expected",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// How often a word occurs in a text, from term counts rather than by scanning the text: a
/// Chinese word occurs at most as often as the rarest of its character pairs, an English word
/// as often as its (stemmed) id.
pub fn occurrences(word: &str, term_count: &dyn Fn(TermId) -> u32) -> u32 {
    let mut min: Option<u32> = None;
    for_each_term(word, |id, _| {
        let n = term_count(id);
        min = Some(min.map_or(n, |m| m.min(n)));
    });
    min.unwrap_or(0)
}

/// Up to `k` key terms of `group_text`, ordered by where they first occur in it.
/// `doc_count` gives how often a term occurs in the whole document (to tell group-specific
/// words from the document's topic), `used` the terms earlier groups were already headed by
/// (reused terms score less).
pub fn key_terms(
    group_text: &str,
    doc_count: &dyn Fn(TermId) -> u32,
    lang: Lang,
    k: usize,
    used: &[String],
) -> Vec<String> {
    let mut chosen = key_terms_by_score(group_text, doc_count, lang, k, used);
    // In reading order.
    chosen.sort_by_key(|c| group_text.find(c.as_str()).unwrap_or(usize::MAX));
    chosen
}

/// As `key_terms`, strongest first.
fn key_terms_by_score(
    group_text: &str,
    doc_count: &dyn Fn(TermId) -> u32,
    lang: Lang,
    k: usize,
    used: &[String],
) -> Vec<String> {
    let mut group_counts: TermMap<u32> = TermMap::default();
    for_each_term(group_text, |id, _| {
        *group_counts.entry(id).or_insert(0) += 1
    });
    let group_count = |id: TermId| group_counts.get(&id).copied().unwrap_or(0);
    // term -> (score, order of first sight)
    let mut scores: std::collections::HashMap<String, (f32, usize)> =
        std::collections::HashMap::new();
    let push = |scores: &mut std::collections::HashMap<String, (f32, usize)>,
                term: String,
                weight: f32| {
        let next = scores.len();
        scores.entry(term).or_insert((0.0, next)).0 += weight;
    };
    match lang {
        Lang::Zh => {
            let words = join_unknown_names(crate::segment::query_words(group_text));
            for word in extend_by_constant_neighbours(words, doc_count) {
                let n = word.chars().count();
                if n < 2
                    || !word.chars().all(is_cjk)
                    || is_generic_zh(&word)
                    || word.starts_with(['万', '亿', '千', '百', '余', '多'])
                    || word
                        .chars()
                        .next()
                        .is_some_and(|c| FUNCTION_CHARS.contains(c))
                    || word
                        .chars()
                        .next_back()
                        .is_some_and(|c| FUNCTION_CHARS.contains(c) && n == 2)
                    || UNIT_ZH.iter().any(|u| word.ends_with(u))
                {
                    continue;
                }
                let w = word_idf(&word);
                if w < 3.0 {
                    continue;
                }
                // Longer words are more often names of things (净利润, 江华稀土, 湖南省).
                push(&mut scores, word, w * (1.0 + 0.12 * (n.min(6) - 2) as f32));
            }
            // Latin names inside Chinese text (FSD, Megapack, CNBC) as written.
            for (name, w) in latin_names(group_text) {
                push(&mut scores, name, w);
            }
        }
        Lang::En => {
            for (name, w) in latin_names(group_text) {
                push(&mut scores, name, w);
            }
            for_each_term(group_text, |id, raw| {
                let lower = raw.to_ascii_lowercase();
                // Verb forms make poor theme names ("hoping", "recorded").
                let verb_like =
                    lower.ends_with("ing") || lower.ends_with("ed") || lower.ends_with("ly");
                if raw.len() < 4
                    || verb_like
                    || raw.chars().next().is_some_and(|c| c.is_uppercase())
                    || GENERIC_EN.contains(&lower.as_str())
                {
                    return;
                }
                let w = idf(id);
                // A common word names a theme only when the group keeps using it.
                if w >= 3.5 && group_count(id) >= 2 {
                    push(&mut scores, lower, w);
                }
            });
        }
    }
    let mut candidates: Vec<(String, f32, usize)> = scores
        .into_iter()
        .map(|(t, (w, seen))| (t, w, seen))
        .collect();
    // Specific to the group: the share of the document's uses that fall in this group. Only
    // the strongest candidates can win, so only they pay for counting.
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    candidates.truncate(4 * k + 4);
    for c in candidates.iter_mut() {
        let in_group = occurrences(&c.0, &group_count).max(1) as f32;
        let in_doc = occurrences(&c.0, doc_count).max(1) as f32;
        c.1 *= (in_group / in_doc.max(in_group)).sqrt();
        if used.iter().any(|u| u == &c.0) {
            c.1 *= 0.4;
        }
        // One mention is weak evidence of a theme.
        if in_group < 2.0 {
            c.1 *= 0.7;
        }
    }
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    let mut chosen: Vec<(String, f32, usize)> = Vec::new();
    for c in candidates {
        if chosen.len() >= k {
            break;
        }
        // Skip a term contained in (or containing) one already chosen: "稀土" beside "中国稀土",
        // and an acronym beside its spelled-out name: "IMF" beside "International Monetary Fund".
        if chosen.iter().any(|x| {
            x.0.contains(c.0.as_str())
                || c.0.contains(x.0.as_str())
                || abbreviates(&c.0, &x.0)
                || abbreviates(&x.0, &c.0)
        }) {
            continue;
        }
        chosen.push(c);
    }
    chosen.into_iter().map(|c| c.0).collect()
}

/// Longest theme phrase: Chinese characters, English words.
const MAX_PHRASE_CHARS: usize = 10;
const MAX_PHRASE_WORDS: usize = 4;

/// A short phrase of `group_text`, verbatim, that names its theme: the group's strongest key
/// term grown into the noun phrase it stands in ("法案" → "关键原材料法案", "deficit" →
/// "trade deficit"), the growth seen most often in the group winning; the key term alone when
/// it stands in no longer phrase. `None` when the group has no key term.
pub fn theme_phrase(
    group_text: &str,
    doc_count: &dyn Fn(TermId) -> u32,
    lang: Lang,
    used: &[String],
) -> Option<String> {
    // Key terms may be rejoined from pieces ("商务部科技部" over a 、): only those standing in
    // the text as written can head it.
    let mut terms = key_terms_by_score(group_text, doc_count, lang, 3, used);
    terms.retain(|t| group_text.contains(t.as_str()));
    if terms.is_empty() && lang == Lang::En {
        // Wire copy often uses only common words ("deficit", "shares"): the one the group
        // repeats most still names it better than a bare number.
        terms.extend(most_repeated_word(group_text));
    }
    if terms.is_empty() {
        return None;
    }
    // The strongest term whose name heads no earlier group ("Group 3: 澳大利亚", "Group 4:
    // 澳大利亚") and reads as a theme (`广汽集团涨超` is a tick line) names the group; else the
    // first name found. One term at a time: each growth tags the group's text again.
    let mut first = None;
    for (i, term) in terms.iter().enumerate() {
        let Some(name) = name_by(group_text, lang, term, terms.get(i + 1), used) else { continue };
        if reads_as_theme(&name, lang) {
            return Some(name);
        }
        first.get_or_insert(name);
    }
    first.or_else(|| {
        // English wire copy of one company: the word the group repeats most, when it is new.
        (lang == Lang::En).then(|| most_repeated_word(group_text)).flatten().filter(|w| !used.contains(w))
    })
}

/// Ends of a Chinese phrase that make it a market tick, not a theme (`广汽集团涨超`, `东证指数低开`).
const TICK_ENDS: &[&str] = &["涨超", "跌超", "涨近", "跌近", "增近", "约", "累计", "涨", "跌", "低开", "高开", "涨停", "跌停", "震荡"];

/// Whether a heading reads as a theme: a Chinese one does not open with a verb, adverb,
/// preposition or conjunction of two characters or more (`适逢`, `爆出`; a single character may
/// begin a name jieba does not know: `联特科技`) and does not end as a market tick.
fn reads_as_theme(name: &str, lang: Lang) -> bool {
    if lang == Lang::En {
        return true;
    }
    let opens_badly = crate::segment::tagged_words(name)
        .first()
        .is_some_and(|(w, t)| matches!(*t, "v" | "d" | "p" | "c" | "ad") && w.chars().count() >= 2 && w.len() < name.len());
    !opens_badly && !TICK_ENDS.iter().any(|e| name.ends_with(e))
}

/// The phrase `term` grows into in `group_text` that names the group best (see
/// [`theme_phrase`]), or `term` itself; `None` when every one of them heads an earlier group.
fn name_by(group_text: &str, lang: Lang, term: &str, second: Option<&String>, used: &[String]) -> Option<String> {
    let grown = match lang {
        Lang::Zh => grow_zh(group_text, term),
        Lang::En => grow_en(group_text, term),
    };
    // Each occurrence of the term votes for what it grew into; a growth that takes in the
    // second key term too, or grows at all, names the theme better than the bare term.
    let mut votes: Vec<(String, f32)> = Vec::new();
    for phrase in grown {
        if used.iter().any(|u| u == &phrase) {
            continue;
        }
        match votes.iter_mut().find(|(p, _)| *p == phrase) {
            Some(v) => v.1 += 1.0,
            None => {
                let mut bonus = 1.0;
                if phrase != term {
                    bonus += 0.5;
                }
                if second.is_some_and(|t| phrase.contains(t.as_str())) {
                    bonus += 1.0;
                }
                votes.push((phrase, bonus));
            }
        }
    }
    let best = votes.into_iter().max_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then(a.0.chars().count().cmp(&b.0.chars().count()))
    });
    best.map(|(p, _)| p).or_else(|| (!used.iter().any(|u| u == term)).then(|| term.to_string()))
}

/// The lowercase content word an English group repeats most (the longest among equals).
fn most_repeated_word(text: &str) -> Option<String> {
    let mut counts: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for w in text.split(|c: char| !c.is_ascii_alphabetic()) {
        if w.len() < 4
            || !w.starts_with(|c: char| c.is_ascii_lowercase())
            || EN_STOP.contains(&w)
            || GENERIC_EN.contains(&w)
            || w.ends_with("ly")
            || w.ends_with("ed")
            || w.ends_with("ing")
        {
            continue;
        }
        *counts.entry(w.to_string()).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.len().cmp(&b.0.len())).then(b.0.cmp(&a.0)))
        .map(|(w, _)| w)
}

/// Noun-like jieba tags: nouns and names, verbal nouns, abbreviations, Latin words.
fn is_noun_tag(tag: &str) -> bool {
    tag.starts_with('n') || matches!(tag, "vn" | "j" | "eng" | "an")
}

/// Every growth of `term` by adjacent noun-like words within one clause, in the group text.
fn grow_zh(text: &str, term: &str) -> Vec<String> {
    let words = crate::segment::tagged_words(text);
    // Byte offset of each word (the tagger covers the text in order).
    let mut starts = Vec::with_capacity(words.len());
    let mut at = 0;
    for (w, _) in &words {
        starts.push(at);
        at += w.len();
    }
    let chars = |a: usize, b: usize| text[a..b].chars().count();
    let usable = |k: usize| {
        let (w, tag) = words[k];
        is_noun_tag(tag)
            && w.chars().all(|c| is_cjk(c) || c.is_ascii_alphanumeric())
            && !is_generic_zh(w)
            && !w.chars().all(|c| c.is_ascii_digit())
    };
    let mut out = Vec::new();
    for (pos, _) in text.match_indices(term) {
        let end = pos + term.len();
        // The words the term covers; it must start and end on word boundaries.
        let (Some(first), Some(last)) = (
            starts.iter().position(|&s| s == pos),
            (0..words.len()).find(|&k| starts[k] + words[k].0.len() == end),
        ) else {
            continue;
        };
        let (mut a, mut b) = (first, last);
        while a > 0 && usable(a - 1) && chars(starts[a - 1], end) <= MAX_PHRASE_CHARS {
            a -= 1;
        }
        while b + 1 < words.len()
            && usable(b + 1)
            && chars(starts[a], starts[b + 1] + words[b + 1].0.len()) <= MAX_PHRASE_CHARS
        {
            b += 1;
        }
        // A phrase ends in a noun: "稀土整合" yes, "稀土出口管制" yes, "稀土 涨" no.
        while b > last && !usable(b) {
            b -= 1;
        }
        // …and not inside a name (`主席冯德` of 冯德莱恩, jieba: 冯/德/莱恩): a growth the length
        // cap cut there goes back to before the name; a term that is itself a piece of one
        // (the index segmenter's `冯德`) takes the rest of the name and gives up growth before it.
        let name_goes_on = |b: usize| words.get(b + 1).is_some_and(|(_, t)| t.starts_with("nr"));
        if name_goes_on(b) {
            if b > last {
                while b > last && (words[b].1.starts_with("nr") || words[b].0.chars().count() == 1) {
                    b -= 1;
                }
            } else {
                while name_goes_on(b) {
                    b += 1;
                }
                while a < first && chars(starts[a], starts[b] + words[b].0.len()) > MAX_PHRASE_CHARS {
                    a += 1;
                }
            }
        }
        out.push(text[starts[a]..starts[b] + words[b].0.len()].to_string());
    }
    out
}

/// Function words that end an English noun phrase.
const EN_STOP: &[&str] = &[
    "the", "a", "an", "of", "in", "on", "at", "to", "for", "and", "or", "but", "by", "with",
    "from", "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it", "its",
    "that", "this", "these", "those", "he", "she", "they", "we", "said", "says", "will", "would",
    "could", "should", "may", "not", "no", "than", "which", "who", "up", "down", "over",
    "alone", "also", "only", "just", "even", "still", "about", "after", "before", "into",
];

/// Every growth of `term` by adjacent content words (same sentence, no punctuation between).
fn grow_en(text: &str, term: &str) -> Vec<String> {
    // Words with the punctuation around them, to stop at clause breaks.
    let words: Vec<&str> = text.split_whitespace().collect();
    let core = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    let content = |w: &str| {
        let c = core(w);
        let lower = c.to_ascii_lowercase();
        // "widened", "rose": verbs end a noun phrase; "United" does not.
        let past_verb = lower.ends_with("ed") && c.starts_with(char::is_lowercase);
        c.len() >= 2
            && c.chars().any(|ch| ch.is_alphabetic())
            && !EN_STOP.contains(&lower.as_str())
            && !GENERIC_EN.contains(&lower.as_str())
            && !lower.ends_with("ly")
            && !past_verb
            && w.ends_with(|ch: char| ch.is_alphanumeric())
            && w.starts_with(|ch: char| ch.is_alphanumeric())
            // A possessive belongs to another phrase ("Budget Office's Rudolph Penner").
            && !w.contains(['\'', '’'])
    };
    // A name grows only into a longer name ("Budget Office" → "Congressional Budget Office"),
    // a common word only into a common noun phrase ("deficit" → "trade deficit").
    let capitalized = |w: &str| core(w).starts_with(|c: char| c.is_uppercase());
    let name = capitalized(term);
    let content = |w: &str| content(w) && capitalized(w) == name;
    let term_words: Vec<&str> = term.split_whitespace().collect();
    let n = term_words.len();
    let mut out = Vec::new();
    if n == 0 || n > words.len() {
        return out;
    }
    for i in 0..=words.len() - n {
        let hit = (0..n).all(|j| core(words[i + j]).eq_ignore_ascii_case(term_words[j]));
        if !hit {
            continue;
        }
        let (mut a, mut b) = (i, i + n - 1);
        // Growing left needs the word before to run on into this one (no punctuation after).
        while a > 0 && b + 1 - a < MAX_PHRASE_WORDS && content(words[a - 1]) {
            a -= 1;
        }
        while b + 1 < words.len()
            && b + 1 - a < MAX_PHRASE_WORDS
            && words[b].ends_with(|ch: char| ch.is_alphanumeric())
            && content(words[b + 1])
        {
            b += 1;
        }
        // Lowercase growth only: a capitalized sentence opener is not part of the phrase.
        while a < i && is_common_opener(&core(words[a]).to_ascii_lowercase()) {
            a += 1;
        }
        let phrase: Vec<String> = (a..=b)
            .map(|k| {
                let w = words[k];
                if k == a {
                    w.trim_start_matches(|c: char| !c.is_alphanumeric()).to_string()
                } else if k == b {
                    w.trim_end_matches(|c: char| !c.is_alphanumeric()).to_string()
                } else {
                    w.to_string()
                }
            })
            .collect();
        let phrase = phrase.join(" ");
        let phrase = phrase
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_string();
        if !phrase.is_empty() {
            out.push(phrase);
        }
    }
    out
}

fn is_generic_zh(word: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| GENERIC_ZH.iter().copied().collect())
        .contains(word)
}

/// Characters that stand alone as words and never belong to a name.
const FUNCTION_CHARS: &str = "的了是在和与及或等也都而被将对为从这那其之于以把向由让给并且但就又再还很更最已不没有个各每该此却做至起要所会能可应需称说到年月日时号前后中内外上下里";

/// Joins runs of single Chinese characters that are not function words: a name the dictionary
/// lacks comes out of the segmenter one character at a time (广, 晟 → 广晟).
fn join_unknown_names(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut run = String::new();
    let mut run_len = 0;
    // Names the dictionary lacks are two or three characters; a longer run of single
    // characters is unsegmentable text, not a name, and stays in pieces.
    let flush = |out: &mut Vec<String>, run: &mut String, run_len: &mut usize| {
        if (1..=3).contains(run_len) {
            out.push(std::mem::take(run));
        } else {
            out.extend(run.chars().map(String::from));
        }
        run.clear();
        *run_len = 0;
    };
    for w in words {
        let mut chars = w.chars();
        let single = match (chars.next(), chars.next()) {
            (Some(c), None) => is_cjk(c) && !FUNCTION_CHARS.contains(c),
            _ => false,
        };
        if single {
            run.push_str(&w);
            run_len += 1;
        } else {
            flush(&mut out, &mut run, &mut run_len);
            out.push(w);
        }
    }
    flush(&mut out, &mut run, &mut run_len);
    out
}

/// Measure words: a term ending in one is a quantity, not a theme (万吨, 亿元).
const UNIT_ZH: &[&str] = &[
    "吨",
    "元",
    "美元",
    "港元",
    "令吉",
    "股",
    "倍",
    "个百分点",
    "年",
    "月",
    "日",
];

/// Joins a word with the single character that always stands beside it in the document: the
/// segmenter cuts names it does not know into a word and a character (安 + 瓦尔, 贝拉 + 米),
/// and a pair that never occurs apart is one name.
fn extend_by_constant_neighbours(
    words: Vec<String>,
    doc_count: &dyn Fn(TermId) -> u32,
) -> Vec<String> {
    let single = |w: &str| {
        let mut c = w.chars();
        matches!((c.next(), c.next()), (Some(ch), None) if is_cjk(ch) && !FUNCTION_CHARS.contains(ch))
    };
    // How often the pair of characters `a b` occurs in the document.
    let pair = |a: char, b: char| {
        let mut buf = [0u8; 8];
        let la = a.encode_utf8(&mut buf).len();
        let lb = b.encode_utf8(&mut buf[la..]).len();
        occurrences(
            std::str::from_utf8(&buf[..la + lb]).unwrap_or(""),
            doc_count,
        )
    };
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if !single(w) && w.chars().count() >= 2 && w.chars().all(is_cjk) {
            let alone = occurrences(w, doc_count);
            if alone >= 2
                && i + 1 < words.len()
                && single(&words[i + 1])
                && let (Some(a), Some(b)) = (w.chars().next_back(), words[i + 1].chars().next())
                && pair(a, b) >= alone
            {
                out.push(format!("{w}{}", words[i + 1]));
                i += 2;
                continue;
            }
            if alone >= 2
                && let Some(prev) = out.last().filter(|p| single(p))
                && let (Some(a), Some(b)) = (prev.chars().next(), w.chars().next())
                && pair(a, b) >= alone
            {
                let joined = format!("{prev}{w}");
                out.pop();
                out.push(joined);
                i += 1;
                continue;
            }
        }
        out.push(w.clone());
        i += 1;
    }
    out
}

/// Background weight of a Chinese word: the mean weight of its character pairs.
fn word_idf(word: &str) -> f32 {
    let (mut sum, mut n) = (0.0f32, 0usize);
    for_each_term(word, |id, _| {
        sum += idf(id);
        n += 1;
    });
    if n == 0 { 0.0 } else { sum / n as f32 }
}

/// Capitalized Latin names (runs of up to four capitalized words, or all-caps acronyms), with
/// their weight; a name that only opens a sentence is not counted.
fn latin_names(text: &str) -> Vec<(String, f32)> {
    let mut out = Vec::new();
    let words: Vec<(usize, &str)> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '&'))
        .filter(|w| !w.is_empty())
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let mut i = 0;
    while i < words.len() {
        let (start, w) = words[i];
        if !is_name_word(w) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < words.len()
            && j - i < 4
            && is_name_word(words[j].1)
            && adjacent(text, words[j - 1], words[j])
        {
            j += 1;
        }
        let last = words[j - 1];
        let name = &text[start..last.0 + last.1.len()];
        let at_sentence_start = text[..start]
            .trim_end()
            .chars()
            .next_back()
            .is_none_or(|c| matches!(c, '.' | '!' | '?' | '"' | '。' | '，'));
        let lower = name.to_ascii_lowercase();
        let generic =
            j - i == 1 && (GENERIC_EN.contains(&lower.as_str()) || is_common_opener(&lower));
        if (!at_sentence_start || j - i > 1) && !generic && name.len() >= 2 {
            let mut w = 0.0f32;
            for_each_term(name, |id, _| w += idf(id));
            out.push((name.to_string(), w.max(4.0)));
        }
        i = j;
    }
    out
}

/// True when `short` is an all-capitals acronym of `long`'s words ("ZCCM", "Zambia
/// Consolidated Copper Mines"; also of a name cut short: "Zambia Consolidated Copper").
fn abbreviates(short: &str, long: &str) -> bool {
    let initials: String = long
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .collect();
    short.len() >= 2
        && initials.len() >= 2
        && short.chars().all(|c| c.is_ascii_uppercase())
        && (short.starts_with(&initials) || initials.starts_with(short))
}

fn is_name_word(w: &str) -> bool {
    let mut chars = w.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && w.len() >= 2
        && !w.chars().all(|c| c.is_ascii_digit())
}

fn is_common_opener(lower: &str) -> bool {
    matches!(
        lower,
        "the"
            | "a"
            | "an"
            | "in"
            | "on"
            | "at"
            | "but"
            | "and"
            | "it"
            | "he"
            | "she"
            | "they"
            | "we"
            | "i"
            | "this"
            | "that"
            | "under"
            | "after"
            | "over"
            | "more"
            | "some"
    )
}

/// True when only spaces separate two words (no comma or sentence break between them).
fn adjacent(text: &str, a: (usize, &str), b: (usize, &str)) -> bool {
    text[a.0 + a.1.len()..b.0].chars().all(|c| c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts_of(text: &str) -> TermMap<u32> {
        let mut m = TermMap::default();
        for_each_term(text, |id, _| *m.entry(id).or_insert(0) += 1);
        m
    }

    #[test]
    fn chinese_group_terms_prefer_specific_words() {
        let body = "中国稀土公告拟募资收购江华稀土股权。江华稀土为全国单本离子型稀土开采指标最大的矿山项目。\
                    中国稀土集团与湖南省人民政府签署战略合作协议。中国稀土集团与广晟集团签署战略合作框架协议。";
        let group = "中国稀土集团与湖南省人民政府签署战略合作协议。中国稀土集团与广晟集团签署战略合作框架协议。";
        let counts = counts_of(body);
        let terms = key_terms(
            group,
            &|id| counts.get(&id).copied().unwrap_or(0),
            Lang::Zh,
            2,
            &[],
        );
        assert_eq!(terms.len(), 2, "{terms:?}");
        assert!(
            terms.iter().any(
                |t| ["签署", "战略", "框架", "协议", "广晟", "湖南省人民政府"]
                    .contains(&t.as_str())
            ),
            "{terms:?}"
        );
        assert!(
            !terms.iter().any(|t| GENERIC_ZH.contains(&t.as_str())),
            "{terms:?}"
        );
    }

    #[test]
    fn english_group_terms_find_names() {
        let body = "Zambia's copper mining industry hopes to maintain production. ZCCM recorded a net loss of 718 mln kwacha. \
                    ZCCM officials said cobalt production will meet demand. The kwacha fell against the dollar.";
        let group =
            "ZCCM recorded a net loss of 718 mln kwacha. The kwacha fell against the dollar.";
        let counts = counts_of(body);
        let terms = key_terms(
            group,
            &|id| counts.get(&id).copied().unwrap_or(0),
            Lang::En,
            2,
            &[],
        );
        assert!(terms.contains(&"kwacha".to_string()), "{terms:?}");
        assert!(!terms.iter().any(|t| t == "The"), "{terms:?}");
        assert!(abbreviates("IMF", "International Monetary Fund"));
        assert!(abbreviates("ZCCM", "Zambia Consolidated Copper"));
        assert!(!abbreviates("IMF", "World Bank"));
    }

    #[test]
    fn theme_phrases_are_verbatim_noun_phrases() {
        let zh = "欧洲理事会宣布通过《关键原材料法案》。关键原材料法案要求到2030年欧盟战略原材料的本土开采量至少占年消费量的10%。专家表示，关键原材料法案针对性十分明显。";
        let counts = counts_of(zh);
        let count = |id| counts.get(&id).copied().unwrap_or(0);
        let phrase = theme_phrase(zh, &count, Lang::Zh, &[]).unwrap_or_default();
        assert!(zh.contains(&phrase), "{phrase}");
        assert!(!phrase.contains(' '), "{phrase}");
        assert!(phrase.chars().count() <= MAX_PHRASE_CHARS, "{phrase}");
        assert!(phrase.contains("法案"), "{phrase}");

        let en = "The trade deficit widened in January. Economists had expected the trade deficit to narrow as exports of aircraft rose. The trade deficit was 5.7 billion dlrs in the month.";
        let counts = counts_of(en);
        let count = |id| counts.get(&id).copied().unwrap_or(0);
        let phrase = theme_phrase(en, &count, Lang::En, &[]).unwrap_or_default();
        assert!(en.to_lowercase().contains(&phrase.to_lowercase()), "{phrase}");
        assert!(!phrase.contains(','), "{phrase}");
        assert!(phrase.contains("deficit"), "{phrase}");
    }

    /// Market reports (qq-7390, qq-13871, qq-23087): a tick line or a phrase opening with a verb
    /// heads a group only when nothing else can.
    #[test]
    fn a_heading_is_a_theme_not_a_tick_line() {
        for tick in ["广汽集团涨超", "恒生科技指数涨", "东证指数低开", "高开", "减少约", "适逢澳大利亚"] {
            assert!(!reads_as_theme(tick, Lang::Zh), "{tick}");
        }
        for theme in ["恒生科技指数", "关键原材料法案", "联特科技", "稀土元素", "中国供应欧盟"] {
            assert!(reads_as_theme(theme, Lang::Zh), "{theme}");
        }
    }

    /// qq-21472: `欧盟委员会主席冯德莱恩` is longer than a heading; it is cut before the name
    /// (jieba: 冯/德/莱恩), not inside it.
    #[test]
    fn a_phrase_is_not_cut_inside_a_name() {
        let text = "欧盟委员会主席冯德莱恩宣布调查中国电动汽车。";
        let grown = grow_zh(text, "欧盟委员会");
        assert_eq!(grown, ["欧盟委员会主席"]);
        // The index segmenter's key term `冯德` is the start of the name.
        assert_eq!(grow_zh(text, "冯德"), ["主席冯德莱恩"]);
    }

    /// qq-23087's last two groups were both headed "澳大利亚": a heading an earlier group of the
    /// digest took is never taken again; the group's next key term names it.
    #[test]
    fn no_two_groups_of_a_digest_share_a_heading() {
        let group = "过去莫里森政府盲目追随美国，这确实给澳大利亚带来很大的代价，在过去几年里面受损的不单单只是中澳关系，对于澳大利亚本身也造成了严重冲击。\
                     比如说，澳大利亚是一个多元文化的国家，莫里森政府造成了国内社会在中国问题上的严重撕裂，因为澳大利亚毕竟有130万华人。其次，澳大利亚一些政府高官去年上半年还在说“和中国必有一战”，“和中国作战的战鼓已经敲响”，这样的叫嚣把澳大利亚自己放到了中国的打击目标之内，反而给澳大利亚的安全带来严重风险。\
                     实际上中国和澳大利亚的交往在许多领域是大有可为的。1850年代，澳大利亚发生淘金热，大批中国人前往澳大利亚成为最早的中国移民，也成为了中国和澳大利亚之间交往的纽带和桥梁。\
                     中方的态度很清楚，始终不要求澳大利亚选边站队，不像美国那样要求澳大利亚和自己保持高度的一致性。澳大利亚和任何国家建立这个同盟、那个伙伴关系，中国不会抱有任何立场和态度，因为澳大利亚作为主权独立国家，它有自己的选择。";
        let counts = counts_of(group);
        let count = |id| counts.get(&id).copied().unwrap_or(0);
        let first = theme_phrase(group, &count, Lang::Zh, &[]).unwrap_or_default();
        assert!(!first.is_empty());
        let second = theme_phrase(group, &count, Lang::Zh, std::slice::from_ref(&first)).unwrap_or_default();
        assert!(!second.is_empty() && second != first, "{first} / {second}");
        assert!(group.contains(&second), "{second}");
    }

    #[test]
    fn unknown_names_are_rejoined() {
        let words = ["与", "广", "晟", "集团", "签", "署"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            join_unknown_names(words),
            vec!["与", "广晟", "集团", "签署"]
        );
        let words = ["贝拉", "米", "和"].map(String::from).to_vec();
        assert_eq!(join_unknown_names(words), vec!["贝拉", "米", "和"]);
    }

    #[test]
    fn words_are_joined_with_constant_neighbours() {
        let body = "安瓦尔表示。安瓦尔宣布。贝拉米专注超高端市场，蒙牛收购贝拉米。";
        let words = ["安", "瓦尔", "宣布", "贝拉", "米", "专注"]
            .map(String::from)
            .to_vec();
        let counts = counts_of(body);
        let joined =
            extend_by_constant_neighbours(words, &|id| counts.get(&id).copied().unwrap_or(0));
        assert_eq!(joined, vec!["安瓦尔", "宣布", "贝拉米", "专注"]);
    }
}
