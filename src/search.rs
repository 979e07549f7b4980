//! search: which documents match a topic, and in what order?
//!
//! Parses the user's query language (words, `"quoted phrases"`, `OR`, `-exclusion`; Chinese
//! written without spaces is segmented into words that must all match), turns it into a tantivy
//! query over title and body (scored by crate::ranking), applies date / source / language
//! filters, ranks newest first (ties by relevance) or by relevance, and hydrates hits from the store with a snippet
//! whose highlights fall on the matched words. It must not modify the store or the index.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, Query, QueryClone, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Score, TantivyDocument, Term};

use crate::document::{DatePrecision, Lang};
use crate::error::{Error, Result};
use crate::expand::{self, Alternative, Unit, Via, Vocabulary};
use crate::index::{Fields, NO_DATE, SearchIndex};
use crate::ranking;
use crate::segment;
use crate::store::Store;

/// Snippet length budget in bytes of source text (about 80 Chinese characters).
const SNIPPET_BYTES: usize = 240;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Newest first; documents of the same moment by relevance; undated last.
    #[default]
    Newest,
    /// Most relevant first (BM25, title boosted).
    Relevance,
}

/// Whether every query word must match, or any (ranked by how many and how well).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// Every word (or alternative) must appear: topic search, the default.
    #[default]
    All,
    /// Any word may appear: question-style queries, best with relevance order.
    Any,
}

/// What a search does with title-only items (see [`crate::Document::is_title_only`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TitleOnly {
    /// List them, marked, as one line each.
    #[default]
    Show,
    /// Leave them out (the total counts only documents with text).
    Hide,
}

impl TitleOnly {
    pub fn parse(s: &str) -> Option<TitleOnly> {
        match s.trim() {
            "show" => Some(TitleOnly::Show),
            "hide" => Some(TitleOnly::Hide),
            _ => None,
        }
    }
}

/// Whether results show every document or one entry per story (see [`crate::stories`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Collapse {
    /// One entry per story: its best matching member, the others as "+N sources".
    Story,
    /// Every matching document.
    None,
}

/// A search as the CLI, the API and workflows ask for it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub sort: SortOrder,
    pub match_mode: MatchMode,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub sources: Vec<String>,
    pub lang: Option<Lang>,
    pub limit: usize,
    pub offset: usize,
    pub title_only: TitleOnly,
    /// `None`: by story when newest first, every document in relevance order.
    pub collapse: Option<Collapse>,
    /// Say for each hit which words, expansions or translations matched ([`Hit::explain`]).
    pub explain: bool,
    /// Search only the words as typed: no synonyms, aliases, translations or word parts.
    pub literal: bool,
}

impl SearchRequest {
    /// Whether results are collapsed to one entry per story.
    pub fn collapses(&self) -> bool {
        self.collapse.unwrap_or(match self.sort {
            SortOrder::Newest => Collapse::Story,
            SortOrder::Relevance => Collapse::None,
        }) == Collapse::Story
    }
}

/// A snippet of the body around the matched words. `highlights` are `[start, end)` offsets in
/// characters (Unicode scalar values) into `text`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<[usize; 2]>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub source: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Whether the date has a time of day (absent: unknown or undated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_precision: Option<DatePrecision>,
    pub url: Option<String>,
    pub lang: Lang,
    pub score: f32,
    pub snippet: Snippet,
    /// Set when this document's text is identical to an earlier one's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// The item holds only its title: listed as one line, it has no digest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub title_only: bool,
    /// The original outlet the text names (`环球时报` for a 腾讯新闻 item); `source` stays the feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    /// A page brought in by `dossier import-seed`, not a document: listed after real documents
    /// (see [`search`]), its citations point at paragraphs this store does not have.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
    /// The story this document belongs to (absent for documents stored with stories off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub story: Option<crate::stories::StoryRef>,
    /// When collapsed: the story's other members.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<crate::stories::collapse::OtherSource>,
    /// With [`SearchRequest::explain`]: for each query term, what in this document matched it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explain: Vec<Explained>,
}

/// One query term of a hit and what matched it: the word itself, a part, a synonym, an alias
/// or a translation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explained {
    /// The query term (as segmented).
    pub term: String,
    /// What this document contains for it.
    pub matched: String,
    pub via: Via,
}

