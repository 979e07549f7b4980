//! kind: is this document news, a broker note, a roundup, or too little to digest?
//!
//! Chooses the digest template from the title and the opening of the text: research notes
//! (研报, 周报, 点评, ratings and target prices, "Overweight"), roundups (汇总, 纪要 of expert
//! calls, 一览, morning briefings), and texts too short to summarize (they become an excerpt).
//! Everything else is news. The decision is a weighted vote of cues, so one stray word
//! ("时代周报" as a newspaper name, "会议纪要" of a central bank) does not flip it; callers
//! can always override it per document. This module must not look at anything but the
//! document itself.

use crate::digest::DocKind;
use crate::document::Document;

/// Below this many characters of body text (title excluded) a digest says less than the text.
pub const MIN_DIGEST_CHARS: usize = 160;

/// Picks the template for a document.
pub fn detect_kind(doc: &Document) -> DocKind {
    let title = doc.title.as_str();
    let body_chars: usize = doc
        .paragraphs
        .iter()
        .map(|p| p.trim().chars().count())
        .sum();
    let title_chars = title.chars().count();
    // A paragraph that only repeats the title ("# 标题") is not body text.
    let echoed_title: usize = doc
        .paragraphs
        .iter()
        .filter(|p| !title.is_empty() && p.trim().trim_start_matches('#').trim() == title.trim())
        .map(|_| title_chars)
        .sum();
    if body_chars.saturating_sub(echoed_title) < MIN_DIGEST_CHARS {
        return DocKind::Excerpt;
    }
    // ASCII cues match case-insensitively: lower both texts once (non-ASCII is untouched, so
    // Chinese cues match the same text).
    let opening = opening_text(doc, 1500).to_ascii_lowercase();
    let title = title.to_ascii_lowercase();
    let research = score(&title, &opening, RESEARCH_CUES);
    let roundup = score(&title, &opening, ROUNDUP_CUES);
    if research >= 4 && research >= roundup {
        DocKind::Research
    } else if roundup >= 3 {
        DocKind::Roundup
    } else {
        DocKind::News
    }
}

/// A cue (ASCII phrases written lowercase): a phrase, its weight in the title, its weight in the opening text, and phrases that
/// cancel it when they contain it at the same place ("时代周报" is a newspaper, not a 周报).
struct Cue {
    phrase: &'static str,
    in_title: u32,
    in_text: u32,
    unless: &'static [&'static str],
}

const fn cue(phrase: &'static str, in_title: u32, in_text: u32) -> Cue {
    Cue {
        phrase,
        in_title,
        in_text,
        unless: &[],
    }
}

const NOT_A_REPORT: &[&str] = &[
    "时代周报",
    "体坛周报",
    "经济观察报",
    "流感周报",
    "疫情周报",
    "监测周报",
    "疾病预防控制中心周报",
    "《",
    "调研报告",
];

/// Research cues. Words that news about markets uses as much as research does (买入, 分析师,
/// 证券, "analyst") count only in the title or not at all; a research note shows itself by
/// its apparatus (rating, target price, 投资建议, 风险提示, 盈利预测) or by naming itself.
const RESEARCH_CUES: &[Cue] = &[
    Cue {
        phrase: "周报",
        in_title: 3,
        in_text: 1,
        unless: NOT_A_REPORT,
    },
    Cue {
        phrase: "研报",
        in_title: 3,
        in_text: 1,
        unless: &[],
    },
    Cue {
        phrase: "研究报告",
        in_title: 3,
        in_text: 1,
        unless: &["调研报告"],
    },
    Cue {
        phrase: "深度报告",
        in_title: 3,
        in_text: 2,
        unless: &[],
    },
    Cue {
        phrase: "点评",
        in_title: 2,
        in_text: 0,
        unless: &["网友点评", "专家点评", "学者点评"],
    },
    Cue {
        phrase: "首次覆盖",
        in_title: 3,
        in_text: 2,
        unless: &[],
    },
    cue("评级", 2, 1),
    cue("目标价", 2, 1),
    cue("买入", 1, 0),
    cue("增持", 1, 0),
    cue("强烈推荐", 2, 2),
    cue("谨慎推荐", 2, 2),
    cue("维持“", 0, 1),
    cue("盈利预测", 2, 2),
    cue("投资建议", 2, 2),
    cue("风险提示", 1, 2),
    cue("证券研究所", 2, 2),
    cue("研究所", 0, 1),
    cue("报告中指出", 0, 1),
    cue("券商", 2, 0),
    cue("预测", 1, 0),
    cue("eps", 1, 1),
    cue("overweight", 3, 2),
    cue("underweight", 3, 2),
    cue("outperform", 3, 2),
    cue("underperform", 3, 2),
    cue("equal-weight", 3, 2),
    cue("price target", 3, 2),
    cue("target price", 3, 2),
    cue("initiate coverage", 3, 2),
    cue("rating", 1, 1),
];

