//! figures: which figures does a story state, and do its sources agree on them?
//!
//! The claim ledger. Every member's body is scanned with the verifier's number reader
//! (`digest::numbers`: 万/亿 scales, tonnes, percentages, currencies), keeping amounts of money,
//! mass and percentages (bare numbers, dates and years say too little on their own). What a
//! figure measures is the text just before it in its sentence (`出口量为`, `营收`), reduced to
//! letters and CJK characters; two members state the same measure when that lead-in is the same.
//! Figures of one measure whose quantities match (the verifier's own test, so 20.3亿元 and
//! 2,030,000,000 yuan agree) are shown once with all their sources; figures of one measure that
//! do not match are a conflict, shown side by side, each cited `id [n]`.

use serde::Serialize;

use super::sketch::numbered_body;
use crate::digest::numbers::{self, Quantity, Unit};
use crate::document::Document;

/// Characters of lead-in that name what a figure measures.
const LEAD_CHARS: usize = 6;

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
    /// What it measures: the lead-in before it.
    pub measure: String,
    /// As first written (`20.3亿元`).
    pub raw: String,
    pub value: f64,
    pub unit: String,
    pub sources: Vec<Cite>,
    /// Set when another figure of the same measure disagrees: the other values, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts_with: Vec<String>,
}

struct Stated {
    measure: String,
    q: Quantity,
    cite: Cite,
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

/// The lead-in of the figure at byte `start` of `p`: the last [`LEAD_CHARS`] letters or CJK
/// characters before it in its sentence.
fn lead_in(p: &str, start: usize) -> String {
    let before = &p[..start.min(p.len())];
    let sentence = before.rsplit(['。', '！', '？', '；', '\n']).next().unwrap_or(before);
    let mut chars: Vec<char> = sentence
        .chars()
        .rev()
        .skip_while(|c| !c.is_alphabetic())
        .filter(|c| c.is_alphabetic())
        .take(LEAD_CHARS)
        .collect();
    chars.reverse();
    chars.into_iter().collect::<String>().to_lowercase()
}

/// The ledger of a story's members (best first): figures in order of first statement.
pub fn ledger(members: &[Document]) -> Vec<Figure> {
    let mut stated = Vec::new();
    for d in members {
        for (n, p) in numbered_body(d) {
            for q in numbers::extract(p) {
                if !kept(&q.unit) {
                    continue;
                }
                let measure = lead_in(p, q.span.start);
                if measure.chars().count() < 2 {
                    continue;
                }
                stated.push(Stated { measure, q, cite: Cite { doc: d.id.clone(), paragraph: n } });
            }
        }
    }
    let mut figures: Vec<(Figure, Quantity)> = Vec::new();
    for s in stated {
        let same = figures.iter_mut().find(|(f, q)| f.measure == s.measure && q.matches(&s.q) && s.q.matches(q));
        match same {
            Some((f, _)) => {
                if !f.sources.contains(&s.cite) {
                    f.sources.push(s.cite);
                }
            }
            None => figures.push((
                Figure {
                    measure: s.measure,
                    raw: s.q.raw.clone(),
                    value: s.q.value,
                    unit: unit_name(&s.q.unit),
                    sources: vec![s.cite],
                    conflicts_with: Vec::new(),
                },
                s.q,
            )),
        }
    }
    // A conflict: the same measure and unit, another value, stated by another member.
    let snapshot: Vec<(String, String, String, Vec<String>)> = figures
        .iter()
        .map(|(f, _)| (f.measure.clone(), f.unit.clone(), f.raw.clone(), f.sources.iter().map(|c| c.doc.clone()).collect()))
        .collect();
    for (i, (f, _)) in figures.iter_mut().enumerate() {
        for (j, (m, u, raw, docs)) in snapshot.iter().enumerate() {
            let other_member = docs.iter().any(|d| !f.sources.iter().any(|c| &c.doc == d));
            if i != j && *m == f.measure && *u == f.unit && other_member {
                f.conflicts_with.push(raw.clone());
            }
        }
    }
    figures.into_iter().map(|(f, _)| f).collect()
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

fn sources_text(f: &Figure) -> String {
    f.sources.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
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
            crate::report::terminal_safe(&r.figure.measure),
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

/// Rows as CSV (RFC 4180 quoting): story, title, measure, raw, value, unit, sources, conflicts.
pub fn csv(rows: &[Row]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("story,title,measure,raw,value,unit,sources,conflicts_with\n");
    for r in rows {
        let f = &r.figure;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.story,
            q(&r.title),
            q(&f.measure),
            q(&f.raw),
            f.value,
            q(&f.unit),
            q(&sources_text(f)),
            q(&f.conflicts_with.join("; "))
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

    #[test]
    fn agreeing_figures_merge_and_disagreeing_ones_are_flagged_with_both_citations() {
        let a = doc("a", "海关数据显示，前三季度锑出口量为3834吨，同比下降。公司营收为20.3亿元。");
        let b = doc("b", "海关数据显示，前三季度锑出口量为3800吨，同比下降。公司营收为203000万元。");
        let l = ledger(&[a, b]);
        let revenue: Vec<&Figure> = l.iter().filter(|f| f.measure.ends_with("营收为")).collect();
        assert_eq!(revenue.len(), 1, "{l:#?}");
        assert_eq!(revenue[0].sources.iter().map(ToString::to_string).collect::<Vec<_>>(), ["a [1]", "b [1]"]);
        assert!(revenue[0].conflicts_with.is_empty());
        let exports: Vec<&Figure> = l.iter().filter(|f| f.measure.ends_with("出口量为")).collect();
        assert_eq!(exports.len(), 2, "{l:#?}");
        assert_eq!(exports[0].sources[0].to_string(), "a [1]");
        assert_eq!(exports[0].conflicts_with, ["3800吨"]);
        assert_eq!(exports[1].sources[0].to_string(), "b [1]");
        assert_eq!(exports[1].conflicts_with, ["3834吨"]);
    }
}