impl Hit {
    /// `outlet via feed`, or the feed alone.
    pub fn source_label(&self) -> String {
        crate::document::source_label(&self.source, self.outlet.as_deref())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub sort: SortOrder,
    /// Number of matching documents (not only those returned).
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub hits: Vec<Hit>,
    /// How many of `hits` are title-only items.
    pub title_only: usize,
    /// Whether title-only items were left out (`total` then counts only the others).
    pub title_only_hidden: bool,
}

// ---------------------------------------------------------------------------------------------
// The query language.

/// One searchable unit of a query.
#[derive(Debug, Clone, PartialEq)]
enum Atom {
    /// Unquoted text: segmented into words that must all appear (in any order).
    Words(String),
    /// Quoted text: its words must appear next to each other, in order.
    Phrase(String),
}

/// A clause: one atom, or several joined by OR; excluded clauses must not match.
#[derive(Debug, Clone, PartialEq)]
struct Clause {
    alternatives: Vec<Atom>,
    excluded: bool,
}

fn bad_query(query: &str, message: impl Into<String>) -> Error {
    Error::BadQuery { query: query.to_string(), message: message.into() }
}

/// Splits a query into clauses. Whitespace separates clauses (all must match); `OR` (upper
/// case) between two clauses makes them alternatives; `-` before a clause excludes it.
fn parse_clauses(query: &str) -> Result<Vec<Clause>> {
    #[derive(Debug)]
    enum Tok {
        Atom(Atom, bool),
        Or,
    }
    let mut toks = Vec::new();
    let chars: Vec<char> = query.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let excluded = c == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace();
        if excluded {
            i += 1;
        }
        if matches!(chars[i], '"' | '“' | '”') {
            let start = i;
            i += 1;
            let mut text = String::new();
            while i < chars.len() && !matches!(chars[i], '"' | '“' | '”') {
                text.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err(bad_query(
                    query,
                    format!(
                        "the quote opened at character {} is never closed; close it or remove it",
                        start + 1
                    ),
                ));
            }
            i += 1;
            toks.push(Tok::Atom(Atom::Phrase(text), excluded));
        } else {
            let mut text = String::new();
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '"' | '“' | '”')
            {
                text.push(chars[i]);
                i += 1;
            }
            if text == "OR" && !excluded {
                toks.push(Tok::Or);
            } else {
                toks.push(Tok::Atom(Atom::Words(text), excluded));
            }
        }
    }
    let mut clauses: Vec<Clause> = Vec::new();
    let mut pending_or = false;
    for tok in toks {
        match tok {
            Tok::Or => {
                if clauses.is_empty() || pending_or {
                    return Err(bad_query(query, "OR needs a term on each side, as in `稀土 OR 锂`"));
                }
                pending_or = true;
            }
            Tok::Atom(atom, excluded) => {
                if pending_or {
                    let last = clauses.last_mut().ok_or_else(|| bad_query(query, "dangling OR"))?;
                    if excluded || last.excluded {
                        return Err(bad_query(
                            query,
                            "an excluded term (-term) cannot be part of an OR; write the exclusion separately",
                        ));
                    }
                    last.alternatives.push(atom);
                    pending_or = false;
                } else {
                    clauses.push(Clause { alternatives: vec![atom], excluded });
                }
            }
        }
    }
    if pending_or {
        return Err(bad_query(query, "OR needs a term on each side, as in `稀土 OR 锂`"));
    }
    if clauses.is_empty() {
        return Err(bad_query(query, "the query is empty; give at least one word"));
    }
    if clauses.iter().all(|c| c.excluded) {
        return Err(bad_query(
            query,
            "every term is excluded; add at least one term to search for, as in `稀土 -镓`",
        ));
    }
    Ok(clauses)
}

/// The compiled form of a query: the tantivy query, the words to look for when choosing
/// snippet paragraphs, and each query term's alternatives (for `explain`).
pub struct CompiledQuery {
    pub query: Box<dyn Query>,
    pub words: Vec<String>,
    pub terms: Vec<TermAlternatives>,
    /// In relevance order with every word required, when some word was expanded: the query
    /// that matches every required word as typed. Its matches rank above the documents that
    /// match some word only through an expansion (see [`search`]).
    pub typed: Option<Box<dyn Query>>,
}

