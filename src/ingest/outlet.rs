//! The original outlet of a syndicated article. Aggregator feeds (腾讯新闻 above all) carry
//! other outlets' stories, and the text says whose: a bracketed byline that opens it
//! (`【环球时报记者 赵觉珵】`, `【环球网报道】`, `【文/观察者网 王世纯】`), an attribution at its start
//! (`据新华社报道`), or a source line near either end (`来源：观察者网`, `（来源：极目新闻）`). Only the first
//! and last two paragraphs are read: an attribution in the middle of an article quotes another
//! outlet, it does not name the article's own. Bracketed headlines (`【股市收盘】`) and picture
//! credits (`图片来源：视觉中国`) look alike and are told apart by requiring a reporting word after the
//! name or a name that ends like a news outlet's.

/// Words an outlet's name ends with (新华社, 环球时报, 观察者网, 央视新闻, 人民日报客户端 …).
const OUTLET_ENDINGS: &[&str] = &[
    "社",
    "网",
    "报",
    "新闻",
    "客户端",
    "电视台",
    "财经",
    "周刊",
    "杂志",
    "日报",
    "时报",
    "晚报",
];

/// What follows an outlet's name in a byline: 记者, 报道, 讯 (财华社讯), 快讯.
/// `综合` (上游新闻综合人民日报: compiled from others) ends the name too.
const REPORTING: &[&str] = &["记者", "综合", "报道", "快讯", "讯", "特约"];

/// The outlet the text names as the article's origin, if any (see the module doc).
pub fn original_outlet(paragraphs: &[String]) -> Option<String> {
    let n = paragraphs.len();
    let head = paragraphs.iter().take(2);
    let tail = paragraphs.iter().skip(n.saturating_sub(2).max(2));
    if let Some(first) = paragraphs.first()
        && let Some(o) = bracket_byline(first).or_else(|| attribution(first))
    {
        return Some(o);
    }
    head.chain(tail).find_map(|p| source_line(p))
}

/// `【环球时报记者 赵觉珵】…`, `【环球时报-环球网报道 记者 王盼盼】`, `【文/观察者网 王世纯】`.
fn bracket_byline(p: &str) -> Option<String> {
    let inner = p.trim_start().strip_prefix('【')?;
    let inner = &inner[..inner.find('】')?];
    let inner = inner.strip_prefix("文/").unwrap_or(inner);
    if let Some(rest) = inner.strip_prefix("来源：") {
        return outlet_name(rest);
    }
    // The name runs to the first reporting word, dash or space.
    let cut = inner
        .char_indices()
        .find(|&(i, c)| {
            c == '-'
                || c == '－'
                || c.is_whitespace()
                || REPORTING.iter().any(|w| inner[i..].starts_with(w))
        })
        .map(|(i, _)| i)
        .unwrap_or(inner.len());
    let (name, after) = inner.split_at(cut);
    let reported = REPORTING.iter().any(|w| after.starts_with(w));
    plausible(name, reported)
}

/// `据新华社报道，…`, `据澎湃新闻报道` at the start of the text (not `据此前报道`, `据媒体报道`).
fn attribution(p: &str) -> Option<String> {
    let rest = p.trim_start().strip_prefix('据')?;
    let end = rest.find("报道")?;
    let name = rest[..end].trim_end_matches(|c: char| c.is_ascii_digit() || c == '日' || c == '月');
    plausible(name, false)
}

/// `来源：观察者网`, `（来源：极目新闻）`, `【来源：九派新闻】`, `本文来源：时代财经 作者：…`; not a picture
/// credit (`图片来源：`, `图源`).
fn source_line(p: &str) -> Option<String> {
    let at = p.find("来源：")?;
    let before = &p[..at];
    if before.ends_with("图片") || before.ends_with('图') || before.ends_with("视频") {
        return None;
    }
    // A source line stands alone, in brackets, or opens the paragraph (本文来源：…).
    let standalone = before
        .trim_start_matches(['（', '(', '【', ' '])
        .trim_start_matches("本文")
        .is_empty();
    let bracketed = before.ends_with('（') || before.ends_with('(') || before.ends_with('【');
    if !standalone && !bracketed {
        return None;
    }
    outlet_name(&p[at + "来源：".len()..])
}

