//! PDF layout: how do positioned glyphs become the paragraphs a reader sees, in reading order?
//!
//! A PDF holds no paragraphs, only glyphs placed on pages. This module rebuilds them from
//! positions alone (no crate specifics, so it is tested on hand-made glyphs): glyphs on one
//! baseline are a row, split into cells at wide gaps; rows of two long cells around the page's
//! middle are a two-column region, read left column first; rows of three or more cells are
//! table rows, kept as "a | b | c". Running headers and footers (the same text at the top or
//! bottom of most pages, digits ignored) and page numbers are dropped. Lines join into
//! paragraphs until a wider vertical gap, an indent, a short line ending a sentence, a change
//! of font size or a table; larger type is a heading, kept as a paragraph of its own. Chinese
//! lines join without a space, English with one, and a word hyphenated across lines is made
//! whole again. Everything from the first disclaimer heading (免责声明, 分析师声明,
//! Disclaimer…) to the end is dropped: it is boilerplate every report of a broker repeats.

use super::super::{is_wide, join_line};

/// One glyph (or a run the PDF reader could not split) as the reader found it: `x` and `y` are
/// the left end of its baseline in points, `y` growing downwards from the top of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub x: f64,
    pub y: f64,
    /// Advance width; 0 when the reader does not know it.
    pub width: f64,
    pub size: f64,
    pub text: String,
}

/// One page: its size in points and its glyphs in content order.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub width: f64,
    pub height: f64,
    pub glyphs: Vec<Glyph>,
}

/// A paragraph and the 1-based page it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub text: String,
    pub page: u32,
    pub heading: bool,
}

/// What the pages say, in reading order, with the lines of the first page (before headers were
/// dropped) for the caller to find the broker, date and rating in.
#[derive(Debug, Default)]
pub struct Laid {
    pub blocks: Vec<Block>,
    /// The title: the largest type on the first page, when it is larger than the body.
    pub title: Option<String>,
    pub first_page_lines: Vec<String>,
}

/// A gap wider than this many font sizes splits a row into cells (columns, table cells).
const CELL_GAP: f64 = 0.8;
/// A gap wider than this (in font sizes) between two glyphs of a cell is a word space.
const SPACE_GAP: f64 = 0.2;
/// Type this much larger than the body's is a heading.
const HEADING_RATIO: f64 = 1.12;

/// Headings that open the closing boilerplate of a research report.
const DISCLAIMER_HEADINGS: &[&str] = &[
    "免责声明",
    "分析师声明",
    "分析师承诺",
    "法律声明",
    "重要声明",
    "一般声明",
    "特别声明",
    "评级说明",
    "投资评级说明",
    "评级体系",
    "disclaimer",
    "important disclosures",
    "disclosures",
    "analyst certification",
];

#[derive(Debug, Clone)]
struct Cell {
    x0: f64,
    x1: f64,
    text: String,
}

#[derive(Debug, Clone)]
struct Row {
    y: f64,
    size: f64,
    cells: Vec<Cell>,
}

impl Row {
    fn x0(&self) -> f64 {
        self.cells.first().map_or(0.0, |c| c.x0)
    }
    fn x1(&self) -> f64 {
        self.cells.last().map_or(0.0, |c| c.x1)
    }
    fn text(&self, sep: &str) -> String {
        self.cells
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(sep)
    }
}

/// A line in reading order, with the edges of the column (or page) it sits in.
#[derive(Debug, Clone)]
struct Line {
    page: u32,
    y: f64,
    size: f64,
    x0: f64,
    x1: f64,
    left: f64,
    right: f64,
    /// 0 outside columns, 1 the left column, 2 the right one.
    column: u8,
    table: bool,
    text: String,
}

