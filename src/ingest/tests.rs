//! Tests of the readers against the hand-made and excerpted fixtures in tests/fixtures/ingest.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest")
}

fn input(path: PathBuf, format: Format) -> Input {
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Input {
        path,
        format,
        bytes,
        root,
    }
}

/// Reads a whole input, returning its records and how reading ended.
fn read_all(input: &Input, opts: &ReadOptions) -> (Vec<Record>, Result<()>) {
    let mut records = Vec::new();
    let end = read_input(input, opts, &mut |r| {
        records.push(r);
        ControlFlow::Continue(())
    });
    (records, end)
}

/// Records as JSON for snapshots, with fixture paths made relative so snapshots do not depend
/// on where the checkout is.
fn render(records: &[Record]) -> serde_json::Value {
    let base = fixtures();
    let at = |l: &Location| {
        let file = l
            .file
            .strip_prefix(&base)
            .unwrap_or(&l.file)
            .display()
            .to_string();
        match l.line {
            Some(n) => format!("{file}:{n}"),
            None => file,
        }
    };
    records
        .iter()
        .map(|r| match &r.result {
            Ok(doc) => json!({ "at": at(&r.location), "doc": doc }),
            Err(Error::BadInput { location, message }) => {
                assert_eq!(
                    location, &r.location,
                    "the error's location is the record's"
                );
                json!({ "at": at(&r.location), "error": message })
            }
            Err(other) => json!({ "at": at(&r.location), "unexpected": other.to_string() }),
        })
        .collect()
}

fn docs(records: Vec<Record>) -> Vec<Document> {
    records.into_iter().filter_map(|r| r.result.ok()).collect()
}

#[test]
fn reads_a_real_corpus_excerpt_plain_and_gzip_alike() {
    let opts = ReadOptions::default();
    let plain = input(fixtures().join("corpus_excerpt.jsonl"), Format::Jsonl);
    let gzip = input(fixtures().join("corpus_excerpt.jsonl.gz"), Format::Jsonl);
    let (plain_records, end) = read_all(&plain, &opts);
    assert!(end.is_ok());
    let (gzip_records, end) = read_all(&gzip, &opts);
    assert!(end.is_ok());
    assert_eq!(gzip_records.last().map(|r| r.bytes_read), Some(gzip.bytes));
    insta::assert_json_snapshot!(render(&plain_records));
    assert_eq!(docs(plain_records), docs(gzip_records));
}

#[test]
fn reports_every_kind_of_bad_line_and_reads_on() {
    let bad = input(fixtures().join("bad_lines.jsonl"), Format::Jsonl);
    let (records, end) = read_all(&bad, &ReadOptions::default());
    assert!(end.is_ok());
    insta::assert_json_snapshot!(render(&records));
}

#[test]
fn gzip_is_detected_by_content_not_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("misnamed.jsonl");
    std::fs::copy(fixtures().join("corpus_excerpt.jsonl.gz"), &path).expect("copy");
    let (records, end) = read_all(&input(path, Format::Jsonl), &ReadOptions::default());
    assert!(end.is_ok());
    assert_eq!(docs(records).len(), 5);
}

#[test]
fn oversized_document_is_rejected_and_reading_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let filler = "x".repeat(50 * 1024 * 1024 - 40);
    writeln!(file, r#"{{"id": "big", "paragraphs": ["{filler}"]}}"#).expect("write");
    writeln!(
        file,
        r#"{{"id": "small", "paragraphs": ["after the big one"]}}"#
    )
    .expect("write");
    drop(file.into_inner().expect("flush"));
    let (records, end) = read_all(&input(path, Format::Jsonl), &ReadOptions::default());
    assert!(end.is_ok());
    assert_eq!(records.len(), 2);
    let message = match &records[0].result {
        Err(Error::BadInput { message, .. }) => message.clone(),
        other => panic!("expected a size error, got {other:?}"),
    };
    insta::assert_snapshot!(message, @"document is 50.0 MB, over the 8.0 MB limit; split it, or raise ingest.max_doc_bytes in config.toml (or DOSSIER_MAX_DOC_BYTES)");
    assert_eq!(records[1].location.line, Some(2));
    assert_eq!(
        records[1].result.as_ref().map(|d| d.id.as_str()).ok(),
        Some("small")
    );

    // The limit is the option's, and applies to files too.
    let small = ReadOptions { max_doc_bytes: 100 };
    let txt = input(fixtures().join("dir/notes/plain.txt"), Format::Text);
    let (records, _) = read_all(&txt, &small);
    let message = records[0]
        .result
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.ends_with(
            "document is 301 bytes, over the 100 bytes limit; split it, or raise \
             ingest.max_doc_bytes in config.toml (or DOSSIER_MAX_DOC_BYTES)"
        ),
        "{message}"
    );
}

