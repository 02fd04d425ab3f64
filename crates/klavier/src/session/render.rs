//! Rendering: a plan's templates plus the functions that need a user's random stream,
//! the clock or the run's global sequence.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use klavier_plan::segment::Segment;
use klavier_plan::template::{Encode, Piece, Templates, Text};
use minijinja::{Environment, Error, ErrorKind, Value};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

thread_local! {
    /// The random stream of the user whose template is rendering on this thread. A
    /// render never awaits, so one slot per thread is enough: [`RngGuard`] swaps the
    /// user's stream in for the render and back out after it.
    static RNG: RefCell<Xoshiro256PlusPlus> = RefCell::new(Xoshiro256PlusPlus::seed_from_u64(0));
}

/// Lends a user's random stream to the template functions for one render.
struct RngGuard<'a> {
    user: &'a mut Xoshiro256PlusPlus,
}

impl<'a> RngGuard<'a> {
    fn enter(user: &'a mut Xoshiro256PlusPlus) -> Self {
        RNG.with(|slot| std::mem::swap(&mut *slot.borrow_mut(), user));
        Self { user }
    }
}

impl Drop for RngGuard<'_> {
    fn drop(&mut self) {
        RNG.with(|slot| std::mem::swap(&mut *slot.borrow_mut(), self.user));
    }
}

fn with_rng<T>(f: impl FnOnce(&mut Xoshiro256PlusPlus) -> T) -> T {
    RNG.with(|slot| f(&mut slot.borrow_mut()))
}

/// Why a request could not be rendered: it is not sent, and the two reasons are
/// counted apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A variable it needs is unset (an earlier extraction found nothing): skipped.
    #[error("{0}")]
    Unset(String),
    /// A template failed, or what it rendered is not valid HTTP (a header value).
    #[error("{0}")]
    Invalid(String),
    /// The rendered path or URL is not a valid URI: the request fails as `invalid_url`,
    /// with the rendered value and where it goes wrong.
    #[error("{0}")]
    InvalidUrl(String),
}

/// The plan's templates with every function added; one per run, shared by its users.
#[derive(Debug, Clone)]
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// Adds the engine's functions to a copy of the plan's templates. `seq()` counts from
    /// 1 across every user of the renderer (and its clones).
    pub fn new(templates: &Templates) -> Self {
        Self::for_segment(templates, Segment::WHOLE)
    }

    /// As [`new`](Self::new), in segment `segment` of a run: `seq()` takes the values
    /// `v` with `(v - 1) mod N == I`, so segments never repeat one another's.
    pub fn for_segment(templates: &Templates, segment: Segment) -> Self {
        let mut env = templates.environment().clone();
        let sequence = Arc::new(AtomicU64::new(0));
        let (index, count) = (u64::from(segment.index()), u64::from(segment.count()));
        env.add_function("seq", move || {
            index + sequence.fetch_add(1, Ordering::Relaxed) * count + 1
        });
        env.add_function("uuid", uuid);
        env.add_function("random_int", random_int);
        env.add_function("random_choice", random_choice);
        env.add_function("random_string", random_string);
        env.add_function("now_ms", now_ms);
        env.add_function("now_iso", now_iso);
        Self { env }
    }

    /// Appends `text` rendered with `vars` to `out`, using the user's random stream `rng`.
    pub fn render(
        &self,
        text: &Text,
        vars: &Value,
        rng: &mut Xoshiro256PlusPlus,
        out: &mut String,
    ) -> Result<(), RenderError> {
        let _lent = RngGuard::enter(rng);
        for piece in &text.pieces {
            match piece {
                Piece::Literal(literal) => out.push_str(literal),
                Piece::Template { name, encode } => {
                    let template = self.env.get_template(name).map_err(explain)?;
                    let rendered = template.render(vars).map_err(explain)?;
                    encode_into(&rendered, *encode, out);
                }
            }
        }
        Ok(())
    }
}

fn explain(e: Error) -> RenderError {
    let detail = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_owned);
    // Names are checked when the profile is read, so an undefined one at run time is a
    // variable that an extraction left unset.
    match e.kind() {
        ErrorKind::UndefinedError => RenderError::Unset(detail),
        _ => RenderError::Invalid(detail),
    }
}

fn encode_into(rendered: &str, encode: Encode, out: &mut String) {
    match encode {
        // A JSON value is written as JSON by the template's own formatter.
        Encode::Raw | Encode::JsonValue => out.push_str(rendered),
        Encode::Form => out.extend(url::form_urlencoded::byte_serialize(rendered.as_bytes())),
        Encode::JsonString => {
            let quoted = serde_json::to_string(rendered).expect("a string always serializes");
            out.push_str(&quoted[1..quoted.len() - 1]);
        }
    }
}

/// A random (version 4) UUID from the user's stream.
fn uuid() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes: [u8; 16] = with_rng(|rng| rng.random());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    text
}

/// An integer in `a..=b`.
fn random_int(a: i64, b: i64) -> Result<i64, Error> {
    if a > b {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("random_int({a}, {b}): the first bound is larger than the second"),
        ));
    }
    Ok(with_rng(|rng| rng.random_range(a..=b)))
}

/// One item of a non-empty list.
fn random_choice(items: Value) -> Result<Value, Error> {
    let len = items.len().unwrap_or(0);
    if len == 0 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "random_choice() needs a non-empty list",
        ));
    }
    let at = with_rng(|rng| rng.random_range(0..len));
    items.get_item_by_index(at)
}

/// `n` random letters and digits (at most 4096).
fn random_string(n: u32) -> Result<String, Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if n > 4096 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("random_string({n}): at most 4096 characters"),
        ));
    }
    Ok(with_rng(|rng| {
        (0..n)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect()
    }))
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// The current time, RFC 3339 in UTC.
fn now_iso() -> String {
    klavier_stats::rfc3339_utc(SystemTime::now())
}
