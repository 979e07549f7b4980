//! segment: how does Chinese (and mixed Chinese/Latin/number) text become search terms?
//!
//! This module is the tantivy tokenizer of dossier: [`ChineseSegmenter`] cuts runs of Chinese
//! characters into words with jieba, and turns Latin words and numbers into terms by its own
//! rules (lower-cased, ASCII-folded, English-stemmed words; numbers with decimals kept and
//! thousand separators removed; full-width forms folded to ASCII). It must not know about
//! schemas, fields or query syntax: building indexes and queries belongs to the index and
//! search modules, which get tokens ([`register`]) and query words ([`query_words`]) from here.
//!
//! Two modes share one jieba dictionary (loaded once, see [`ChineseSegmenter::for_index`]):
//! - query mode emits main words only, at consecutive positions;
//! - index mode emits the same main words at the same positions, plus, at the position of a
//!   long word, its dictionary sub-words (中国稀土 → 中国, 稀土) and the parts of a mixed
//!   letter/digit token (300ETF → 300, etf). A query for a part of a long word therefore finds
//!   it, and phrase queries built from query-mode words still see consecutive positions.
//!   Known limit: a phrase that needs two sub-words of ONE main word cannot match (证券/交易所
//!   inside the single dictionary word 上海证券交易所), as all sub-words share one position.
//!
//! HMM new-word discovery is OFF. Measured on 1,500 qqnews + 1,500 FinCUGE documents (6 MB of
//! Chinese; 5,000 frequent words as queries, 760k occurrences): a phrase of query-mode words
//! matched the index-mode tokens at 98.30% of the places the word occurs without HMM and 98.02%
//! with it (HMM glues names such as 恒大, 中美 to their neighbours depending on context), and
//! jieba is faster without it. Finance words jieba lacks come from the embedded user
//! dictionary `segment_dict.txt` instead.
//!
//! Decisions a searcher can rely on:
//! - `A股`, `B股`, `H股` (and any letters + Chinese that jieba's dictionary knows as one word,
//!   such as `IC卡`) are one term, `a股`, whatever the letter case in text or query.
//! - Punctuation, `%` and whitespace make no tokens and do not advance positions.
//! - Offsets are byte offsets into the original text, always on char boundaries; a folded
//!   full-width character keeps the offsets of its original.
//! - A term longer than [`MAX_TERM_BYTES`] (scraping junk, base64) is dropped but still takes
//!   its position, so phrases do not match across it.
//!
//! Speed: index mode costs about 1.3x jieba's own cut of the same text, i.e. ~30 MB/s of
//! qqnews per core when jieba alone does ~40 (`cargo run --release --example
//! segment_throughput`).

use std::sync::LazyLock;
use std::time::Instant;

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer, TokenizerManager};

use crate::document::is_cjk;

/// Name under which [`register`] installs the index-mode segmenter; schema fields use it.
pub const INDEX_TOKENIZER: &str = "dossier_zh";
/// Name under which [`register`] installs the query-mode segmenter.
pub const QUERY_TOKENIZER: &str = "dossier_zh_query";

/// Longest term kept, in bytes. Longer runs are junk (hashes, base64) in this corpus.
pub const MAX_TERM_BYTES: usize = 64;

/// Finance words the default jieba dictionary lacks (format and policy in the file).
const USER_DICT: &str = include_str!("segment_dict.txt");

/// Jieba's dictionary takes 0.15-0.3 s to load, so every segmenter shares this one.
static JIEBA: LazyLock<Jieba> = LazyLock::new(load_jieba);

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

fn load_jieba() -> Jieba {
    let started = Instant::now();
    let mut jieba = Jieba::new();
    let mut added = 0usize;
    for (index, line) in USER_DICT.lines().enumerate() {
        match parse_dict_line(line) {
            None => {}
            Some(Ok(entry)) => {
                jieba.add_word(entry.word, Some(entry.freq), entry.tag);
                added += 1;
            }
            // The file is compiled in and checked by a unit test; a bad line costs one word,
            // not the tokenizer.
            Some(Err(message)) => {
                tracing::error!(line = index + 1, %message, "bad line in segment_dict.txt")
            }
        }
    }
    tracing::debug!(
        user_words = added,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "jieba dictionary loaded"
    );
    jieba
}

/// One word of `segment_dict.txt`.
#[derive(Debug)]
struct DictEntry<'a> {
    word: &'a str,
    freq: usize,
    tag: Option<&'a str>,
}

/// One line of `segment_dict.txt`: `None` for blank and `#` lines.
fn parse_dict_line(line: &str) -> Option<Result<DictEntry<'_>, String>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let word = fields.next()?;
    let parsed = match fields.next().map(str::parse::<usize>) {
        Some(Ok(freq)) if freq > 0 => Ok(DictEntry { word, freq, tag: fields.next() }),
        _ => Err(format!("{line:?}: expected `word frequency [tag]` with a positive frequency")),
    };
    Some(parsed)
}

/// Registers the index-mode segmenter as [`INDEX_TOKENIZER`] and the query-mode one as
/// [`QUERY_TOKENIZER`]. Loads the jieba dictionary if no segmenter did yet.
pub fn register(manager: &TokenizerManager) {
    manager.register(INDEX_TOKENIZER, ChineseSegmenter::for_index());
    manager.register(QUERY_TOKENIZER, ChineseSegmenter::for_query());
}

/// The words of `text` with their part-of-speech tags (jieba's: `n` noun, `nr` person, `ns`
/// place, `nt` organization, `nz` other name, `vn` verbal noun, `v` verb, `eng` Latin, …), in
/// order and covering the text: the digest names its themes with noun phrases.
pub fn tagged_words(text: &str) -> Vec<(&str, &str)> {
    JIEBA.tag(text, false).into_iter().map(|t| (t.word, t.tag)).collect()
}

/// Whether jieba's dictionary (with the finance words) holds `word` as one word: query
/// expansion looks for the known words inside compound and unknown query words with it.
pub fn is_dictionary_word(word: &str) -> bool {
    JIEBA.has_word(word)
}

/// The query-mode terms of `text`, in order (what a search for `text` looks for).
pub fn query_words(text: &str) -> Vec<String> {
    let mut segmenter = ChineseSegmenter::for_query();
    let mut stream = segmenter.token_stream(text);
    let mut words = Vec::new();
    while let Some(token) = stream.next() {
        words.push(token.text.clone());
    }
    words
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Index,
    Query,
}

