//! HAR 1.2 (HTTP Archive), the JSON a browser's network panel saves: the fields an
//! import reads, and reading a file with errors that name it and what is wrong.
//!
//! Only what the import needs is declared, and most of it is optional: browsers differ
//! in what they fill in (Firefox leaves `queryString` empty, Chrome adds `_resourceType`),
//! and a field that is missing costs at most a detail of the profile.

use std::path::Path;

use serde::Deserialize;

use crate::exit::BadInput;

/// The whole file: `{"log": {…}}`.
#[derive(Debug, Deserialize)]
pub struct Har {
    /// The recording.
    pub log: Log,
}

/// `log`.
#[derive(Debug, Deserialize)]
pub struct Log {
    /// `log.pages`: the pages loaded, in order.
    #[serde(default)]
    pub pages: Vec<Page>,
    /// `log.entries`: the requests, in order.
    pub entries: Vec<Entry>,
}

/// One page.
#[derive(Debug, Deserialize)]
pub struct Page {
    /// What entries name in `pageref`.
    pub id: String,
    /// The document's title (often its URL).
    #[serde(default)]
    pub title: String,
    /// When it started loading (ISO 8601).
    #[serde(rename = "startedDateTime", default)]
    pub started: String,
}

/// One request and its response.
#[derive(Debug, Deserialize)]
pub struct Entry {
    /// The page it belongs to.
    #[serde(default)]
    pub pageref: Option<String>,
    /// When it started (ISO 8601).
    #[serde(rename = "startedDateTime", default)]
    pub started: String,
    /// How long it took, in milliseconds (-1 or missing: unknown).
    #[serde(default)]
    pub time: Option<f64>,
    /// The request.
    pub request: Request,
    /// The response (a request that never got one may still have a blank one).
    #[serde(default)]
    pub response: Response,
}

/// `request`.
#[derive(Debug, Deserialize)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The absolute URL, with its query.
    pub url: String,
    /// The headers, in order.
    #[serde(default)]
    pub headers: Vec<NameValue>,
    /// The body.
    #[serde(rename = "postData", default)]
    pub post_data: Option<PostData>,
}

/// A header (or cookie, or parameter).
#[derive(Debug, Deserialize)]
pub struct NameValue {
    /// Its name.
    pub name: String,
    /// Its value.
    #[serde(default)]
    pub value: String,
}

/// `request.postData`.
#[derive(Debug, Default, Deserialize)]
pub struct PostData {
    /// The body's type.
    #[serde(rename = "mimeType", default)]
    pub mime_type: String,
    /// The body as text.
    #[serde(default)]
    pub text: Option<String>,
    /// Form parameters, when the recorder gave them instead of the text.
    #[serde(default)]
    pub params: Vec<Param>,
}

/// One form parameter.
#[derive(Debug, Deserialize)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its value.
    #[serde(default)]
    pub value: Option<String>,
    /// Set for a file upload.
    #[serde(rename = "fileName", default)]
    pub file_name: Option<String>,
}

/// `response`.
#[derive(Debug, Default, Deserialize)]
pub struct Response {
    /// The status (0: no response).
    #[serde(default)]
    pub status: i64,
    /// The headers.
    #[serde(default)]
    pub headers: Vec<NameValue>,
    /// The cookies it set.
    #[serde(default)]
    pub cookies: Vec<NameValue>,
    /// The body.
    #[serde(default)]
    pub content: Content,
}

/// `response.content`.
#[derive(Debug, Default, Deserialize)]
pub struct Content {
    /// The body's type.
    #[serde(rename = "mimeType", default)]
    pub mime_type: String,
    /// The body, when the recorder kept it.
    #[serde(default)]
    pub text: Option<String>,
    /// `base64` when `text` is encoded.
    #[serde(default)]
    pub encoding: Option<String>,
}

impl Response {
    /// The body as text, when it was kept as text.
    pub fn text(&self) -> Option<&str> {
        match self.content.encoding.as_deref() {
            None | Some("") => self.content.text.as_deref(),
            Some(_) => None,
        }
    }
}

