//! expand: what does a query word mean, beyond its letters?
//!
//! Turns the query-mode words of unquoted query text into [`Unit`]s: each unit is one thing
//! the user asked for, with the ways a document may say it ([`Alternative`]s), the words as
//! typed first. The search module makes one tantivy clause per unit (see `search::compile`),
//! each alternative boosted by [`Via::boost`] so that expansions rank below typed words.
//!
//! The alternatives, in the order they are tried:
//! - the typed words (a run of single Chinese characters, a word jieba does not know, must
//!   stand together as before);
//! - [`Via::Part`]: a compound dictionary word (企业破产) also matches its dictionary parts
//!   (企业 and 破产, anywhere) — only when the parts cover the whole word, so 供应链 does not
//!   fall back to 供应;
//! - [`Via::InnerWord`]: an unknown word split into characters also matches the known words
//!   inside it once function characters (被, 的, 了 …) are dropped at its edges; single
//!   characters are never searched on their own. Likewise a table key of several words
//!   without the function words at its edges (被约谈 = 被 + 约谈 → 约谈);
//! - [`Via::Synonym`], [`Via::Alias`], [`Via::Translation`]: entries of the synonyms table
//!   ([`vocabulary`]) and the CC-CEDICT subset ([`bilingual`]), matched on the longest run of
//!   query words first, so `rare earth export controls` is `rare earth` + `export controls`.
//!   A key the table's finance glossary translates takes no dictionary translation, and the
//!   dictionary gives only a word's main sense (see [`bilingual`]).
//!
//! A unit that is only a function character or an English stop word is optional: it adds to
//! the score but never vetoes a match. Quoted phrases are not expanded (the caller keeps them
//! strict). It must not build tantivy queries or know about fields.

mod bilingual;
pub mod vocabulary;

use serde::Serialize;

use crate::document::is_cjk;
use crate::segment;
pub use vocabulary::Vocabulary;

/// Chinese characters that carry grammar, not topic: dropped at the edges of unknown words and
/// optional when they stand alone.
const FUNCTION_CHARS: &[char] = &[
    '的', '了', '被', '在', '是', '和', '与', '及', '把', '将', '对', '从', '向', '为', '也', '都', '就', '之', '而', '或',
    '着', '过', '吗', '呢', '吧', '啊', '个', '这', '那', '其', '所', '于', '以',
];

/// English words (as the segmenter writes them: lower case, stemmed) that do not veto a match
/// and are never translated.
pub(crate) const STOPWORDS: &[&str] = &[
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from", "is", "are", "was",
    "be", "as", "it", "that", "this", "into", "over", "about", "no", "not",
];

/// How a document's words relate to what the user typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The words as typed.
    Query,
    /// The dictionary parts of a compound word.
    Part,
    /// A known word inside a word the dictionary does not know.
    InnerWord,
    /// A one-way synonym from the synonyms table (event vocabulary).
    Synonym,
    /// Another name of the same thing (company names, tickers, abbreviations).
    Alias,
    /// Chinese for English or English for Chinese (glossary or CC-CEDICT).
    Translation,
}

impl Via {
    /// How much a match through this alternative counts against one of the typed words.
    pub fn boost(self) -> f32 {
        match self {
            Via::Query => 1.0,
            Via::Alias => 0.8,
            Via::InnerWord => 0.7,
            Via::Part => 0.5,
            Via::Translation => 0.5,
            Via::Synonym => 0.4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Via::Query => "query",
            Via::Part => "part",
            Via::InnerWord => "inner word",
            Via::Synonym => "synonym",
            Via::Alias => "alias",
            Via::Translation => "translation",
        }
    }
}

/// One way a document may say what a unit asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    /// As shown to the user (`辞职`, `rare earth`, `企业 破产`).
    pub text: String,
    /// Groups of query words that must all appear; the words of one group stand together.
    pub groups: Vec<Vec<String>>,
    pub via: Via,
}

/// One thing the query asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The query words it stands for, as shown to the user.
    pub text: String,
    /// The typed words first, then expansions; never empty.
    pub alternatives: Vec<Alternative>,
    /// Matching it adds to the score but is not required (a function word).
    pub optional: bool,
}