/// The dossier tokenizer; see the module documentation for the rules. Cheap to construct and
/// clone (the dictionary is shared); it keeps buffers between calls, so reuse one per thread.
pub struct ChineseSegmenter {
    mode: Mode,
    jieba: &'static Jieba,
    buffers: Buffers,
}

impl ChineseSegmenter {
    /// Main words plus the sub-words of long words, for indexing. The first segmenter built
    /// in a process loads the shared dictionary; later ones are free.
    pub fn for_index() -> Self {
        Self::new(Mode::Index)
    }

    /// Main words only, for queries.
    pub fn for_query() -> Self {
        Self::new(Mode::Query)
    }

    fn new(mode: Mode) -> Self {
        ChineseSegmenter { mode, jieba: &JIEBA, buffers: Buffers::default() }
    }
}

impl Clone for ChineseSegmenter {
    fn clone(&self) -> Self {
        // Buffers are scratch space; a clone starts with its own empty ones.
        Self::new(self.mode)
    }
}

impl std::fmt::Debug for ChineseSegmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChineseSegmenter").field("mode", &self.mode).finish()
    }
}

impl Tokenizer for ChineseSegmenter {
    type TokenStream<'a> = SegmentTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SegmentTokenStream<'a> {
        let Buffers { chars, tokens, texts, word, joined, joined_offsets, bounds } = &mut self.buffers;
        tokens.clear();
        texts.clear();
        let mut cutter = Cutter {
            mode: self.mode,
            jieba: self.jieba,
            text,
            sink: Sink { text, tokens, texts, next_position: 0 },
            chars,
            chars_end: 0,
            word,
            joined,
            joined_offsets,
            bounds,
        };
        cutter.cut();
        SegmentTokenStream {
            text,
            pending: &self.buffers.tokens,
            texts: &self.buffers.texts,
            next: 0,
            token: Token::default(),
        }
    }
}

/// The tokens of one text, cut in full before the first is handed out.
pub struct SegmentTokenStream<'a> {
    text: &'a str,
    pending: &'a [PendingToken],
    texts: &'a str,
    next: usize,
    token: Token,
}

impl TokenStream for SegmentTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(pending) = self.pending.get(self.next) else {
            return false;
        };
        self.next += 1;
        self.token.offset_from = pending.from;
        self.token.offset_to = pending.to;
        self.token.position = pending.position;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(pending.term(self.text, self.texts));
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Scratch space reused across texts so that cutting allocates only while buffers grow.
#[derive(Default)]
struct Buffers {
    /// A letter/digit run: (byte offset in the text, character after width folding).
    chars: Vec<(usize, char)>,
    tokens: Vec<PendingToken>,
    /// The texts of all `tokens`, back to back.
    texts: String,
    /// One Latin word being normalised before stemming.
    word: String,
    /// Letters + Chinese handed to jieba together (the `A股` case) ...
    joined: String,
    /// ... and the original byte offset of each of its characters, plus the end.
    joined_offsets: Vec<usize>,
    /// Byte offsets of the characters of a word being searched for sub-words.
    bounds: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
struct PendingToken {
    from: usize,
    to: usize,
    position: usize,
    term: Term,
}

/// Where a token's term is spelled out.
#[derive(Debug, Clone, Copy)]
enum Term {
    /// As in the text at the token's offsets (Chinese words: no copy needed).
    Surface,
    /// At `start..end` of `Buffers::texts` (normalised Latin words and numbers).
    Normalized { start: usize, end: usize },
}

impl PendingToken {
    fn term<'t>(&self, text: &'t str, texts: &'t str) -> &'t str {
        match self.term {
            Term::Surface => &text[self.from..self.to],
            Term::Normalized { start, end } => &texts[start..end],
        }
    }
}

struct Sink<'b> {
    text: &'b str,
    tokens: &'b mut Vec<PendingToken>,
    texts: &'b mut String,
    next_position: usize,
}

impl Sink<'_> {
    fn take_position(&mut self) -> usize {
        self.next_position += 1;
        self.next_position - 1
    }

    /// Emits a main word whose text `write` appends; returns its position.
    fn main_word(&mut self, from: usize, to: usize, write: impl FnOnce(&mut String)) -> usize {
        let position = self.take_position();
        self.push(from, to, position, write);
        position
    }

    /// Emits a main word spelled as the text at `from..to`; returns its position.
    fn main_surface(&mut self, from: usize, to: usize) -> usize {
        let position = self.take_position();
        self.push_surface(from, to, position);
        position
    }

    /// Emits a sub-word at the position of its main word.
    fn sub_word(&mut self, from: usize, to: usize, position: usize, write: impl FnOnce(&mut String)) {
        self.push(from, to, position, write);
    }

    fn push(&mut self, from: usize, to: usize, position: usize, write: impl FnOnce(&mut String)) {
        let start = self.texts.len();
        write(self.texts);
        let end = self.texts.len();
        if end == start || end - start > MAX_TERM_BYTES {
            self.texts.truncate(start);
            return;
        }
        self.tokens.push(PendingToken { from, to, position, term: Term::Normalized { start, end } });
    }

    fn push_surface(&mut self, from: usize, to: usize, position: usize) {
        if from < to && to - from <= MAX_TERM_BYTES {
            self.tokens.push(PendingToken { from, to, position, term: Term::Surface });
        }
    }
}

/// Kind of a stretch inside a letter/digit run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Letters,
    Number,
}

#[derive(Debug, Clone, Copy)]
struct Part {
    kind: PartKind,
    /// Character indices into `Cutter::chars`.
    start: usize,
    end: usize,
}

/// A run of more parts than this (`ufS9nITyy5f`) is an identifier or junk: no sub-words.
const MAX_PARTS_WITH_SUB_WORDS: usize = 4;

/// Longest word whose every sub-string is looked up as a sub-word; longer words (rare) only
/// offer their 2- to 4-character sub-words.
const MAX_WORD_CHARS_FOR_ALL_SUB_WORDS: usize = 12;

/// Cuts one text into `sink`. The text is scanned by bytes; only a letter/digit run is
/// decoded into `chars`, since its rules look at neighbouring characters.
struct Cutter<'c> {
    mode: Mode,
    jieba: &'static Jieba,
    text: &'c str,
    sink: Sink<'c>,
    /// The current letter/digit run: (byte offset in `text`, character after width folding).
    chars: &'c mut Vec<(usize, char)>,
    /// Byte offset just after the last character in `chars`.
    chars_end: usize,
    word: &'c mut String,
    joined: &'c mut String,
    joined_offsets: &'c mut Vec<usize>,
    bounds: &'c mut Vec<usize>,
}

