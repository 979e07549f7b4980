//! dates: what moment does this string name?
//!
//! Parses the date and datetime forms that appear in news corpora, feeds and on the command line
//! (RFC 3339, RFC 2822 as in RSS, ISO-like dates with `-`, `/` or `.`, compact `20240501`, Chinese
//! `2024年5月1日`, full-width digits) into UTC instants. A time written without a zone is taken as
//! UTC: corpora and analysts' queries rarely say, and UTC is the one reading that does not depend
//! on the machine running dossier. This module must never guess: a string that is not one of the
//! accepted forms, or names no real calendar day, is an error ([`crate::Error::BadDate`]) that lists
//! the accepted forms — never "today", never a partial date.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::document::DatePrecision;
use crate::error::{Error, Result};

/// The forms [`parse_datetime`] accepts, as shown to users in error messages.
pub const ACCEPTED_FORMS: &str = "accepted forms: 2024-05-01, 2024-05-01 10:30, \
2024-05-01 10:30:45, 2024-05-01T10:30:00Z or with an offset like +08:00 (RFC 3339), \
Wed, 01 May 2024 10:30:00 +0800 or GMT (RFC 2822, as in RSS), 2024/5/1, 2024.05.01, 20240501, \
2024年5月1日, 2024年5月1日 10:30; full-width digits are fine; a time without a zone is read as UTC";

/// Parses a date or datetime in one of the [`ACCEPTED_FORMS`] into a UTC instant. A bare date
/// names midnight UTC at its start.
pub fn parse_datetime(s: &str) -> Result<DateTime<Utc>> {
    match parse_parts(s)? {
        Parsed::Day(day) => Ok(Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))),
        Parsed::Moment(t) => Ok(t),
    }
}

/// [`parse_datetime`], also saying whether the string named only a day (no time written),
/// so that a day-only date is shown without a made-up `00:00`.
pub fn parse_dated(s: &str) -> Result<(DateTime<Utc>, DatePrecision)> {
    match parse_parts(s)? {
        Parsed::Day(day) => Ok((Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN)), DatePrecision::Day)),
        Parsed::Moment(t) => Ok((t, DatePrecision::Minute)),
    }
}

/// Parses a `--since`/`--until` bound. A bare date is the start of that day (UTC), or with
/// `end_of_day` its last instant, so that `--until 2024-05-01` includes all of May 1st. A value
/// with a time is taken as written either way.
pub fn parse_bound(s: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    match parse_parts(s)? {
        Parsed::Day(day) if end_of_day => {
            let last =
                NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).unwrap_or(NaiveTime::MIN);
            Ok(Utc.from_utc_datetime(&day.and_time(last)))
        }
        Parsed::Day(day) => Ok(Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))),
        Parsed::Moment(t) => Ok(t),
    }
}

/// What a string named: a whole day (no time written) or an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Parsed {
    Day(NaiveDate),
    Moment(DateTime<Utc>),
}

fn parse_parts(s: &str) -> Result<Parsed> {
    let normalized = to_halfwidth(s);
    let text = normalized.trim();
    let bad = |reason: Option<String>| Error::BadDate {
        value: s.to_string(),
        hint: match reason {
            Some(reason) => format!("{reason}; {ACCEPTED_FORMS}"),
            None => ACCEPTED_FORMS.to_string(),
        },
    };
    if text.is_empty() {
        return Err(bad(Some("the value is empty".into())));
    }
    match parse_numeric(text) {
        Ok(parsed) => return Ok(parsed),
        Err(Reject::Invalid(reason)) => return Err(bad(Some(reason))),
        Err(Reject::NotThisForm) => {}
    }
    // RFC 2822 needs a month name, so it is only worth trying when letters are present.
    if text.bytes().any(|b| b.is_ascii_alphabetic()) {
        match DateTime::parse_from_rfc2822(text) {
            Ok(t) => return Ok(Parsed::Moment(t.with_timezone(&Utc))),
            Err(e) if e.kind() == chrono::format::ParseErrorKind::Impossible => {
                return Err(bad(Some("the weekday does not match the date".into())));
            }
            Err(e) if e.kind() == chrono::format::ParseErrorKind::OutOfRange => {
                return Err(bad(Some("a field is out of range".into())));
            }
            Err(_) => {}
        }
    }
    Err(bad(None))
}

/// Maps full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space to ASCII, so that
/// `２０２４年５月１日` and `2024年5月1日` parse alike.
fn to_halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

enum Reject {
    /// The string is not in a numeric form; another parser may still accept it.
    NotThisForm,
    /// The string is in a numeric form but names nothing real (month 13, February 30th).
    Invalid(String),
}

/// A cursor over the characters of a candidate date.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    /// Takes a run of ASCII digits, returning it (possibly empty).
    fn digits(&mut self) -> &'a str {
        let end = self.rest.bytes().take_while(u8::is_ascii_digit).count();
        let (d, rest) = self.rest.split_at(end);
        self.rest = rest;
        d
    }

    /// Takes a number of `min..=max` digits.
    fn number(&mut self, min: usize, max: usize) -> Result<u32, Reject> {
        let d = self.digits();
        if d.len() < min || d.len() > max {
            return Err(Reject::NotThisForm);
        }
        d.parse().map_err(|_| Reject::NotThisForm)
    }

    fn skip_spaces(&mut self) -> bool {
        let before = self.rest.len();
        self.rest = self.rest.trim_start_matches(' ');
        self.rest.len() != before
    }
}