/// A query term and, for each way of matching it, the query that finds that way.
pub struct TermAlternatives {
    pub term: String,
    pub alternatives: Vec<(Alternative, Box<dyn Query>)>,
}

/// Parses `request.query` and builds the full tantivy query including filters. Unquoted words
/// are expanded through `vocabulary` (see [`crate::expand`]) unless `request.literal`.
pub fn compile(request: &SearchRequest, fields: Fields, vocabulary: &Vocabulary) -> Result<CompiledQuery> {
    let q = request.query.trim();
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut words_seen = Vec::new();
    let mut terms = Vec::new();
    // The same clauses with only the typed alternative of each unit.
    let mut typed: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    // Stretches of words the user wrote side by side, for the proximity clause.
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    let required = match request.match_mode {
        MatchMode::All => Occur::Must,
        MatchMode::Any => Occur::Should,
    };
    let options = if request.literal {
        expand::Options { vocabulary: false, words: false }
    } else {
        expand::Options::default()
    };
    if q.is_empty() || q == "*" {
        must.push((Occur::Must, Box::new(AllQuery)));
    } else {
        let clauses = parse_clauses(q)?;
        let plain = |c: &Clause| !c.excluded && matches!(c.alternatives.as_slice(), [Atom::Words(_)]);
        let mut i = 0;
        while i < clauses.len() {
            // Consecutive plain clauses are planned together, so that a dictionary entry of
            // several words (`rare earth`, `export controls`) is found across the spaces.
            if plain(&clauses[i]) {
                let mut words = Vec::new();
                while i < clauses.len() && plain(&clauses[i]) {
                    if let [Atom::Words(text)] = clauses[i].alternatives.as_slice() {
                        words.extend(segment::query_words(text));
                    }
                    i += 1;
                }
                if words.is_empty() {
                    return Err(bad_query(q, "a term has no searchable words (only punctuation?); remove it"));
                }
                let units = expand::plan(words, vocabulary, options);
                let all_optional = units.iter().all(|u| u.optional);
                for unit in units {
                    let occur = if unit.optional && !all_optional { Occur::Should } else { required };
                    // Proximity pairs the words as typed: a unit of one typed word continues the
                    // run, anything else (a run of single characters, a phrase) ends it.
                    match unit.alternatives.first().map(|a| a.groups.as_slice()) {
                        Some([g]) if g.len() == 1 => runs.last_mut().into_iter().for_each(|r| r.push(g[0].clone())),
                        _ => runs.push(Vec::new()),
                    }
                    let (query, as_typed) = unit_query(&unit, fields, required, &mut words_seen, &mut terms);
                    if occur == Occur::Must {
                        typed.push((Occur::Must, as_typed));
                    }
                    must.push((occur, query));
                }
                continue;
            }
            let clause = &clauses[i];
            i += 1;
            runs.push(Vec::new());
            let mut alts: Vec<Box<dyn Query>> = Vec::new();
            let mut typed_alts: Vec<Box<dyn Query>> = Vec::new();
            for atom in &clause.alternatives {
                let words = match atom {
                    Atom::Words(t) | Atom::Phrase(t) => segment::query_words(t),
                };
                if words.is_empty() {
                    continue;
                }
                let parts: Vec<Box<dyn Query>>;
                let typed_parts: Vec<Box<dyn Query>>;
                (parts, typed_parts) = match atom {
                    // Exclusions stay literal: excluding every synonym would remove too much.
                    Atom::Words(_) if !clause.excluded => expand::plan(words, vocabulary, options)
                        .iter()
                        .map(|unit| unit_query(unit, fields, required, &mut words_seen, &mut terms))
                        .unzip(),
                    Atom::Words(_) => (
                        expand::word_groups(words).iter().map(|g| ranking::group_query(g, fields)).collect(),
                        Vec::new(),
                    ),
                    Atom::Phrase(_) => {
                        if !clause.excluded {
                            words_seen.extend(words.iter().cloned());
                        }
                        let phrase = ranking::group_query(&words, fields);
                        (vec![phrase.box_clone()], vec![phrase])
                    }
                };
                if !clause.excluded {
                    typed_alts.push(combine(typed_parts, required));
                }
                alts.push(combine(parts, required));
            }
            if alts.is_empty() {
                if clause.excluded {
                    continue;
                }
                return Err(bad_query(
                    q,
                    "a term has no searchable words (only punctuation?); remove it",
                ));
            }
            let clause_query: Box<dyn Query> = if alts.len() == 1 {
                alts.remove(0)
            } else {
                Box::new(BooleanQuery::new(alts.into_iter().map(|a| (Occur::Should, a)).collect()))
            };
            let occur = if clause.excluded { Occur::MustNot } else { required };
            if !clause.excluded {
                typed.push((occur, combine(typed_alts, Occur::Should)));
            }
            must.push((occur, clause_query));
        }
        if !must.iter().any(|(o, _)| *o != Occur::MustNot) {
            return Err(bad_query(q, "no term left to search for"));
        }
        if request.sort == SortOrder::Relevance
            && let Some(near) = ranking::proximity(&runs, fields)
        {
            must.push((Occur::Should, near));
        }
        // The text part of the query, whatever its mode, is one required block: filters below
        // must not turn "any word" into "any word or any filter".
        must = vec![(Occur::Must, Box::new(BooleanQuery::new(must)) as Box<dyn Query>)];
    }
    if request.since.is_some() || request.until.is_some() {
        let term = |t: DateTime<Utc>| Term::from_field_i64(fields.published_at, t.timestamp());
        let lower = request.since.map(|t| Bound::Included(term(t))).unwrap_or(Bound::Included(
            Term::from_field_i64(fields.published_at, NO_DATE + 1),
        ));
        let upper = request.until.map(|t| Bound::Included(term(t))).unwrap_or(Bound::Unbounded);
        must.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
    }
    if !request.sources.is_empty() {
        let alts = request
            .sources
            .iter()
            .map(|s| {
                let t = Term::from_field_text(fields.source, &s.to_lowercase());
                (Occur::Should, Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>)
            })
            .collect();
        must.push((Occur::Must, Box::new(BooleanQuery::new(alts))));
    }
    if let Some(lang) = request.lang {
        let t = Term::from_field_text(fields.lang, lang.as_str());
        must.push((Occur::Must, Box::new(TermQuery::new(t, IndexRecordOption::Basic))));
    }
    // Only worth a second look at each match when some word has another way to match.
    let expanded = terms.iter().any(|t| t.alternatives.len() > 1);
    let typed = (request.sort == SortOrder::Relevance && request.match_mode == MatchMode::All && expanded)
        .then(|| Box::new(BooleanQuery::new(typed)) as Box<dyn Query>);
    Ok(CompiledQuery { query: Box::new(BooleanQuery::new(must)), words: words_seen, terms, typed })
}

