//! label: how is what a Chinese figure measures shown?
//!
//! The label is the noun phrase the figure measures, read off jieba's part-of-speech tags: the
//! last noun of the clause before the figure (`售价`, `净利润`, `降幅`) with the modifiers that
//! stand right before it (`长续航全轮驱动焕新版的售价`, `Model Y长续/高性能`), followed by the words
//! of change after it (`营收同比增长`, `起售价上调`). A clause that only says something moved
//! (`同比增长20%`) borrows the noun phrase of the nearest earlier clause of its sentence that
//! has one (`净利润`); one with neither a noun phrase nor a change (`还会侵蚀15-20万元…`) gets no
//! label: an amount with its citation reads better than a fragment. Matching does not use this
//! (see `Measure::what`): it only decides how the measure reads.

use crate::segment::tagged_words;

/// Most a label's noun phrase holds: characters, a Latin word counting two.
const LABEL_UNITS: usize = 14;

/// Single characters that are words of their own (`把`, `对`, `约`), never part of a name.
const FUNCTION_CHARS: &str = "的地得在对从和与将把被向为是了也都还及或而并且但则就又再更最很已曾所其该此这那每各个约近超逾达至到以于由给让使令比较同跟按据即如若因故仅只共均亦皆之乃";

/// What a word does in a measure phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Can head the phrase: nouns, nominal verbs (`投资/vn`), `b` (`新版`, `同期`).
    Noun,
    /// A word in Latin letters (`Model`, `SK`, `5G`).
    Latin,
    /// Digits: part of a name only next to a Latin word (`Model 3`).
    Num,
    /// A single-character morpheme of a word jieba did not know (`焕/vg`, `轮/zg`, `度/zg`).
    Frag,
    /// Modifies a noun: adjectives, times, places (`长`, `今年`, `高端`).
    Mod,
    /// Numerals, measure words, locatives (`一台`, `系列`, `之后`): inside a phrase only.
    Count,
    /// `的`, between a modifier and its noun.
    De,
    /// `/` between two parallel names (`S/X`, `长续/高性能`).
    Slash,
    /// Whitespace (kept only between Latin words).
    Space,
    /// A word of change the label keeps after its noun phrase (`增长`, `下调`, `降幅`).
    Change,
    /// A verb of saying: the noun phrase before it is the speaker, not the measure.
    Speech,
    /// Words a label leaves out: hedges, modals, adverbs of time (`预计`, `将`, `已`).
    Skip,
    /// Any other verb (`赔付`, `侵蚀`, `开盘`).
    Verb,
    /// Prepositions, conjunctions, pronouns, adverbs, particles, punctuation: the phrase
    /// never extends across one.
    Stop,
}

/// Change words a label keeps (beyond `MOVE_ZH`, which also decides matching).
const CHANGE: &[&str] = &[
    "锐减", "骤降", "大跌", "大涨", "暴跌", "暴涨", "飙升", "攀升", "放缓", "缩小", "缩水", "升值", "贬值", "减产", "增产",
    "突破", "跌破", "下修", "上修", "调降", "调升", "削减", "减半", "翻倍", "收涨", "收跌", "减幅", "高于", "低于",
    "升", "减", "最高", "最低", "最多", "低开", "高开", "平开", "拉升", "走高", "走低", "下挫", "上扬", "冲高", "跳水",
    "收高", "收低", "反弹", "回升",
];
/// Verbs and adverbs a label leaves out (`半导体市场规模预计将同比减少` → `半导体市场规模同比减少`).
const SKIP: &[&str] = &[
    "预计", "预期", "有望", "将", "将会", "会", "能", "可", "可以", "要", "需", "需要", "已", "已经", "也", "还", "再", "仍",
    "又", "更", "都", "均", "正", "正在", "才", "就", "便", "大幅", "小幅", "大举", "累计", "共", "共计", "合计", "约",
    "大约", "了", "得", "着", "过", "曾", "一度", "进一步", "相比", "较", "比", "调", "基本", "时候",
];
/// Verbs of saying (and `…显示`): what precedes them is a source, never a measure.
const SPEECH: &[&str] = &["表示", "称", "显示", "指出", "认为", "宣布", "透露", "介绍", "说", "提到", "强调", "披露", "预测", "估计"];
/// Words jieba tags as verbs that in a measure are the thing measured (`资本支出`, `产能利用率`).
const NOUN_VERBS: &[&str] = &[
    "收入", "支出", "预算", "产能", "指引", "投资", "融资", "出口", "进口", "消费", "销售", "生产", "成交", "交易", "贷款",
    "存款", "开支", "补贴", "奖励", "收益", "亏损", "盈利", "募资", "投注", "利润", "营收", "成本", "市值", "增速",
    "排放",
];

