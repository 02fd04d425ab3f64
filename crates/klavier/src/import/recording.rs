//! A HAR recording as a profile draft: which entries become requests, on which origin,
//! in which scenario, with which headers, bodies, variables and think times.

use std::collections::BTreeMap;
use std::path::Path;

use super::draft::{Body, Draft, Location, Request, Scenario, Text};
use super::har::{self, Entry, Har};
use super::headers::{self, Verdict};
use super::tokens::{self, Answer, Carried};
use super::{assets, body};
use crate::exit::BadInput;

/// How `klavier import har` groups requests into scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Grouping {
    /// A scenario per page the browser loaded, each picked at random by weight.
    Page,
    /// One scenario with every request in recorded order: the journey as recorded.
    Recording,
}

/// What `klavier import har` was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Keep images, style sheets, scripts, fonts and media.
    pub include_assets: bool,
    /// Copy `Cookie`, `Authorization` and `Proxy-Authorization`.
    pub keep_auth: bool,
    /// Scenario per page or one for the whole recording.
    pub grouping: Grouping,
}

/// An entry the profile keeps, with what the recording says about it.
struct Kept<'a> {
    entry: &'a Entry,
    origin: String,
    /// The URL after its origin (path and query), as recorded.
    rest: String,
    /// The URL without its fragment.
    url: String,
    page: usize,
    started: Option<f64>,
}

/// What was left out, for the profile's first comment.
#[derive(Default)]
struct Left {
    assets: usize,
    not_http: usize,
    secrets: BTreeMap<String, usize>,
}

/// The draft of `har`, read from `file`.
pub fn draft(har: &Har, file: &Path, options: &Options) -> Result<Draft, BadInput> {
    let mut left = Left::default();
    let kept = keep(har, options, &mut left);
    if kept.is_empty() {
        return Err(BadInput(format!(
            "{}: none of the {} entries is left to import: {} static asset(s) (--include-assets \
             keeps them), {} not an http(s) request",
            file.display(),
            har.log.entries.len(),
            left.assets,
            left.not_http
        )));
    }
    let base = most_common_origin(&kept);
    let (mut requests, answers): (Vec<Request>, Vec<Answer>) = kept
        .iter()
        .map(|k| (request(k, &base), answer(k.entry)))
        .unzip();
    let carried = tokens::correlate(&mut requests, &answers);
    for request in &mut requests {
        hold_back_secrets(request, options.keep_auth, &mut left);
    }
    let mut draft = Draft {
        base_url: base,
        ..Draft::default()
    };
    draft.headers = common_headers(&mut requests);
    let groups = groups(&kept, har, options.grouping);
    think_times(&kept, &groups, options.grouping, &mut draft);
    let pages: Vec<usize> = groups.iter().map(|g| kept[g[0]].page).collect();
    draft.scenarios = scenarios(requests, &groups, &pages, har, options.grouping);
    draft.notes = notes(file, har, &kept, &left, options);
    dependencies(&carried, &groups, &mut draft);
    Ok(draft)
}

fn keep<'a>(har: &'a Har, options: &Options, left: &mut Left) -> Vec<Kept<'a>> {
    let mut kept = Vec::new();
    for entry in &har.log.entries {
        let Ok((origin, rest)) = crate::quick::split_url(&entry.request.url) else {
            left.not_http += 1;
            continue;
        };
        let mime = &entry.response.content.mime_type;
        if !options.include_assets && assets::is_asset(&rest, mime) {
            left.assets += 1;
            continue;
        }
        let url = entry.request.url.split('#').next().unwrap_or("").to_owned();
        kept.push(Kept {
            entry,
            origin,
            rest,
            url,
            page: page_of(entry, har),
            started: har::millis(&entry.started),
        });
    }
    kept
}

/// The page an entry belongs to: its `pageref`, else the last page started before it.
fn page_of(entry: &Entry, har: &Har) -> usize {
    let pages = &har.log.pages;
    if let Some(index) = entry
        .pageref
        .as_ref()
        .and_then(|id| pages.iter().position(|p| p.id == *id))
    {
        return index;
    }
    let started = har::millis(&entry.started);
    pages
        .iter()
        .rposition(|p| matches!((har::millis(&p.started), started), (Some(p), Some(e)) if p <= e))
        .unwrap_or(0)
}

