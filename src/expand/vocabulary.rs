//! The synonym, alias and glossary table: the shipped one (`data/synonyms.toml`, compiled in)
//! plus the user's `<data-dir>/synonyms.toml`, read again whenever its modification time
//! changes (the index does not depend on it, so no reindex).
//!
//! Keys and terms are turned into query words when the table is loaded, so a key matches the
//! query however the user spaces or cases it, and English by stem.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use serde::Deserialize;

use super::{Via, key_of};
use crate::error::{Error, Result};
use crate::segment;

/// Name of the user's table in the data directory.
pub const USER_FILE: &str = "synonyms.toml";

const SHIPPED: &str = include_str!("../../data/synonyms.toml");

/// The file format: three tables of `key = [terms]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    #[serde(default)]
    expand: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    translations: BTreeMap<String, Vec<String>>,
}

/// One term a key expands to.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// As written in the table (shown by `--explain`).
    pub text: String,
    /// Its query words, searched as a phrase.
    pub words: Vec<String>,
    pub via: Via,
}

/// The loaded table: query key → the terms it expands to.
#[derive(Debug, Default)]
pub struct Vocabulary {
    entries: HashMap<String, Vec<Expansion>>,
    /// Most query words in a key, so lookups know how far to look ahead.
    pub longest_key: usize,
    /// The user file this table includes, if any (for logs and errors).
    pub user_file: Option<PathBuf>,
}

impl Vocabulary {
    /// The terms `key` (see [`key_of`]) expands to.
    pub fn lookup(&self, key: &str) -> &[Expansion] {
        self.entries.get(key).map_or(&[], Vec::as_slice)
    }

    /// The shipped table alone.
    pub fn shipped() -> Arc<Vocabulary> {
        static SHIPPED_TABLE: LazyLock<Arc<Vocabulary>> = LazyLock::new(|| {
            let mut v = Vocabulary::default();
            // Compiled in and checked by a unit test: a mistake there costs its entries only.
            if let Err(message) = v.add(SHIPPED) {
                tracing::error!(%message, "the shipped data/synonyms.toml is invalid");
            }
            Arc::new(v)
        });
        SHIPPED_TABLE.clone()
    }