fn class(word: &str, tag: &str) -> Class {
    let w = word.trim();
    if w.is_empty() {
        return Class::Space;
    }
    if w.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Class::Num;
    }
    if w.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Class::Latin;
    }
    if matches!(w, "/" | "／" | "·" | "-") {
        return Class::Slash;
    }
    if NOUN_VERBS.contains(&w) {
        return Class::Noun;
    }
    if super::MOVE_ZH.contains(&w) || CHANGE.contains(&w) || level_change(w).is_some() {
        return Class::Change;
    }
    if SPEECH.contains(&w) || w.ends_with("显示") {
        return Class::Speech;
    }
    if w == "的" {
        return Class::De;
    }
    // `非化石能源`: the prefix "non-" belongs to the name (without it the name says the opposite).
    if w == "非" {
        return Class::Mod;
    }
    // `上周四`, `本周`: a time, whatever jieba tags it, names nothing measured.
    if ["上周", "本周", "下周", "周一", "周二", "周三", "周四", "周五", "周六", "周日"].iter().any(|t| w.starts_with(t) || w.ends_with(t)) {
        return Class::Mod;
    }
    if SKIP.contains(&w) || super::TAIL_ZH.contains(&w) {
        return Class::Skip;
    }

    match tag {
        "vg" | "zg" | "ng" | "tg" | "ag" => Class::Frag,
        "vn" | "an" | "b" | "j" | "l" => Class::Noun,
        t if t.starts_with('n') => Class::Noun,
        "a" | "ad" | "t" | "s" | "z" => Class::Mod,
        "f" | "m" | "q" | "mq" => Class::Count,
        t if t.starts_with('v') => Class::Verb,
        _ => Class::Stop,
    }
}

/// `降到`, `增至`: the change word of a word that moves a figure *to* a level.
fn level_change(w: &str) -> Option<&str> {
    let stem = w.strip_suffix('到').or_else(|| w.strip_suffix('至'))?;
    (super::MOVE_ZH.contains(&stem) || CHANGE.contains(&stem)).then_some(stem)
}

/// A phrase's words and what each does.
type Words<'a> = Vec<(&'a str, Class)>;

fn words(text: &str) -> Words<'_> {
    let tagged = tagged_words(text);
    let mut out: Words<'_> = Vec::with_capacity(tagged.len());
    // The tagger covers the text in order: each word's byte offset is the sum before it.
    let mut at = 0;
    let mut k = 0;
    while k < tagged.len() {
        // `一线城市`, `二三线` (jieba: 二/三线), `三四线` (三四/线): a city tier is one modifier;
        // without it `二三线城市仅增长3%` would read `城市增长`.
        let tier = (k + 1..=(k + 3).min(tagged.len()))
            .map(|e| (e, tagged[k..e].iter().map(|(w, _)| w.len()).sum::<usize>()))
            .find(|&(_, len)| is_tier(&text[at..at + len]));
        if let Some((e, len)) = tier {
            out.push((&text[at..at + len], Class::Mod));
            at += len;
            k = e;
            continue;
        }
        let (w, t) = tagged[k];
        out.push((w, class(w, t)));
        at += w.len();
        k += 1;
    }
    out
}

/// A city tier: numerals and `线` (`一线`, `二三线`, `三四线`).
fn is_tier(w: &str) -> bool {
    w.strip_suffix('线').is_some_and(|n| !n.is_empty() && n.chars().all(|c| "一二三四五六".contains(c)))
}

