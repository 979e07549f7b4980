//! The CC-CEDICT subset: English glosses of Chinese words and back, for translating queries.
//!
//! `data/cedict.tsv.gz` (built by `scripts/make-cedict.py`, CC BY-SA 4.0, see
//! data/LICENSES.md) holds `chinese<TAB>gloss|gloss…` lines, most frequent Chinese words first.
//! It is compiled in and decoded on the first query that needs it (~30k entries).
//!
//! Only a word's main sense translates: its first gloss, and only for the most frequent
//! Chinese word whose first gloss it is, so a pair translates the same both ways. Later glosses
//! were mostly noise in finance queries (出口 → exit / speak, tariff → 费率, impact → 影响力, a
//! dictionary's order of senses is not a news corpus's); the finance glossary of
//! data/synonyms.toml, which the caller consults first, holds the senses a search needs.

use std::collections::HashMap;
use std::io::Read;
use std::sync::LazyLock;
use std::time::Instant;

use super::{STOPWORDS, key_of};
use crate::segment;

const CEDICT: &[u8] = include_bytes!("../../data/cedict.tsv.gz");

pub(super) struct Bilingual {
    /// Chinese word → its main English gloss, as written in the dictionary.
    zh_en: HashMap<String, String>,
    /// Key of an English gloss (see [`key_of`]) → the Chinese word it is the main sense of.
    en_zh: HashMap<String, String>,
    /// Most words in an English key.
    pub(super) longest_key: usize,
}

pub(super) static BILINGUAL: LazyLock<Bilingual> = LazyLock::new(load);

impl Bilingual {
    /// The translation of the query words whose key is `key`, English for Chinese and back.
    pub(super) fn lookup(&self, key: &str) -> Option<&str> {
        self.zh_en.get(key).or_else(|| self.en_zh.get(key)).map(String::as_str)
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
    let mut zh_en: HashMap<String, String> = HashMap::new();
    let mut en_zh: HashMap<String, String> = HashMap::new();
    let mut longest_key = 1;
    for line in text.lines() {
        let Some((zh, glosses)) = line.split_once('\t') else { continue };
        let Some(main) = glosses.split('|').find(|g| !g.is_empty()) else { continue };
        let words = segment::query_words(main);
        if words.is_empty() || (words.len() == 1 && STOPWORDS.contains(&words[0].as_str())) {
            continue;
        }
        // Lines come most frequent first: the first word with this main sense keeps it (price →
        // 价格, not 代价 whose first gloss is also price), and a rarer one gets no translation.
        let std::collections::hash_map::Entry::Vacant(slot) = en_zh.entry(key_of(&words)) else { continue };
        slot.insert(zh.to_string());
        zh_en.insert(zh.to_string(), main.to_string());
        longest_key = longest_key.max(words.len());
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
        assert!(b.zh_en.len() > 10_000, "{}", b.zh_en.len());
        assert_eq!(b.lookup("稀土"), Some("rare earth"));
        assert_eq!(b.lookup("rare earth"), Some("稀土"));
        // English is looked up by stem, as the query segmenter writes it.
        assert_eq!(b.lookup("inflat"), Some("通货膨胀"));
        // Stop words translate to nothing.
        assert_eq!(b.lookup("the"), None);
    }

    /// Only main senses: a later gloss (出口: exit|speak|export) or a rarer word with the same
    /// first gloss (代价: price|cost) does not translate.
    #[test]
    fn only_the_main_sense_translates_both_ways() {
        let b = &*BILINGUAL;
        assert_eq!(b.lookup("出口"), Some("exit"));
        assert_eq!(b.lookup("speak"), Some("说话"));
        assert_eq!(b.lookup("tariff"), None, "费率: rate|tariff; 关税: customs duty|tariff");
        assert_eq!(b.lookup("impact"), None, "影响力: influence|impact");
        assert_eq!(b.lookup("price"), Some("价格"));
        assert_eq!(b.lookup("代价"), None);
    }
}