    /// The shipped table plus `<data_dir>/synonyms.toml` when it exists. Cached per data
    /// directory and re-read when the file's modification time (or existence) changes.
    pub fn for_data_dir(data_dir: &Path) -> Result<Arc<Vocabulary>> {
        static CACHE: LazyLock<Mutex<HashMap<PathBuf, (Option<SystemTime>, Arc<Vocabulary>)>>> =
            LazyLock::new(Default::default);
        let path = data_dir.join(USER_FILE);
        let modified = match std::fs::metadata(&path) {
            Ok(m) => Some(m.modified().map_err(|e| Error::io(&path, e))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&path, e)),
        };
        let Some(modified) = modified else { return Ok(Vocabulary::shipped()) };
        // A poisoned cache only means another thread panicked while holding it; the map is
        // still a valid cache.
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, table)) = cache.get(&path)
            && *seen == Some(modified)
        {
            return Ok(table.clone());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let mut v = Vocabulary::default();
        v.add(SHIPPED).map_err(|m| Error::Config(format!("the shipped synonyms table: {m}")))?;
        v.add(&text).map_err(|message| {
            Error::Config(format!(
                "{}: {message}; fix the file (format in README, \"Query language\") or remove it",
                path.display()
            ))
        })?;
        v.user_file = Some(path.clone());
        tracing::info!(file = %path.display(), keys = v.entries.len(), "synonyms table loaded");
        let table = Arc::new(v);
        cache.insert(path, (Some(modified), table.clone()));
        Ok(table)
    }

    /// Adds the entries of one TOML table; the error says which entry is wrong and why.
    fn add(&mut self, text: &str) -> std::result::Result<(), String> {
        let file: TableFile = toml::from_str(text).map_err(|e| e.to_string().trim_end().replace('\n', " "))?;
        let words_of = |section: &str, key: &str, term: &str| {
            let words = segment::query_words(term);
            if words.is_empty() {
                Err(format!("[{section}] {key:?}: {term:?} has no searchable words (only punctuation?)"))
            } else {
                Ok(words)
            }
        };
        for (key, terms) in &file.expand {
            let key_words = words_of("expand", key, key)?;
            for term in terms {
                let words = words_of("expand", key, term)?;
                self.push(&key_words, Expansion { text: term.clone(), words, via: Via::Synonym });
            }
        }
        for (section, groups, via) in [("aliases", &file.aliases, Via::Alias), ("translations", &file.translations, Via::Translation)] {
            for (key, terms) in groups {
                let mut names = vec![(key.clone(), words_of(section, key, key)?)];
                for term in terms {
                    names.push((term.clone(), words_of(section, key, term)?));
                }
                // Both ways: each name finds every other. Translations keep languages apart:
                // an English rendering finds the Chinese key, not the other English ones.
                for (i, (_, from)) in names.iter().enumerate() {
                    for (j, (text, words)) in names.iter().enumerate() {
                        let sibling = via == Via::Translation && i > 0 && j > 0;
                        if i != j && !sibling {
                            self.push(from, Expansion { text: text.clone(), words: words.clone(), via });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, key_words: &[String], expansion: Expansion) {
        let key = key_of(key_words);
        let list = self.entries.entry(key).or_default();
        if key_words != expansion.words.as_slice() && !list.iter().any(|e| e.words == expansion.words) {
            self.longest_key = self.longest_key.max(key_words.len());
            list.push(expansion);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &Vocabulary, key: &str) -> Vec<String> {
        v.lookup(key).iter().map(|e| e.text.clone()).collect()
    }

    #[test]
    fn the_shipped_table_loads_every_entry() {
        let mut v = Vocabulary::default();
        assert_eq!(v.add(SHIPPED), Ok(()));
        assert!(texts(&v, "高管变动").contains(&"辞职".to_string()));
        // Aliases work both ways, tickers included.
        assert!(texts(&v, "600111").contains(&"北方稀土".to_string()));
        assert!(texts(&v, "北方稀土").contains(&"600111".to_string()));
        // Translations: English by stem, and an English rendering finds only the Chinese.
        assert_eq!(texts(&v, "export control"), ["出口管制"]);
        assert!(texts(&v, "出口管制").contains(&"export controls".to_string()));
        // One way: a synonym does not find its key.
        assert!(!texts(&v, "辞职").contains(&"高管变动".to_string()));
    }

    #[test]
    fn bad_tables_say_which_entry_is_wrong() {
        let mut v = Vocabulary::default();
        let err = v.add("[expand]\n\"并购\" = [\"，\"]\n").err().unwrap_or_default();
        assert!(err.contains("[expand] \"并购\"") && err.contains("no searchable words"), "{err}");
        let err = v.add("[synonyms]\n\"a\" = [\"b\"]\n").err().unwrap_or_default();
        assert!(err.contains("synonyms"), "{err}");
        let err = v.add("[expand]\n\"a\" = \"b\"\n").err().unwrap_or_default();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_user_file_adds_to_the_shipped_table_and_is_reread_when_it_changes() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        assert!(Vocabulary::for_data_dir(dir.path())?.user_file.is_none());
        let path = dir.path().join(USER_FILE);
        std::fs::write(&path, "[expand]\n\"光伏\" = [\"太阳能\"]\n").map_err(|e| Error::io(&path, e))?;
        let v = Vocabulary::for_data_dir(dir.path())?;
        assert_eq!(texts(&v, "光伏"), ["太阳能"]);
        assert!(!texts(&v, "高管变动").is_empty(), "the shipped entries are kept");
        std::fs::write(&path, "[expand]\n\"光伏\" = [\"硅料\"]\n").map_err(|e| Error::io(&path, e))?;
        // File systems with coarse timestamps: make the change visible.
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        let f = std::fs::File::options().write(true).open(&path).map_err(|e| Error::io(&path, e))?;
        f.set_modified(later).map_err(|e| Error::io(&path, e))?;
        assert_eq!(texts(&*Vocabulary::for_data_dir(dir.path())?, "光伏"), ["硅料"]);
        std::fs::write(&path, "[expand\n").map_err(|e| Error::io(&path, e))?;
        f.set_modified(later + std::time::Duration::from_secs(5)).map_err(|e| Error::io(&path, e))?;
        let err = Vocabulary::for_data_dir(dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("synonyms.toml") && err.contains("fix the file"), "{err}");
        Ok(())
    }
}