#[test]
fn corrupt_gzip_midway_ends_the_input_after_the_good_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..20_000 {
        // Varied text, so the compressed stream is long enough to cut in the middle.
        writeln!(
            gz,
            r#"{{"id": "n{i}", "paragraphs": ["record {i} {}"]}}"#,
            i * 7919 % 104_729
        )
        .expect("write");
    }
    let mut bytes = gz.finish().expect("finish");
    let cut = bytes.len() / 2;
    bytes.truncate(cut);
    std::fs::write(&path, &bytes).expect("write");
    let (records, end) = read_all(&input(path, Format::Jsonl), &ReadOptions::default());
    assert!(
        !records.is_empty() && records.len() < 20_000,
        "{}",
        records.len()
    );
    assert!(
        records.iter().all(|r| r.result.is_ok()),
        "no record is made of the broken part"
    );
    match end {
        Err(Error::BadInput { location, message }) => {
            assert_eq!(location.line, Some(records.len() as u64 + 1));
            assert!(
                message.starts_with("the gzip stream is corrupt or truncated here"),
                "{message}"
            );
        }
        other => panic!("expected a corrupt-stream error, got {other:?}"),
    }
}

#[test]
fn sink_can_stop_reading() {
    let excerpt = input(fixtures().join("corpus_excerpt.jsonl"), Format::Jsonl);
    let mut seen = 0;
    let end = read_input(&excerpt, &ReadOptions::default(), &mut |_| {
        seen += 1;
        if seen == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert!(end.is_ok());
    assert_eq!(seen, 2);
}

#[test]
fn discovers_inputs_in_a_stable_order_and_skips_the_rest() {
    let dir = fixtures().join("dir");
    let found = discover(&[dir.clone(), dir.join("notes/plain.txt")]).expect("discover");
    let listed: Vec<String> = found
        .iter()
        .map(|i| {
            let rel = i
                .path
                .strip_prefix(&dir)
                .unwrap_or(&i.path)
                .display()
                .to_string();
            assert_eq!(i.root, dir);
            assert!(i.bytes > 0);
            format!("{rel} {}", i.format.as_str())
        })
        .collect();
    assert_eq!(
        listed,
        [
            "bad_utf8.txt text",
            "data/mini.jsonl jsonl",
            "feeds/atom.xml feed",
            "feeds/news.rss feed",
            "notes/plain.txt text",
            "notes/report.md markdown",
            "notes/setext.md markdown",
            "notes/untitled.txt text",
            "pages/article.html html",
            "pages/bad-date.html html",
            "pages/gbk.html html",
            "pages/hostile.html html",
            "pages/no-text.html html",
        ]
    );
}

#[test]
fn discover_names_a_missing_path_and_sniffs_named_files() {
    let missing = fixtures().join("no/such/file.jsonl");
    let err = discover(std::slice::from_ref(&missing))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        err,
        format!(
            "{}: no such file or directory; check the path (ingest reads JSONL files, plain or \
             .gz, RSS/Atom feeds, and directories of .txt/.md/.html/.pdf files)",
            missing.display()
        )
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "dump.data",
            b"\x1f\x8b\x08\x00rest".as_slice(),
            Some(Format::Jsonl),
        ),
        (
            "dump",
            b"\n{\"id\": \"a\"}\n".as_slice(),
            Some(Format::Jsonl),
        ),
        (
            "page",
            b"<!DOCTYPE html><html></html>".as_slice(),
            Some(Format::Html),
        ),
        (
            "feed",
            b"<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>".as_slice(),
            Some(Format::Feed),
        ),
        ("README", b"just words".as_slice(), Some(Format::Text)),
        ("blob.bin", b"\x00\xff\xfe\x01".as_slice(), None),
    ];
    for (name, content, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        let got = discover(std::slice::from_ref(&path))
            .map(|inputs| inputs[0].format)
            .ok();
        assert_eq!(got, want, "{name}");
        assert_eq!(got.map(|_| ()).is_none(), discover(&[path]).is_err());
    }
    // Named directly, a file's id is relative to its own directory.
    let named = discover(&[fixtures().join("dir/notes/plain.txt")]).expect("discover");
    assert_eq!(named[0].root, fixtures().join("dir/notes"));
}

#[test]
fn reads_a_directory_of_text_markdown_html_and_feeds() {
    let inputs = discover(&[fixtures().join("dir")]).expect("discover");
    let opts = ReadOptions::default();
    let mut records = Vec::new();
    for input in &inputs {
        let (mut r, end) = read_all(input, &opts);
        assert!(end.is_ok(), "{}: {end:?}", input.path.display());
        records.append(&mut r);
    }
    insta::assert_json_snapshot!(render(&records));
}