/// The noun phrase that ends `words` (the last noun-like word and its modifiers): its range.
/// Nothing when a verb of saying comes after it (it names the speaker) or it is a single
/// character (`车`).
fn noun_phrase(words: &[(&str, Class)]) -> Option<std::ops::Range<usize>> {
    let end = words.iter().rposition(|(_, c)| matches!(c, Class::Noun | Class::Latin | Class::Frag))?;
    // `Model 3`: the digits after a Latin word are part of the name.
    let end = match (words[end].1, words.get(end + 1).map(|w| w.1), words.get(end + 2).map(|w| w.1)) {
        (Class::Latin, Some(Class::Num), _) => end + 1,
        (Class::Latin, Some(Class::Space), Some(Class::Num)) => end + 2,
        _ => end,
    };
    if words[end + 1..].iter().any(|(_, c)| *c == Class::Speech) {
        return None;
    }
    // `名创优品涨` (jieba: 名/创优/品): a stray character after the phrase ends the name.
    let mut end = end;
    while words.get(end + 1).is_some_and(|(w, c)| {
        w.chars().count() == 1 && w.chars().all(|ch| super::is_cjk(ch) && !FUNCTION_CHARS.contains(ch)) && matches!(c, Class::Verb | Class::Frag | Class::Noun)
    }) {
        end += 1;
    }
    let mut start = end;
    while start > 0 {
        let (w, c) = words[start - 1];
        let next = words[start].1;
        let ok = match c {
            Class::Noun | Class::Latin | Class::Frag | Class::Mod | Class::Count => true,
            Class::Num => {
                next == Class::Latin
                    || (start >= 2 && matches!(words[start - 2].1, Class::Latin | Class::Space))
                    || is_index_name(words, start - 1)
            }
            Class::Space | Class::Slash => start >= 2 && words[start - 2].1 != Class::Stop,
            Class::De => next != Class::De,
            // `非法投注的金额`, `长续/高性能`, `砍单`: a verb inside a name or a relative clause.
            Class::Verb => {
                next == Class::De
                    || next == Class::Slash
                    || (start == end && (w.chars().count() == 1 || words[end].0.chars().count() == 1))
            }
            _ => false,
        };
        if !ok {
            break;
        }
        start -= 1;
    }
    // Not opening with a numeral, a `的`, a joiner, a verb or a place word (`一台`, `之后`).
    while start < end
        && matches!(words[start].1, Class::Mod | Class::Count | Class::De | Class::Slash | Class::Space | Class::Num)
    {
        let keeps = words[start].1 == Class::Mod && !is_numeral_or_place(words[start].0);
        let num_of_name = words[start].1 == Class::Num && start > 0 && words[start - 1].1 == Class::Latin;
        if keeps || num_of_name {
            break;
        }
        start += 1;
    }
    // `力积电今年资本支出`, `华自科技`, `英特尔营收` (jieba: 力/积/电, 华/自, 英/特尔): the single
    // characters of a name jieba did not know belong to it, whatever it tagged them.
    // (Not a numeral's measure word: `个月网上交易额` is `网上交易额`.)
    let single = |i: usize| {
        let (w, c) = words[i];
        let counted = c == Class::Count
            && i > 0
            && words[i - 1].0.ends_with(|ch: char| "个几两一二三四五六七八九十0123456789".contains(ch));
        w.chars().count() == 1 && w.chars().all(|ch| super::is_cjk(ch) && !FUNCTION_CHARS.contains(ch)) && !counted
    };
    let mut taken = 0;
    while start > 0 && taken < 3 && single(start - 1) {
        start -= 1;
        taken += 1;
    }
    // `车型Model S/X`: a name of several Latin words stands for the noun before it.
    if let Some(latin) = (start..=end).find(|&i| words[i].1 == Class::Latin)
        && latin > start
        && (latin..=end).all(|i| matches!(words[i].1, Class::Latin | Class::Num | Class::Space | Class::Slash))
        && (latin..=end).any(|i| words[i].1 == Class::Space)
    {
        start = latin;
    }
    // `哔哩哔哩-W` (jieba: 哔/哩/哔/哩): a class suffix is no name without what it suffixes.
    let letters_of = |r: std::ops::RangeInclusive<usize>| -> usize {
        words[r].iter().map(|(w, _)| w.chars().filter(|c| c.is_alphanumeric()).count()).sum()
    };
    if (start..=end).all(|i| matches!(words[i].1, Class::Latin | Class::Space)) && letters_of(start..=end) <= 2 {
        while start > 0 && (words[start - 1].0 == "-" || words[start - 1].0.chars().all(|c| c.is_alphanumeric() && !c.is_ascii())) {
            start -= 1;
        }
        if (start..=end).all(|i| matches!(words[i].1, Class::Latin | Class::Space)) {
            return None;
        }
    }
    // At most [`LABEL_UNITS`]: what follows the last `的` (`…事业群的工人补助金` → `工人补助金`),
    // else the last whole words.
    let units = |r: std::ops::RangeInclusive<usize>| -> usize {
        words[r].iter().map(|(w, c)| if *c == Class::Latin { 2 } else { w.chars().filter(|c| c.is_alphanumeric()).count() }).sum()
    };
    if units(start..=end) > LABEL_UNITS {
        match (start..end).rev().find(|&i| words[i].1 == Class::De) {
            Some(de) if units(de + 1..=end) >= 2 => start = de + 1,
            _ => {
                while start < end && units(start..=end) > LABEL_UNITS {
                    start += 1;
                }
            }
        }
        while start < end && matches!(words[start].1, Class::Count | Class::De | Class::Slash | Class::Space | Class::Verb) {
            start += 1;
        }
    }
    let phrase = &words[start..=end];
    let letters: usize = phrase.iter().map(|(w, _)| w.chars().filter(|c| c.is_alphanumeric()).count()).sum();
    let named = phrase.iter().any(|(_, c)| matches!(c, Class::Noun | Class::Latin));
    (named && (letters >= 2 || phrase.iter().any(|(_, c)| *c == Class::Latin))).then_some(start..end + 1)
}