/// Rebuilds the paragraphs of `pages`.
pub fn lay_out(pages: &[Page]) -> Laid {
    let rows: Vec<Vec<Row>> = pages.iter().map(|p| rows_of(&p.glyphs)).collect();
    let first_page_lines = rows
        .first()
        .map(|r| r.iter().map(|row| row.text(" ")).collect())
        .unwrap_or_default();
    let running = running_lines(pages, &rows);
    let mut lines = Vec::new();
    for (i, (page, page_rows)) in pages.iter().zip(rows).enumerate() {
        let kept: Vec<Row> = page_rows
            .into_iter()
            .enumerate()
            .filter(|(r, _)| !running.contains(&(i, *r)))
            .map(|(_, row)| row)
            .collect();
        lines.extend(order(page, i as u32 + 1, kept));
    }
    let body = body_size(&lines);
    let title = title_of(&lines, body);
    let mut blocks = paragraphs(&lines, body);
    if let Some(cut) = blocks.iter().position(|b| is_disclaimer_start(b)) {
        blocks.truncate(cut);
    }
    Laid {
        blocks,
        title,
        first_page_lines,
    }
}

/// Groups glyphs into rows by baseline, each row's glyphs left to right, split into cells at
/// wide gaps; rows top to bottom.
fn rows_of(glyphs: &[Glyph]) -> Vec<Row> {
    let mut sorted: Vec<&Glyph> = glyphs
        .iter()
        .filter(|g| g.size > 0.0 && g.x.is_finite() && g.y.is_finite())
        .collect();
    sorted.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut groups: Vec<Vec<&Glyph>> = Vec::new();
    for g in sorted {
        match groups.last_mut() {
            // Compared with the row's first glyph, so a row cannot creep down the page.
            Some(row) if (g.y - row[0].y).abs() <= 0.35 * g.size.max(row[0].size) => row.push(g),
            _ => groups.push(vec![g]),
        }
    }
    groups
        .into_iter()
        .filter_map(|mut group| {
            group.sort_by(|a, b| a.x.total_cmp(&b.x));
            let size = group.iter().map(|g| g.size).fold(0.0, f64::max);
            let y = group[0].y;
            let cells = cells_of(&group);
            (!cells.is_empty()).then_some(Row { y, size, cells })
        })
        .collect()
}

fn cells_of(glyphs: &[&Glyph]) -> Vec<Cell> {
    let mut cells: Vec<Cell> = Vec::new();
    let mut end: Option<f64> = None;
    let mut pending_space = false;
    for g in glyphs {
        let blank = g.text.trim().is_empty();
        if blank {
            pending_space = true;
            end = Some(end.map_or(g.x + g.width, |e: f64| e.max(g.x + g.width)));
            continue;
        }
        let gap = end.map(|e| g.x - e);
        let text = g.text.as_str();
        match (cells.last_mut(), gap) {
            (Some(cell), Some(gap)) if gap <= CELL_GAP * g.size => {
                let wide = |c: Option<char>| c.is_some_and(is_wide);
                let between_wide = wide(cell.text.chars().next_back()) && wide(text.chars().next());
                let space_gap = if between_wide { 0.5 } else { SPACE_GAP };
                if (pending_space || gap > space_gap * g.size) && !cell.text.ends_with(' ') {
                    cell.text.push(' ');
                }
                cell.text.push_str(text);
                cell.x1 = cell.x1.max(g.x + g.width);
            }
            _ => cells.push(Cell {
                x0: g.x,
                x1: g.x + g.width,
                text: text.to_string(),
            }),
        }
        pending_space = false;
        end = Some(g.x + g.width.max(0.0));
    }
    for c in &mut cells {
        let trimmed = c.text.trim();
        if trimmed.len() != c.text.len() {
            c.text = trimmed.to_string();
        }
    }
    cells.retain(|c| !c.text.is_empty());
    cells
}

/// Text with digits and spaces removed, so "第 3 页" and "第 4 页" compare equal.
fn shape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_digit())
        .collect()
}

