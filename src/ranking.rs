//! ranking: in what order do the documents that match come, by relevance?
//!
//! The scoring half of a search. crate::search decides which documents match (the query
//! language, match modes, filters); this module builds the parts of the tantivy query that only
//! order them: a query word counts in the title (weighted over the body) and in the body, by
//! tantivy's BM25; and words the user wrote next to each other score higher where the text has
//! them close together too (proximity: a sloppy phrase of each pair of neighbouring words, as an
//! optional clause). Nothing built here may change which documents match, and newest-first order
//! does not use proximity at all (it only breaks ties within one second there, and costs time).

use tantivy::Score;
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use crate::index::Fields;

/// How much a match in the title counts over one in the body.
pub const TITLE_BOOST: Score = 2.5;

/// Weight of a pair of neighbouring query words found close together in the body, relative to
/// the BM25 score of the words themselves.
pub const PROXIMITY_BOOST: Score = 1.0;

/// How far apart (in words) the two words of a pair may stand and still count as together.
pub const PROXIMITY_SLOP: u32 = 3;

/// Words that must appear together (one word, or a phrase), in the title (weighted) or body.
pub fn group_query(words: &[String], fields: Fields) -> Box<dyn Query> {
    let in_field = |field| -> Box<dyn Query> {
        if let [word] = words {
            Box::new(TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs))
        } else {
            Box::new(PhraseQuery::new(words.iter().map(|w| Term::from_field_text(field, w)).collect()))
        }
    };
    Box::new(BooleanQuery::new(vec![
        (Occur::Should, Box::new(BoostQuery::new(in_field(fields.title), TITLE_BOOST))),
        (Occur::Should, in_field(fields.body)),
    ]))
}

/// The proximity clause for a query whose words, in the order the user wrote them, are `runs`
/// (each run a stretch of words that stand side by side in the query; a new run starts where
/// the query's structure separates words, e.g. at an OR). `None` when no pair is left.
///
/// Every pair is of two words that each match on their own (a caller passes only such words),
/// so the clause, used as `Occur::Should` beside the matching clauses, adds score to documents
/// that match anyway and never makes another one match.
pub fn proximity(runs: &[Vec<String>], fields: Fields) -> Option<Box<dyn Query>> {
    let mut pairs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for run in runs {
        for pair in run.windows(2) {
            if pair[0] == pair[1] {
                continue;
            }
            let mut phrase = PhraseQuery::new(pair.iter().map(|w| Term::from_field_text(fields.body, w)).collect());
            phrase.set_slop(PROXIMITY_SLOP);
            pairs.push((Occur::Should, Box::new(BoostQuery::new(Box::new(phrase), PROXIMITY_BOOST))));
        }
    }
    if pairs.is_empty() {
        return None;
    }
    Some(Box::new(BooleanQuery::new(pairs)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::{Config, Flags};
    use crate::engine::Engine;
    use crate::error::{Error, Result};
    use crate::search::{MatchMode, SearchRequest, SortOrder};

    fn fields() -> Result<Fields> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        Ok(crate::index::SearchIndex::open(dir.path())?.fields())
    }

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn proximity_pairs_neighbouring_words_of_each_run_only() -> Result<()> {
        let f = fields()?;
        assert!(proximity(&[words(&["稀土"])], f).is_none());
        assert!(proximity(&[words(&["稀土"]), words(&["出口"])], f).is_none(), "no pair across runs");
        assert!(proximity(&[words(&["稀土", "稀土"])], f).is_none(), "a word is not near itself");
        assert!(proximity(&[words(&["稀土", "出口管制"])], f).is_some());
        Ok(())
    }

    fn engine_with(docs: &[(&str, &str, &str)]) -> Result<(tempfile::TempDir, Engine)> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Flags::default() };
        let mut e = Engine::open(Config::load(&flags, &HashMap::new())?)?;
        let docs: Vec<crate::Document> = docs
            .iter()
            .map(|(id, title, body)| {
                let mut d = crate::Document::for_test(title, &[*body]);
                d.id = (*id).into();
                d
            })
            .collect();
        e.add_documents(&docs)?;
        Ok((dir, e))
    }

    fn ranked(e: &mut Engine, query: &str) -> Result<Vec<String>> {
        let request = SearchRequest { query: query.into(), sort: SortOrder::Relevance, limit: 10, ..Default::default() };
        Ok(e.search(&request)?.hits.into_iter().map(|h| h.id).collect())
    }

    /// Same words, same counts, same lengths: the document that has them side by side, as the
    /// query does, ranks first (in either insertion order).
    #[test]
    fn words_that_stand_together_rank_higher() -> Result<()> {
        let apart = "稀土价格上涨。市场观察人士认为，新的出口管制将影响供应。";
        let together = "市场观察人士认为，稀土出口管制将影响供应。新的价格上涨。";
        for order in [[("apart", apart), ("together", together)], [("together", together), ("apart", apart)]] {
            let (_dir, mut e) = engine_with(&order.map(|(id, body)| (id, "市场", body)))?;
            assert_eq!(ranked(&mut e, "稀土 出口管制")?, ["together", "apart"]);
        }
        Ok(())
    }

    /// The words as typed rank above expansions, however much the title weighs: a long text that
    /// says 企业破产 once comes before a short one whose title says 破产重整 (an event synonym)
    /// twice — in relevance order; newest first stays by date.
    #[test]
    fn a_typed_word_ranks_above_an_expansion_in_the_title() -> Result<()> {
        let filler = "市场人士表示，行业仍在调整之中，相关部门将继续关注后续进展。".repeat(12);
        let typed = format!("{filler}今年以来，当地多家企业破产。{filler}");
        let expansion = "破产重整程序启动，破产重整方案获批。";
        for order in [[("typed", "行业观察", typed.as_str()), ("expansion", "破产重整 破产重整", expansion)], [
            ("expansion", "破产重整 破产重整", expansion),
            ("typed", "行业观察", typed.as_str()),
        ]] {
            let (_dir, mut e) = engine_with(&order)?;
            assert_eq!(ranked(&mut e, "企业破产")?, ["typed", "expansion"]);
            // Literally only one matches; the other is found through the event vocabulary.
            let literal = SearchRequest { query: "企业破产".into(), literal: true, limit: 10, ..Default::default() };
            assert_eq!(e.search(&literal)?.total, 1);
        }
        Ok(())
    }

    /// With `--match any`, a name the dictionary lacks (split into characters) counts by its
    /// characters even where the question's function characters around it (由…的是谁) are not in
    /// the text; as one phrase 由蔺钶 it counted for nothing and tied with a passage without it
    /// (same length, both with 配音).
    #[test]
    fn any_mode_does_not_require_a_run_of_single_characters_verbatim() -> Result<()> {
        let (_dir, mut e) = engine_with(&[
            ("other", "角色", "这个角色由别人来配音。"),
            ("name", "角色", "蔺钶为这个角色配音。"),
        ])?;
        let request = SearchRequest {
            query: "由蔺钶配音的是谁".into(),
            sort: SortOrder::Relevance,
            match_mode: MatchMode::Any,
            limit: 10,
            ..Default::default()
        };
        let hits = e.search(&request)?.hits;
        let scores: Vec<(&str, f32)> = hits.iter().map(|h| (h.id.as_str(), h.score)).collect();
        assert!(matches!(scores[..], [("name", a), ("other", b)] if a > b), "{scores:?}");
        Ok(())
    }
}
