use std::io::BufRead;
use dossier::digest::{DigestRequest, DocKind, ExtractiveSummarizer, Summarizer, detect_kind};
use dossier::{Document, Lang};
#[derive(serde::Deserialize)]
struct Record { id: String, #[serde(default)] title: String, lang: String, paragraphs: Vec<String> }
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mode = std::env::args().nth(2).unwrap_or_default();
    let file = std::fs::File::open(&path).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let s = Summarizer::Extractive(ExtractiveSummarizer::default());
    let mut n = 0;
    for line in reader.lines().take(20000) {
        let r: Record = serde_json::from_str(&line.unwrap()).unwrap();
        let title = if r.title.trim().is_empty() { Document::first_sentence(&r.paragraphs) } else { r.title };
        let d = Document { id: r.id, title, source: String::new(), published_at: None, url: None, lang: Lang::parse(&r.lang).unwrap(), paragraphs: r.paragraphs, meta: serde_json::Value::Null };
        let g = s.summarize(&d, &DigestRequest::default()).unwrap();
        let v = g.verification.clone().unwrap_or_default();
        if mode == "excerpt" && g.kind == DocKind::Excerpt && detect_kind(&d) != DocKind::Excerpt {
            n += 1; if n > 8 { break; }
            println!("=== {} {} paras={} chars={} detected={:?}", d.id, d.title, d.paragraphs.len(), d.text_len(), detect_kind(&d));
            for (i,p) in d.paragraphs.iter().enumerate().take(6) { println!("  {} {}", i+1, p.chars().take(100).collect::<String>()); }
        }
        if mode == d.id {
            println!("{:?}", dossier::digest::layout::Layout::of(&d).roles);
            println!("{}", dossier::digest::render_terminal(&g));
            println!("{:?}", v.issues);
            let raw = dossier::digest::ExtractiveSummarizer::default().summarize(&d, detect_kind(&d), None);
            println!("{}", dossier::digest::render_terminal(&raw));
        }
        if mode.starts_with("kind") && format!("{:?}", g.kind).to_lowercase() == mode[4..] {
            n += 1; if n > 4 { break; }
            println!("##### {} {}\n{}", d.id, d.title, dossier::digest::render_terminal(&g));
        }
        if mode == "sample" && d.id.trim_start_matches(|c: char| !c.is_ascii_digit()).parse::<usize>().unwrap_or(1) % 397 == 0 && g.kind != DocKind::Excerpt {
            println!("##### {} {}\n{}", d.id, d.title, dossier::digest::render_terminal(&g));
        }
        if mode == "drop" && v.bullets_dropped > 0 {
            n += 1; if n > 15 { break; }
            for is in &v.issues { println!("=== {} | {} | {}", d.id, is.reason, is.bullet.chars().take(150).collect::<String>()); }
        }
    }
}