/// `北证50指数`, `沪深300指数`: the digits at `i` name a stock index (a name stands before them
/// and `指` after); they count nothing.
fn is_index_name(words: &[(&str, Class)], i: usize) -> bool {
    i > 0
        && words[i].1 == Class::Num
        && matches!(words[i - 1].1, Class::Noun | Class::Frag)
        && words.get(i + 1).is_some_and(|(w, _)| w.starts_with('指'))
}

/// Numerals, measure words and place words (`一台`, `两种`, `之后`, `内`): modifiers a
/// label does not open with.
fn is_numeral_or_place(w: &str) -> bool {
    if is_tier(w) {
        return false;
    }
    let first = w.chars().next().unwrap_or(' ');
    "一二三四五六七八九十两几每各第半多数内外之中".contains(first) || w.chars().all(|c| c.is_ascii_digit())
}

/// The words as written: whole, with a space only between two Latin words (`Model Y长续`).
fn text(words: &[(&str, Class)]) -> String {
    let mut out = String::new();
    let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    for (w, c) in words {
        if *c == Class::Space {
            continue;
        }
        if latin(out.chars().last()) && latin(w.chars().next()) {
            out.push(' ');
        }
        out.push_str(w.trim());
    }
    out
}

/// What a clause says about the change of a figure: its change words (`同比增长`, `下调`), and
/// whether they move it *to* the figure (`降到`, `增至`).
struct Change {
    words: String,
    to: bool,
}

fn change(words: &[(&str, Class)]) -> Change {
    let mut out = String::new();
    let mut to = false;
    for (w, c) in words {
        if *c != Class::Change {
            continue;
        }
        match level_change(w) {
            Some(stem) => {
                out.push_str(stem);
                to = true;
            }
            None => out.push_str(w),
        }
    }
    // `增长10%至50亿元`: a lone `至` after the change.
    to |= words.last().is_some_and(|(w, _)| matches!(*w, "至" | "到"));
    Change { words: out, to }
}

/// Whether the words only say the figure moved (or nothing): no noun, no other verb.
fn only_change(words: &[(&str, Class)]) -> bool {
    words.iter().all(|(_, c)| matches!(c, Class::Change | Class::Skip | Class::Stop | Class::Space | Class::Mod | Class::Count | Class::De))
}