/// Which expansions to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Synonyms, aliases and translations (the table and the dictionary).
    pub vocabulary: bool,
    /// Parts of compound words and inner words of unknown ones.
    pub words: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { vocabulary: true, words: true }
    }
}

/// The lookup key of a sequence of query words: Chinese words joined directly (so 高管变动
/// is one key whether jieba cuts it or not), others with a space.
pub fn key_of(words: &[String]) -> String {
    let mut key = String::new();
    for w in words {
        let glue = key.chars().next_back().is_some_and(is_cjk) && w.chars().next().is_some_and(is_cjk);
        if !key.is_empty() && !glue {
            key.push(' ');
        }
        key.push_str(w);
    }
    key
}

/// A query word that carries grammar, not topic: an English stop word or a function
/// character (的, 被 …).
pub fn is_function_word(w: &str) -> bool {
    STOPWORDS.contains(&w) || (single_cjk(w) && w.chars().all(|c| FUNCTION_CHARS.contains(&c)))
}

fn single_cjk(w: &str) -> bool {
    let mut cs = w.chars();
    matches!((cs.next(), cs.next()), (Some(c), None) if is_cjk(c))
}

/// Groups query words into what must match: a run of single CJK characters (words the
/// dictionary does not know, split into characters) must stand together, so it becomes a
/// phrase; every other word stands alone.
pub fn word_groups(words: Vec<String>) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for w in words {
        if single_cjk(&w) {
            run.push(w);
        } else {
            if !run.is_empty() {
                groups.push(std::mem::take(&mut run));
            }
            groups.push(vec![w]);
        }
    }
    if !run.is_empty() {
        groups.push(run);
    }
    groups
}

/// The units of unquoted query words (see the module documentation).
pub fn plan(words: Vec<String>, vocabulary: &Vocabulary, options: Options) -> Vec<Unit> {
    let segments = word_groups(words);
    let longest = if options.vocabulary {
        vocabulary.longest_key.max(bilingual::BILINGUAL.longest_key).max(1)
    } else {
        1
    };
    let mut units = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        let mut len = longest.min(segments.len() - i);
        loop {
            let run = &segments[i..i + len];
            let words: Vec<String> = run.iter().flatten().cloned().collect();
            let expansions = if options.vocabulary { lookup(&words, vocabulary) } else { Vec::new() };
            if len == 1 || !expansions.is_empty() {
                units.push(unit(run, expansions, options));
                i += len;
                break;
            }
            len -= 1;
        }
    }
    units
}

/// The table's and the dictionary's expansions of `words`, without repeats.
fn lookup(words: &[String], vocabulary: &Vocabulary) -> Vec<Alternative> {
    let key = key_of(words);
    let mut out: Vec<Alternative> = Vec::new();
    let mut add = |text: &str, words: Vec<String>, via: Via| {
        if !words.is_empty() && !out.iter().any(|a| a.groups[0] == words) {
            out.push(Alternative { text: text.to_string(), groups: vec![words], via });
        }
    };
    let entries = vocabulary.lookup(&key);
    for e in entries {
        add(e.text.as_str(), e.words.clone(), e.via);
    }
    // The finance glossary knows which sense a finance query means (tariff → 关税, 出口 →
    // export); the dictionary's main sense is only the fallback for words it lacks.
    let glossary = entries.iter().any(|e| e.via == Via::Translation);
    let stopword = matches!(words, [w] if STOPWORDS.contains(&w.as_str()));
    if !glossary
        && !stopword
        && let Some(t) = bilingual::BILINGUAL.lookup(&key)
    {
        add(t, segment::query_words(t), Via::Translation);
    }
    out.retain(|a| a.groups[0] != words);
    out
}