/// The origin most requests go to (the first of those tied).
fn most_common_origin(kept: &[Kept<'_>]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for k in kept {
        match counts.iter_mut().find(|(o, _)| *o == k.origin) {
            Some((_, n)) => *n += 1,
            None => counts.push((k.origin.as_str(), 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts
        .iter()
        .find(|(_, n)| *n == best)
        .map_or_else(String::new, |(o, _)| (*o).to_owned())
}

fn request(kept: &Kept<'_>, base: &str) -> Request {
    let recorded = &kept.entry.request;
    let location = if kept.origin == base {
        Location::Path(Text::literal(&kept.rest))
    } else {
        Location::Url(Text::literal(&kept.url))
    };
    let mut request = Request {
        method: recorded.method.clone(),
        location,
        headers: recorded
            .headers
            .iter()
            .filter(|h| headers::verdict(&h.name) != Verdict::Drop)
            .map(|h| (h.name.clone(), Text::literal(&h.value)))
            .collect(),
        ..Request::default()
    };
    set_body(&mut request, kept.entry);
    let status = kept.entry.response.status;
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        request.redirects = Some(0);
        request.notes.push(format!(
            "recorded a {status} redirect, followed by the browser as the next request: \
             not followed here (redirects = 0)"
        ));
    } else if (400..=599).contains(&status) {
        request.expect_status = u16::try_from(status).ok();
        request
            .notes
            .push(format!("recorded with status {status}: expected"));
    } else if status == 0 {
        request
            .notes
            .push("got no response in the recording (blocked or cancelled)".to_owned());
    }
    request
}

fn set_body(request: &mut Request, entry: &Entry) {
    let Some(post) = &entry.request.post_data else {
        return;
    };
    let uploads = post.params.iter().any(|p| p.file_name.is_some());
    request.body = match (&post.text, uploads) {
        (Some(text), _) if !text.is_empty() => body::classify(&post.mime_type, text),
        (_, true) => {
            request.notes.push(
                "a file upload (multipart) whose content the recording lacks: no body".into(),
            );
            Body::None
        }
        _ => {
            let form: Vec<(String, Text)> = post
                .params
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        Text::literal(p.value.as_deref().unwrap_or("")),
                    )
                })
                .collect();
            let distinct = form
                .iter()
                .enumerate()
                .all(|(i, (n, _))| form[..i].iter().all(|(m, _)| m != n));
            if form.is_empty() || !distinct {
                Body::None
            } else {
                Body::Form(form)
            }
        }
    };
    let content_type = |name: &str| name.eq_ignore_ascii_case("content-type");
    let implied = request
        .headers
        .iter()
        .find(|(n, _)| content_type(n))
        .is_some_and(|(_, v)| body::implied_content_type(&request.body, &v.literal_parts()));
    if implied {
        request.headers.retain(|(n, _)| !content_type(n));
    }
}

/// What correlation needs of a response: its JSON body and the cookies it set.
fn answer(entry: &Entry) -> Answer {
    let response = &entry.response;
    let json: Option<serde_json::Value> = response
        .text()
        .filter(|t| {
            body::essence(&response.content.mime_type).contains("json")
                || t.trim_start().starts_with(['{', '['])
        })
        .and_then(|t| serde_json::from_str(t).ok());
    let mut cookies: Vec<(String, String)> = response
        .cookies
        .iter()
        .map(|c| (c.name.clone(), c.value.clone()))
        .collect();
    for header in &response.headers {
        if !header.name.eq_ignore_ascii_case("set-cookie") {
            continue;
        }
        let pair = header.value.split(';').next().unwrap_or("");
        if let Some((name, value)) = pair.split_once('=') {
            let cookie = (name.trim().to_owned(), value.trim().to_owned());
            if !cookies.contains(&cookie) {
                cookies.push(cookie);
            }
        }
    }
    Answer { json, cookies }
}

