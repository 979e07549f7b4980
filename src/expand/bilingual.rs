//! The CC-CEDICT subset: English glosses of Chinese words and back, for translating queries.
//!
//! `data/cedict.tsv.gz` (built by `scripts/make-cedict.py`, CC BY-SA 4.0, see
//! data/LICENSES.md) holds `chinese<TAB>gloss|gloss…` lines, most frequent Chinese words first.
//! It is compiled in and decoded on the first query that needs it (~30k entries). A Chinese
//! word translates to its first glosses; an English word or phrase (stemmed like a query) to
//! the most frequent Chinese words that gloss it, so `control` does not fan out to dozens.

use std::collections::HashMap;
use std::io::Read;
use std::sync::LazyLock;
use std::time::Instant;

use super::{STOPWORDS, key_of};
use crate::segment;

const CEDICT: &[u8] = include_bytes!("../../data/cedict.tsv.gz");

/// Glosses a Chinese word translates to.
const MAX_ENGLISH: usize = 2;
/// Chinese words an English key translates to.
const MAX_CHINESE: usize = 3;

pub(super) struct Bilingual {
    /// Chinese word → English glosses, as written in the dictionary.
    zh_en: HashMap<String, Vec<String>>,
    /// Key of an English gloss (see [`key_of`]) → Chinese words.
    en_zh: HashMap<String, Vec<String>>,
    /// Most words in an English key.
    pub(super) longest_key: usize,
}

pub(super) static BILINGUAL: LazyLock<Bilingual> = LazyLock::new(load);

impl Bilingual {
    /// Translations of the query words whose key is `key`, English for Chinese and back.
    pub(super) fn lookup(&self, key: &str) -> &[String] {
        self.zh_en.get(key).or_else(|| self.en_zh.get(key)).map_or(&[], Vec::as_slice)
    }
}

fn load() -> Bilingual {
    let started = Instant::now();
    let mut text = String::new();
    // The file is compiled in and checked by a unit test; if it were damaged, queries would
    // only lose their translations.
    if let Err(error) = flate2::read::GzDecoder::new(CEDICT).read_to_string(&mut text) {
        tracing::error!(%error, "the compiled-in CC-CEDICT subset cannot be read");
    }
    let mut zh_en: HashMap<String, Vec<String>> = HashMap::new();
    let mut en_zh: HashMap<String, Vec<String>> = HashMap::new();
    let mut longest_key = 1;
    for line in text.lines() {
        let Some((zh, glosses)) = line.split_once('\t') else { continue };
        let glosses: Vec<&str> = glosses.split('|').filter(|g| !g.is_empty()).collect();
        zh_en.insert(zh.to_string(), glosses.iter().take(MAX_ENGLISH).map(|g| g.to_string()).collect());
        for gloss in glosses {
            let words = segment::query_words(gloss);
            if words.is_empty() || (words.len() == 1 && STOPWORDS.contains(&words[0].as_str())) {
                continue;
            }
            longest_key = longest_key.max(words.len());
            let zhs = en_zh.entry(key_of(&words)).or_default();
            if zhs.len() < MAX_CHINESE && !zhs.iter().any(|z| z == zh) {
                zhs.push(zh.to_string());
            }
        }
    }
    tracing::debug!(
        chinese = zh_en.len(),
        english = en_zh.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "CC-CEDICT subset loaded"
    );
    Bilingual { zh_en, en_zh, longest_key }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_subset_reads_and_translates_both_ways() {
        let b = &*BILINGUAL;
        assert!(b.zh_en.len() > 20_000, "{}", b.zh_en.len());
        assert_eq!(b.lookup("稀土"), ["rare earth"]);
        assert!(b.lookup("rare earth").contains(&"稀土".to_string()), "{:?}", b.lookup("rare earth"));
        // English is looked up by stem, as the query segmenter writes it.
        assert!(b.lookup("bankruptci").contains(&"破产".to_string()), "{:?}", b.lookup("bankruptci"));
        // Stop words translate to nothing.
        assert!(b.lookup("the").is_empty());
    }
}