/// One query term: any of its alternatives, each boosted by how it relates to the typed words;
/// and the query of the typed words alone. Records the words for snippets and the alternatives
/// for `explain`.
fn unit_query(
    unit: &Unit,
    fields: Fields,
    required: Occur,
    words_seen: &mut Vec<String>,
    terms: &mut Vec<TermAlternatives>,
) -> (Box<dyn Query>, Box<dyn Query>) {
    let mut alternatives = Vec::new();
    for alt in &unit.alternatives {
        // The single characters of an unknown word (被/约/谈) would highlight and choose
        // snippets at every 被 of the text: its inner word stands for it there.
        let characters = alt.groups.iter().any(|g| g.len() > 1 && g.iter().all(|w| w.chars().count() == 1));
        // Likewise the words of another name of a company (股份, 集团 of its full name): the
        // highlight is per word, and they are everywhere.
        let long_name = alt.via == Via::Alias && alt.groups.iter().any(|g| g.len() > 1);
        // And a function word alone (的 of 稀土的出口) matches anywhere.
        let unmarked = (characters && alt.via == Via::Query && unit.alternatives.len() > 1) || long_name || unit.optional;
        if !unmarked {
            // A function character beside a word (被 of 被约谈) would highlight every 被.
            let function_beside =
                |g: &Vec<String>| alt.groups.len() > 1 && matches!(g.as_slice(), [w] if expand::is_function_word(w));
            words_seen.extend(alt.groups.iter().filter(|g| !function_beside(g)).map(|g| expand::key_of(g)));
        }
        let parts = alt
            .groups
            .iter()
            .map(|g| {
                // Any word may match: a run of single characters (a name the dictionary lacks,
                // with question words such as 是/由/哪 beside it) is not made one phrase the
                // passage would have to contain verbatim; each character counts on its own and
                // the proximity clause rewards those that stand together.
                if required == Occur::Should && g.len() > 1 && g.iter().all(|w| w.chars().count() == 1) {
                    combine(g.iter().map(|w| ranking::group_query(std::slice::from_ref(w), fields)).collect(), Occur::Should)
                } else {
                    ranking::group_query(g, fields)
                }
            })
            .collect();
        let query = combine(parts, Occur::Must);
        let query: Box<dyn Query> =
            if alt.via == Via::Query { query } else { Box::new(BoostQuery::new(query, alt.via.boost())) };
        alternatives.push((alt.clone(), query));
    }
    let query: Box<dyn Query> = if alternatives.len() == 1 {
        alternatives[0].1.box_clone()
    } else {
        Box::new(BooleanQuery::new(alternatives.iter().map(|(_, q)| (Occur::Should, q.box_clone())).collect()))
    };
    // expand puts the typed words first.
    let as_typed = alternatives.first().map_or_else(|| query.box_clone(), |(_, q)| q.box_clone());
    if unit.alternatives.len() > 1 {
        tracing::debug!(term = %unit.text, alternatives = unit.alternatives.len(), "query term expanded");
    }
    terms.push(TermAlternatives { term: unit.text.clone(), alternatives });
    (query, as_typed)
}

