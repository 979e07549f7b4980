//! sentences: where does one sentence of a paragraph end and the next begin?
//!
//! Splits paragraphs into sentences for the extractive summarizer, Chinese and English in one
//! pass: Chinese ends sentences at 。！？；… (a quotation or bracket opened before the stop is
//! kept whole, and closing quotes after the stop stay with their sentence); English ends them at
//! . ! ? followed by a space and a plausible sentence start, but not after abbreviations
//! (Mr., Corp., U.S.), initials or inside decimals (3.5). Every sentence remembers its
//! 1-based paragraph, because that is what a bullet built from it cites. This module only
//! finds boundaries: it must not judge, clean or rewrite the text it returns.

/// One sentence, borrowed from its paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence<'a> {
    /// The sentence text, trimmed of surrounding whitespace.
    pub text: &'a str,
    /// The paragraph it comes from, 1-based (the number a citation uses).
    pub paragraph: usize,
    /// Byte offset of `text` within its paragraph.
    pub start: usize,
}

/// Splits every paragraph into sentences, in reading order.
pub fn split_document(paragraphs: &[String]) -> Vec<Sentence<'_>> {
    let mut out = Vec::with_capacity(paragraphs.len() * 3);
    for (i, paragraph) in paragraphs.iter().enumerate() {
        for (start, text) in split_paragraph(paragraph) {
            out.push(Sentence {
                text,
                paragraph: i + 1,
                start,
            });
        }
    }
    out
}

/// A quotation or bracket left open for this many bytes stops protecting its content: feeds
/// often drop the closing mark, and one unbalanced “ must not swallow a whole paragraph.
const MAX_PROTECTED_BYTES: usize = 360;

/// Splits one paragraph into `(byte offset, sentence)` pairs; sentences are trimmed and never
/// empty.
pub fn split_paragraph(text: &str) -> Vec<(usize, &str)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut sentence_start = 0usize;
    let mut depth = 0usize;
    let mut ascii_quote_open = false;
    let mut i = 0usize;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c == '\n' || c == '\r' {
            push_trimmed(&mut out, text, sentence_start, pos);
            sentence_start = pos + c.len_utf8();
            depth = 0;
            ascii_quote_open = false;
            i += 1;
            continue;
        }
        if is_opener(c) {
            depth += 1;
            i += 1;
            continue;
        }
        if is_closer(c) {
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        if c == '"' {
            ascii_quote_open = !ascii_quote_open;
            i += 1;
            continue;
        }
        if !is_stop(&chars, i, text) {
            i += 1;
            continue;
        }
        // A stop: take the whole run of stops and closing marks that follows it.
        let mut j = i + 1;
        let mut run_depth = depth;
        let mut run_ascii = ascii_quote_open;
        while j < chars.len() {
            let cj = chars[j].1;
            if is_terminal(cj) || cj == '.' && chars[j - 1].1 == '.' {
                j += 1;
            } else if is_closer(cj) {
                run_depth = run_depth.saturating_sub(1);
                j += 1;
            } else if cj == '"' && run_ascii {
                run_ascii = false;
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |&(p, _)| p);
        let protected = (run_depth > 0 || run_ascii) && end - sentence_start <= MAX_PROTECTED_BYTES;
        if protected {
            depth = run_depth;
            ascii_quote_open = run_ascii;
            i = j;
            continue;
        }
        push_trimmed(&mut out, text, sentence_start, end);
        sentence_start = end;
        depth = 0;
        ascii_quote_open = false;
        i = j;
    }
    push_trimmed(&mut out, text, sentence_start, text.len());
    out
}

fn push_trimmed<'a>(out: &mut Vec<(usize, &'a str)>, text: &'a str, start: usize, end: usize) {
    let raw = &text[start..end];
    let trimmed_front = raw.trim_start();
    let offset = start + (raw.len() - trimmed_front.len());
    let s = trimmed_front.trim_end();
    if s.chars().any(crate::digest::terms::is_word_char) {
        out.push((offset, s));
    }
}

