//! iCalendar (RFC 5545) for a person's secret feed: upcoming talks and their own commitments'
//! due times. Times are written in UTC (`…Z`), which every calendar shows in its own zone.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// Stable across fetches, so calendars update an event instead of duplicating it.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub description: Option<String>,
}

/// The whole VCALENDAR, CRLF line ends, long lines folded at 75 octets.
pub fn render(entries: &[CalendarEntry], now: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Kept//Kept calendar//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "X-WR-CALNAME:Kept".to_owned(),
    ];
    for entry in entries {
        lines.push("BEGIN:VEVENT".to_owned());
        lines.push(format!("UID:{}", escape(&entry.uid)));
        lines.push(format!("DTSTAMP:{}", stamp(now)));
        lines.push(format!("DTSTART:{}", stamp(entry.starts_at)));
        lines.push(format!("DTEND:{}", stamp(entry.ends_at)));
        lines.push(format!("SUMMARY:{}", escape(&entry.summary)));
        if let Some(description) = &entry.description {
            lines.push(format!("DESCRIPTION:{}", escape(description)));
        }
        lines.push("END:VEVENT".to_owned());
    }
    lines.push("END:VCALENDAR".to_owned());
    lines
        .iter()
        .map(|line| fold(line))
        .collect::<Vec<_>>()
        .join("")
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT values escape backslashes, semicolons, commas and line breaks.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line into pieces of at most 75 octets (not splitting a character), each
/// continuation starting with a space, every piece ended by CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_feed_is_valid_icalendar_with_folded_escaped_lines() {
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 3, 8, h, 0, 0)
                .single()
                .unwrap_or_default()
        };
        let entry = CalendarEntry {
            uid: "talk-1-20260308T180000Z@kept".into(),
            starts_at: at(18),
            ends_at: at(19),
            summary: "Talk: money, the holidays; and ".to_owned() + &"é".repeat(60),
            description: Some("line one\nline two".into()),
        };
        let ics = render(&[entry], at(8));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(
            ics.contains("DTSTART:20260308T180000Z\r\n")
                && ics.contains("DTEND:20260308T190000Z\r\n")
        );
        assert!(ics.contains("SUMMARY:Talk: money\\, the holidays\\; and "));
        assert!(ics.contains("DESCRIPTION:line one\\nline two"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
    }
}
