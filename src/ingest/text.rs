//! Text files: how do a .txt or .md file become one document's title and paragraphs?
//!
//! Paragraphs are separated by blank lines; a line indented with an ideographic space, a tab or
//! two spaces also starts one (Chinese plain text often marks paragraphs only that way).
//! Markdown is stripped minimally — heading marks, emphasis, links and images (to their text),
//! code marks, list and quote markers — enough that the text reads and indexes as prose; it is
//! not a Markdown renderer.

use super::{Draft, join_line, not_utf8};
use crate::dates::parse_dated;
use crate::error::Error;

/// A .txt file. The title is the first line when it is short (≤ 80 characters) and followed by
/// a blank line.
pub(super) fn plain(bytes: &[u8]) -> Result<Draft, String> {
    let text = utf8(bytes)?;
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let title = match (lines.next(), lines.next()) {
        (Some(first), Some(second))
            if second.trim().is_empty() && first.trim().chars().count() <= 80 =>
        {
            Some(first.trim().to_string())
        }
        _ => None,
    };
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim().is_empty() || starts_indented(line) {
            flush(&mut current, &mut paragraphs);
        }
        join_line(&mut current, line);
    }
    flush(&mut current, &mut paragraphs);
    Ok(Draft {
        title,
        paragraphs,
        ..Draft::default()
    })
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(not_utf8)
}

fn starts_indented(line: &str) -> bool {
    line.starts_with('\u{3000}') || line.starts_with('\t') || line.starts_with("  ")
}

fn flush(current: &mut String, paragraphs: &mut Vec<String>) {
    if !current.is_empty() {
        paragraphs.push(std::mem::take(current));
    }
}

/// A .md file. The title is the front matter's `title:`, else the first heading; the front
/// matter's `date:` is the publication date.
pub(super) fn markdown(bytes: &[u8]) -> Result<Draft, String> {
    let text = utf8(bytes)?;
    let (front, body) = front_matter(text);
    let mut title = front.title;
    let published = match front.date {
        None => None,
        Some(value) => Some(parse_dated(&value).map_err(|e| match e {
            Error::BadDate { value, hint } => {
                format!("front matter date {value:?} is not a date; {hint}")
            }
            other => other.to_string(),
        })?),
    };

    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_lines = 0;
    let mut fence: Option<&str> = None;
    let mut code = String::new();
    let finish_block = |current: &mut String, lines: &mut usize, blocks: &mut Vec<String>| {
        if !current.is_empty() {
            blocks.push(strip_inline(current));
            current.clear();
        }
        *lines = 0;
    };
    for line in body.lines() {
        let trimmed = line.trim();
        if let Some(marker) = fence {
            if trimmed.starts_with(marker) {
                fence = None;
                flush(&mut code, &mut blocks);
            } else {
                join_line(&mut code, line);
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            finish_block(&mut current, &mut current_lines, &mut blocks);
            fence = Some(&trimmed[..3]);
            continue;
        }
        if trimmed.is_empty() || is_table_rule(trimmed) || is_link_definition(trimmed) {
            finish_block(&mut current, &mut current_lines, &mut blocks);
            continue;
        }
        if let Some(heading) = atx_heading(trimmed) {
            finish_block(&mut current, &mut current_lines, &mut blocks);
            let heading = strip_inline(heading);
            if title.is_none() && !heading.is_empty() {
                title = Some(heading.clone());
            }
            blocks.push(heading);
            continue;
        }
        if is_setext_rule(trimmed) && current_lines == 1 {
            let heading = strip_inline(&current);
            current.clear();
            current_lines = 0;
            if title.is_none() && !heading.is_empty() {
                title = Some(heading.clone());
            }
            blocks.push(heading);
            continue;
        }
        if is_thematic_break(trimmed) {
            finish_block(&mut current, &mut current_lines, &mut blocks);
            continue;
        }
        let mut rest = trimmed;
        while let Some(r) = rest.strip_prefix('>') {
            rest = r.trim_start();
        }
        if let Some(item) = list_item(rest) {
            finish_block(&mut current, &mut current_lines, &mut blocks);
            rest = item;
        }
        join_line(&mut current, rest);
        current_lines += 1;
    }
    finish_block(&mut current, &mut current_lines, &mut blocks);
    flush(&mut code, &mut blocks);
    Ok(Draft {
        title,
        published_at: published.map(|p| p.0),
        published_precision: published.map(|p| p.1),
        paragraphs: blocks,
        ..Draft::default()
    })
}

#[derive(Default)]
struct FrontMatter {
    title: Option<String>,
    date: Option<String>,
}

/// Splits off a YAML front matter block (`---` … `---` at the very start), reading only its
/// `title:` and `date:` lines.
fn front_matter(text: &str) -> (FrontMatter, &str) {
    let mut front = FrontMatter::default();
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (front, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim();
        offset += line.len();
        if trimmed == "---" || trimmed == "..." {
            return (front, &rest[offset..]);
        }
        if let Some((key, value)) = trimmed.split_once(':') {
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if value.is_empty() {
                continue;
            }
            match key.trim().to_ascii_lowercase().as_str() {
                "title" => front.title = Some(value.to_string()),
                "date" | "published" | "published_at" => front.date = Some(value.to_string()),
                _ => {}
            }
        }
    }
    // No closing line: it was not front matter after all.
    (FrontMatter::default(), text)
}

fn atx_heading(line: &str) -> Option<&str> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(rest.trim().trim_end_matches('#').trim_end())
}