/// The query whose terms the snippet highlights: the words of `words` (see
/// [`CompiledQuery::words`]), so that what a search leaves out of them is not highlighted.
fn highlight_query(words: &[String], fields: Fields) -> BooleanQuery {
    let terms = words
        .iter()
        .flat_map(|w| segment::query_words(w))
        .map(|w| {
            let t = Term::from_field_text(fields.body, &w);
            (Occur::Should, Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>)
        })
        .collect();
    BooleanQuery::new(terms)
}

fn combine(mut parts: Vec<Box<dyn Query>>, occur: Occur) -> Box<dyn Query> {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    Box::new(BooleanQuery::new(parts.into_iter().map(|p| (occur, p)).collect()))
}

// ---------------------------------------------------------------------------------------------
// Running a search.

/// Which of `candidates` (document ids) match `request`'s query and filters — every match, not
/// a top N, in no particular order.
pub fn matching_ids(
    index: &SearchIndex,
    request: &SearchRequest,
    vocabulary: &Vocabulary,
    candidates: &[String],
) -> Result<Vec<String>> {
    let fields = index.fields();
    let searcher = index.searcher();
    let mut out = Vec::new();
    // In slices: one term set per slice keeps a catch-up of a large ingest from building one
    // enormous query.
    for slice in candidates.chunks(8192) {
        let compiled = compile(request, fields, vocabulary)?;
        let ids = TermSetQuery::new(slice.iter().map(|c| Term::from_field_text(fields.id, c)));
        let query = BooleanQuery::new(vec![
            (Occur::Must, compiled.query),
            (Occur::Must, Box::new(ids) as Box<dyn Query>),
        ]);
        for addr in searcher.search(&query, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(fields.id).and_then(|v| v.as_str()) {
                out.push(id.to_string());
            }
        }
    }
    Ok(out)
}

