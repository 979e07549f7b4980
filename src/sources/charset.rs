//! Charsets: which encoding is this fetched page or feed in, and what does it say in UTF-8?
//!
//! Chinese sites still serve GBK, GB2312, GB18030 and Big5. The encoding is taken from, in
//! order: a byte-order mark, the Content-Type header's `charset`, an HTML `<meta charset>` or
//! `<meta http-equiv="Content-Type" content="…charset=…">`, an XML declaration's `encoding`;
//! without any, UTF-8. encoding_rs maps the labels as browsers do (GB2312 and GBK decode as
//! GBK, a superset). Undecodable bytes become U+FFFD rather than failing the page.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

/// How far into a document a `<meta>` or XML declaration is looked for (as browsers do).
const SNIFF_BYTES: usize = 2048;

/// The encoding of `bytes`, from its BOM, then `content_type`, then its own declaration.
pub fn detect(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    if let Some(enc) = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
    {
        return enc;
    }
    declared(&bytes[..bytes.len().min(SNIFF_BYTES)]).unwrap_or(UTF_8)
}

/// `bytes` as text, decoded from its detected encoding.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let enc = detect(bytes, content_type);
    let (text, _, had_errors) = enc.decode(bytes);
    if had_errors {
        tracing::debug!(encoding = enc.name(), "undecodable bytes replaced");
    }
    text.into_owned()
}

/// A feed as UTF-8 bytes whose XML declaration says so, for a parser that would otherwise
/// trust a declaration (or a header) naming another encoding.
pub fn feed_to_utf8<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, [u8]> {
    let enc = detect(bytes, content_type);
    if enc == UTF_8 && Encoding::for_bom(bytes).is_none() {
        return Cow::Borrowed(bytes);
    }
    let (text, _, _) = enc.decode(bytes);
    let mut text = text.into_owned();
    // Rewrite the declaration's encoding; the rest of the document is untouched.
    if text.starts_with("<?xml")
        && let Some(end) = text.find("?>")
    {
        text.replace_range(..end + 2, r#"<?xml version="1.0" encoding="utf-8"?>"#);
    }
    Cow::Owned(text.into_bytes())
}

/// The `charset=` parameter of a Content-Type value.
fn charset_param(value: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|param| {
        let (name, v) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

/// The encoding a document names itself: `<meta charset=…>`, `charset=` inside a meta
/// http-equiv content, or `<?xml … encoding="…"?>`. The head is ASCII in every encoding
/// dossier meets, so it is searched as bytes, lower-cased.
fn declared(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let text = String::from_utf8_lossy(&lower);
    let label_after = |from: usize| -> Option<&'static Encoding> {
        let rest = text[from..]
            .trim_start_matches(|c: char| c == '=' || c == '"' || c == '\'' || c.is_whitespace());
        let label: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        Encoding::for_label(label.as_bytes())
    };
    if text.starts_with("<?xml")
        && let Some(end) = text.find("?>")
        && let Some(at) = text[..end].find("encoding")
    {
        return label_after(at + "encoding".len());
    }
    let mut from = 0;
    while let Some(at) = text[from..].find("<meta") {
        let start = from + at;
        let end = text[start..].find('>').map_or(text.len(), |e| start + e);
        if let Some(c) = text[start..end].find("charset") {
            if let Some(enc) = label_after(start + c + "charset".len()) {
                return Some(enc);
            }
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    #[test]
    fn header_charset_decides() {
        let bytes = gbk("<p>稀土出口管制</p>");
        assert_eq!(
            decode(&bytes, Some("text/html; charset=GBK")),
            "<p>稀土出口管制</p>"
        );
        assert_eq!(
            decode(&bytes, Some("text/html; charset=\"gb2312\"")),
            "<p>稀土出口管制</p>"
        );
    }

    #[test]
    fn meta_tags_declare_when_the_header_does_not() {
        let page = gbk(r#"<html><head><meta charset="gb18030"><title>稀土</title></head></html>"#);
        assert_eq!(detect(&page, Some("text/html")).name(), "gb18030");
        let page =
            gbk(r#"<meta http-equiv="Content-Type" content="text/html; charset=gbk"><p>锂矿</p>"#);
        assert!(decode(&page, None).contains("锂矿"));
        let big5 = encoding_rs::BIG5
            .encode(r#"<meta charset=big5><p>台積電</p>"#)
            .0
            .into_owned();
        assert!(decode(&big5, None).contains("台積電"));
    }

    #[test]
    fn utf8_without_declaration_and_a_bom() {
        assert_eq!(decode("<p>稀土</p>".as_bytes(), None), "<p>稀土</p>");
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("稀土".as_bytes());
        assert_eq!(decode(&bom, Some("text/html; charset=gbk")), "稀土");
    }

    #[test]
    fn gbk_feed_becomes_utf8_with_its_declaration_rewritten() {
        let feed = gbk(
            r#"<?xml version="1.0" encoding="GBK"?><rss><channel><title>财经</title></channel></rss>"#,
        );
        let utf8 = feed_to_utf8(&feed, None);
        let text = std::str::from_utf8(&utf8).unwrap_or_default();
        assert!(
            text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#),
            "{text}"
        );
        assert!(text.contains("<title>财经</title>"), "{text}");
        let plain = r#"<?xml version="1.0" encoding="utf-8"?><rss/>"#.as_bytes();
        assert!(matches!(feed_to_utf8(plain, None), Cow::Borrowed(_)));
    }
}
