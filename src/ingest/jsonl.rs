//! JSONL: how does a line of the canonical schema (corpus/README.md) become a document?
//!
//! Streams a plain or gzip file (gzip recognised by its magic bytes, concatenated members
//! allowed) line by line; a line is never longer in memory than the size limit. Each line is
//! parsed in one pass from a borrowed `&str` into borrowed fields, so only the strings a
//! document keeps are copied. A bad line is a record with an error and reading goes on; only a
//! broken file (unreadable, gzip corrupt midway) ends the input with `Err`.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use super::{Draft, Fields, Input, ReadOptions, Record, file_stem, finish, too_big};
use crate::dates::parse_dated;
use crate::document::{Document, Lang};
use crate::error::{Error, Location, Result, excerpt};

/// Read buffer size: large enough that a decompressor call and a line search amortise well.
const BUFFER: usize = 256 * 1024;
/// Most characters of a line's content (a value, an id) that a message quotes: a bad line may
/// be megabytes, and a file may hold millions of them.
const QUOTE_CHARS: usize = 200;

pub(super) fn read(
    input: &Input,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Record) -> ControlFlow<()>,
) -> Result<()> {
    let path = &input.path;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let consumed = Rc::new(Cell::new(0u64));
    let mut raw = BufReader::with_capacity(
        BUFFER,
        Counting {
            inner: file,
            consumed: Rc::clone(&consumed),
        },
    );
    let gzip = raw
        .fill_buf()
        .map_err(|e| Error::io(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };

    let default_source = file_stem(path);
    let mut first_line_of_id: HashMap<String, u64> = HashMap::new();
    let mut line = Vec::with_capacity(64 * 1024);
    let mut line_no = 0u64;
    let mut offset = 0u64;
    loop {
        line.clear();
        let length = match read_line(&mut reader, &mut line, opts.max_doc_bytes) {
            Ok(Some(length)) => length,
            Ok(None) => return Ok(()),
            Err(e) if gzip => {
                return Err(Error::BadInput {
                    location: Location {
                        file: path.clone(),
                        line: Some(line_no + 1),
                    },
                    message: format!(
                        "the gzip stream is corrupt or truncated here ({e}); the {line_no} lines \
                         before were read — re-create or re-copy the file"
                    ),
                });
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        line_no += 1;
        let line_offset = offset;
        offset += length.consumed;

        let result = if length.too_long {
            Err(too_big(length.consumed, opts.max_doc_bytes))
        } else {
            match parse_line(&line, line_offset, gzip, &default_source, opts) {
                None => continue,
                Some(result) => result,
            }
        };
        let result = result.and_then(|doc| match first_line_of_id.get(&doc.id) {
            Some(first) => Err(format!(
                "id {:?} already appeared at line {first} of this file",
                excerpt(&doc.id, QUOTE_CHARS)
            )),
            None => {
                first_line_of_id.insert(doc.id.clone(), line_no);
                Ok(doc)
            }
        });
        let location = Location {
            file: path.clone(),
            line: Some(line_no),
        };
        let result = result.map_err(|message| Error::BadInput {
            location: location.clone(),
            message,
        });
        if sink(Record {
            location,
            result,
            bytes_read: consumed.get(),
        })
        .is_break()
        {
            return Ok(());
        }
    }
}

/// Counts the bytes read from the file, for progress.
struct Counting<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

pub(super) struct LineLength {
    /// Bytes consumed from the (decompressed) stream, newline included.
    pub(super) consumed: u64,
    /// The line is over the limit; `buf` holds only its start.
    pub(super) too_long: bool,
}

/// Reads one line into `buf` without its line ending. A line longer than `limit` is consumed
/// to its end but not kept. `None` at end of input.
pub(super) fn read_line(
    reader: &mut Box<dyn BufRead>,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<LineLength>> {
    // limit + 1 content bytes prove a line too long; one more leaves room for its newline.
    let cap = limit as u64 + 2;
    let n = reader.by_ref().take(cap).read_until(b'\n', buf)? as u64;
    if n == 0 {
        return Ok(None);
    }
    let mut consumed = n;
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n == cap {
        consumed += reader.skip_until(b'\n')? as u64;
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(LineLength {
        consumed,
        too_long: buf.len() > limit,
    }))
}

/// Parses one line; `None` for a blank line.
fn parse_line(
    line: &[u8],
    offset: u64,
    gzip: bool,
    default_source: &str,
    opts: &ReadOptions,
) -> Option<Result<Document, String>> {
    let line = if offset == 0 {
        line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
    } else {
        line
    };
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => {
            let at = e.valid_up_to() as u64;
            let stream = if gzip { "decompressed stream" } else { "file" };
            return Some(Err(format!(
                "invalid UTF-8 at byte {at} of this line (byte {} of the {stream}); JSONL must be \
                 UTF-8 — convert the file, e.g. with `iconv -f GB18030 -t UTF-8`",
                offset + at
            )));
        }
    };
    let field = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = RecordSeed { field: &field }
        .deserialize(&mut deserializer)
        .and_then(|raw| {
            field.set(None);
            deserializer.end().map(|()| raw)
        });
    match parsed {
        Ok(raw) => Some(document(raw, default_source, opts)),
        Err(e) => Some(Err(json_message(&e, field.get()))),
    }
}

/// A serde_json error as a message: what is wrong, in which field, at which column — without
/// serde's "line 1" (the line is the record's location).
fn json_message(e: &serde_json::Error, field: Option<&str>) -> String {
    // serde quotes the offending value ("invalid type: string \"…\", expected …"): keep its
    // start and the expectation at the end, not the whole value.
    let message = elide_middle(without_position(&e.to_string()), QUOTE_CHARS, 80);
    let column = match e.column() {
        0 => String::new(),
        n => format!(" at column {n}"),
    };
    match (e.classify(), field) {
        (serde_json::error::Category::Syntax | serde_json::error::Category::Eof, _) => {
            format!("malformed JSON{column}: {message}")
        }
        (_, Some(field)) => format!("{field}: {message}{column}"),
        (_, None) => format!("{message}{column}"),
    }
}

/// `text` if short, else its first `head` and last `tail` characters around " … ".
fn elide_middle(text: &str, head: usize, tail: usize) -> String {
    let count = text.chars().count();
    if count <= head + tail + 3 {
        return text.to_string();
    }
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start} … {end}")
}

fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => &message[..i],
        _ => message,
    }
}