/// Reads and parses the HAR file at `path`.
pub fn read(path: &Path) -> Result<Har, BadInput> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("cannot read {}: {e}", path.display())))?;
    parse(&text, path)
}

/// Parses HAR `text` read from `path` (which names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Har, BadInput> {
    let har: Har = serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not JSON",
            _ => "not a HAR 1.2 recording",
        };
        let message = e.to_string();
        // serde_json ends its message with " at line L column C": said once, up front.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        BadInput(format!(
            "{}:{}:{}: {what}: {message} (a HAR file is the JSON {{\"log\": {{\"entries\": […]}}}} \
             that a browser's network panel saves with \"Save all as HAR\")",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if har.log.entries.is_empty() {
        return Err(BadInput(format!(
            "{}: the recording has no entries (log.entries is empty): record again with the \
             network panel open before the page loads",
            path.display()
        )));
    }
    Ok(har)
}

/// Milliseconds since the Unix epoch of an ISO 8601 date-time as HAR writes it
/// (`2026-12-03T10:00:00.123Z`, `…+01:00`), or `None` if it is not one.
pub fn millis(text: &str) -> Option<f64> {
    let (date, time) = text.trim().split_once(['T', 't', ' '])?;
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (ymd.next()??, ymd.next()??, ymd.next()??);
    // The zone: `Z`, `+HH:MM`, `-HH:MM` (or none, taken as UTC).
    let (clock, offset_minutes) = match time.find(['Z', 'z', '+', '-']) {
        Some(at) => (&time[..at], zone_minutes(&time[at..])?),
        None => (time, 0),
    };
    let mut hms = clock.splitn(3, ':');
    let hours: i64 = hms.next()?.parse().ok()?;
    let minutes: i64 = hms.next()?.parse().ok()?;
    let seconds: f64 = hms.next().unwrap_or("0").parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let whole_minutes = days * 1440 + hours * 60 + minutes - offset_minutes;
    Some(whole_minutes as f64 * 60_000.0 + seconds * 1000.0)
}

fn zone_minutes(zone: &str) -> Option<i64> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 60 + minutes))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_zones_and_fractions() {
        assert_eq!(millis("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(millis("1970-01-02T00:00:01.250Z"), Some(86_401_250.0));
        assert_eq!(
            millis("2026-12-03T11:00:00.000+01:00"),
            millis("2026-12-03T10:00:00.000Z")
        );
        assert_eq!(
            millis("2026-12-03T09:30:00-00:30"),
            millis("2026-12-03T10:00:00Z")
        );
        // 2000-03-01 is day 11017.
        assert_eq!(
            millis("2000-03-01T00:00:00Z"),
            Some(11_017.0 * 86_400_000.0)
        );
        assert_eq!(millis("yesterday"), None);
        assert_eq!(millis("2026-13-01T00:00:00Z"), None);
    }

    #[test]
    fn errors_name_the_file_and_what_is_wrong() {
        let path = Path::new("rec.har");
        let not_json = parse("{\"log\": {\n  \"entries\": [,", path)
            .expect_err("a stray comma")
            .0;
        assert!(
            not_json.starts_with("rec.har:2:15: not JSON: expected value ("),
            "{not_json}"
        );
        let truncated = parse("{\"log\": {", path).expect_err("truncated").0;
        assert!(
            truncated.starts_with("rec.har:1:9: not JSON: EOF"),
            "{truncated}"
        );
        let not_har = parse("{\"foo\": 1}", path).expect_err("no log").0;
        assert!(
            not_har.starts_with("rec.har:1:10: not a HAR 1.2 recording: missing field `log`"),
            "{not_har}"
        );
        let empty = parse(r#"{"log": {"entries": []}}"#, path)
            .expect_err("empty")
            .0;
        assert!(
            empty.starts_with("rec.har: the recording has no entries"),
            "{empty}"
        );
        let ok = parse(
            r#"{"log": {"entries": [{"request": {"method": "GET", "url": "http://a/"}}]}}"#,
            path,
        )
        .expect("a minimal HAR");
        assert_eq!(ok.log.entries[0].response.status, 0);
    }
}