/// Where the last number of `clause` ends (0 when it has none); digits of a Latin name
/// (`Model 3`, `5G`, `HW3.5`) or of a stock index (`北证50指数`) are no number.
pub(super) fn last_number_end(clause: &str) -> usize {
    let mut end = clause.len();
    while let Some((i, c)) = clause[..end].char_indices().rev().find(|(_, c)| c.is_ascii_digit() || matches!(c, '%' | '％')) {
        if c.is_ascii_digit() {
            let run_start = clause[..i].trim_end_matches(|c: char| c.is_ascii_digit() || c == '.').len();
            let after = &clause[i + 1..];
            let before = clause[..run_start].trim_end_matches(' ');
            // `Model 3在`, `Model 3/Y`, `5G`; not `rose 3.5%`, `by 3 percent`.
            let of_name = after.starts_with(|c: char| c.is_ascii_alphabetic())
                || (before.ends_with(|c: char| c.is_ascii_alphabetic()) && !after.starts_with([' ', '%', '.', ',']))
                // `北证50指数`, `沪深300指数`: the name of a stock index.
                || (after.starts_with('指') && before.ends_with(super::is_cjk) && !clause[run_start..=i].contains('.'));
            if of_name {
                end = run_start;
                continue;
            }
        }
        return i + c.len_utf8();
    }
    0
}

/// The label of a Chinese figure: `own` is its clause from the previous number (and its unit)
/// to the figure, `sentence` its sentence up to the figure (periods blanked), `money` whether
/// the figure is an amount of money. Empty when the clause names nothing the figure measures.
pub(super) fn of_clause(own: &str, sentence: &str, money: bool) -> String {
    let ws = words(own);
    let moved = change(&ws);
    // `欧洲约占47%`, `中国一家就占全球总装机容量的近49%`: a share, of what its subject holds
    // (`欧洲占比`, `中国占全球总装机容量`). Without a subject (`占全球员工总数的8%`) it names
    // nothing and reads on below.
    if let Some(k) = ws.iter().rposition(|(w, _)| matches!(*w, "占" | "占到" | "占据"))
        && let Some(holder) = noun_phrase(&ws[..k])
        && ws[holder.end..k].iter().all(|(_, c)| matches!(c, Class::Skip | Class::Count | Class::Stop))
    {
        // The whole it is a share of runs to a `的` or to what is no part of a name
        // (`占一次能源消费比重比上一年提高约1.9个百分点`), and a change after it stays.
        let rest = &ws[k + 1..];
        let cut = rest
            .iter()
            .position(|(_, c)| matches!(c, Class::De | Class::Change | Class::Skip | Class::Stop | Class::Verb | Class::Speech))
            .unwrap_or(rest.len());
        let of = noun_phrase(&rest[..cut]).filter(|r| r.end == cut);
        let mut label = format!("{}占{}", text(&ws[holder]), of.map_or_else(|| "比".to_string(), |r| text(&rest[r])));
        label.push_str(&change_text(&change(&rest[cut..]), money, &label));
        return label;
    }
    if let Some(np) = noun_phrase(&ws) {
        let after = change(&ws[np.end..]);
        // No label when the figure is not the phrase's value: what a verb after it acts on
        // (`Model 3后驱免8000元保险`), a part of it (`是Model 3/Y的一半`, `占全球员工总数的8%`;
        // an amount after `的` is the phrase's own: `原定的15亿美元`), or a place (`市场上80%`).
        let part_of = !money && ws[np.end..].iter().any(|(_, c)| *c == Class::De);
        let place = ws.get(np.end).is_some_and(|(w, _)| matches!(*w, "上" | "中" | "里" | "内" | "下")) && after.words.is_empty();
        if place {
            return String::new();
        }
        if part_of || (after.words.is_empty() && ws[np.end..].iter().any(|(_, c)| *c == Class::Verb)) {
            return String::new();
        }
        let mut label = text(&ws[np.clone()]);
        // `减少二氧化碳排放12.4吨`: a change before the phrase, when none follows it, is its
        // change (`二氧化碳排放减少`).
        let after = match np.start.checked_sub(1) {
            Some(b) if after.words.is_empty() && ws[b].1 == Class::Change => change(&ws[b..=b]),
            _ => after,
        };
        label.push_str(&change_text(&after, money, &label));
        return label;
    }
    // `…的车降到了25万元`: what moved is what the earlier figure describes; no subject to borrow.
    // (`税后到手5700元` says nothing moved: the earlier clause's `工作` is not its subject.)
    let borrow = only_change(&ws) && !own.trim_start().starts_with('的') && (moved.to || !moved.words.is_empty());
    if borrow && let Some(subject) = subject(sentence) {
        // `一线城市成交总价同比增长10%，二三线则下滑19%`: the subject, of the tier this clause names.
        let tier = ws.iter().find(|(w, _)| is_tier(w)).map(|(w, _)| *w);
        let own_tier = subject.find('线').map(|i| &subject[..i + '线'.len_utf8()]).filter(|t| is_tier(t));
        let mut label = match (tier, own_tier) {
            (Some(t), Some(old)) => format!("{t}{}", &subject[old.len()..]),
            (Some(t), None) => format!("{t}{subject}"),
            _ => subject,
        };
        // (Not twice: `大家都降价，别人可以降2000元` is `降价`, not `降价降`.)
        if !moved.words.is_empty() && !moved.to && !label.contains(moved.words.as_str()) {
            label.push_str(&moved.words);
        }
        return label;
    }
    if !moved.words.is_empty() && only_change(&ws) {
        return change_text(&moved, money, "");
    }
    String::new()
}