fn document(
    raw: RawRecord<'_>,
    default_source: &str,
    opts: &ReadOptions,
) -> Result<Document, String> {
    let id = match raw.id {
        None => return Err("missing id; every record needs a non-empty string id".into()),
        Some(id) if id.0.trim().is_empty() => {
            return Err("id is empty; every record needs a non-empty string id".into());
        }
        Some(id) => id.0.into_owned(),
    };
    let paragraphs = match raw.paragraphs {
        None => {
            return Err(
                "missing paragraphs; every record needs an array of paragraph strings".into(),
            );
        }
        Some(p) if p.kept.is_empty() && p.given == 0 => {
            return Err("paragraphs is an empty array; every record needs some text".into());
        }
        Some(p) if p.kept.is_empty() => {
            return Err(format!(
                "paragraphs are all empty ({} given); every record needs some text",
                p.given
            ));
        }
        Some(p) => p.kept,
    };
    let published = match present(&raw.published_at) {
        None => None,
        Some(value) => Some(parse_dated(value).map_err(|e| match e {
            Error::BadDate { value, hint } => {
                format!("published_at {:?} is not a date; {hint}", excerpt(&value, QUOTE_CHARS))
            }
            other => other.to_string(),
        })?),
    };
    let lang = match present(&raw.lang) {
        None => None,
        Some(value) => Some(Lang::parse(value).ok_or_else(|| {
            format!(
                "unknown lang {:?}; use \"zh\" or \"en\", or leave lang out to have it detected",
                excerpt(value, QUOTE_CHARS)
            )
        })?),
    };
    let source = present(&raw.source).unwrap_or(default_source).to_string();
    let url = present(&raw.url).map(str::to_string);
    let draft = Draft {
        title: raw.title.map(|t| t.0.into_owned()),
        published_at: published.map(|p| p.0),
        published_precision: published.map(|p| p.1),
        lang,
        paragraphs,
    };
    let fields = Fields {
        id,
        source,
        url,
        meta: raw.meta.unwrap_or(serde_json::Value::Null),
    };
    finish(draft, fields, opts, false)
}

/// A string field's trimmed value, or `None` when absent, null or blank.
fn present<'a>(field: &'a Option<Text<'_>>) -> Option<&'a str> {
    field.as_ref().map(|t| t.0.trim()).filter(|t| !t.is_empty())
}

/// The fields of one line as given, borrowed from the line where JSON escapes allow.
#[derive(Default)]
struct RawRecord<'a> {
    id: Option<Text<'a>>,
    title: Option<Text<'a>>,
    source: Option<Text<'a>>,
    published_at: Option<Text<'a>>,
    url: Option<Text<'a>>,
    lang: Option<Text<'a>>,
    paragraphs: Option<Paragraphs>,
    meta: Option<serde_json::Value>,
}

/// Deserializes a record, noting which field is being read so that an error can name it.
struct RecordSeed<'f> {
    field: &'f Cell<Option<&'static str>>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RawRecord<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = RawRecord<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (one document per line)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawRecord::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match key.0.as_ref() {
                "id" => read_field(&mut map, &mut raw.id, "id", self.field)?,
                "title" => read_field(&mut map, &mut raw.title, "title", self.field)?,
                "source" => read_field(&mut map, &mut raw.source, "source", self.field)?,
                "published_at" => {
                    read_field(&mut map, &mut raw.published_at, "published_at", self.field)?
                }
                "url" => read_field(&mut map, &mut raw.url, "url", self.field)?,
                "lang" => read_field(&mut map, &mut raw.lang, "lang", self.field)?,
                "paragraphs" => {
                    read_field(&mut map, &mut raw.paragraphs, "paragraphs", self.field)?
                }
                "meta" => read_field(&mut map, &mut raw.meta, "meta", self.field)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.field.set(None);
        }
        Ok(raw)
    }
}

/// Reads a field's value (null counts as absent); a field given twice is an error.
fn read_field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
    reading: &Cell<Option<&'static str>>,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    reading.set(Some(name));
    *slot = map.next_value::<Option<T>>()?;
    Ok(())
}

/// A JSON string, borrowed from the line unless it had escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

/// The non-empty paragraphs, trimmed, and how many were given.
struct Paragraphs {
    kept: Vec<String>,
    given: usize,
}

impl<'de> Deserialize<'de> for Paragraphs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ParagraphsVisitor)
    }
}

struct ParagraphsVisitor;

impl<'de> Visitor<'de> for ParagraphsVisitor {
    type Value = Paragraphs;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        let mut given = 0;
        while let Some(p) = seq.next_element::<Text<'de>>()? {
            given += 1;
            let p = p.0.trim();
            if !p.is_empty() {
                kept.push(p.to_owned());
            }
        }
        Ok(Paragraphs { kept, given })
    }
}