const ROUNDUP_CUES: &[Cue] = &[
    cue("汇总", 3, 1),
    Cue {
        phrase: "纪要",
        in_title: 2,
        in_text: 1,
        unless: &["会议纪要"],
    },
    cue("专家访谈", 3, 2),
    cue("调研纪要", 3, 2),
    cue("一览", 3, 0),
    cue("速览", 3, 0),
    cue("早报", 3, 0),
    cue("晚报", 3, 0),
    cue("晨报", 3, 0),
    cue("晨会", 3, 1),
    cue("要闻", 2, 0),
    cue("盘点", 2, 0),
    cue("精选", 2, 0),
    cue("合集", 3, 0),
    cue("重磅财经事件", 3, 1),
    cue("roundup", 3, 1),
    cue("round-up", 3, 1),
    cue("briefing", 3, 0),
    cue("digest", 2, 0),
    cue("what to watch", 3, 1),
    cue("week ahead", 3, 1),
];

/// The first `max_chars` characters of the body, paragraphs joined by newlines.
fn opening_text(doc: &Document, max_chars: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for p in &doc.paragraphs {
        for c in p.chars() {
            if n >= max_chars {
                return out;
            }
            out.push(c);
            n += 1;
        }
        out.push('\n');
    }
    out
}

fn score(title: &str, text: &str, cues: &[Cue]) -> u32 {
    let in_title = occurring(title, cues);
    let in_text = occurring(text, cues);
    cues.iter()
        .enumerate()
        .map(|(i, c)| if in_title[i] { c.in_title } else { 0 } + if in_text[i] { c.in_text } else { 0 })
        .sum()
}

/// Which cues occur in `text` at a place not covered by one of their `unless` phrases. `text`
/// is already ASCII-lowercased, as are the cue tables; ASCII cues match on word boundaries
/// ("pe" must not match "people"). One pass over the text, trying at each character only the
/// cues that start with it: this runs for every document summarized.
fn occurring(text: &str, cues: &[Cue]) -> Vec<bool> {
    let mut found = vec![false; cues.len()];
    let mut firsts: Vec<(char, usize)> = cues
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.phrase.chars().next().map(|f| (f, i)))
        .collect();
    firsts.sort_unstable();
    for (at, ch) in text.char_indices() {
        let start = firsts.partition_point(|(f, _)| *f < ch);
        for &(f, i) in &firsts[start..] {
            if f != ch {
                break;
            }
            if found[i] || !text[at..].starts_with(cues[i].phrase) {
                continue;
            }
            found[i] = occurs_at(text, at, &cues[i]);
        }
    }
    found
}

/// Whether the occurrence of `cue` at `at` counts.
fn occurs_at(text: &str, at: usize, cue: &Cue) -> bool {
    let end = at + cue.phrase.len();
    if cue.phrase.is_ascii() {
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        if before.is_some_and(|c| c.is_ascii_alphanumeric())
            || after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return false;
        }
    }
    !cue.unless.iter().any(|u| {
        if *u == "《" {
            in_book_title(text, at)
        } else {
            // Does this `unless` phrase contain the occurrence?
            text.match_indices(u)
                .any(|(s, m)| s <= at && end <= s + m.len())
        }
    })
}