/// Rows that are running headers, footers or page numbers: `(page index, row index)`.
fn running_lines(pages: &[Page], rows: &[Vec<Row>]) -> std::collections::HashSet<(usize, usize)> {
    use std::collections::{HashMap, HashSet};
    // Candidates: the first and last two rows of a page, when they lie in its top or bottom
    // sixth (body text rarely starts higher or ends lower).
    let mut candidates: Vec<(usize, usize, String)> = Vec::new();
    for (i, (page, page_rows)) in pages.iter().zip(rows).enumerate() {
        let n = page_rows.len();
        let band = if page.height > 0.0 {
            page.height / 6.0
        } else {
            f64::INFINITY
        };
        for r in (0..n.min(2)).chain(n.saturating_sub(2)..n) {
            let row = &page_rows[r];
            let top = row.y <= band;
            let bottom = page.height > 0.0 && row.y >= page.height - band;
            if top || bottom {
                candidates.push((i, r, row.text(" ")));
            }
        }
    }
    let mut pages_with: HashMap<String, HashSet<usize>> = HashMap::new();
    for (i, _, text) in &candidates {
        pages_with.entry(shape(text)).or_default().insert(*i);
    }
    let needed = (pages.len() as f64 * 0.5).ceil().max(2.0) as usize;
    candidates
        .into_iter()
        .filter(|(_, _, text)| {
            is_page_number(text)
                || pages_with
                    .get(&shape(text))
                    .is_some_and(|p| p.len() >= needed)
        })
        .map(|(i, r, _)| (i, r))
        .collect()
}

/// "3", "- 3 -", "第3页", "第 3 页 共 12 页", "3 / 12", "Page 3", "Page 3 of 12".
fn is_page_number(text: &str) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.to_lowercase();
    let t = t.trim_matches(|c| matches!(c, '-' | '—' | '–' | '·'));
    if t.is_empty() {
        return false;
    }
    let digits_only = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if digits_only(t) {
        return true;
    }
    if let Some((a, b)) = t.split_once('/') {
        return digits_only(a) && digits_only(b);
    }
    if let Some(rest) = t.strip_prefix("page") {
        return match rest.split_once("of") {
            Some((a, b)) => digits_only(a) && digits_only(b),
            None => digits_only(rest),
        };
    }
    if let Some(rest) = t.strip_prefix('第') {
        let (this, total) = match rest.split_once("页") {
            Some((a, b)) => (a, b),
            None => return false,
        };
        let total_ok = total.is_empty()
            || total
                .strip_prefix('共')
                .and_then(|s| s.strip_suffix('页'))
                .is_some_and(digits_only);
        return digits_only(this) && total_ok;
    }
    false
}

/// Puts a page's rows in reading order: a two-column region is read left column first.
fn order(page: &Page, number: u32, rows: Vec<Row>) -> Vec<Line> {
    let Some(left) = rows
        .iter()
        .map(Row::x0)
        .min_by(f64::total_cmp)
    else {
        return Vec::new();
    };
    let right = rows.iter().map(Row::x1).fold(left, f64::max);
    let right = if right > left { right } else { page.width.max(left + 1.0) };
    let middle = (left + right) / 2.0;
    let width = right - left;
    // A row of two long cells, one each side of the middle: a row of a two-column region.
    let split = |row: &Row| {
        row.cells.len() == 2
            && row.cells[0].x1 < middle
            && row.cells[1].x0 > middle
            && (row.cells[0].x0 - left).abs() < 0.05 * width
            // One long cell: a column's last short line beside the other column's full one.
            && row.cells.iter().any(|c| c.x1 - c.x0 > 0.25 * width)
    };
    let side = |row: &Row| {
        if row.cells.len() != 1 {
            None
        } else if row.x1() < middle {
            Some(1u8)
        } else if row.x0() > middle {
            Some(2u8)
        } else {
            None
        }
    };
    // Columns set by CSS or a layout program need not share baselines, so a region is a run of
    // rows that each keep to one side of the middle (or are split across it), holding rows on
    // both sides.
    let mut lines = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let sided = |r: &Row| split(r) || side(r).is_some();
        if !sided(&rows[i]) {
            lines.push(full_line(&rows[i], number, left, right));
            i += 1;
            continue;
        }
        let start = i;
        while i < rows.len() && sided(&rows[i]) {
            i += 1;
        }
        // A longer left column ends a line or so below the right one; one-sided rows further
        // down are the short lines of full-width text after the columns.
        let right_end = rows[start..i]
            .iter()
            .filter(|r| split(r) || side(r) == Some(2))
            .map(|r| r.y)
            .fold(f64::MIN, f64::max);
        if let Some(k) = rows[start..i].iter().position(|r| r.y > right_end + 2.0 * r.size) {
            i = (start + k).max(start + 1);
        }
        let region = &rows[start..i];
        let on_left = region.iter().filter(|r| split(r) || side(r) == Some(1)).count();
        let on_right = region.iter().filter(|r| split(r) || side(r) == Some(2)).count();
        if on_left < 2 || on_right < 2 {
            lines.extend(region.iter().map(|r| full_line(r, number, left, right)));
            continue;
        }
        let gutter_left = region
            .iter()
            .flat_map(|r| r.cells.iter().filter(|c| c.x1 < middle))
            .map(|c| c.x1)
            .fold(left, f64::max);
        let gutter_right = region
            .iter()
            .flat_map(|r| r.cells.iter().filter(|c| c.x0 > middle))
            .map(|c| c.x0)
            .fold(right, f64::min);
        for column in [1u8, 2u8] {
            for row in region {
                for cell in &row.cells {
                    let on = if column == 1 { cell.x1 < middle } else { cell.x0 > middle };
                    if on {
                        let (l, r) = if column == 1 {
                            (left, gutter_left)
                        } else {
                            (gutter_right, right)
                        };
                        lines.push(Line {
                            page: number,
                            y: row.y,
                            size: row.size,
                            x0: cell.x0,
                            x1: cell.x1,
                            left: l,
                            right: r,
                            column,
                            table: false,
                            text: cell.text.clone(),
                        });
                    }
                }
            }
        }
    }
    lines
}