#[test]
fn hostile_html_yields_only_its_visible_text() {
    let page = input(fixtures().join("dir/pages/hostile.html"), Format::Html);
    let (records, _) = read_all(&page, &ReadOptions::default());
    let doc = records
        .into_iter()
        .next()
        .and_then(|r| r.result.ok())
        .expect("a document");
    let text = format!("{}\n{}", doc.title, doc.body());
    for banned in [
        "alert",
        "xss",
        "cookie",
        "javascript",
        "secret",
        "Submit",
        "template text",
        "iframe fallback",
        "svg text",
        "display:none",
    ] {
        assert!(!text.contains(banned), "{banned:?} leaked into {text:?}");
    }
    assert!(text.contains("Visible text stays."), "{text}");
    assert!(text.contains("<script>not a tag</script> 中文"), "{text}");
}

#[test]
fn pathological_html_does_not_crash_or_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (file, markup, whether it should yield a document)
    let cases = [
        (
            "deep.html",
            format!(
                "{}deep text{}",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            ),
            false,
        ),
        (
            "unclosed.html",
            format!("{}tail", "<p><b><i><table><tr><td>".repeat(2_000)),
            false,
        ),
        (
            "nested.html",
            format!(
                "{}nested text{}",
                "<div><span>".repeat(400),
                "</span></div>".repeat(400)
            ),
            true,
        ),
        (
            "soup.html",
            format!(
                "{}soup",
                "<p>para<br><li>item<img src=x><td>cell".repeat(5_000)
            ),
            true,
        ),
        (
            "garbage.html",
            "<<<>>>&&&;;;<!--<!-- --><![CDATA[x]]></p></p></html>&#xFFFFFFFF;&#0;".repeat(1_000),
            true,
        ),
    ];
    for (name, html, readable) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, html).expect("write");
        let (records, end) = read_all(&input(path, Format::Html), &ReadOptions::default());
        assert!(end.is_ok());
        assert_eq!(records.len(), 1, "{name}");
        match &records[0].result {
            Ok(_) => assert!(readable, "{name} should be refused"),
            Err(e) => {
                assert!(!readable, "{name}: {e}");
                assert!(
                    e.to_string().contains("nests elements more than 1024 deep"),
                    "{e}"
                );
            }
        }
    }
}

#[test]
fn markdown_inline_markup_is_stripped_minimally() {
    let cases = [
        (
            "**bold** and *em* and __strong__ and _em_",
            "bold and em and strong and em",
        ),
        (
            "a [link](http://x.com/a_b) and ![alt](i.png)",
            "a link and alt",
        ),
        (
            "ref [text][r] and bare [brackets]",
            "ref text and bare [brackets]",
        ),
        (
            "keep snake_case_name and 2 * 3 and a*b",
            "keep snake_case_name and 2 * 3 and a*b",
        ),
        ("code `a_b *c*` stays", "code a_b *c* stays"),
        ("~~gone~~ marks, \\*escaped\\*", "gone marks, *escaped*"),
        ("中文*强调*文字", "中文强调文字"),
        (
            "<https://example.com/x> autolink",
            "https://example.com/x autolink",
        ),
        ("[unclosed](paren", "[unclosed](paren"),
        (
            "[![badge](b.svg)](https://ci) and [**bold link**](u)",
            "badge and bold link",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(text::strip_inline(input), want, "{input:?}");
    }
}

#[test]
fn file_ids_are_relative_to_the_named_directory() {
    let inputs = discover(&[fixtures().join("dir")]).expect("discover");
    let page = inputs
        .iter()
        .find(|i| i.path.ends_with("article.html"))
        .expect("article");
    let (records, _) = read_all(page, &ReadOptions::default());
    let doc = docs(records).pop().expect("doc");
    assert_eq!(doc.id, "file:pages/article.html");
    assert_eq!(doc.source, "dir");
}

#[test]
fn a_line_without_end_is_bounded_in_memory() {
    // 64 MiB without a newline, read with a 1 MiB limit: consumed, refused, never held.
    let limit = 1024 * 1024;
    let endless = std::io::repeat(b'x').take(64 * 1024 * 1024);
    let mut reader: Box<dyn std::io::BufRead> = Box::new(std::io::BufReader::new(endless));
    let mut buf = Vec::new();
    let length = jsonl::read_line(&mut reader, &mut buf, limit)
        .expect("read")
        .expect("a line");
    assert!(length.too_long);
    assert_eq!(length.consumed, 64 * 1024 * 1024);
    assert!(buf.capacity() <= 2 * limit + 64, "buffer grew to {}", buf.capacity());

    // The same as a gzip file: one record, a size error, and the input ends cleanly.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no-newline.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::copy(&mut std::io::repeat(b'x').take(64 * 1024 * 1024), &mut gz).expect("gzip");
    std::fs::write(&path, gz.finish().expect("gzip")).expect("write");
    let (records, end) = read_all(&input(path, Format::Jsonl), &ReadOptions { max_doc_bytes: limit });
    assert!(end.is_ok());
    assert_eq!(records.len(), 1);
    let message = records[0].result.as_ref().err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("document is 64.0 MB, over the 1.0 MB limit"), "{message}");
}

