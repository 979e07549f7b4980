//! PDF: how does a research report become a title, a date, paragraphs with their pages, and
//! the broker and rating from its cover?
//!
//! The PDF is parsed with `pdf-extract` (on `lopdf`), which hands over every glyph with its
//! position, size and Unicode text (ToUnicode CMaps, so Chinese comes out as Chinese); the
//! paragraphs are rebuilt from those positions by [`layout`]. The cover page gives the broker
//! (…证券, …研究所, … Securities), the report's date (`2024年5月1日`, `2024-05-01`, read by
//! [`crate::dates`]) and the rating (买入, 增持, Buy, Overweight…). A PDF with no text layer
//! (a scan) is an error asking for OCR, never an empty document; an encrypted or broken one is
//! an error for that file alone. The parser is third-party code reading untrusted bytes: a
//! panic inside it becomes an error for that file, not the end of the ingest.

mod layout;

use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::Draft;
use crate::dates::parse_dated;

pub(super) use layout::Block;
use layout::{Glyph, Page};

/// What a PDF gave: the draft, the page of each paragraph, and what the cover says.
#[derive(Debug)]
pub(super) struct Report {
    pub draft: Draft,
    /// `pages[i]` is the 1-based page paragraph `i + 1` starts on.
    pub pages: Vec<u32>,
    pub page_count: u32,
    pub broker: Option<String>,
    pub rating: Option<String>,
}

/// Ratings as brokers write them, longest first where one contains another.
const RATINGS: &[&str] = &[
    "强烈推荐",
    "谨慎推荐",
    "谨慎增持",
    "买入",
    "增持",
    "推荐",
    "中性",
    "持有",
    "减持",
    "卖出",
    "回避",
    "跑赢行业",
    "跑输行业",
    "优于大市",
    "同步大市",
    "弱于大市",
    "看好",
    "Outperform",
    "Underperform",
    "Overweight",
    "Underweight",
    "Equal-weight",
    "Equal-Weight",
    "Market Perform",
    "Strong Buy",
    "Buy",
    "Accumulate",
    "Neutral",
    "Hold",
    "Reduce",
    "Sell",
];

/// Reads a PDF's bytes into a report. The error says what is wrong and what to do.
pub(super) fn report(bytes: &[u8]) -> Result<Report, String> {
    let pages = match catch_unwind(AssertUnwindSafe(|| glyphs(bytes))) {
        Ok(result) => result?,
        Err(_) => {
            return Err("the PDF reader failed on this file (it may be damaged or use a \
                        feature the reader lacks); convert it, e.g. `qpdf in.pdf out.pdf` or \
                        print it to PDF again, and ingest the result"
                .into());
        }
    };
    let page_count = pages.len() as u32;
    let text_chars: usize = pages
        .iter()
        .flat_map(|p| &p.glyphs)
        .map(|g| g.text.chars().filter(|c| !c.is_whitespace()).count())
        .sum();
    if text_chars == 0 {
        return Err(format!(
            "no text layer — run OCR first: its {page_count} page(s) hold only images (a scan?); \
             make a searchable PDF, e.g. `ocrmypdf in.pdf out.pdf`, and ingest that"
        ));
    }
    let laid = layout::lay_out(&pages);
    let mut blocks: Vec<Block> = laid
        .blocks
        .into_iter()
        .filter(|b| !b.text.trim().is_empty())
        .collect();
    // The title is the document's title, not its first paragraph.
    if let (Some(title), Some(first)) = (&laid.title, blocks.first())
        && first.text == *title
        && blocks.len() > 1
    {
        blocks.remove(0);
    }
    let cover = &laid.first_page_lines;
    let published = cover.iter().find_map(|l| date_in(l));
    Ok(Report {
        draft: Draft {
            title: laid.title,
            published_at: published.map(|p| p.0),
            published_precision: published.map(|p| p.1),
            lang: None,
            paragraphs: blocks.iter().map(|b| b.text.trim().to_string()).collect(),
        },
        pages: blocks.iter().map(|b| b.page).collect(),
        page_count,
        broker: cover.iter().find_map(|l| broker_in(l)),
        rating: rating_of(cover),
    })
}