/// Runs a search and hydrates the hits from the store.
pub fn search(
    index: &SearchIndex,
    store: &Store,
    request: &SearchRequest,
    vocabulary: &Vocabulary,
) -> Result<SearchResults> {
    let fields = index.fields();
    let compiled = compile(request, fields, vocabulary)?;
    let searcher = index.searcher();
    let limit = request.limit.max(1);
    let hide = request.title_only == TitleOnly::Hide;
    // Hiding title-only items is a filter on the stored text, which the index does not hold:
    // rank every match, then drop them while hydrating, so total and offset count only the rest.
    let collapse = request.collapses();
    let (take, skip) = if hide {
        (searcher.search(&*compiled.query, &Count)?.max(1), 0)
    } else if collapse {
        // Copies fold into one entry: read enough matches to fill the page after folding.
        ((request.offset + limit) * 4, 0)
    } else {
        (limit, request.offset)
    };
    let top = TopDocs::with_limit(take).and_offset(skip);
    let (addresses, mut total): (Vec<(f32, DocAddress)>, usize) = match request.sort {
        SortOrder::Relevance => match &compiled.typed {
            None => searcher.search(&*compiled.query, &(top.order_by_score(), Count))?,
            Some(typed) => {
                // Sorted by (matches every word as typed, score): a tier above the score, so no
                // weight of title or repetition lifts an expansion over the words the user typed.
                let scorers = typed_scorers(&searcher, &**typed)?;
                let collector = top.tweak_score(move |segment: &tantivy::SegmentReader| {
                    let scorer = scorers
                        .get(&segment.segment_id())
                        .and_then(|s| s.lock().unwrap_or_else(|p| p.into_inner()).take())
                        .map(std::cell::RefCell::new);
                    move |doc: tantivy::DocId, score: Score| {
                        let as_typed = scorer.as_ref().is_some_and(|s| {
                            use tantivy::DocSet;
                            let mut s = s.borrow_mut();
                            // Documents come in increasing order within a segment.
                            let at = s.doc();
                            at == doc || (at < doc && s.seek(doc) == doc)
                        });
                        (as_typed, score)
                    }
                });
                let (hits, total) = searcher.search(&*compiled.query, &(collector, Count))?;
                (hits.into_iter().map(|((_, score), addr)| (score, addr)).collect(), total)
            }
        },
        SortOrder::Newest => {
            let collector = top.tweak_score(move |segment: &tantivy::SegmentReader| {
                let dates = segment
                    .fast_fields()
                    .i64("published_at")
                    .ok()
                    .map(|c| c.first_or_default_col(NO_DATE));
                move |doc: tantivy::DocId, score: Score| {
                    let date = dates.as_ref().map(|c| c.get_val(doc)).unwrap_or(NO_DATE);
                    (date, score)
                }
            });
            let (hits, total) = searcher.search(&*compiled.query, &(collector, Count))?;
            (hits.into_iter().map(|((_, score), addr)| (score, addr)).collect(), total)
        }
    };
    let mut snippets = SnippetGenerator::create(&searcher, &highlight_query(&compiled.words, fields), fields.body)?;
    snippets.set_max_num_chars(SNIPPET_BYTES);
    // Folding copies needs only the ids of the four pages read: fold first, then read from the
    // store and make snippets (which segment the text again) for the hits shown only — reading
    // and snipping all of them was most of a newest-first search's time.
    let mut folded: Option<std::collections::HashMap<String, crate::stories::collapse::Collapsed>> = None;
    let addresses: Vec<(Score, DocAddress)> = if collapse && !hide {
        let mut with_ids = Vec::with_capacity(addresses.len());
        for (score, addr) in addresses {
            let stored: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = stored.get_first(fields.id).and_then(|v| v.as_str()) {
                with_ids.push((score, addr, id.to_string()));
            }
        }
        let mut shown = std::collections::HashMap::new();
        let mut page = Vec::with_capacity(limit);
        let kept = crate::stories::collapse::collapse(store.connection(), with_ids, |t| t.2.as_str())?;
        for ((score, addr, id), c) in kept.into_iter().skip(request.offset).take(limit) {
            shown.insert(id, c);
            page.push((score, addr));
        }
        folded = Some(shown);
        page
    } else {
        addresses
    };
    let mut hits = Vec::with_capacity(addresses.len().min(limit));
    let (mut kept, mut hidden) = (0usize, 0usize);
    // Hiding title-only items and folding copies (which needs the stored text): snippets after.
    let defer_snippets = collapse && folded.is_none();
    let mut texts: std::collections::HashMap<String, (String, Vec<String>)> = std::collections::HashMap::new();
    for (score, addr) in addresses {
        let stored: TantivyDocument = searcher.doc(addr)?;
        let Some(id) = stored.get_first(fields.id).and_then(|v| v.as_str()) else { continue };
        // The index may briefly hold a document the store no longer has (never the reverse
        // after catch-up); skip rather than fail the whole search.
        let Some(mut doc) = store.get(id)? else { continue };
        let title_only = doc.doc.is_title_only();
        if hide {
            if title_only {
                hidden += 1;
                continue;
            }
            kept += 1;
            if !collapse && (kept <= request.offset || hits.len() >= limit) {
                continue;
            }
        }
        let snippet = if defer_snippets {
            texts.insert(doc.doc.id.clone(), (doc.doc.title.clone(), std::mem::take(&mut doc.doc.paragraphs)));
            Snippet { text: String::new(), highlights: Vec::new() }
        } else {
            make_snippet(&snippets, &doc.doc.title, &doc.doc.paragraphs, &compiled.words)
        };
        let outlet = doc.doc.outlet().map(str::to_string);
        let imported = doc.doc.is_imported();
        let explain = if request.explain { explain(&searcher, addr, &compiled.terms) } else { Vec::new() };
        hits.push(Hit {
            id: doc.doc.id,
            title: doc.doc.title,
            source: doc.doc.source,
            published_at: doc.doc.published_at,
            published_precision: doc.doc.published_precision,
            url: doc.doc.url,
            lang: doc.doc.lang,
            score,
            snippet,
            duplicate_of: doc.duplicate_of,
            title_only,
            outlet,
            imported,
            story: None,
            also: Vec::new(),
            explain,
        });
    }
    if let Some(mut shown) = folded {
        for h in &mut hits {
            if let Some(c) = shown.remove(&h.id) {
                h.story = c.story;
                h.also = c.also;
            }
        }
    } else if collapse {
        hits = crate::stories::collapse::collapse(store.connection(), hits, |h| h.id.as_str())?
            .into_iter()
            .skip(request.offset)
            .take(limit)
            .map(|(mut h, c)| {
                h.story = c.story;
                h.also = c.also;
                if let Some((title, paragraphs)) = texts.get(&h.id) {
                    h.snippet = make_snippet(&snippets, title, paragraphs, &compiled.words);
                }
                h
            })
            .collect();
    } else {
        let stories = crate::stories::stories_of(store.connection(), &hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>())?;
        for h in &mut hits {
            h.story = stories.get(&h.id).copied();
        }
    }
    // An imported seed page restates another tool's digest of some article; it must not stand
    // above the documents themselves. In relevance order it goes after the real documents of
    // its page; newest-first it goes after the real documents of its day. (The index does not
    // know which pages are imported, so this orders within the returned page.)
    match request.sort {
        SortOrder::Relevance => hits.sort_by_key(|h| h.imported),
        SortOrder::Newest => hits.sort_by_key(|h| (std::cmp::Reverse(h.published_at.map(|t| t.date_naive())), h.imported)),
    }
    if hide {
        total = total.saturating_sub(hidden);
    }
    let title_only = hits.iter().filter(|h| h.title_only).count();
    Ok(SearchResults {
        query: request.query.clone(),
        sort: request.sort,
        total,
        offset: request.offset,
        limit,
        hits,
        title_only,
        title_only_hidden: hide,
    })
}