fn full_line(row: &Row, page: u32, left: f64, right: f64) -> Line {
    let table = row.cells.len() >= 3;
    Line {
        page,
        y: row.y,
        size: row.size,
        x0: row.x0(),
        x1: row.x1(),
        left,
        right,
        column: 0,
        table,
        text: row.text(if table { " | " } else { " " }),
    }
}

fn mode(sorted: &[i64]) -> Option<i64> {
    let mut best: Option<(i64, usize)> = None;
    let mut i = 0;
    while i < sorted.len() {
        let j = sorted[i..].iter().take_while(|v| **v == sorted[i]).count();
        if best.is_none_or(|(_, n)| j > n) {
            best = Some((sorted[i], j));
        }
        i += j;
    }
    best.map(|(v, _)| v)
}

/// The size of most of the text (by characters), in half points.
fn body_size(lines: &[Line]) -> f64 {
    let mut sizes: Vec<i64> = Vec::new();
    for l in lines {
        let n = l.text.chars().count();
        sizes.extend(std::iter::repeat_n((l.size * 2.0).round() as i64, n));
    }
    sizes.sort_unstable();
    mode(&sizes).map_or(0.0, |s| s as f64 / 2.0)
}

fn is_heading(line: &Line, body: f64) -> bool {
    body > 0.0 && line.size > body * HEADING_RATIO && !line.table
}

/// The largest type on the first page, when it is a heading: its lines joined.
fn title_of(lines: &[Line], body: f64) -> Option<String> {
    let first: Vec<&Line> = lines.iter().filter(|l| l.page == 1).collect();
    let largest = first.iter().map(|l| l.size).fold(0.0, f64::max);
    let mut title = String::new();
    let mut started = false;
    for l in first {
        let big = (l.size - largest).abs() < 0.5 && is_heading(l, body);
        if big {
            join(&mut title, &l.text);
            started = true;
        } else if started {
            break;
        }
    }
    (!title.is_empty()).then_some(title)
}

/// Joins lines into paragraphs.
fn paragraphs(lines: &[Line], body: f64) -> Vec<Block> {
    let pitch = {
        let mut gaps: Vec<i64> = lines
            .windows(2)
            .filter(|w| {
                w[0].page == w[1].page
                    && w[0].column == w[1].column
                    && (w[0].size - body).abs() < 0.5
                    && (w[1].size - body).abs() < 0.5
            })
            .map(|w| ((w[1].y - w[0].y) * 2.0).round() as i64)
            .filter(|g| *g > 0)
            .collect();
        gaps.sort_unstable();
        mode(&gaps).map_or(body * 1.5, |g| g as f64 / 2.0)
    };
    let mut blocks: Vec<Block> = Vec::new();
    let mut prev: Option<&Line> = None;
    for line in lines {
        let heading = is_heading(line, body);
        let continues = prev.is_some_and(|p| continues(p, line, heading, is_heading(p, body), pitch));
        match blocks.last_mut() {
            Some(block) if continues => join(&mut block.text, &line.text),
            _ => blocks.push(Block {
                text: line.text.clone(),
                page: line.page,
                heading,
            }),
        }
        prev = Some(line);
    }
    blocks
}