/// Change words as a label ends with: `降至` when they move the figure to a level, `降价` when
/// a thing's price falls by an amount (`Model Y降1.4万元`).
fn change_text(c: &Change, money: bool, noun: &str) -> String {
    if c.words.is_empty() {
        return String::new();
    }
    if c.to {
        return format!("{}至", c.words);
    }
    let priced = noun.ends_with(|ch: char| "价费额入润本资金税值率幅量".contains(ch));
    if money && !priced && matches!(c.words.as_str(), "降" | "涨") {
        return format!("{}价", c.words);
    }
    c.words.clone()
}

/// The noun phrase of the nearest clause of `sentence` (last first) that has one, read up to
/// its first number or change word (`净利润27.03亿美元` → `净利润`).
fn subject(sentence: &str) -> Option<String> {
    let clauses = super::clauses(sentence);
    // Not across a verb of saying: `…吴汉明表示，目前90%` names a speaker, not a measure.
    let said = clauses.iter().rposition(|c| words(c).iter().any(|(_, k)| *k == Class::Speech)).map_or(0, |i| i + 1);
    clauses[said..].iter().rev().find_map(|c| {
        let ws = words(c);
        let of_name = |k: usize| k > 0 && (ws[k - 1].1 == Class::Latin || (k > 1 && ws[k - 1].1 == Class::Space && ws[k - 2].1 == Class::Latin));
        let cut = (0..ws.len())
            .find(|&k| ws[k].1 == Class::Change || (ws[k].0.starts_with(|ch: char| ch.is_ascii_digit()) && !of_name(k)))
            .unwrap_or(ws.len());
        let head = &ws[..cut];
        let np = noun_phrase(head)?;
        // Only a phrase that ends where the clause's statement starts: `营收增长` is about 营收,
        // `厂商赔钱也要砍单` is not a subject for a later figure.
        // `营收2477.6亿元，去年同期2425.8亿元，同比增长2%`: a time is no subject.
        let timely = text(&head[np.clone()]).ends_with("同期");
        (!timely && head[np.end..].iter().all(|(_, c)| matches!(c, Class::Skip | Class::Stop | Class::Space | Class::Mod | Class::Count | Class::De)))
            .then(|| text(&head[np]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_a_latin_name_are_no_number() {
        assert_eq!(last_number_end("Model 3在未来真的降到"), 0);
        assert_eq!(last_number_end("第四季度5G芯片砍单"), 0);
        let c = "Model 3后轮驱动版（23.19万）上涨了";
        assert_eq!(&c[last_number_end(c)..], "万）上涨了");
    }
}