#[test]
fn messages_quote_only_an_excerpt_of_a_huge_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("quotes.jsonl");
    let huge = "稀".repeat(200_000);
    let lines = [
        json!({"id": "a", "paragraphs": huge}).to_string(),
        json!({"id": "b", "published_at": huge, "paragraphs": ["x"]}).to_string(),
        json!({"id": "c", "lang": huge, "paragraphs": ["x"]}).to_string(),
        json!({"id": huge, "paragraphs": ["x"]}).to_string(),
        json!({"id": huge, "paragraphs": ["y"]}).to_string(),
    ];
    std::fs::write(&path, lines.join("\n")).expect("write");
    let (records, _) = read_all(&input(path, Format::Jsonl), &ReadOptions::default());
    let messages: Vec<String> = records
        .iter()
        .filter_map(|r| r.result.as_ref().err().map(|e| e.to_string()))
        .collect();
    assert_eq!(messages.len(), 4, "{:?}", records.iter().map(|r| r.result.is_ok()).collect::<Vec<_>>());
    for m in &messages {
        assert!(m.chars().count() < 1000, "{} chars: {}…", m.chars().count(), m.chars().take(300).collect::<String>());
        assert!(m.contains('…'), "{m}");
    }
    assert!(messages[0].contains("expected an array of strings"), "{}", messages[0]);
}

/// An RSS feed of the given `<item>` bodies.
fn rss(items: &[&str]) -> String {
    let items: String = items.iter().map(|i| format!("<item>{i}</item>\n")).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>\n{items}</channel></rss>\n"
    )
}

#[test]
fn feed_dates_unreadable_are_errors_absent_are_undated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dates.rss");
    let feed = rss(&[
        "<title>Good</title><guid>g1</guid><pubDate>Wed, 01 May 2024 10:30:00 +0800</pubDate>",
        "<title>No date</title><guid>g2</guid>",
        "<title>Chinese date</title><guid>g3</guid><pubDate>2024年5月1日 10:30</pubDate>",
        "<title>Bad date</title><guid>g4</guid><pubDate>next Tuesday</pubDate>",
        "<title>Blank date</title><guid>g5</guid><pubDate>  </pubDate>",
        "<title>Bad dc</title><guid>g6</guid><dc:date>&#x32;024-13-45</dc:date>",
    ]);
    std::fs::write(&path, feed).expect("write");
    let (records, end) = read_all(&input(path, Format::Feed), &ReadOptions::default());
    assert!(end.is_ok());
    let got: Vec<String> = records
        .iter()
        .map(|r| match &r.result {
            Ok(d) => format!("{}: {}", d.id, crate::engine::format_when(d.published_at)),
            Err(Error::BadInput { message, .. }) => message.clone(),
            Err(e) => format!("unexpected {e}"),
        })
        .collect();
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], "g1: 2024-05-01 02:30");
    assert_eq!(got[1], "g2: no date");
    assert_eq!(got[2], "g3: 2024-05-01 10:30");
    assert!(
        got[3].starts_with("item 4: (\"Bad date\") <pubDate> \"next Tuesday\" is not a date: accepted forms")
            && got[3].ends_with("remove the element to ingest the item undated"),
        "{}",
        got[3]
    );
    assert_eq!(got[4], "g5: no date");
    assert!(got[5].starts_with("item 6: (\"Bad dc\") <dc:date> \"2024-13-45\" is not a date"), "{}", got[5]);
}

#[test]
fn written_dates_are_found_per_item_in_rss_and_atom() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><updated>2024-01-01T00:00:00Z</updated>
        <entry><id>a</id><updated>bad</updated>
          <source><updated>2020-01-01T00:00:00Z</updated></source></entry>
        <entry><id>b</id><published>2024-05-01</published><updated>2024-05-02</updated></entry>
        </feed>"#;
    let dates = feed::written_item_dates(atom).expect("scans");
    assert_eq!(dates.len(), 2);
    assert_eq!(dates[0].published, None);
    assert_eq!(dates[0].updated.as_ref().map(|d| d.text.as_str()), Some("bad"));
    assert_eq!(dates[1].published.as_ref().map(|d| (d.element.as_str(), d.text.as_str())), Some(("published", "2024-05-01")));
    assert_eq!(feed::written_item_dates("<rss><item></rss>").map(|d| d.len()), None, "broken XML does not scan");
}