/// Whether `line` goes on the paragraph `prev` is in.
fn continues(prev: &Line, line: &Line, heading: bool, prev_heading: bool, pitch: f64) -> bool {
    if prev.table || line.table || heading != prev_heading {
        return false;
    }
    if (prev.size - line.size).abs() > 0.5 {
        return false;
    }
    let em = line.size.max(1.0);
    let ends_sentence = prev
        .text
        .chars()
        .next_back()
        .is_some_and(|c| matches!(c, '。' | '！' | '？' | '.' | '!' | '?' | '：' | ':' | '”' | '；' | ';'));
    let prev_full = prev.x1 >= prev.right - 2.0 * em;
    let flows = prev.page != line.page || prev.column != line.column;
    if flows {
        // Over a page or column break a paragraph goes on only from a full last line.
        return prev_full && !ends_sentence && !heading;
    }
    if heading {
        // A heading broken over lines: same size, the next line right below.
        return line.y - prev.y <= 1.6 * line.size;
    }
    if line.y - prev.y > 1.35 * pitch.max(line.size) || line.y <= prev.y {
        return false;
    }
    // A first-line indent starts a paragraph.
    if line.x0 > prev.x0 + 1.5 * em && (prev.x0 - prev.left).abs() < em {
        return false;
    }
    let short = prev.x1 < prev.right - 0.4 * (prev.right - prev.left);
    !(short || !prev_full && ends_sentence)
}

/// Appends a line to a paragraph: a word hyphenated over the break is made whole, Chinese
/// lines join without a space, others with one.
fn join(paragraph: &mut String, line: &str) {
    let mut tail = paragraph.chars().rev();
    let hyphenated = tail.next() == Some('-')
        && tail.next().is_some_and(|c| c.is_alphabetic())
        && line.chars().next().is_some_and(|c| c.is_lowercase());
    // A Chinese line break before or after a number or Latin word is only a wrap too.
    let beside_wide = paragraph.chars().next_back().is_some_and(is_wide)
        || line.trim().chars().next().is_some_and(is_wide);
    if hyphenated {
        paragraph.pop();
        paragraph.push_str(line.trim());
    } else if beside_wide && !paragraph.is_empty() {
        paragraph.push_str(line.trim());
    } else {
        join_line(paragraph, line);
    }
}