/// Collects the glyphs of every page.
fn glyphs(bytes: &[u8]) -> Result<Vec<Page>, String> {
    let mut doc = pdf_extract::Document::load_mem(bytes).map_err(|e| {
        format!("is not a readable PDF ({e}); check that the file is complete, or open and save it again")
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err("is encrypted (password-protected); remove the password, e.g. `qpdf \
                    --decrypt --password=… in.pdf out.pdf`, and ingest the result"
            .into());
    }
    let mut collector = Collector::default();
    pdf_extract::output_doc(&doc, &mut collector).map_err(|e| {
        format!("is a PDF whose text could not be read ({e}); print it to PDF again and ingest the result")
    })?;
    Ok(collector.pages)
}

/// Receives glyphs from `pdf-extract`, turning PDF space (origin bottom left) into page
/// space with `y` down.
#[derive(Default)]
struct Collector {
    pages: Vec<Page>,
    top: f64,
    left: f64,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.top = media_box.ury;
        self.left = media_box.llx;
        self.pages.push(Page {
            width: media_box.urx - media_box.llx,
            height: media_box.ury - media_box.lly,
            glyphs: Vec::new(),
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        let scale_x = (trm.m11 * trm.m11 + trm.m12 * trm.m12).sqrt();
        let scale_y = (trm.m21 * trm.m21 + trm.m22 * trm.m22).sqrt();
        let size = font_size * scale_y;
        let glyph = Glyph {
            x: trm.m31 - self.left,
            y: self.top - trm.m32,
            width: (width * font_size + spacing) * scale_x,
            size,
            text: unify(text),
        };
        if let Some(page) = self.pages.last_mut() {
            page.glyphs.push(glyph);
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Radicals written for the ideographs they look like. A font maps one glyph to both the
/// radical and the ideograph, and some writers (Chromium's Skia among them) name the radical in
/// the ToUnicode map, so 土 comes out as ⼟ (U+2F1F) and would never match a search. Kangxi
/// radicals and ligatures (ﬁ) have compatibility decompositions (NFKC); the simplified radicals
/// below have none, so they are listed.
fn unify(text: &str) -> String {
    const SIMPLIFIED: &[(char, char)] = &[
        ('⺰', '纟'), ('⻅', '见'), ('⻆', '角'), ('⻈', '讠'), ('⻉', '贝'), ('⻋', '车'),
        ('⻌', '辶'), ('⻐', '钅'), ('⻓', '长'), ('⻔', '门'), ('⻙', '韦'), ('⻚', '页'),
        ('⻛', '风'), ('⻜', '飞'), ('⻠', '饣'), ('⻢', '马'), ('⻥', '鱼'), ('⻦', '鸟'),
        ('⻧', '卤'), ('⻨', '麦'), ('⻩', '黄'), ('⻪', '黾'), ('⻬', '齐'), ('⻮', '齿'),
        ('⻰', '龙'),
    ];
    let odd = |c: char| matches!(c as u32, 0x2E80..=0x2EFF | 0x2F00..=0x2FDF | 0xFB00..=0xFB06);
    if !text.chars().any(odd) {
        return text.to_string();
    }
    use unicode_normalization::UnicodeNormalization;
    text.chars()
        .flat_map(|c| {
            let simplified = SIMPLIFIED.iter().find(|(r, _)| *r == c).map(|(_, u)| *u);
            match simplified {
                Some(u) => vec![u],
                None if odd(c) => std::iter::once(c).nfkc().collect(),
                None => vec![c],
            }
        })
        .collect()
}

/// The first date written on a cover line: `2024年5月1日`, `2024-05-01`, `2024/5/1`, `2024.05.01`.
fn date_in(line: &str) -> Option<(chrono::DateTime<chrono::Utc>, crate::document::DatePrecision)> {
    let chars: Vec<char> = line.chars().collect();
    for start in 0..chars.len() {
        if start > 0 && chars[start - 1].is_ascii_digit() {
            continue;
        }
        let year: String = chars[start..].iter().take_while(|c| c.is_ascii_digit()).collect();
        if year.len() != 4 {
            continue;
        }
        // Take the longest run of digits and date separators from here and let dates.rs judge.
        let run: String = chars[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || matches!(c, '年' | '月' | '日' | '-' | '/' | '.'))
            .collect();
        let run = run.trim_end_matches(['-', '/', '.']);
        let candidate = match run.find('日') {
            Some(i) => &run[..i + '日'.len_utf8()],
            None => run,
        };
        if candidate.len() > 4
            && let Ok(parsed) = parse_dated(candidate)
        {
            return Some(parsed);
        }
    }
    None
}

/// A broker's name on a cover line: the Chinese name up to 证券 or 研究所 (华泰证券, 中金公司研究部
/// is not one), or the English words before "Securities".
fn broker_in(line: &str) -> Option<String> {
    for suffix in ["证券", "研究所", "期货"] {
        if let Some(end) = line.find(suffix) {
            let head: String = line[..end]
                .chars()
                .rev()
                .take_while(|c| crate::document::is_cjk(*c))
                .take(10)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            // "本报告仅供…证券" is a sentence, not a name: names are short.
            if (2..=8).contains(&head.chars().count()) {
                return Some(format!("{head}{suffix}"));
            }
        }
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| w.trim_end_matches([',', '.']) == "Securities")?;
    let name: Vec<&str> = words[..at]
        .iter()
        .rev()
        .take_while(|w| w.chars().next().is_some_and(|c| c.is_uppercase()))
        .take(4)
        .copied()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!name.is_empty()).then(|| format!("{} Securities", name.join(" ")))
}

/// The rating on the cover: from a line that says 评级 or rating, else from a line that is only
/// a rating ("买入（维持）").
fn rating_of(lines: &[String]) -> Option<String> {
    let labelled = lines.iter().filter(|l| {
        l.contains("评级") || l.to_lowercase().contains("rating") || l.contains("投资建议")
    });
    for line in labelled {
        if let Some(r) = first_rating(line) {
            return Some(r);
        }
    }
    lines.iter().find_map(|l| {
        let t = l.trim();
        first_rating(t).filter(|r| t.chars().count() <= r.chars().count() + 6)
    })
}

/// The rating word written first in `line`.
fn first_rating(line: &str) -> Option<String> {
    RATINGS
        .iter()
        .filter_map(|r| {
            let at = line.find(r)?;
            // "Buy" inside "Buyback" is no rating.
            let after = line[at + r.len()..].chars().next();
            let before = line[..at].chars().next_back();
            let ascii_word = r.is_ascii()
                && (after.is_some_and(|c| c.is_ascii_alphabetic())
                    || before.is_some_and(|c| c.is_ascii_alphabetic()));
            (!ascii_word).then_some((at, std::cmp::Reverse(r.len()), *r))
        })
        .min()
        .map(|(_, _, r)| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_fields_are_found() {
        assert_eq!(broker_in("华泰证券研究所 · 公司研究").as_deref(), Some("华泰证券"));
        assert_eq!(broker_in("国信证券经济研究所").as_deref(), Some("国信证券"));
        assert_eq!(broker_in("Equity Research | CITIC Securities").as_deref(), Some("CITIC Securities"));
        assert_eq!(broker_in("本报告仅供中华人民共和国境内投资者参考的证券"), None);
        let lines = ["报告日期：2024年5月1日".to_string(), "投资评级：买入（维持）".to_string()];
        assert_eq!(rating_of(&lines).as_deref(), Some("买入"));
        assert_eq!(rating_of(&["Rating: Overweight".into()]).as_deref(), Some("Overweight"));
        assert_eq!(rating_of(&["Buyback announced".into()]), None);
        let day = date_in(&lines[0]).map(|d| d.0.format("%Y-%m-%d").to_string());
        assert_eq!(day.as_deref(), Some("2024-05-01"));
        let iso = date_in("Date: 2024-05-01").map(|d| d.0.format("%Y-%m-%d").to_string());
        assert_eq!(iso.as_deref(), Some("2024-05-01"));
        assert_eq!(date_in("目标价 2024 元"), None);
    }

    /// tests/fixtures/pdf/report.pdf, printed by Chromium from report.html beside it.
    #[test]
    fn a_printed_report_reads_as_its_paragraphs_with_pages() {
        let bytes = include_bytes!("../../tests/fixtures/pdf/report.pdf");
        let r = report(bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.draft.title.as_deref(), Some("稀土公司：价格回升，维持买入"));
        assert_eq!(r.broker.as_deref(), Some("中信证券"));
        assert_eq!(r.rating.as_deref(), Some("买入"));
        let day = r.draft.published_at.map(|d| d.format("%Y-%m-%d").to_string());
        assert_eq!(day.as_deref(), Some("2024-05-01"));
        assert_eq!(r.page_count, 2);
        let got: Vec<(u32, &str)> = r.pages.iter().copied().zip(r.draft.paragraphs.iter().map(String::as_str)).collect();
        assert_eq!(
            got,
            vec![
                (1, "报告日期：2024年5月1日 投资评级：买入"),
                (1, "核心观点"),
                (1, "稀土价格回升，公司利润回升，公司产能回升，公司价格回升，公司利润回升，公司产能回升，公司价格回升。"),
                (1, "公司产能增长，利润增长，价格增长，产能增长，利润增长，价格增长，产能增长，利润增长，价格增长。"),
                (1, "Prices rose in the first quarter."),
                (1, "项目 | 2023 | 2024"),
                (1, "利润 | 23.7 | 32.1"),
                (2, "公司价格"),
                (2, "公司价格增长，利润增长。"),
            ]
        );
    }

    #[test]
    fn garbage_is_not_a_pdf() {
        let e = report(b"%PDF-1.7\nnot really").err().unwrap_or_default();
        assert!(e.starts_with("is not a readable PDF"), "{e}");
    }

    #[test]
    fn radicals_named_for_ideographs_are_unified() {
        assert_eq!(unify("北⽅稀⼟：增⻓，⻛险，ﬁrst"), "北方稀土：增长，风险，first");
        assert_eq!(unify("稀土"), "稀土");
    }
}