/// True when `at` lies inside 《…》 (a publication title such as 《中国流感监测周报》).
fn in_book_title(text: &str, at: usize) -> bool {
    let before = &text[..at];
    match (before.rfind('《'), before.rfind('》')) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Lang;

    fn doc(title: &str, paragraphs: &[&str]) -> Document {
        Document::for_test(title, paragraphs)
    }

    const FILLER: &str = "稀土行业整合持续推进，龙头企业资源端保障增强，冶炼分离产能向头部集中，行业供给格局有望改善，价格中枢有望上移，下游磁材需求保持增长，新能源汽车与风电装机带动高性能钕铁硼需求，出口管制政策调整影响海外供应链布局。海外稀土项目投产进度偏慢，短期内难以改变全球冶炼分离产能集中于国内的格局，行业盈利能力有望修复，关注具备资源与配额优势的龙头公司。";

    #[test]
    fn broker_notes_are_research() {
        let d = doc(
            "有色金属周报：稀土价格企稳，维持行业“增持”评级",
            &[FILLER, "投资建议：推荐北方稀土。风险提示：需求不及预期。"],
        );
        assert_eq!(detect_kind(&d), DocKind::Research);
        let d = doc(
            "银河国际：维持蒙牛乳业增持评级 目标价36.8港元",
            &[
                FILLER,
                "该行表示，维持对蒙牛的“增持”评级，目标价为36.8港元。",
            ],
        );
        assert_eq!(detect_kind(&d), DocKind::Research);
    }

    #[test]
    fn news_about_markets_is_not_research() {
        let d = doc(
            "特斯拉年销131万台，市值蒸发5万亿，马斯克遭遇政治做空？",
            &[FILLER, "分析师下调特斯拉目标价，投资者纷纷买入看跌期权。"],
        );
        assert_eq!(detect_kind(&d), DocKind::News);
        let d = doc(
            "问责“看门人”！证监会全年开出40余张投行罚单，涉十余家券商",
            &[FILLER, "多家证券公司被采取监管措施。"],
        );
        assert_eq!(detect_kind(&d), DocKind::News);
    }

    #[test]
    fn newspaper_and_flu_weeklies_are_news() {
        let d = doc(
            "一线城市写字楼调查：广深租金下跌",
            &["本文来源：时代周报 作者：刘婷", FILLER],
        );
        assert_eq!(detect_kind(&d), DocKind::News);
        let d = doc(
            "流感病毒阳性率继续上升",
            &[
                "据中疾控最新发布的《中国流感监测周报》显示，阳性率继续上升。",
                FILLER,
            ],
        );
        assert_eq!(detect_kind(&d), DocKind::News);
        let d = doc("美联储12月会议纪要：过早放松政策风险更大", &[FILLER]);
        assert_eq!(detect_kind(&d), DocKind::News);
    }

    #[test]
    fn roundups() {
        let d = doc(
            "本周重磅财经事件汇总：2月LPR会下调吗？",
            &["央行动态", FILLER],
        );
        assert_eq!(detect_kind(&d), DocKind::Roundup);
        let d = doc("新能源汽车产业链专家访谈纪要汇总", &[FILLER]);
        assert_eq!(detect_kind(&d), DocKind::Roundup);
    }

    #[test]
    fn short_texts_become_excerpts() {
        let d = doc(
            "稀土变“西土”？国家安全部：境外间谍情报机关长期觊觎我稀土产业",
            &["# 稀土变“西土”？国家安全部：境外间谍情报机关长期觊觎我稀土产业"],
        );
        assert_eq!(detect_kind(&d), DocKind::Excerpt);
        let d = doc(
            "马来西亚计划禁止稀土原材料出口",
            &["10月24日，马来西亚表示将禁止稀土原材料的出口。"],
        );
        assert_eq!(detect_kind(&d), DocKind::Excerpt);
    }

    #[test]
    fn english_cues_respect_word_boundaries() {
        let mut d = doc(
            "Talking Point/Copper Stocks",
            &[
                "Copper shares should pick up steam this year on stronger demand and improving prices for the metal, analysts said, and people expect Phelps Dodge to lead the group with low costs and streamlined mining operations in the coming year.",
            ],
        );
        d.lang = Lang::En;
        assert_eq!(detect_kind(&d), DocKind::News);
        d.title = "Morgan Stanley raises Phelps Dodge to Overweight, price target 40 dlrs".into();
        assert_eq!(detect_kind(&d), DocKind::Research);
        d.title = "Phelps Dodge gets rating boost".into();
        d.paragraphs
            .push("Morgan Stanley raised its rating to Overweight from Equal-weight.".into());
        assert_eq!(detect_kind(&d), DocKind::Research);
    }
}