/// Drops credentials unless `--keep-auth`, but keeps an `Authorization` that now holds
/// only a variable from an earlier response (`Bearer {{ access_token }}`).
fn hold_back_secrets(request: &mut Request, keep_auth: bool, left: &mut Left) {
    request.headers.retain(|(name, value)| {
        if headers::verdict(name) != Verdict::Secret || keep_auth {
            return true;
        }
        let cookie = name.eq_ignore_ascii_case("cookie");
        let keep = !cookie && headers::only_scheme_left(value);
        if !keep {
            *left.secrets.entry(name.to_ascii_lowercase()).or_default() += 1;
        }
        keep
    });
}

/// Headers every request sends with the same value, moved to `[target] headers`.
fn common_headers(requests: &mut [Request]) -> Vec<(String, Text)> {
    if requests.len() < 2 {
        return Vec::new();
    }
    let first = requests[0].headers.clone();
    let common: Vec<(String, Text)> = first
        .into_iter()
        .filter(|(name, value)| {
            !value.has_vars()
                && headers::verdict(name) == Verdict::Keep
                && requests.iter().all(|r| {
                    r.headers
                        .iter()
                        .any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value)
                })
        })
        .collect();
    for request in requests.iter_mut() {
        request
            .headers
            .retain(|(n, _)| !common.iter().any(|(c, _)| c.eq_ignore_ascii_case(n)));
    }
    common
}

