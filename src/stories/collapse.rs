//! collapse: how does a list of documents become one entry per story?
//!
//! Search results and workflow pages show a story once, where its first member in the list's
//! order stands, as its best member there (the most complete text; the earliest when equal),
//! with the story's other members — every one, not only those in the list — as "+N sources".

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

use super::{StoryRef, members, stories_of};
use crate::error::Result;

/// Another member of a story, as an entry's "+N sources" lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherSource {
    pub id: String,
    /// `outlet via feed`, or the feed alone.
    pub source: String,
    pub published_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub published_precision: Option<crate::document::DatePrecision>,
}

impl OtherSource {
    /// Its time as pages show it (a day-only date without `00:00`).
    pub fn when(&self) -> String {
        crate::engine::format_published(self.published_at, self.published_precision)
    }
}

/// What collapsing says about one kept item.
#[derive(Debug, Clone, Default)]
pub struct Collapsed {
    pub story: Option<StoryRef>,
    /// The story's other members, best first.
    pub also: Vec<OtherSource>,
}

/// Collapses `items` (each with its document id) to one per story, keeping the list's order of
/// first appearance. Items without a story stand alone. Returns the kept items with their
/// story facts.
pub fn collapse<T>(conn: &Connection, items: Vec<T>, id: impl Fn(&T) -> &str) -> Result<Vec<(T, Collapsed)>> {
    let ids: Vec<String> = items.iter().map(|t| id(t).to_string()).collect();
    let stories = stories_of(conn, &ids)?;
    // Per story: where it first stands, and the rank of each member (0 = best).
    let mut order: HashMap<i64, Vec<super::Member>> = HashMap::new();
    for s in stories.values() {
        if s.size > 1 && !order.contains_key(&s.id) {
            order.insert(s.id, members(conn, s.id)?);
        }
    }
    let rank = |story: i64, doc: &str| -> usize {
        order.get(&story).and_then(|m| m.iter().position(|x| x.id == doc)).unwrap_or(usize::MAX)
    };
    let mut slot_of: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<(T, Collapsed)> = Vec::with_capacity(items.len());
    for item in items {
        let Some(story) = stories.get(id(&item)).copied() else {
            out.push((item, Collapsed::default()));
            continue;
        };
        match slot_of.get(&story.id) {
            Some(&slot) => {
                // A later member of a story already listed: it replaces the one shown when better.
                if rank(story.id, id(&item)) < rank(story.id, id(&out[slot].0)) {
                    out[slot].0 = item;
                }
            }
            None => {
                slot_of.insert(story.id, out.len());
                out.push((item, Collapsed { story: Some(story), also: Vec::new() }));
            }
        }
    }
    for (item, c) in &mut out {
        if let Some(story) = c.story
            && let Some(ms) = order.get(&story.id)
        {
            let shown = id(item);
            c.also = ms
                .iter()
                .filter(|m| m.id != shown)
                .map(|m| OtherSource {
                    id: m.id.clone(),
                    source: m.source.clone(),
                    published_at: m.published_at,
                    published_precision: m.published_precision,
                })
                .collect();
        }
    }
    Ok(out)
}

/// `+2 sources: 环球时报 via 腾讯新闻 2023-10-10, 观察者网 2023-10-11` — the line an entry carries.
pub fn sources_line(also: &[OtherSource]) -> String {
    let list: Vec<String> = also
        .iter()
        .map(|c| format!("{} {}", c.source, c.when()).trim_end().to_string())
        .collect();
    format!("+{} source{}: {}", also.len(), if also.len() == 1 { "" } else { "s" }, list.join(", "))
}