impl Cutter<'_> {
    fn cut(&mut self) {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                i = if b.is_ascii_alphanumeric() { self.cut_latin_run(i) } else { i + 1 };
                continue;
            }
            let Some(c) = text[i..].chars().next() else { break };
            i = if is_cjk(c) {
                let end = self.chinese_span_end(i);
                self.cut_chinese(i, end);
                end
            } else if starts_latin_run(fold_width(c)) {
                self.cut_latin_run(i)
            } else if is_cjk_punctuation(c) || !c.is_alphanumeric() {
                i + c.len_utf8()
            } else {
                // Another script (kana, Hangul, Greek, Cyrillic...): one lower-cased term.
                let end = self.other_script_run_end(i);
                let surface = &text[i..end];
                self.sink.main_word(i, end, |out| out.extend(surface.chars().flat_map(char::to_lowercase)));
                end
            };
        }
    }

    fn cjk_run_end(&self, start: usize) -> usize {
        self.text[start..]
            .char_indices()
            .find(|&(_, c)| !is_cjk(c))
            .map_or(self.text.len(), |(offset, _)| start + offset)
    }

    /// End of the span of Chinese characters and separators at `start`: one jieba call per
    /// span rather than per run between punctuation marks (a third of the overhead). Stops
    /// before anything this module cuts by its own rules, and before the ASCII symbols jieba
    /// would put inside a Chinese block (`+#&._%-`).
    fn chinese_span_end(&self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut k = start;
        while k < bytes.len() {
            let b = bytes[k];
            k += if (0xE4..=0xE9).contains(&b) {
                // U+4000..=U+9FFF: ideographs (and the Yijing symbols, separators), the bulk
                // of the text, recognised from the lead byte.
                3
            } else if b < 0x80 {
                if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'#' | b'&' | b'.' | b'_' | b'%' | b'-') {
                    break;
                }
                1
            } else {
                let Some(c) = self.text[k..].chars().next() else { break };
                let folded = fold_width(c);
                let separator = !c.is_alphanumeric() && !starts_latin_run(folded) && folded != '.';
                if !(is_cjk(c) || is_cjk_punctuation(c) || separator) {
                    break;
                }
                c.len_utf8()
            };
        }
        k
    }

    fn other_script_run_end(&self, start: usize) -> usize {
        self.text[start..]
            .char_indices()
            .find(|&(_, c)| {
                let c = fold_width(c);
                !c.is_alphanumeric() || is_cjk(c) || starts_latin_run(c)
            })
            .map_or(self.text.len(), |(offset, _)| start + offset)
    }

    /// Byte offset of `chars[index]`, or the end of the decoded run.
    fn byte_at(&self, index: usize) -> usize {
        self.chars.get(index).map_or(self.chars_end, |&(offset, _)| offset)
    }

    fn char_at(&self, index: usize) -> Option<char> {
        self.chars.get(index).map(|&(_, c)| c)
    }

    /// Cuts the Chinese words of the span at bytes `run_from..run_to` with jieba, dropping
    /// the separators it hands back one by one.
    fn cut_chinese(&mut self, run_from: usize, run_to: usize) {
        let run = &self.text[run_from..run_to];
        for token in self.jieba.cut(run, false) {
            if !token.word.chars().next().is_some_and(is_cjk) {
                continue;
            }
            let from = run_from + token.byte_start;
            let position = self.sink.main_surface(from, run_from + token.byte_end);
            if self.mode == Mode::Index && token.end - token.start > 2 {
                let subs = SubWords { word: token.word, position, surface: true };
                emit_sub_words(self.jieba, &mut self.sink, self.bounds, subs, |_, offset| from + offset);
            }
        }
    }

    /// Decodes the characters that may belong to a letter/digit run starting at byte `start`
    /// into `chars`.
    fn decode_latin_candidates(&mut self, start: usize) {
        self.chars.clear();
        self.chars_end = self.text.len();
        for (offset, c) in self.text[start..].char_indices() {
            let c = fold_width(c);
            if !(starts_latin_run(c) || matches!(c, '.' | ',' | '\'')) {
                self.chars_end = start + offset;
                break;
            }
            self.chars.push((start + offset, c));
        }
    }

    /// Cuts the letter/digit run starting at byte `start`; returns the byte offset after what
    /// it consumed.
    fn cut_latin_run(&mut self, start: usize) -> usize {
        self.decode_latin_candidates(start);
        let end = self.latin_run_end(self.follows_unjoined_dot(start));
        let mut parts = [Part { kind: PartKind::Letters, start: 0, end: 0 }; MAX_PARTS_WITH_SUB_WORDS];
        let mut part_count = 0usize;
        let kind_at = |k: usize| {
            if is_number_char(self.chars[k].1) { PartKind::Number } else { PartKind::Letters }
        };
        let mut k = 0;
        while k < end {
            let kind = kind_at(k);
            let mut part_end = k + 1;
            while part_end < end && kind_at(part_end) == kind {
                part_end += 1;
            }
            if part_count < parts.len() {
                parts[part_count] = Part { kind, start: k, end: part_end };
            }
            part_count += 1;
            k = part_end;
        }

        if part_count == 1
            && parts[0].kind == PartKind::Letters
            && end <= 4
            && let Some(chinese_end) = self.dictionary_word_after_letters(end)
        {
            self.cut_letters_with_chinese(end, chinese_end);
            return chinese_end;
        }

        let (from, to) = (self.byte_at(0), self.byte_at(end));
        if part_count == 1 {
            let part = parts[0];
            match part.kind {
                PartKind::Letters => {
                    self.normalize_letters(part);
                    let word: &str = self.word;
                    self.sink.main_word(from, to, |out| push_stem(out, word));
                }
                PartKind::Number => {
                    let chars = &self.chars[part.start..part.end];
                    self.sink.main_word(from, to, |out| push_number(out, chars));
                }
            }
            return to;
        }

        // Mixed letters and digits (5G, SH600018, 18.1GWh): one term as written, and in
        // index mode its parts of two or more characters as sub-words.
        let chars = &self.chars[..end];
        let position = self.sink.main_word(from, to, |out| {
            for &(_, c) in chars {
                push_normalized(out, c);
            }
        });
        if self.mode == Mode::Index && part_count <= MAX_PARTS_WITH_SUB_WORDS {
            for &part in &parts[..part_count] {
                let (part_from, part_to) = (self.byte_at(part.start), self.byte_at(part.end));
                match part.kind {
                    PartKind::Letters => {
                        self.normalize_letters(part);
                        if self.word.len() >= 2 {
                            let word: &str = self.word;
                            self.sink.sub_word(part_from, part_to, position, |out| push_stem(out, word));
                        }
                    }
                    PartKind::Number => {
                        let chars = &self.chars[part.start..part.end];
                        if chars.len() >= 2 {
                            self.sink.sub_word(part_from, part_to, position, |out| push_number(out, chars));
                        }
                    }
                }
            }
        }
        to
    }

    /// True when the text before byte `start` is a digit and a dot: the `2` of `1.2.3`, whose
    /// number then takes no dot either.
    fn follows_unjoined_dot(&self, start: usize) -> bool {
        let mut before = self.text[..start].chars().rev().map(fold_width);
        before.next() == Some('.') && before.next().is_some_and(|c| c.is_ascii_digit())
    }

    /// Length of the letter/digit run at the start of `chars`. Inside it, `.` joins digits as
    /// a decimal point (once per number; in `2024.05.01` no dot joins), `,` joins digit groups
    /// of three as a thousands separator, and an apostrophe joins letters (Moody's).
    fn latin_run_end(&self, mut dot_seen: bool) -> usize {
        let n = self.chars.len();
        let is_digit_at = |k: usize| self.char_at(k).is_some_and(|c| c.is_ascii_digit());
        let mut digit_group = 0usize;
        let mut k = 0;
        while k < n {
            let c = self.chars[k].1;
            if c.is_ascii_digit() {
                digit_group += 1;
                k += 1;
                continue;
            }
            if is_latin_letter(c) {
                digit_group = 0;
                dot_seen = false;
                k += 1;
                continue;
            }
            let joins = match c {
                '.' => digit_group > 0 && !dot_seen && is_digit_at(k + 1) && !self.dotted_sequence_at(k + 1),
                ',' => {
                    digit_group > 0
                        && digit_group <= 3
                        && !dot_seen
                        && (1..=3).all(|d| is_digit_at(k + d))
                        && !is_digit_at(k + 4)
                }
                '\'' => k > 0 && is_latin_letter(self.chars[k - 1].1) && self.char_at(k + 1).is_some_and(is_latin_letter),
                _ => false,
            };
            if !joins {
                break;
            }
            if c == '.' {
                dot_seen = true;
            }
            digit_group = 0;
            k += 1;
        }
        k
    }

    /// True when the digits at `k` are followed by another dot and digit (`05.01` of a date).
    fn dotted_sequence_at(&self, mut k: usize) -> bool {
        while self.char_at(k).is_some_and(|c| c.is_ascii_digit()) {
            k += 1;
        }
        self.char_at(k) == Some('.') && self.char_at(k + 1).is_some_and(|c| c.is_ascii_digit())
    }

    /// When the ASCII letters `chars[..end]` are directly followed by Chinese and together they
    /// begin a dictionary word (A股, IC卡), the byte offset where that Chinese run ends.
    fn dictionary_word_after_letters(&mut self, end: usize) -> Option<usize> {
        let chinese_start = self.byte_at(end);
        if !self.text[chinese_start..].chars().next().is_some_and(is_cjk)
            || !self.chars[..end].iter().all(|(_, c)| c.is_ascii())
        {
            return None;
        }
        self.joined.clear();
        self.joined.extend(self.chars[..end].iter().map(|(_, c)| c.to_ascii_uppercase()));
        let mut found = false;
        for c in self.text[chinese_start..].chars().take(4).take_while(|&c| is_cjk(c)) {
            self.joined.push(c);
            if self.jieba.has_word(self.joined) {
                found = true;
                break;
            }
        }
        found.then(|| self.cjk_run_end(chinese_start))
    }

    /// Lets jieba cut the letters `chars[..letters_end]` together with the Chinese that
    /// follows up to byte `chinese_end`; its dictionary decides whether the letters join a
    /// word (`A股市场` → a股, 市场).
    fn cut_letters_with_chinese(&mut self, letters_end: usize, chinese_end: usize) {
        self.joined.clear();
        self.joined_offsets.clear();
        for &(offset, c) in &self.chars[..letters_end] {
            // Upper case: the dictionary spells these words with capitals, users often don't.
            self.joined.push(c.to_ascii_uppercase());
            self.joined_offsets.push(offset);
        }
        let chinese_start = self.byte_at(letters_end);
        for (offset, c) in self.text[chinese_start..chinese_end].char_indices() {
            self.joined.push(c);
            self.joined_offsets.push(chinese_start + offset);
        }
        self.joined_offsets.push(chinese_end);
        let joined: &str = self.joined;
        let offsets: &[usize] = self.joined_offsets;
        for token in self.jieba.cut(joined, false) {
            let (from, to) = (offsets[token.start], offsets[token.end]);
            if token.word.bytes().all(|b| b.is_ascii_alphabetic()) {
                self.word.clear();
                self.word.extend(token.word.chars().map(|c| c.to_ascii_lowercase()));
                let word: &str = self.word;
                self.sink.main_word(from, to, |out| push_stem(out, word));
                continue;
            }
            let position = self.sink.main_word(from, to, |out| push_lowercase_ascii(out, token.word));
            if self.mode == Mode::Index && token.end - token.start > 2 {
                let word_start = token.start;
                let subs = SubWords { word: token.word, position, surface: false };
                emit_sub_words(self.jieba, &mut self.sink, self.bounds, subs, |index, _| offsets[word_start + index]);
            }
        }
    }

    /// Leaves the lower-cased, ASCII-folded letters of `part` in `self.word`.
    fn normalize_letters(&mut self, part: Part) {
        self.word.clear();
        for &(_, c) in &self.chars[part.start..part.end] {
            push_normalized(self.word, c);
        }
    }
}