fn is_opener(c: char) -> bool {
    matches!(
        c,
        '“' | '‘' | '（' | '(' | '《' | '「' | '『' | '【' | '[' | '〔' | '〈'
    )
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '）' | ')' | '》' | '」' | '』' | '】' | ']' | '〕' | '〉'
    )
}

/// Marks that end a sentence wherever they stand.
fn is_terminal(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '…' | '!' | '?' | '｡')
}

/// Is the character at `i` a sentence stop in its context?
fn is_stop(chars: &[(usize, char)], i: usize, text: &str) -> bool {
    let c = chars[i].1;
    match c {
        '。' | '！' | '？' | '；' | '…' | '｡' => true,
        '!' | '?' => follows_as_boundary(chars, i + 1),
        '.' => is_period_stop(chars, i, text),
        _ => false,
    }
}

/// After an ASCII stop (and any closing marks), is the next thing a space, a line end or a
/// CJK character?
fn follows_as_boundary(chars: &[(usize, char)], mut j: usize) -> bool {
    while j < chars.len() && (is_closer(chars[j].1) || chars[j].1 == '"' || chars[j].1 == '\'') {
        j += 1;
    }
    match chars.get(j) {
        None => true,
        Some(&(_, c)) => c.is_whitespace() || crate::document::is_cjk(c),
    }
}

/// Abbreviations that end in a period without ending the sentence (compared lowercase,
/// without the final period).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "inc", "corp", "co", "ltd",
    "plc", "llc", "bros", "dept", "univ", "assn", "gov", "gen", "sen", "rep", "rev", "col", "lt",
    "sgt", "capt", "cmdr", "adm", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "no", "nos", "vs", "etc", "approx", "est", "fig", "vol", "pp", "ca",
];

/// Words that often open an English sentence; after a dotted abbreviation such as "U.S." a
/// period ends the sentence only when one of these follows.
const SENTENCE_OPENERS: &[&str] = &[
    "The",
    "This",
    "That",
    "These",
    "Those",
    "It",
    "Its",
    "He",
    "She",
    "They",
    "We",
    "I",
    "But",
    "And",
    "In",
    "On",
    "At",
    "A",
    "An",
    "However",
    "His",
    "Her",
    "Their",
    "There",
    "Analysts",
    "Officials",
    "Meanwhile",
    "Still",
    "Yet",
    "So",
    "As",
    "If",
    "When",
    "After",
    "Before",
];

fn is_period_stop(chars: &[(usize, char)], i: usize, text: &str) -> bool {
    // "..." is a run handled by the caller once its first period counts as a stop.
    let next = chars.get(i + 1).map(|&(_, c)| c);
    match next {
        Some(c) if c.is_ascii_digit() => return false, // 3.5, 1.13
        Some('.') => return true,                      // ellipsis
        _ => {}
    }
    if !follows_as_boundary(chars, i + 1) {
        return false;
    }
    // The word before the period, back to the previous space or CJK character.
    let mut k = i;
    while k > 0 {
        let c = chars[k - 1].1;
        if c.is_whitespace() || crate::document::is_cjk(c) || is_opener(c) || c == '"' {
            break;
        }
        k -= 1;
    }
    let word_start = chars.get(k).map_or(0, |&(p, _)| p);
    let word = &text[word_start..chars[i].0];
    let next_word = next_word(chars, i + 1, text);
    // A lowercase continuation never starts a sentence ("approx. five", "Corp. said").
    if next_word.chars().next().is_some_and(|c| c.is_lowercase()) {
        return false;
    }
    if word.is_empty() {
        return true;
    }
    let single_initial = word.chars().count() == 1 && word.chars().all(|c| c.is_uppercase());
    let dotted = word.contains('.'); // U.S, e.g, a.m
    if single_initial {
        return false;
    }
    if dotted {
        return SENTENCE_OPENERS.contains(&next_word);
    }
    let lower = word
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_lowercase();
    !ABBREVIATIONS.contains(&lower.as_str())
}