/// Parses the numeric forms: `2024-05-01`, `2024/5/1`, `2024.05.01`, `20240501`,
/// `2024年5月1日`, each optionally followed by a time and a zone.
fn parse_numeric(text: &str) -> Result<Parsed, Reject> {
    let mut c = Cursor { rest: text };
    let first = c.digits();
    let (year, month, day, chinese) = if first.len() == 8 {
        let n =
            |r: std::ops::Range<usize>| first[r].parse::<u32>().map_err(|_| Reject::NotThisForm);
        (n(0..4)? as i32, n(4..6)?, n(6..8)?, false)
    } else if first.len() == 4 {
        let year: i32 = first.parse().map_err(|_| Reject::NotThisForm)?;
        let sep = c.peek().ok_or(Reject::NotThisForm)?;
        if !matches!(sep, '-' | '/' | '.' | '年') {
            return Err(Reject::NotThisForm);
        }
        c.eat(sep);
        let month = c.number(1, 2)?;
        let chinese = sep == '年';
        if !c.eat(if chinese { '月' } else { sep }) {
            return Err(Reject::NotThisForm);
        }
        let day = c.number(1, 2)?;
        if chinese && !c.eat('日') {
            return Err(Reject::NotThisForm);
        }
        (year, month, day, chinese)
    } else {
        return Err(Reject::NotThisForm);
    };

    if first.len() == 8 && !c.rest.is_empty() {
        // Only the bare compact date is accepted; `20240501 1030` is too easy to misread.
        return Err(Reject::NotThisForm);
    }
    let date = calendar_day(year, month, day)?;
    if c.rest.is_empty() {
        return Ok(Parsed::Day(date));
    }

    let spaced = c.skip_spaces();
    if !spaced && !c.eat('T') && !c.eat('t') && !chinese {
        return Err(Reject::NotThisForm);
    }
    let hour = c.number(1, 2)?;
    if !c.eat(':') {
        return Err(Reject::NotThisForm);
    }
    let minute = c.number(2, 2)?;
    let (mut second, mut nano) = (0, 0);
    if c.eat(':') {
        second = c.number(2, 2)?;
        if c.eat('.') || c.eat(',') {
            let frac = c.digits();
            if frac.is_empty() || frac.len() > 9 {
                return Err(Reject::NotThisForm);
            }
            let digits: u32 = frac.parse().map_err(|_| Reject::NotThisForm)?;
            nano = digits * 10u32.pow(9 - frac.len() as u32);
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nano)
        .filter(|_| second < 60)
        .ok_or_else(|| {
            Reject::Invalid(format!(
                "{hour:02}:{minute:02}:{second:02} is not a time of day"
            ))
        })?;

    c.skip_spaces();
    let offset_seconds = if c.rest.is_empty() || c.eat('Z') || c.eat('z') {
        0
    } else if c.rest.eq_ignore_ascii_case("UTC") || c.rest.eq_ignore_ascii_case("GMT") {
        c.rest = "";
        0
    } else if let Some(sign) = c.peek().filter(|s| matches!(s, '+' | '-')) {
        c.eat(sign);
        let digits = c.digits();
        let parse = |d: &str| d.parse::<u32>().map_err(|_| Reject::NotThisForm);
        let (hours, minutes) = match digits.len() {
            4 => (parse(&digits[..2])?, parse(&digits[2..])?),
            2 if c.eat(':') => (parse(digits)?, c.number(2, 2)?),
            2 => (parse(digits)?, 0),
            _ => return Err(Reject::NotThisForm),
        };
        if hours > 23 || minutes > 59 {
            return Err(Reject::Invalid(format!(
                "offset {sign}{hours:02}:{minutes:02} is out of range"
            )));
        }
        let magnitude = (hours * 3600 + minutes * 60) as i32;
        if sign == '-' { -magnitude } else { magnitude }
    } else {
        return Err(Reject::NotThisForm);
    };
    if !c.rest.is_empty() {
        return Err(Reject::NotThisForm);
    }
    let offset = FixedOffset::east_opt(offset_seconds).ok_or(Reject::NotThisForm)?;
    let local = date.and_time(time);
    let moment = offset
        .from_local_datetime(&local)
        .single()
        .ok_or_else(|| Reject::Invalid("the time does not exist at that offset".into()))?;
    Ok(Parsed::Moment(moment.with_timezone(&Utc)))
}

fn calendar_day(year: i32, month: u32, day: u32) -> Result<NaiveDate, Reject> {
    if !(1..=12).contains(&month) {
        return Err(Reject::Invalid(format!("month {month} does not exist")));
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| Reject::Invalid(format!("{year:04}-{month:02} has no day {day}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid test date")
    }

    #[test]
    fn a_date_without_a_time_says_so() -> Result<()> {
        assert_eq!(parse_dated("2024-03-20")?, (utc(2024, 3, 20, 0, 0, 0), DatePrecision::Day));
        assert_eq!(parse_dated("2024年3月20日")?.1, DatePrecision::Day);
        assert_eq!(parse_dated("2024-03-20 00:00")?, (utc(2024, 3, 20, 0, 0, 0), DatePrecision::Minute));
        assert_eq!(parse_dated("Wed, 20 Mar 2024 08:00:00 +0800")?.1, DatePrecision::Minute);
        Ok(())
    }

    #[test]
    fn accepts_every_documented_form() {
        let may1 = utc(2024, 5, 1, 0, 0, 0);
        let at1030 = utc(2024, 5, 1, 10, 30, 0);
        let cases: &[(&str, DateTime<Utc>)] = &[
            ("2024-05-01T10:30:00Z", at1030),
            ("2024-05-01t10:30:00z", at1030),
            ("2024-05-01T18:30:00+08:00", at1030),
            ("2024-05-01T05:30:00-05:00", at1030),
            ("2024-05-01T18:30:00+0800", at1030),
            (
                "2024-05-01T10:30:00.250Z",
                at1030 + chrono::Duration::milliseconds(250),
            ),
            ("2024-05-01T10:30Z", at1030),
            ("2024-05-01T10:30:00", at1030),
            ("Wed, 01 May 2024 18:30:00 +0800", at1030),
            ("Wed, 01 May 2024 10:30:00 GMT", at1030),
            ("Wed, 1 May 2024 10:30:00 UT", at1030),
            ("01 May 2024 10:30:00 +0000", at1030),
            ("2024-05-01", may1),
            ("  2024-05-01\n", may1),
            ("2024-5-1", may1),
            ("2024-05-01 10:30", at1030),
            (
                "2024-05-01 10:30:45",
                at1030 + chrono::Duration::seconds(45),
            ),
            ("2024-05-01 10:30:00 UTC", at1030),
            ("2024-05-01 18:30:00 +08:00", at1030),
            ("2024/5/1", may1),
            ("2024/05/01 10:30", at1030),
            ("2024.05.01", may1),
            ("20240501", may1),
            ("2024年5月1日", may1),
            ("2024年5月1日 10:30", at1030),
            ("2024年05月01日10:30", at1030),
            ("２０２４年５月１日", may1),
            ("２０２４－０５－０１　１０：３０", at1030),
            ("2024-02-29", utc(2024, 2, 29, 0, 0, 0)),
            ("1987-02-26T15:01:01Z", utc(1987, 2, 26, 15, 1, 1)),
        ];
        for (input, want) in cases {
            match parse_datetime(input) {
                Ok(got) => assert_eq!(got, *want, "{input:?}"),
                Err(e) => panic!("{input:?} was rejected: {e}"),
            }
        }
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        let cases = [
            "",
            "   ",
            "yesterday",
            "today",
            "May fifth",
            "2024-13-01",
            "2024-02-30",
            "2023-02-29",
            "2024-00-10",
            "2024-05",
            "2024",
            "2024年5月",
            "2024年5月1",
            "2024-05/01",
            "05/01/2024",
            "24-05-01",
            "2024-05-01 25:00",
            "2024-05-01 10:60",
            "2024-05-01 10:30:60",
            "2024-05-01T10:30:00+24:00",
            "2024-05-01T10:30:00 PST",
            "2024-05-01x",
            "20240501 1030",
            "202405011",
            "Thu, 01 May 2024 10:30:00 +0800",
            "1714559400",
        ];
        for input in cases {
            assert!(
                parse_datetime(input).is_err(),
                "{input:?} should be rejected"
            );
        }
    }

    #[test]
    fn errors_name_the_value_and_the_accepted_forms() {
        let messages: Vec<String> = [
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "",
            "Thu, 01 May 2024 10:30:00 +0800",
        ]
        .iter()
        .map(|s| {
            parse_datetime(s)
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string())
        })
        .collect();
        insta::assert_snapshot!(messages.join("\n"));
    }

    #[test]
    fn bounds_cover_whole_days() {
        let since = parse_bound("2024-05-01", false).map_err(|e| e.to_string());
        assert_eq!(since, Ok(utc(2024, 5, 1, 0, 0, 0)));
        let until = parse_bound("2024-05-01", true).map_err(|e| e.to_string());
        let last = utc(2024, 5, 1, 23, 59, 59) + chrono::Duration::nanoseconds(999_999_999);
        assert_eq!(until, Ok(last));
        let until = parse_bound("2024年5月1日", true).map_err(|e| e.to_string());
        assert_eq!(until, Ok(last));
        // A written time is an instant, not a day: it is not stretched.
        let until = parse_bound("2024-05-01 10:30", true).map_err(|e| e.to_string());
        assert_eq!(until, Ok(utc(2024, 5, 1, 10, 30, 0)));
        assert!(parse_bound("last week", true).is_err());
    }
}