/// A main word of three or more characters whose dictionary sub-words to emit.
struct SubWords<'w> {
    word: &'w str,
    position: usize,
    /// The word is spelled as in the text (Chinese), so sub-words are too.
    surface: bool,
}

/// Emits, at the main word's position, the dictionary words inside it: every sub-string of
/// 2..n-1 characters jieba knows (2..=4 for a word longer than
/// [`MAX_WORD_CHARS_FOR_ALL_SUB_WORDS`]), each once. `original_offset` maps (character index,
/// byte offset) in the word to a byte offset in the text.
fn emit_sub_words(
    jieba: &Jieba,
    sink: &mut Sink<'_>,
    bounds: &mut Vec<usize>,
    subs: SubWords<'_>,
    original_offset: impl Fn(usize, usize) -> usize,
) {
    let word = subs.word;
    bounds.clear();
    bounds.extend(word.char_indices().map(|(offset, _)| offset));
    bounds.push(word.len());
    let char_count = bounds.len() - 1;
    let longest = if char_count <= MAX_WORD_CHARS_FOR_ALL_SUB_WORDS { char_count - 1 } else { 4 };
    let first_sub_word = sink.tokens.len();
    for len in 2..=longest {
        for i in 0..=char_count - len {
            let gram = &word[bounds[i]..bounds[i + len]];
            if !jieba.has_word(gram) {
                continue;
            }
            let (text, texts): (&str, &str) = (sink.text, sink.texts);
            let already = sink.tokens[first_sub_word..]
                .iter()
                .any(|t| t.term(text, texts).eq_ignore_ascii_case(gram));
            if already {
                continue;
            }
            let from = original_offset(i, bounds[i]);
            let to = original_offset(i + len, bounds[i + len]);
            if subs.surface {
                sink.push_surface(from, to, subs.position);
            } else {
                sink.sub_word(from, to, subs.position, |out| push_lowercase_ascii(out, gram));
            }
        }
    }
}