fn is_disclaimer_start(block: &Block) -> bool {
    let text = block.text.trim().to_lowercase();
    let short = text.chars().count() <= 24;
    (block.heading || short)
        && DISCLAIMER_HEADINGS.iter().any(|h| {
            text.strip_prefix(h)
                .is_some_and(|rest| rest.chars().all(|c| !c.is_alphanumeric() || c.is_ascii_digit()) || block.heading)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_glyphs(x: f64, y: f64, size: f64, text: &str) -> Vec<Glyph> {
        let mut out = Vec::new();
        let mut x = x;
        for c in text.chars() {
            let w = if is_wide(c) { size } else { size * 0.5 };
            out.push(Glyph {
                x,
                y,
                width: w,
                size,
                text: c.to_string(),
            });
            x += w;
        }
        out
    }

    fn page(glyphs: Vec<Vec<Glyph>>) -> Page {
        Page {
            width: 600.0,
            height: 800.0,
            glyphs: glyphs.into_iter().flatten().collect(),
        }
    }

    fn texts(laid: &Laid) -> Vec<(String, u32)> {
        laid.blocks.iter().map(|b| (b.text.clone(), b.page)).collect()
    }

    #[test]
    fn chinese_lines_join_without_space_and_english_with_one_hyphens_undone() {
        let p = page(vec![
            text_glyphs(50.0, 200.0, 10.0, "稀土价格在五月继续回升，冶炼分离企业的利润率明显修复，行业"),
            text_glyphs(50.0, 215.0, 10.0, "景气度上行。"),
            text_glyphs(50.0, 245.0, 10.0, "Revenue rose sharply in the first quarter as prices of praseo-"),
            text_glyphs(50.0, 260.0, 10.0, "dymium recovered and demand from wind turbines held up."),
        ]);
        let laid = lay_out(&[p]);
        assert_eq!(
            texts(&laid),
            vec![
                ("稀土价格在五月继续回升，冶炼分离企业的利润率明显修复，行业景气度上行。".into(), 1),
                ("Revenue rose sharply in the first quarter as prices of praseodymium recovered and demand from wind turbines held up.".into(), 1),
            ]
        );
    }

    #[test]
    fn two_columns_are_read_left_column_first() {
        let mut rows = vec![text_glyphs(50.0, 100.0, 10.0, "全页标题之下的一段导语")];
        for k in 0..3 {
            let y = 150.0 + 15.0 * k as f64;
            rows.push(text_glyphs(50.0, y, 10.0, &format!("左栏第{k}行文字内容填满了整整一栏宽度")));
            rows.push(text_glyphs(320.0, y, 10.0, &format!("右栏第{k}行文字内容填满了整整一栏宽度")));
        }
        let laid = lay_out(&[page(rows)]);
        let t = texts(&laid);
        let all: String = t.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join("\n");
        let left = all.find("左栏第2行").unwrap_or(usize::MAX);
        let right = all.find("右栏第0行").unwrap_or(0);
        assert!(left < right, "{all}");
    }

    #[test]
    fn table_rows_keep_their_cells() {
        let mut rows = Vec::new();
        for (k, (a, b, c)) in [("项目", "2023A", "2024E"), ("营业收入", "334.9", "372.5")].iter().enumerate() {
            let y = 300.0 + 20.0 * k as f64;
            rows.push(text_glyphs(50.0, y, 10.0, a));
            rows.push(text_glyphs(200.0, y, 10.0, b));
            rows.push(text_glyphs(300.0, y, 10.0, c));
        }
        let laid = lay_out(&[page(rows)]);
        assert_eq!(
            texts(&laid),
            vec![("项目 | 2023A | 2024E".into(), 1), ("营业收入 | 334.9 | 372.5".into(), 1)]
        );
    }

    #[test]
    fn running_headers_page_numbers_and_disclaimers_go_headings_stay() {
        let mut pages = Vec::new();
        for n in 1..=3 {
            let mut rows = vec![
                text_glyphs(50.0, 30.0, 8.0, "某某证券研究所 公司研究"),
                text_glyphs(50.0, 200.0, 16.0, ["引言", "行业格局", "盈利预测"][n - 1]),
                text_glyphs(50.0, 230.0, 10.0, &format!("这是第{n}页的正文。")),
                text_glyphs(290.0, 780.0, 8.0, &n.to_string()),
            ];
            if n == 3 {
                rows.push(text_glyphs(50.0, 400.0, 16.0, "免责声明"));
                rows.push(text_glyphs(50.0, 430.0, 10.0, "本报告仅供客户使用。"));
            }
            pages.push(page(rows));
        }
        let laid = lay_out(&pages);
        assert_eq!(
            texts(&laid),
            vec![
                ("引言".into(), 1),
                ("这是第1页的正文。".into(), 1),
                ("行业格局".into(), 2),
                ("这是第2页的正文。".into(), 2),
                ("盈利预测".into(), 3),
                ("这是第3页的正文。".into(), 3),
            ]
        );
        assert!(laid.blocks[0].heading && !laid.blocks[1].heading);
        assert_eq!(laid.title.as_deref(), Some("引言"));
        assert!(laid.first_page_lines[0].contains("证券研究所"));
    }

    #[test]
    fn page_numbers_are_recognised() {
        for t in ["3", "- 3 -", "第3页", "第 3 页 共 12 页", "3 / 12", "Page 3", "Page 3 of 12"] {
            assert!(is_page_number(t), "{t}");
        }
        for t in ["第三季度", "3.5%", "Page", "第3章"] {
            assert!(!is_page_number(t), "{t}");
        }
    }
}