fn is_setext_rule(line: &str) -> bool {
    !line.is_empty() && (line.bytes().all(|b| b == b'=') || line.bytes().all(|b| b == b'-'))
}

fn is_thematic_break(line: &str) -> bool {
    let marks: Vec<u8> = line.bytes().filter(|b| *b != b' ').collect();
    marks.len() >= 3
        && [b'-', b'*', b'_']
            .iter()
            .any(|m| marks.iter().all(|b| b == m))
}

fn is_table_rule(line: &str) -> bool {
    line.contains('-')
        && line.contains('|')
        && line.bytes().all(|b| matches!(b, b'|' | b'-' | b':' | b' '))
}

fn is_link_definition(line: &str) -> bool {
    line.starts_with('[') && line.contains("]:") && !line.starts_with("[]")
}

fn list_item(line: &str) -> Option<&str> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(rest.trim_start());
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(rest.trim_start());
        }
    }
    None
}

/// Removes inline Markdown: `[text](url)` and `![alt](url)` become their text, `<url>` its
/// address, code marks and paired emphasis marks (`*`, `_`, `**`, `__`, `~~`) go; a lone `*`
/// or an underscore inside a word (snake_case) stays, as does everything in code spans.
pub(super) fn strip_inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut skip = vec![false; n];
    let mut literal = vec![false; n];

    // Escapes and code spans first: what they cover is not markup.
    let mut i = 0;
    while i < n {
        if chars[i] == '\\' && i + 1 < n && chars[i + 1].is_ascii_punctuation() {
            skip[i] = true;
            literal[i + 1] = true;
            i += 2;
            continue;
        }
        if chars[i] == '`' {
            let run = run_length(&chars, i);
            if let Some(close) = find_run(&chars, i + run, '`', run) {
                (i..i + run).for_each(|k| skip[k] = true);
                (close..close + run).for_each(|k| skip[k] = true);
                (i + run..close).for_each(|k| literal[k] = true);
                i = close + run;
                continue;
            }
            i += run;
            continue;
        }
        i += 1;
    }

    // Links, images and autolinks.
    let mut i = 0;
    while i < n {
        if literal[i] || skip[i] {
            i += 1;
            continue;
        }
        if chars[i] == '['
            && let Some(close) = matching(&chars, &literal, i, '[', ']')
        {
            let after = close + 1;
            let target_end = match chars.get(after) {
                Some('(') => matching(&chars, &literal, after, '(', ')'),
                Some('[') => matching(&chars, &literal, after, '[', ']'),
                _ => None,
            };
            if let Some(end) = target_end {
                skip[i] = true;
                if i > 0 && chars[i - 1] == '!' && !literal[i - 1] {
                    skip[i - 1] = true;
                }
                (close..=end).for_each(|k| skip[k] = true);
                // The text inside may hold an image or emphasis of its own.
                i += 1;
                continue;
            }
        }
        if chars[i] == '<' {
            let rest: String = chars[i + 1..n.min(i + 9)].iter().collect();
            let is_url = ["http://", "https:/", "mailto:"]
                .iter()
                .any(|p| rest.starts_with(p));
            if is_url
                && let Some(end) = (i + 1..n).find(|&k| chars[k] == '>' || chars[k] == ' ')
                && chars[end] == '>'
            {
                skip[i] = true;
                skip[end] = true;
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }

    // Emphasis: pair an opening run with the next closing run of the same mark and length.
    let mut openers: Vec<(usize, usize, char)> = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if literal[i] || skip[i] || !matches!(c, '*' | '_' | '~') {
            i += 1;
            continue;
        }
        let run = run_length(&chars, i);
        if c == '~' && run != 2 {
            i += run;
            continue;
        }
        let before = if i == 0 { None } else { Some(chars[i - 1]) };
        let after = chars.get(i + run).copied();
        let intraword = |x: Option<char>| x.is_some_and(char::is_alphanumeric);
        let can_open =
            after.is_some_and(|a| !a.is_whitespace()) && !(c == '_' && intraword(before));
        let can_close =
            before.is_some_and(|b| !b.is_whitespace()) && !(c == '_' && intraword(after));
        if can_close
            && let Some(pos) = openers
                .iter()
                .rposition(|&(_, len, mark)| mark == c && len == run)
        {
            let (start, len, _) = openers[pos];
            (start..start + len).for_each(|k| skip[k] = true);
            (i..i + run).for_each(|k| skip[k] = true);
            openers.truncate(pos);
            i += run;
            continue;
        }
        if can_open {
            openers.push((i, run, c));
        }
        i += run;
    }

    let out: String = chars
        .iter()
        .zip(&skip)
        .filter(|(_, s)| !**s)
        .map(|(c, _)| *c)
        .collect();
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run_length(chars: &[char], start: usize) -> usize {
    chars[start..]
        .iter()
        .take_while(|&&c| c == chars[start])
        .count()
}

/// The start of the next run of exactly `len` marks `c` at or after `from`.
fn find_run(chars: &[char], from: usize, c: char, len: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == c {
            let run = run_length(chars, i);
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// The index of the bracket closing the one at `open`, counting nesting.
fn matching(
    chars: &[char],
    literal: &[bool],
    open: usize,
    left: char,
    right: char,
) -> Option<usize> {
    let mut depth = 0usize;
    for (k, &c) in chars.iter().enumerate().skip(open) {
        if literal[k] {
            continue;
        }
        if c == left {
            depth += 1;
        } else if c == right {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}