/// Folds full-width ASCII letters and digits (ＡＢＣ１２３) and the full-width full stop to ASCII,
/// and the typographic apostrophe to `'`. The full-width comma stays: in Chinese it separates
/// clauses, never thousands.
fn fold_width(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '．' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2019}' => '\'',
        _ => c,
    }
}

/// Characters (after width folding) that begin a letter/digit run.
fn starts_latin_run(c: char) -> bool {
    c.is_ascii_alphanumeric() || is_latin_letter(c)
}

/// CJK and full-width punctuation, the bulk of non-word characters in Chinese text; checked
/// before the slower Unicode alphanumeric lookup. Leaves out the ideographic letters of the
/// CJK symbols block (々, 〇, 〡...), which are words.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(c,
        '\u{2000}'..='\u{206F}'
        | '\u{3000}'..='\u{3004}'
        | '\u{3008}'..='\u{3020}'
        | '\u{3030}'
        | '\u{303D}'..='\u{303F}'
        | '\u{FF00}'..='\u{FF0F}'
        | '\u{FF1A}'..='\u{FF20}')
}

/// ASCII letters and the accented Latin letters [`fold_latin`] knows.
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (!c.is_ascii() && fold_latin(c).is_some())
}

fn is_number_char(c: char) -> bool {
    c.is_ascii_digit() || c == '.' || c == ','
}