/// The kept entries' indices, grouped into scenarios in order.
fn groups(kept: &[Kept<'_>], har: &Har, grouping: Grouping) -> Vec<Vec<usize>> {
    match grouping {
        Grouping::Recording => vec![(0..kept.len()).collect()],
        Grouping::Page => (0..har.log.pages.len().max(1))
            .map(|page| (0..kept.len()).filter(|&i| kept[i].page == page).collect())
            .filter(|group: &Vec<usize>| !group.is_empty())
            .collect(),
    }
}

/// The scenarios of `groups`, each from page `pages[i]` of the recording.
fn scenarios(
    requests: Vec<Request>,
    groups: &[Vec<usize>],
    pages: &[usize],
    har: &Har,
    grouping: Grouping,
) -> Vec<Scenario> {
    let mut requests: Vec<Option<Request>> = requests.into_iter().map(Some).collect();
    let mut taken: Vec<String> = Vec::new();
    groups
        .iter()
        .enumerate()
        .map(|(number, group)| {
            let (name, notes) = match grouping {
                Grouping::Recording => ("recording".to_owned(), Vec::new()),
                Grouping::Page => page_name(har, pages[number]),
            };
            let name = unique(name, &mut taken);
            Scenario {
                name,
                notes,
                requests: group.iter().filter_map(|&i| requests[i].take()).collect(),
            }
        })
        .collect()
}

/// A scenario's name and comment from its page's title (often the page's URL).
fn page_name(har: &Har, number: usize) -> (String, Vec<String>) {
    let Some(page) = har.log.pages.get(number) else {
        return ("recording".to_owned(), Vec::new());
    };
    let title = page.title.trim();
    let source = match crate::quick::split_url(title) {
        Ok((_, rest)) => {
            let path = rest.split(['?', '#']).next().unwrap_or("");
            if path.trim_matches('/').is_empty() {
                "home".to_owned()
            } else {
                path.to_owned()
            }
        }
        Err(_) => title.to_owned(),
    };
    let mut name: String = source
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    name = name
        .split('_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    name.truncate(40);
    if name.is_empty() {
        name = format!("page_{}", number + 1);
    }
    (name, vec![format!("page {:?}: {}", page.id, title)])
}

fn unique(name: String, taken: &mut Vec<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

/// Think times from the recording's gaps: the median pause between one response and
/// the next request of a scenario (and, per page, between pages), rounded to 100 ms.
/// Klavier has one think time for all requests, so the median stands for them.
fn think_times(kept: &[Kept<'_>], groups: &[Vec<usize>], grouping: Grouping, draft: &mut Draft) {
    let gap = |from: usize, to: usize| -> Option<f64> {
        let end = kept[from].started? + kept[from].entry.time.unwrap_or(0.0).max(0.0);
        Some((kept[to].started? - end).max(0.0))
    };
    let within: Vec<f64> = groups
        .iter()
        .flat_map(|g| g.windows(2).filter_map(|w| gap(w[0], w[1])))
        .collect();
    let between: Vec<f64> = match grouping {
        Grouping::Page => groups
            .windows(2)
            .filter_map(|w| gap(*w[0].last()?, *w[1].first()?))
            .collect(),
        Grouping::Recording => Vec::new(),
    };
    for (key, gaps, what) in [
        (
            "think_time",
            within,
            "between a response and the next request",
        ),
        ("scenario_think_time", between, "between pages"),
    ] {
        let Some(median) = median(gaps.clone()) else {
            continue;
        };
        let rounded = (median / 100.0).round() * 100.0;
        let (min, max) = gaps
            .iter()
            .fold((f64::MAX, 0.0_f64), |(lo, hi), g| (lo.min(*g), hi.max(*g)));
        draft.timing_notes.push(format!(
            "{key}: the median of the recording's {} pause(s) {what} ({:.0} ms, from {:.0} to {:.0} ms), rounded to 100 ms",
            gaps.len(),
            median,
            min,
            max
        ));
        if rounded >= 100.0 {
            draft
                .timings
                .push((key, super::write::quote(&format!("{rounded:.0}ms"))));
        } else {
            draft
                .timing_notes
                .push(format!("{key}: under 100 ms, so none"));
        }
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

fn notes(file: &Path, har: &Har, kept: &[Kept<'_>], left: &Left, options: &Options) -> Vec<String> {
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut notes = vec![
        format!(
            "Imported by `klavier import har` from {name}: {} of its {} requests.",
            kept.len(),
            har.log.entries.len()
        ),
        match options.grouping {
            Grouping::Page => "A scenario per page, each picked at random (weights equal); \
                               --scenario-per recording keeps the journey in one."
                .to_owned(),
            Grouping::Recording => "One scenario: every request in recorded order.".to_owned(),
        },
    ];
    if left.assets > 0 {
        notes.push(format!(
            "{} static asset(s) (images, style sheets, scripts, fonts) left out: --include-assets keeps them.",
            left.assets
        ));
    }
    if left.not_http > 0 {
        notes.push(format!(
            "{} request(s) not over http(s) left out.",
            left.not_http
        ));
    }
    if options.keep_auth {
        notes.push(
            "--keep-auth: the recorded Cookie, Authorization and Proxy-Authorization headers are \
             copied as they were: they hold a live session, so keep this file private."
                .to_owned(),
        );
    } else {
        let dropped: Vec<String> = left
            .secrets
            .iter()
            .map(|(n, c)| format!("{n} ×{c}"))
            .collect();
        notes.push(format!(
            "Cookie, Authorization and Proxy-Authorization headers are not copied{} \
             (--keep-auth copies them); each user's cookie jar keeps the cookies responses set.",
            if dropped.is_empty() {
                String::new()
            } else {
                format!(" ({})", dropped.join(", "))
            }
        ));
    }
    notes.push(
        "Headers the browser or Klavier manages (Host, Content-Length, Connection, :pseudo, sec-*, \
         Accept-Encoding, cache validators) are left out; request bodies are kept as recorded."
            .to_owned(),
    );
    notes
}

/// A comment on each scenario that uses a variable another scenario extracts: a user
/// that picks it first has no value yet, and its requests needing it are skipped.
fn dependencies(carried: &[Carried], groups: &[Vec<usize>], draft: &mut Draft) {
    let scenario_of = |request: usize| groups.iter().position(|g| g.contains(&request));
    for c in carried {
        let Some(source) = scenario_of(c.source) else {
            continue;
        };
        let mut noted = Vec::new();
        for user in &c.users {
            let Some(scenario) = scenario_of(*user).filter(|s| *s != source) else {
                continue;
            };
            if noted.contains(&scenario) {
                continue;
            }
            noted.push(scenario);
            let from = draft.scenarios[source].name.clone();
            draft.scenarios[scenario].notes.push(format!(
                "uses {{{{ {} }}}}, which scenario {from} extracts: until a user has run {from}, \
                 its requests that need it are skipped (and counted)",
                c.variable
            ));
        }
    }
}