/// A scorer of the typed-words query per segment, for the collector of that segment to take.
type TypedScorers =
    std::collections::HashMap<tantivy::index::SegmentId, std::sync::Mutex<Option<Box<dyn tantivy::query::Scorer>>>>;

/// The scorers of `query` in each segment, built before the search so that an error reading the
/// index fails the search instead of quietly losing the order (the collector cannot fail).
fn typed_scorers(searcher: &tantivy::Searcher, query: &dyn Query) -> Result<TypedScorers> {
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(searcher))?;
    let mut scorers = TypedScorers::new();
    for segment in searcher.segment_readers() {
        scorers.insert(segment.segment_id(), std::sync::Mutex::new(Some(weight.scorer(segment, 1.0)?)));
    }
    Ok(scorers)
}

/// For each query term, the alternatives that match the document at `addr`.
fn explain(searcher: &tantivy::Searcher, addr: DocAddress, terms: &[TermAlternatives]) -> Vec<Explained> {
    let mut out = Vec::new();
    for term in terms {
        for (alt, query) in &term.alternatives {
            if matches_doc(searcher, addr, &**query).unwrap_or(false) {
                out.push(Explained { term: term.term.clone(), matched: alt.text.clone(), via: alt.via });
            }
        }
    }
    out
}

/// Whether `query` matches the document at `addr`. (Not `Query::explain`: it seeks scorers
/// that may already stand past the document, which tantivy's debug assertions refuse.)
fn matches_doc(searcher: &tantivy::Searcher, addr: DocAddress, query: &dyn Query) -> Result<bool> {
    use tantivy::DocSet;
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(searcher))?;
    let mut scorer = weight.scorer(searcher.segment_reader(addr.segment_ord), 1.0)?;
    let current = scorer.doc();
    Ok(current == addr.doc_id || (current < addr.doc_id && scorer.seek(addr.doc_id) == addr.doc_id))
}