fn unit(run: &[Vec<String>], expansions: Vec<Alternative>, options: Options) -> Unit {
    let words: Vec<String> = run.iter().flatten().cloned().collect();
    let text = key_of(&words);
    let mut alternatives = vec![Alternative { text: text.clone(), groups: run.to_vec(), via: Via::Query }];
    // A name (北方稀土, tagged nt; or any word with aliases) is not the sum of its parts:
    // 北方 + 稀土 is not the company.
    let name = expansions.iter().any(|e| e.via == Via::Alias)
        || matches!(segment::tagged_words(&text).as_slice(), [(_, tag)] if matches!(*tag, "nr" | "ns" | "nt" | "nz"));
    if options.words && run.len() == 1 && !name {
        let segment = &run[0];
        let found = if segment.len() == 1 { compound_parts(&segment[0]) } else { inner_words(segment) };
        if let Some((parts, via)) = found {
            // A part of a compound word is in the index as a sub-word of it, spelled as in the
            // dictionary. An inner word stands in the text on its own, and jieba may cut it
            // there as it cuts it alone (约谈 → 约/谈): search it the way the index holds it.
            let groups = match via {
                Via::InnerWord => parts.iter().map(|p| segment::query_words(p)).collect(),
                _ => parts.iter().map(|p| vec![p.clone()]).collect(),
            };
            alternatives.push(Alternative { text: parts.join(" "), groups, via });
        }
    } else if options.words && run.len() > 1 {
        // A table key of several words (被约谈 = 被 + 约谈): without the function words at its
        // edges it is the word inside, as for an unknown word.
        let lone_function = |g: &Vec<String>| matches!(g.as_slice(), [w] if is_function_word(w));
        let start = run.iter().position(|g| !lone_function(g)).unwrap_or(run.len());
        let end = run.iter().rposition(|g| !lone_function(g)).map_or(start, |i| i + 1);
        if start < end && end - start < run.len() {
            let core = &run[start..end];
            let words: Vec<String> = core.iter().flatten().cloned().collect();
            alternatives.push(Alternative { text: key_of(&words), groups: core.to_vec(), via: Via::InnerWord });
        }
    }
    for e in expansions {
        if !alternatives.iter().any(|a| a.groups == e.groups) {
            alternatives.push(e);
        }
    }
    let function_word = matches!(words.as_slice(), [w] if is_function_word(w));
    Unit { text, optional: function_word && alternatives.len() == 1, alternatives }
}

/// The dictionary words that together make up the compound word `word` (企业破产 → 企业,
/// 破产), when they cover all of it.
fn compound_parts(word: &str) -> Option<(Vec<String>, Via)> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 || !chars.iter().all(|&c| is_cjk(c)) {
        return None;
    }
    let (covered, parts) = cover(&chars, chars.len() - 1);
    (covered == chars.len() && parts.len() >= 2).then_some((parts, Via::Part))
}

/// The known words inside an unknown word split into the characters `chars`, after dropping
/// function characters at its edges (被约谈 → 约谈), when they cover at least half of it.
fn inner_words(chars: &[String]) -> Option<(Vec<String>, Via)> {
    let all: Vec<char> = chars.iter().flat_map(|c| c.chars()).collect();
    let is_function = |c: &char| FUNCTION_CHARS.contains(c);
    let start = all.iter().position(|c| !is_function(c))?;
    let end = all.iter().rposition(|c| !is_function(c))? + 1;
    let core = &all[start..end];
    if core.len() < 2 {
        return None;
    }
    let (covered, words) = cover(core, core.len());
    (!words.is_empty() && covered * 2 >= core.len()).then_some((words, Via::InnerWord))
}

/// The dictionary words of 2..=`longest` characters that cover the most of `chars` (then the
/// fewest words), left to right; with how many characters they cover.
fn cover(chars: &[char], longest: usize) -> (usize, Vec<String>) {
    let n = chars.len();
    // best[i]: (covered, -words) of the best cover of chars[i..], and the length taken at i
    // (0: character i left uncovered).
    let mut best: Vec<((usize, isize), usize)> = vec![((0, 0), 0); n + 1];
    for i in (0..n).rev() {
        let mut here = (best[i + 1].0, 0);
        for len in 2..=longest.min(n - i) {
            let piece: String = chars[i..i + len].iter().collect();
            if segment::is_dictionary_word(&piece) {
                let (covered, words) = best[i + len].0;
                let candidate = (covered + len, words - 1);
                if candidate > here.0 {
                    here = (candidate, len);
                }
            }
        }
        best[i] = here;
    }
    let mut words = Vec::new();
    let mut i = 0;
    while i < n {
        match best[i].1 {
            0 => i += 1,
            len => {
                words.push(chars[i..i + len].iter().collect());
                i += len;
            }
        }
    }
    (best[0].0.0, words)
}

#[cfg(test)]
mod tests;