/// The run of letters starting after the whitespace at `j`.
fn next_word<'a>(chars: &[(usize, char)], mut j: usize, text: &'a str) -> &'a str {
    while j < chars.len()
        && (chars[j].1.is_whitespace() || is_closer(chars[j].1) || chars[j].1 == '"')
    {
        j += 1;
    }
    let Some(&(start, _)) = chars.get(j) else {
        return "";
    };
    let mut k = j;
    while k < chars.len() && chars[k].1.is_alphabetic() && !crate::document::is_cjk(chars[k].1) {
        k += 1;
    }
    let end = chars.get(k).map_or(text.len(), |&(p, _)| p);
    &text[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &str) -> Vec<&str> {
        split_paragraph(p).into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn splits_chinese_at_stops() {
        assert_eq!(
            texts("中国稀土公告拟募资20.3亿元。江华稀土为最大矿山！是否注入？尚待观察；后续跟进"),
            vec![
                "中国稀土公告拟募资20.3亿元。",
                "江华稀土为最大矿山！",
                "是否注入？",
                "尚待观察；",
                "后续跟进"
            ]
        );
    }

    #[test]
    fn keeps_quotations_whole_and_closing_quotes_attached() {
        let p = "“此举将促进原材料加工行业。给国家带来额外收入。”安瓦尔表示，到2025年将贡献95亿令吉。他说：“这是开始。”随后离开。";
        assert_eq!(
            texts(p),
            vec![
                "“此举将促进原材料加工行业。给国家带来额外收入。”",
                "安瓦尔表示，到2025年将贡献95亿令吉。",
                "他说：“这是开始。”",
                "随后离开。"
            ]
        );
    }

    #[test]
    fn unbalanced_quote_does_not_swallow_the_paragraph() {
        let long = "稀土".repeat(100);
        let p = format!("他说：“{long}。后面还有一句。再一句。");
        assert!(texts(&p).len() >= 2);
    }

    #[test]
    fn english_abbreviations_initials_and_decimals() {
        let p = "Mr. Smith of Phelps Dodge Corp. said output rose 3.5 pct in the U.S. last year. \
                 Prabha S. Carpenter said the fund was down 9.3 percent. Exports to the U.S. The \
                 dollar fell. Is it over? \"Yes,\" he said.";
        assert_eq!(
            texts(p),
            vec![
                "Mr. Smith of Phelps Dodge Corp. said output rose 3.5 pct in the U.S. last year.",
                "Prabha S. Carpenter said the fund was down 9.3 percent.",
                "Exports to the U.S.",
                "The dollar fell.",
                "Is it over?",
                "\"Yes,\" he said."
            ]
        );
    }

    #[test]
    fn english_quotes_with_several_sentences_stay_together() {
        let p = "\"In theory, Phelps is the best stock. It's the purest play,\" one said. Others disagree.";
        assert_eq!(
            texts(p),
            vec![
                "\"In theory, Phelps is the best stock. It's the purest play,\" one said.",
                "Others disagree."
            ]
        );
    }

    #[test]
    fn ellipses_and_mixed_script() {
        assert_eq!(
            texts("价格还在涨……市场观望。Tesla rose 5%! 然后回落"),
            vec!["价格还在涨……", "市场观望。", "Tesla rose 5%!", "然后回落"]
        );
    }

    #[test]
    fn sentences_remember_paragraphs_and_offsets() {
        let paragraphs = vec![
            "第一段。第二句。".to_string(),
            "  ".to_string(),
            " 第三段".to_string(),
        ];
        let s = split_document(&paragraphs);
        assert_eq!(s.len(), 3);
        assert_eq!((s[1].text, s[1].paragraph), ("第二句。", 1));
        assert_eq!((s[2].text, s[2].paragraph, s[2].start), ("第三段", 3, 1));
        assert_eq!(
            &paragraphs[0][s[1].start..s[1].start + s[1].text.len()],
            "第二句。"
        );
    }

    #[test]
    fn punctuation_only_pieces_are_not_sentences() {
        assert_eq!(texts("。。！"), Vec::<&str>::new());
        assert_eq!(texts("好。\n\n坏。"), vec!["好。", "坏。"]);
    }
}
