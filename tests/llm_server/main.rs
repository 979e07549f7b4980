//! llm_server: does the LLM digest path work against a real OpenAI-compatible server?
//!
//! Talks to the local llama-cpp-python server with SmolLM2-135M-Instruct that
//! tests/llm_server/setup.sh installs and start.sh starts; its base URL comes from
//! DOSSIER_TEST_LLM_URL. Under CI=true a missing URL fails the test (CI must start the server);
//! elsewhere the tests print a notice and pass without a server. What a 135M model writes is
//! not judged here — only that the protocol, schema enforcement and accounting hold end to end.

use std::time::{Duration, Instant};

use dossier::digest::DocKind;
use dossier::digest::llm::{DigestJob, LlmConfig, LlmSummarizer, ResponseFormat};
use dossier::{Document, Error, Lang};
use serde_json::Value;

/// (base URL, API key, model) of the test server, or None when it is deliberately absent.
fn server() -> Option<(String, String, String)> {
    let key = std::env::var("DOSSIER_TEST_LLM_KEY").unwrap_or_else(|_| "dossier-test-key".into());
    let model = std::env::var("DOSSIER_TEST_LLM_MODEL").unwrap_or_else(|_| "smollm2-135m".into());
    match std::env::var("DOSSIER_TEST_LLM_URL") {
        Ok(url) if !url.trim().is_empty() => Some((url.trim().to_string(), key, model)),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(
                !ci,
                "DOSSIER_TEST_LLM_URL is unset under CI: .ci/run must run \
                 tests/llm_server/setup.sh and export DOSSIER_TEST_LLM_URL=$(bash \
                 tests/llm_server/start.sh) before cargo test"
            );
            eprintln!(
                "\n!!!!!!!! NOTICE: DOSSIER_TEST_LLM_URL is unset, the real-LLM-server test did NOT \
                 run.\n!!!!!!!! Run: export DOSSIER_TEST_LLM_URL=$(bash tests/llm_server/start.sh)\n"
            );
            None
        }
    }
}

fn config(url: &str, key: &str, model: &str) -> LlmConfig {
    LlmConfig {
        api_key: Some(key.into()),
        // llama.cpp compiles the schema into a grammar: even a 135M model answers in shape.
        response_format: ResponseFormat::JsonObjectWithSchema,
        max_tokens: 512,
        timeout: Duration::from_secs(600),
        max_retries: 2,
        concurrency: 1,
        ..LlmConfig::new(url, model)
    }
}

/// The three qqnews articles in tests/fixtures/llm (corpus schema, day-only dates).
fn qqnews_docs() -> Vec<Document> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llm/qqnews_rare_earth.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            Document {
                id: v["id"].as_str().unwrap().into(),
                title: v["title"].as_str().unwrap().into(),
                source: v["source"].as_str().unwrap_or("").into(),
                published_at: None,
                url: None,
                lang: Lang::parse(v["lang"].as_str().unwrap()).unwrap(),
                paragraphs: serde_json::from_value(v["paragraphs"].clone()).unwrap(),
                meta: Value::Null,
            }
        })
        .collect()
}

#[test]
fn real_server_digests_qqnews() {
    let Some((url, key, model)) = server() else { return };
    let llm = LlmSummarizer::new(config(&url, &key, &model)).unwrap();
    let docs = qqnews_docs();
    assert_eq!(docs.len(), 3);
    let mut seconds = Vec::new();
    for doc in &docs {
        let started = Instant::now();
        let outcome = llm
            .summarize(doc, DocKind::News, None)
            .unwrap_or_else(|e| panic!("digest of {} failed: {e}", doc.id));
        let took = started.elapsed().as_secs_f64();
        seconds.push(took);
        let digest = &outcome.digest;
        assert_eq!(digest.summarizer, format!("llm:{model}"));
        assert_eq!(digest.kind, DocKind::News);
        assert_eq!(digest.lang, Lang::En);
        assert!(!digest.sections.is_empty());
        for section in &digest.sections {
            assert!(!section.heading.trim().is_empty());
            for bullet in &section.bullets {
                assert!(!bullet.text.trim().is_empty() && !bullet.text.contains('\n'));
                assert!(!bullet.citations.is_empty());
            }
        }
        assert!(outcome.attempts >= 1);
        assert_eq!(outcome.paragraphs_sent, doc.paragraphs.len());
        // llama-cpp-python reports usage: it must be read, not estimated.
        assert!(!outcome.usage.estimated);
        assert!(outcome.usage.prompt_tokens > doc.paragraphs.len() as u64 * 10);
        assert!(outcome.usage.completion_tokens > 0);
        eprintln!(
            "{}: {took:.1} s, {} attempts, {} prompt + {} completion tokens, {} sections, {} bullets",
            doc.id,
            outcome.attempts,
            outcome.usage.prompt_tokens,
            outcome.usage.completion_tokens,
            digest.sections.len(),
            digest.sections.iter().map(|s| s.bullets.len()).sum::<usize>()
        );
    }
    seconds.sort_by(f64::total_cmp);
    eprintln!("median seconds per digest ({model}, {} docs): {:.1}", seconds.len(), seconds[1]);
}

#[test]
fn real_server_refuses_a_wrong_key_without_retrying() {
    let Some((url, _, model)) = server() else { return };
    let cfg = LlmConfig { api_key: Some("not-the-key".into()), ..config(&url, "", &model) };
    let err = LlmSummarizer::new(cfg)
        .unwrap()
        .summarize(&qqnews_docs()[0], DocKind::News, None)
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Llm(_)));
    assert!(text.contains("HTTP 401") && text.contains("DOSSIER_LLM_API_KEY"), "{text}");
    assert!(!text.contains("times"), "a 401 is not retried: {text}");
}

#[test]
fn real_server_summarize_many_reports_each_document() {
    let Some((url, key, model)) = server() else { return };
    let llm = LlmSummarizer::new(config(&url, &key, &model)).unwrap();
    let docs = qqnews_docs();
    // The excerpt job fails before any request; the news job must still come back.
    let jobs = [
        DigestJob { doc: &docs[2], kind: DocKind::Excerpt, query: None },
        DigestJob { doc: &docs[2], kind: DocKind::News, query: Some("马来西亚 稀土 出口") },
    ];
    let mut results = Vec::new();
    llm.summarize_many(&jobs, &mut |i, r| results.push((i, r)));
    results.sort_by_key(|(i, _)| *i);
    assert_eq!(results.len(), 2);
    assert!(results[0].1.is_err());
    let outcome = results[1].1.as_ref().unwrap_or_else(|e| panic!("news job failed: {e}"));
    assert!(!outcome.digest.sections.is_empty());
}