/// Appends `c` of a letter/digit run as a term spells it: lower case, ASCII, no `,`.
fn push_normalized(out: &mut String, c: char) {
    if c.is_ascii() {
        if c != ',' {
            out.push(c.to_ascii_lowercase());
        }
    } else if let Some(folded) = fold_latin(c) {
        out.push_str(folded);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// Appends the English stem of a lower-case word.
fn push_stem(out: &mut String, word: &str) {
    // Snowball leaves words of one or two letters alone; skip its setup for them.
    if word.len() <= 2 {
        out.push_str(word);
    } else {
        out.push_str(&STEMMER.stem(word));
    }
}

/// Appends a number: digits and its decimal point, without thousands separators.
fn push_number(out: &mut String, chars: &[(usize, char)]) {
    out.extend(chars.iter().map(|&(_, c)| c).filter(|&c| c != ','));
}

fn push_lowercase_ascii(out: &mut String, word: &str) {
    let start = out.len();
    out.push_str(word);
    out[start..].make_ascii_lowercase();
}

/// The lower-case ASCII spelling of an accented Latin letter (Latin-1 and Latin Extended-A).
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'à'..='å' | 'Ā'..='ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć'..='č' => "c",
        'Ð' | 'ð' | 'Ď'..='đ' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē'..='ě' => "e",
        'Ĝ'..='ģ' => "g",
        'Ĥ'..='ħ' => "h",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ĩ'..='ı' => "i",
        'Ĳ' | 'ĳ' => "ij",
        'Ĵ' | 'ĵ' => "j",
        'Ķ'..='ĸ' => "k",
        'Ĺ'..='ł' => "l",
        'Ñ' | 'ñ' | 'Ń'..='ŋ' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō'..='ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ŕ'..='ř' => "r",
        'ß' => "ss",
        'Ś'..='š' | 'ſ' => "s",
        'Ţ'..='ŧ' => "t",
        'Þ' | 'þ' => "th",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ũ'..='ų' => "u",
        'Ŵ' | 'ŵ' => "w",
        'Ý' | 'ý' | 'ÿ' | 'Ŷ'..='Ÿ' => "y",
        'Ź'..='ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real sentences from the shared corpora (file, document id, sentence), copied verbatim.
    const GOLDEN: &[(&str, &str, &str)] = &[
        ("qqnews", "qq-216", "12月30日中国稀土公告，拟向不超过35名特定投资者非公开发行股份，募资20.3亿元，扣除发行费用后的募集资金净额拟收购五矿稀土集团持有的江华稀土94.67%股权，以及补充流动资金。"),
        ("qqnews", "qq-216", "2021年12月，中国铝业集团、中国五矿集团、赣州稀土集团引入中国钢研科技集团、有研科技集团，成立一家新央企“中国稀土集团”，总部罕见落户于江西赣州，隶属于国务院国资委。"),
        ("qqnews", "qq-216", "经估算，第一期开采区内稀土矿（TR2O3）保有资源储量37890吨，采损5641吨，累计查明43531吨。"),
        ("qqnews", "qq-17948", "由于MP Materials目前生产的稀土精矿主要根据《承购协议》销售，而根据该协议，产品的主要客户就是中国的精炼商。"),
        ("qqnews", "qq-2003", "沪深300、上证50最低位的绝对跌幅达到了一半，明显处在一个机会区里边。"),
        ("qqnews", "qq-271", "2018年6月，宁德时代在深交所上市，IPO募资超过130亿元，刷新了中国民营企业A股上市的募资记录。"),
        ("qqnews", "qq-187", "日前，上港集团（SH600018，股价5.34元，市值1243亿元）振东分公司的在场空箱堆存量占比超过90%。"),
        ("qqnews", "qq-1102", "比亚迪新进前十，以7,780亿元的价值位列第九，其价值仅下降4%"),
        ("qqnews", "qq-1614", "Research公布的数据显示，2022年10月，单单宁德时代和比亚迪的装机量分别达到了18.1GWh和7.8GWh，占据的全球市场份额分别达到了37.6%和16.2%。"),
        ("qqnews", "qq-2258", "Peter Wennink说，总体而言，出口管制将“造成一定程度的破坏，影响效率和创新，这会波及到我们所有人。"),
        ("qqnews", "qq-2136", "除此之外，华侨城Ａ(000069)预计2022年亏损 **80亿元-110亿元** ；华能国际(600011)预计2022年亏损 **70亿元-84亿元**"),
        ("qqnews", "qq-1603", "沪指累跌2.87％，北向资金“虎尾”连续13日加仓创纪录"),
        ("qqnews", "qq-124", "市场监管总局责令知网停止违法行为，并处2021年度中国境内销售额17.52亿元的5%，共计8760万元的罚款。"),
        ("fincuge", "finna-1066", "核心标的：1）上游资源端，北方稀土、包钢股份、盛和资源等；2）中游磁材端，金力永磁、正海磁材、大地熊、宁波韵升、中科三环等。"),
        ("fincuge", "finna-2567", "2月7日消息，A股虎年开盘首日，指数早盘高开后一度持续冲高，三大股指一度集体涨超2%，随后涨幅有所收窄，油气股、稀土永磁、煤炭等板块涨幅居前，个股呈现普涨态势，两市超3600股飘红。"),
        ("fincuge", "finna-535", "Choice数据显示，本周北向资金累计净流入291.97亿元，其中沪股通资金净流入197.35亿元，深股通资金净流入94.62亿元。"),
        ("fincuge", "finna-1005", "中概互联网指数ETF涨超4.2%，中国科技指数ETF涨超2.6%，德银嘉实沪深300指数ETF涨1.3%。"),
        ("fincuge", "finna-2439", "华虹半导体(01347.HK)2021年全年纯利2.12亿美元，升113.3%；去年末季纯利按年升92.9%至8,412.7万美元。"),
        ("fincuge", "finna-1115", "华侨城Ａ公告，2021年度公司累计实现合同销售面积398.8万平方米，较上年同期下降13%；合同销售金额824.7亿元，较上年同期下降21%。"),
        ("fincuge", "finna-3489", "三美股份公告，预计2021年净利润4.7亿元-5.8亿元，同比增长111.86%-161.44%；公司产品HCFC-142b作为PVDF的原料，市场供不应求，价格同比涨幅较大。"),
        ("fincuge", "finna-280", "近日，*ST巴士发布了公司2021年年报在内的系列公告，2021年公司实现营业收入2.74亿元，同比增长62.78%；归属于上市公司股东的净利润1.49亿元，同比扭亏为盈。"),
        ("cctv_xwlb", "xwlb-20230420-7053", "其中，汽车3月份产销同比分别增长15.3%和9.7%，新能源汽车３月份产销同比分别增长44.8%和34.8%。"),
        ("cctv_xwlb", "xwlb-20250404-17247", "同日，商务部发布2025年第18号公告，对钐、钆、铽、镝、镥、钪、钇等7类中重稀土相关物项实施出口管制；发布第21号公告，将16家美涉军实体列入出口管制管控名单，禁止向其出口两用物项。"),
        ("cctv_xwlb", "xwlb-20240417-12269", "5G基站总量超过350万个，东数西算、光纤通信等新基础设施持续加速，数字经济核心产业增加值2023年超过12万亿元，占GDP比重达10%左右。"),
        ("cctv_xwlb", "xwlb-20230722-8396", "上海证券交易所今天（7月22日）宣布，从开市到今年6月末，科创板累计首发上市超540家公司，首发融资额超8400亿元人民币，占同期境内A股融资总额的四成以上。"),
    ];

    fn tokens(segmenter: &mut ChineseSegmenter, text: &str) -> Vec<Token> {
        let mut stream = segmenter.token_stream(text);
        let mut out = Vec::new();
        stream.process(&mut |token| out.push(token.clone()));
        out
    }

    fn index_tokens(text: &str) -> Vec<Token> {
        tokens(&mut ChineseSegmenter::for_index(), text)
    }

    fn index_words(text: &str) -> Vec<String> {
        index_tokens(text).into_iter().map(|t| t.text).collect()
    }

    /// One line: main words separated by " | ", each followed by its sub-words in parentheses.
    fn render(tokens: &[Token]) -> String {
        let mut line = String::new();
        let mut last_position = None;
        let mut in_subs = false;
        for token in tokens {
            if last_position == Some(token.position) {
                line.push_str(if in_subs { " " } else { " (" });
                in_subs = true;
            } else {
                if in_subs {
                    line.push(')');
                    in_subs = false;
                }
                if last_position.is_some() {
                    line.push_str(" | ");
                }
            }
            line.push_str(&token.text);
            last_position = Some(token.position);
        }
        if in_subs {
            line.push(')');
        }
        line
    }

    fn render_golden(segmenter: &mut ChineseSegmenter) -> String {
        GOLDEN
            .iter()
            .map(|(_, id, sentence)| format!("[{id}] {}\n", render(&tokens(segmenter, sentence))))
            .collect()
    }

    #[test]
    fn golden_index_mode() {
        insta::assert_snapshot!(render_golden(&mut ChineseSegmenter::for_index()));
    }

    #[test]
    fn golden_query_mode() {
        insta::assert_snapshot!(render_golden(&mut ChineseSegmenter::for_query()));
    }
    fn main_words(tokens: &[Token]) -> Vec<(usize, String)> {
        let mut mains: Vec<(usize, String)> = Vec::new();
        for token in tokens {
            if mains.last().is_none_or(|(position, _)| *position != token.position) {
                mains.push((token.position, token.text.clone()));
            }
        }
        mains
    }

    /// A few hundred real documents: titles and paragraphs of the first 150 qqnews and 150
    /// FinCUGE articles of the sample bundled for the demo (data/sample.jsonl.gz), so that a bare
    /// clone runs these tests on real text without ../shared.
    fn corpus_sample() -> Vec<String> {
        use std::io::BufRead;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.jsonl.gz");
        let gz = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(gz));
        let (mut qqnews, mut fincuge) = (0, 0);
        let mut texts = Vec::new();
        for line in reader.lines() {
            let record: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            let id = record["id"].as_str().unwrap_or_default();
            // FinCUGE ids are finna-, finnl-, finqa-: one per task of the benchmark.
            let counter = if id.starts_with("qq-") {
                &mut qqnews
            } else if id.starts_with("fin") {
                &mut fincuge
            } else {
                continue;
            };
            if *counter == 150 {
                continue;
            }
            *counter += 1;
            texts.push(record["title"].as_str().unwrap_or_default().to_string());
            let paragraphs = record["paragraphs"].as_array().unwrap();
            texts.push(paragraphs.iter().filter_map(|p| p.as_str()).collect::<Vec<_>>().join("\n"));
        }
        assert_eq!((qqnews, fincuge), (150, 150), "data/sample.jsonl.gz holds too few qqnews or FinCUGE articles");
        texts
    }

    fn all_test_texts() -> Vec<String> {
        let mut texts: Vec<String> = GOLDEN.iter().map(|(_, _, s)| s.to_string()).collect();
        texts.extend(corpus_sample());
        texts
    }

    #[test]
    fn numbers_keep_decimals_and_drop_thousands_separators() {
        assert_eq!(query_words("20.3亿元"), ["20.3", "亿元"]);
        assert_eq!(query_words("3,834吨"), ["3834", "吨"]);
        assert_eq!(query_words("1,234,567.89美元"), ["1234567.89", "美元"]);
        assert_eq!(query_words("沪深300"), ["沪深", "300"]);
        assert_eq!(query_words("上涨1.5%，"), ["上涨", "1.5"]);
        assert_eq!(query_words("2024.05.01"), ["2024", "05", "01"]);
        assert_eq!(query_words("v1.2.3"), ["v1", "2", "3"]);
        assert_eq!(query_words("3.5."), ["3.5"]);
        // Not thousands separators: a list, a group of four, a decimal's digits.
        assert_eq!(query_words("1,23"), ["1", "23"]);
        assert_eq!(query_words("2023,2024"), ["2023", "2024"]);
        assert_eq!(query_words("1234,567"), ["1234", "567"]);
        assert_eq!(query_words("-139.13万元"), ["139.13", "万元"]);
    }

    #[test]
    fn latin_words_are_lowercased_folded_and_stemmed() {
        assert_eq!(query_words("MP Materials"), ["mp", "materi"]);
        assert_eq!(query_words("export controls"), ["export", "control"]);
        assert_eq!(query_words("NdFeB磁材"), ["ndfeb", "磁材"]);
        assert_eq!(query_words("5G"), ["5g"]);
        assert_eq!(query_words("Société Générale"), ["societ", "general"]);
        assert_eq!(query_words("Moody's"), ["moodi"]);
        assert_eq!(query_words("Moody\u{2019}s"), ["moodi"]);
        assert_eq!(query_words("COVID-19"), ["covid", "19"]);
    }

    #[test]
    fn a_share_is_one_term_in_any_case() {
        assert_eq!(query_words("A股"), ["a股"]);
        assert_eq!(query_words("a股"), ["a股"]);
        assert_eq!(query_words("A股市场"), ["a股", "市场"]);
        assert_eq!(query_words("H股"), ["h股"]);
        assert_eq!(query_words("IC卡"), ["ic卡"]);
        // Letters that do not start a dictionary word stay apart.
        assert_eq!(query_words("ABC股份"), ["abc", "股份"]);
        let tokens = index_tokens("在A股上市");
        let a_share = tokens.iter().find(|t| t.text == "a股").unwrap();
        assert_eq!(&"在A股上市"[a_share.offset_from..a_share.offset_to], "A股");
    }

    #[test]
    fn full_width_forms_fold_to_ascii_and_keep_original_offsets() {
        assert_eq!(query_words("ＡＢＣ１２３"), ["abc123"]);
        assert_eq!(query_words("１．５％"), ["1.5"]);
        assert_eq!(query_words("华侨城Ａ"), ["华侨城", "a"]);
        assert_eq!(query_words("Ａ股"), ["a股"]);
        // The full-width comma separates clauses, never thousands.
        assert_eq!(query_words("增长5，300家"), ["增长", "5", "300", "家"]);
        let tokens = index_tokens("ＡＢＣ１２３");
        assert_eq!((tokens[0].offset_from, tokens[0].offset_to), (0, "ＡＢＣ１２３".len()));
    }

    #[test]
    fn mixed_letter_digit_runs_offer_their_parts_in_index_mode() {
        assert_eq!(index_words("300ETF"), ["300etf", "300", "etf"]);
        assert_eq!(query_words("300ETF"), ["300etf"]);
        assert_eq!(index_words("18.1GWh"), ["18.1gwh", "18.1", "gwh"]);
        let tokens = index_tokens("SH600018");
        assert!(tokens.iter().all(|t| t.position == 0));
        let code = tokens.iter().find(|t| t.text == "600018").unwrap();
        assert_eq!(&"SH600018"[code.offset_from..code.offset_to], "600018");
    }

    #[test]
    fn long_words_offer_dictionary_sub_words_at_their_position() {
        let tokens = index_tokens("中国稀土集团");
        let rendered: Vec<(usize, &str)> = tokens.iter().map(|t| (t.position, t.text.as_str())).collect();
        assert_eq!(rendered, [(0, "中国稀土"), (0, "中国"), (0, "稀土"), (1, "集团")]);
        let rare_earth = &tokens[2];
        assert_eq!(&"中国稀土集团"[rare_earth.offset_from..rare_earth.offset_to], "稀土");
        assert_eq!(query_words("中国稀土集团"), ["中国稀土", "集团"]);
    }

    #[test]
    fn punctuation_and_whitespace_make_no_tokens() {
        assert!(index_tokens("，。！？、“”（）《》【】 \n\t%*-/·…—").is_empty());
        let positions: Vec<usize> = index_tokens("稀土， 永磁！").iter().map(|t| t.position).collect();
        assert_eq!(positions, [0, 1]);
    }

    #[test]
    fn punctuation_fast_path_skips_no_letters() {
        for range in ['\u{2000}'..='\u{206F}', '\u{3000}'..='\u{303F}', '\u{FF00}'..='\u{FF20}'] {
            for c in range {
                assert!(!(is_cjk_punctuation(c) && c.is_alphanumeric()), "{c:?} is a letter");
            }
        }
        assert_eq!(query_words("二〇二三年"), ["二", "〇", "二三年"]);
    }

    #[test]
    fn overlong_junk_is_dropped_but_keeps_its_position() {
        let text = format!("abc {} def", "x".repeat(MAX_TERM_BYTES + 1));
        let tokens: Vec<(usize, String)> = index_tokens(&text).into_iter().map(|t| (t.position, t.text)).collect();
        assert_eq!(tokens, [(0, "abc".to_string()), (2, "def".to_string())]);
    }

    #[test]
    fn offsets_are_char_boundaries_and_cover_the_token() {
        for text in all_test_texts() {
            let tokens = index_tokens(&text);
            let mut main: Option<&Token> = None;
            for token in &tokens {
                let (from, to) = (token.offset_from, token.offset_to);
                assert!(from < to && to <= text.len(), "{token:?} in {text:?}");
                assert!(text.is_char_boundary(from) && text.is_char_boundary(to), "{token:?} in {text:?}");
                match main {
                    Some(m) if m.position == token.position => {
                        assert!(m.offset_from <= from && to <= m.offset_to, "sub-word {token:?} outside {m:?}");
                    }
                    _ => main = Some(token),
                }
                let surface = &text[from..to];
                if surface.chars().all(is_cjk) {
                    assert_eq!(surface, token.text, "Chinese token text is its surface");
                }
            }
        }
    }

    #[test]
    fn positions_advance_by_one_per_main_word() {
        for text in all_test_texts() {
            let tokens = index_tokens(&text);
            let mut expected = 0;
            for (i, token) in tokens.iter().enumerate() {
                if i > 0 && token.position == tokens[i - 1].position {
                    continue;
                }
                // A dropped overlong term leaves a gap of one.
                assert!(token.position == expected || token.position == expected + 1, "{token:?}");
                expected = token.position + 1;
            }
        }
    }

    #[test]
    fn index_main_words_are_the_query_words() {
        for text in all_test_texts() {
            let query: Vec<(usize, String)> = tokens(&mut ChineseSegmenter::for_query(), &text)
                .into_iter()
                .map(|t| (t.position, t.text))
                .collect();
            assert_eq!(main_words(&index_tokens(&text)), query, "{text}");
        }
    }

    #[test]
    fn every_user_dictionary_word_is_one_query_term() {
        let mut words = 0;
        for line in USER_DICT.lines() {
            match parse_dict_line(line) {
                None => {}
                Some(Err(message)) => panic!("segment_dict.txt: {message}"),
                Some(Ok(DictEntry { word, .. })) => {
                    words += 1;
                    assert_eq!(query_words(word), [word.to_lowercase()], "user word {word}");
                }
            }
        }
        assert!(words > 50);
    }

    /// The event words added to segment_dict.txt (约谈, 高管, 辞任 …) are one word in query and
    /// index mode, in the sentences that use them, and do not take characters from their
    /// neighbours where the text means something else (提高管理, 预约谈话, 持续亏损).
    #[test]
    fn golden_event_words() {
        let sentences = [
            "公司董事长因个人原因辞任，高管团队变动频繁。",
            "证监会约谈三家券商负责人，并下发问询函。",
            "控股股东拟增持不超过1%股份，险资年内多次举牌银行股。",
            "公司预计上半年首亏，此前已连续两年续亏。",
            "这家初创企业完成天使轮融资。",
            "提高管理水平，持续亏损的局面有望扭转。",
            "预约谈话时间另行通知。",
        ];
        let out: String = sentences
            .iter()
            .map(|s| {
                let query = render(&tokens(&mut ChineseSegmenter::for_query(), s));
                let index = render(&tokens(&mut ChineseSegmenter::for_index(), s));
                format!("{s}\n  query: {query}\n  index: {index}\n")
            })
            .collect();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn segmenter_reuse_gives_the_same_tokens() {
        let mut segmenter = ChineseSegmenter::for_index();
        let first = tokens(&mut segmenter, GOLDEN[0].2);
        tokens(&mut segmenter, GOLDEN[1].2);
        assert_eq!(tokens(&mut segmenter, GOLDEN[0].2), first);
        assert_eq!(tokens(&mut segmenter.clone(), GOLDEN[0].2), first);
    }

    #[test]
    fn register_installs_both_modes() {
        let manager = TokenizerManager::default();
        register(&manager);
        let count = |name: &str| {
            let mut analyzer = manager.get(name).unwrap();
            let mut n = 0;
            analyzer.token_stream("中国稀土集团").process(&mut |_| n += 1);
            n
        };
        assert_eq!((count(INDEX_TOKENIZER), count(QUERY_TOKENIZER)), (4, 2));
    }

    /// Every query must find exactly the golden sentences that contain it (compared after the
    /// same case, width and thousands-separator folding), through a real tantivy index.
    #[test]
    fn tantivy_queries_find_every_occurrence() {
        use tantivy::collector::DocSetCollector;
        use tantivy::query::{PhraseQuery, Query, TermQuery};
        use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
        use tantivy::{Index, Term, doc};

        let mut schema = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(INDEX_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let body = schema.add_text_field("body", TextOptions::default().set_indexing_options(indexing));
        let index = Index::create_in_ram(schema.build());
        register(index.tokenizers());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (_, _, sentence) in GOLDEN {
            writer.add_document(doc!(body => *sentence)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        // As the search module builds them: one term, or a phrase of consecutive query words.
        let compile = |text: &str| -> Box<dyn Query> {
            let mut terms: Vec<Term> =
                query_words(text).iter().map(|w| Term::from_field_text(body, w)).collect();
            if terms.len() == 1 {
                Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::WithFreqsAndPositions))
            } else {
                Box::new(PhraseQuery::new(terms))
            }
        };
        let fold = |s: &str| -> String {
            s.chars().map(fold_width).filter(|&c| c != ',').flat_map(char::to_lowercase).collect()
        };
        for query in [
            "稀土集团", "中国稀土集团", "中国稀土", "稀土", "A股", "a股", "沪深300", "北向资金", "北向",
            "资金", "宁德时代", "时代", "出口管制", "管制", "gwh", "600018", "20.3亿元", "7,780亿元",
            "科创板", "ＥＴＦ", "稀土永磁", "永磁", "净流入", "流入", "万美元", "亿元", "宁德集团",
        ] {
            let expected: Vec<u32> = (0..GOLDEN.len() as u32)
                .filter(|&i| fold(GOLDEN[i as usize].2).contains(&fold(query)))
                .collect();
            let hits = searcher.search(&compile(query), &DocSetCollector).unwrap();
            let mut found: Vec<u32> = hits.into_iter().map(|address| address.doc_id).collect();
            found.sort_unstable();
            assert_eq!(found, expected, "query {query}");
        }
    }
}