/// The name at the start of `s`, up to a bracket, punctuation or space.
fn outlet_name(s: &str) -> Option<String> {
    let end = s
        .find(|c: char| c.is_whitespace() || "）)】，,。；;_、|".contains(c))
        .unwrap_or(s.len());
    // `上游新闻综合人民日报`: the outlet is the one that compiled it. An account name such as
    // `国防部发布` is kept whole: it is the name.
    let name = &s[..end];
    let name = match name.find("综合") {
        Some(at) if at > 0 => &name[..at],
        _ => name,
    };
    plausible(name, true)
}

/// A name of 2–12 characters with no punctuation that either came with a reporting word
/// (`reported`) or ends like an outlet's name.
fn plausible(name: &str, reported: bool) -> Option<String> {
    let name = name.trim();
    let len = name.chars().count();
    if !(2..=12).contains(&len) || name.contains(|c: char| !c.is_alphanumeric()) {
        return None;
    }
    if name.contains("视觉中国")
        || name == "此前"
        || name == "媒体"
        || ["消息", "速报", "简报"].iter().any(|w| name.contains(w))
    {
        return None;
    }
    (reported || OUTLET_ENDINGS.iter().any(|e| name.ends_with(e))).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(ps: &[&str]) -> Option<String> {
        original_outlet(&ps.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    // Openings and closings of real sample articles (data/sample.jsonl.gz ids in comments).
    #[test]
    fn bylines_name_the_outlet() {
        assert_eq!(
            o(&["【环球时报记者 赵觉珵】欧洲理事会当地时间18日发表声明。"]).as_deref(),
            Some("环球时报")
        );
        assert_eq!(
            o(&["【环球网报道】据俄罗斯卫星通讯社报道，…"]).as_deref(),
            Some("环球网")
        );
        assert_eq!(
            o(&["【环球时报-环球网报道 记者 王盼盼】…"]).as_deref(),
            Some("环球时报")
        );
        assert_eq!(o(&["【文/观察者网 王世纯】…"]).as_deref(), Some("观察者网"));
        assert_eq!(o(&["【财华社讯】周二港股…"]).as_deref(), Some("财华社"));
        assert_eq!(o(&["【环球时报综合报道】…"]).as_deref(), Some("环球时报"));
    }

    #[test]
    fn attributions_and_source_lines_name_the_outlet() {
        assert_eq!(o(&["据新华社报道，国务院…"]).as_deref(), Some("新华社"));
        assert_eq!(o(&["据朝中社8日报道，…"]).as_deref(), Some("朝中社"));
        assert_eq!(
            o(&[
                "正文。",
                "第二段。",
                "第三段。",
                "为负刑事责任。（来源：极目新闻）"
            ])
            .as_deref(),
            Some("极目新闻")
        );
        assert_eq!(o(&["【来源：九派新闻】…"]).as_deref(), Some("九派新闻"));
        assert_eq!(
            o(&["正文。", "本文来源：时代财经 作者：余思毅"]).as_deref(),
            Some("时代财经")
        );
        assert_eq!(o(&["来源：观察者网"]).as_deref(), Some("观察者网"));
        assert_eq!(
            o(&["正文。", "来源：国防部发布"]).as_deref(),
            Some("国防部发布")
        );
        assert_eq!(
            o(&["正文。", "来源：上游新闻综合人民日报、新华社"]).as_deref(),
            Some("上游新闻")
        );
        assert_eq!(
            o(&["【亿邦动力讯】9月5日消息，中保科技获投数千万人民币A轮融资。"]).as_deref(),
            Some("亿邦动力")
        );
    }

    #[test]
    fn headlines_credits_and_vague_attributions_are_not_outlets() {
        assert_eq!(o(&["【股市收盘】沪指涨0.5%"]), None);
        assert_eq!(
            o(&["【美股盘前消息速报】①美联储给市场投下一枚重磅“炸弹”！"]),
            None
        );
        assert_eq!(o(&["【央行行长潘功胜会见美联储主席鲍威尔】…"]), None);
        assert_eq!(o(&["【ST贵人：上交所决定终止公司股票上市】"]), None);
        assert_eq!(o(&["据此前报道，…"]), None);
        assert_eq!(o(&["据媒体报道，…"]), None);
        assert_eq!(o(&["正文。", "图片来源：视觉中国"]), None);
        // A source named in the middle of a long article quotes it; it is not the article's own.
        assert_eq!(o(&["一。", "二。", "来源：海外网", "四。", "五。"]), None);
        assert_eq!(o(&["他说，来源：海外网的消息不实。"]), None);
    }
}