/// Where the first query word occurs in `p`, as a byte offset (case-insensitive for Latin).
fn first_match(p: &str, words: &[String]) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut lower: Option<String> = None;
    for w in words {
        let at = if w.is_ascii() {
            // ASCII lower-casing keeps byte offsets, so positions stay valid in `p`.
            let l = lower.get_or_insert_with(|| p.to_ascii_lowercase());
            l.find(w.as_str())
        } else {
            p.find(w.as_str())
        };
        if let Some(at) = at {
            best = Some(best.map_or(at, |b| b.min(at)));
        }
    }
    best
}

/// Cuts `p` to a window of about `SNIPPET_BYTES` before and twice that after `at`, on
/// character boundaries.
fn window(p: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(SNIPPET_BYTES);
    while !p.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + 2 * SNIPPET_BYTES).min(p.len());
    while !p.is_char_boundary(end) {
        end += 1;
    }
    &p[start..end]
}

/// Builds the snippet from windows of the paragraphs that contain a query word (at most
/// three), so a long article is not segmented whole for eighty characters of context.
fn make_snippet(generator: &SnippetGenerator, title: &str, paragraphs: &[String], words: &[String]) -> Snippet {
    // Feeds often repeat the title as the first paragraph ("# title"); the reader already sees
    // the title, so the snippet comes from the text proper.
    let repeats_title = |p: &str| p.trim_start_matches(['#', ' ']).trim() == title.trim();
    let body: Vec<&String> = paragraphs.iter().filter(|p| !repeats_title(p)).collect();
    let paragraphs: Vec<&String> = if body.is_empty() { paragraphs.iter().collect() } else { body };
    let mut chosen: Vec<&str> = paragraphs
        .iter()
        .filter_map(|p| first_match(p, words).map(|at| window(p, at)))
        .take(3)
        .collect();
    if chosen.is_empty() {
        chosen = paragraphs.iter().take(1).map(|p| window(p, 0)).collect();
    }
    let text = chosen.join("\n");
    let snippet = generator.snippet(&text);
    let fragment = snippet.fragment();
    if fragment.is_empty() {
        // No match in the body (a title-only match): the opening of the text.
        let opening: String = text.chars().take(SNIPPET_BYTES / 3).collect();
        return Snippet { text: opening.replace('\n', " "), highlights: vec![] };
    }
    let char_at = |byte: usize| fragment[..byte].chars().count();
    Snippet {
        text: fragment.replace('\n', " "),
        highlights: snippet
            .highlighted()
            .iter()
            .filter(|r| fragment.is_char_boundary(r.start) && fragment.is_char_boundary(r.end))
            .map(|r| [char_at(r.start), char_at(r.end)])
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Atom {
        Atom::Words(s.into())
    }

    #[test]
    fn parses_and_or_phrase_and_exclusion() -> Result<()> {
        let c = parse_clauses(r#"稀土 OR 锂 "export controls" -镓"#)?;
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].alternatives, vec![words("稀土"), words("锂")]);
        assert_eq!(c[1].alternatives, vec![Atom::Phrase("export controls".into())]);
        assert!(c[2].excluded);
        Ok(())
    }

    #[test]
    fn rejects_bad_queries_with_reasons() {
        for (q, expect) in [
            ("\"稀土", "never closed"),
            ("OR 稀土", "OR needs"),
            ("稀土 OR", "OR needs"),
            ("-稀土", "every term is excluded"),
            ("稀土 OR -镓", "cannot be part of an OR"),
        ] {
            let err = parse_clauses(q).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(expect), "{q}: {err}");
        }
    }

    #[test]
    fn single_characters_of_unknown_words_stay_together() {
        let g = expand::word_groups(vec!["川".into(), "普".into(), "关税".into(), "a".into()]);
        assert_eq!(g, vec![vec!["川".to_string(), "普".into()], vec!["关税".into()], vec!["a".into()]]);
    }
}
