//! Endpoints for user journeys: a login that issues a per-user token (and a session
//! cookie), endpoints that require it, a logout, and cookie set/show endpoints. The
//! target remembers who logged in and whether each request carried the right user's
//! token, so tests can check correlation end to end.
//!
//! | endpoint | answer |
//! | --- | --- |
//! | `POST /api/session/login` | JSON or form `username`, `password`: 200 `{"access_token","user"}` and `Set-Cookie: sid=…`; 400 without both |
//! | `GET /api/session/me` | `Authorization: Bearer T` (or cookie `sid`): 200 `{"user"}`; 401 unknown token; 403 when `X-Expect-User` names another user |
//! | `POST /api/session/logout` | as `me`, then forgets the token |
//! | `GET /cookies/set?name=value…` | 200, setting each pair as a cookie (`Path=/`) |
//! | `GET /cookies` | 200 `{"cookies": {name: value}}` of the `Cookie` header received |
//! | `GET /__klavier/accounts` | 200 JSON [`AccountsReport`] (not counted) |

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use hyper::header::{HeaderValue, AUTHORIZATION, COOKIE};
use hyper::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};

/// Header a client may send to say which user it believes it is.
pub const EXPECT_USER: &str = "x-expect-user";

/// Sessions of the built-in target's journey endpoints.
#[derive(Debug, Default)]
pub struct Accounts {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tokens: HashMap<String, String>,
    issued: u64,
    report: AccountsReport,
}

/// What the journey endpoints saw.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct AccountsReport {
    /// Successful logins by user name.
    pub logins: BTreeMap<String, u64>,
    /// Logouts by user name.
    pub logouts: BTreeMap<String, u64>,
    /// Requests with a valid token, by the token's user.
    pub authorized: BTreeMap<String, u64>,
    /// Requests with no token or an unknown one.
    pub rejected: u64,
    /// Requests whose token belonged to another user than `X-Expect-User`.
    pub mismatched: u64,
}

/// A journey endpoint, from method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Journey {
    Login,
    Me,
    Logout,
    SetCookies,
    ShowCookies,
    Report,
}

impl Journey {
    pub(crate) fn parse(method: &Method, path: &str) -> Option<Self> {
        let post = method == Method::POST;
        let get = method == Method::GET || method == Method::HEAD;
        Some(match path {
            "/api/session/login" if post => Self::Login,
            "/api/session/me" if get => Self::Me,
            "/api/session/logout" if post => Self::Logout,
            "/cookies/set" if get => Self::SetCookies,
            "/cookies" if get => Self::ShowCookies,
            "/__klavier/accounts" if get => Self::Report,
            _ => return None,
        })
    }
}

/// An answer: status, JSON body and `Set-Cookie` values.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub set_cookies: Vec<String>,
}

impl Answer {
    fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            set_cookies: Vec::new(),
        }
    }
}

impl Accounts {
    /// What the endpoints saw so far.
    pub fn report(&self) -> AccountsReport {
        self.lock().report.clone()
    }

    /// Forget every session and count.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers `journey` for a request with these headers, query and body.
    pub(crate) fn answer(
        &self,
        journey: Journey,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Answer {
        match journey {
            Journey::Login => self.login(headers, body),
            Journey::Me => self.authorize(headers, false),
            Journey::Logout => self.authorize(headers, true),
            Journey::SetCookies => set_cookies(query),
            Journey::ShowCookies => {
                Answer::json(StatusCode::OK, json!({ "cookies": cookies(headers) }))
            }
            Journey::Report => Answer::json(StatusCode::OK, json!(self.report())),
        }
    }

    fn login(&self, headers: &HeaderMap, body: &[u8]) -> Answer {
        let Some((user, password)) = credentials(headers, body) else {
            let message = json!({"error": "send username and password as JSON or a form"});
            return Answer::json(StatusCode::BAD_REQUEST, message);
        };
        if user.is_empty() || password.is_empty() {
            return Answer::json(
                StatusCode::UNAUTHORIZED,
                json!({"error": "bad credentials"}),
            );
        }
        let mut inner = self.lock();
        inner.issued += 1;
        let token = format!("tok-{}-{}", inner.issued, hex(&user));
        inner.tokens.insert(token.clone(), user.clone());
        *inner.report.logins.entry(user.clone()).or_default() += 1;
        Answer {
            status: StatusCode::OK,
            body: json!({ "access_token": token, "user": user, "expires_in": 3600 }),
            set_cookies: vec![format!("sid={token}; Path=/; HttpOnly")],
        }
    }

    fn authorize(&self, headers: &HeaderMap, logout: bool) -> Answer {
        let token = bearer(headers).or_else(|| cookies(headers).remove("sid"));
        let mut inner = self.lock();
        let Some(user) = token.as_ref().and_then(|t| inner.tokens.get(t)).cloned() else {
            inner.report.rejected += 1;
            return Answer::json(StatusCode::UNAUTHORIZED, json!({"error": "no valid token"}));
        };
        let expected = headers.get(EXPECT_USER).map(HeaderValue::as_bytes);
        if expected.is_some_and(|e| e != user.as_bytes()) {
            inner.report.mismatched += 1;
            return Answer::json(
                StatusCode::FORBIDDEN,
                json!({"error": "token of another user"}),
            );
        }
        *inner.report.authorized.entry(user.clone()).or_default() += 1;
        if logout {
            if let Some(token) = token {
                inner.tokens.remove(&token);
            }
            *inner.report.logouts.entry(user.clone()).or_default() += 1;
            return Answer::json(StatusCode::OK, json!({ "logged_out": user }));
        }
        Answer::json(StatusCode::OK, json!({ "user": user }))
    }
}

/// `username` and `password` from a JSON object or a form body.
fn credentials(headers: &HeaderMap, body: &[u8]) -> Option<(String, String)> {
    let is_form = headers.get(hyper::header::CONTENT_TYPE).is_some_and(|t| {
        t.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    let fields: HashMap<String, String> = if is_form {
        url::form_urlencoded::parse(body).into_owned().collect()
    } else {
        let doc: serde_json::Map<String, Value> = serde_json::from_slice(body).ok()?;
        doc.into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
            .collect()
    };
    Some((
        fields.get("username")?.clone(),
        fields.get("password")?.clone(),
    ))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

/// The cookies of every `Cookie` header, by name.
fn cookies(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn set_cookies(query: Option<&str>) -> Answer {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(name, _)| !name.is_empty())
        .collect();
    let set_cookies = pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}; Path=/"))
        .collect();
    let body: BTreeMap<&str, &str> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Answer {
        status: StatusCode::OK,
        body: json!({ "set": body }),
        set_cookies,
    }
}

/// A user name as hex, so any name makes a token that is a valid header value.
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("valid value"));
        }
        map
    }

    #[test]
    fn login_issues_a_token_that_identifies_the_user() {
        let accounts = Accounts::default();
        let login = accounts.answer(
            Journey::Login,
            &HeaderMap::new(),
            None,
            br#"{"username":"ann","password":"x"}"#,
        );
        assert_eq!(login.status, StatusCode::OK);
        let token = login.body["access_token"]
            .as_str()
            .expect("a token")
            .to_owned();
        assert_eq!(
            login.set_cookies,
            [format!("sid={token}; Path=/; HttpOnly")]
        );
        let auth = format!("Bearer {token}");
        let me = accounts.answer(
            Journey::Me,
            &headers(&[("authorization", &auth)]),
            None,
            b"",
        );
        assert_eq!(
            (me.status, me.body["user"].as_str()),
            (StatusCode::OK, Some("ann"))
        );
        let by_cookie = accounts.answer(
            Journey::Me,
            &headers(&[("cookie", &format!("a=1; sid={token}"))]),
            None,
            b"",
        );
        assert_eq!(by_cookie.status, StatusCode::OK);
        let wrong = accounts.answer(
            Journey::Me,
            &headers(&[("authorization", &auth), (EXPECT_USER, "bob")]),
            None,
            b"",
        );
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        let out = accounts.answer(
            Journey::Logout,
            &headers(&[("authorization", &auth)]),
            None,
            b"",
        );
        assert_eq!(out.status, StatusCode::OK);
        let after = accounts.answer(
            Journey::Me,
            &headers(&[("authorization", &auth)]),
            None,
            b"",
        );
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        let report = accounts.report();
        assert_eq!(report.logins["ann"], 1);
        assert_eq!(report.logouts["ann"], 1);
        assert_eq!(report.authorized["ann"], 3);
        assert_eq!((report.rejected, report.mismatched), (1, 1));
    }

    #[test]
    fn login_takes_a_form_and_refuses_missing_fields() {
        let accounts = Accounts::default();
        let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        let ok = accounts.answer(Journey::Login, &form, None, b"username=b%20b&password=p");
        assert_eq!(ok.body["user"], "b b");
        let missing = accounts.answer(Journey::Login, &HeaderMap::new(), None, b"{}");
        assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn cookie_endpoints_set_and_show() {
        let accounts = Accounts::default();
        let set = accounts.answer(
            Journey::SetCookies,
            &HeaderMap::new(),
            Some("a=1&b=two"),
            b"",
        );
        assert_eq!(set.set_cookies, ["a=1; Path=/", "b=two; Path=/"]);
        let shown = accounts.answer(
            Journey::ShowCookies,
            &headers(&[("cookie", "a=1; b=two")]),
            None,
            b"",
        );
        assert_eq!(shown.body, json!({"cookies": {"a": "1", "b": "two"}}));
    }

    #[test]
    fn journey_routes_need_their_methods() {
        assert_eq!(
            Journey::parse(&Method::POST, "/api/session/login"),
            Some(Journey::Login)
        );
        assert_eq!(Journey::parse(&Method::GET, "/api/session/login"), None);
        assert_eq!(
            Journey::parse(&Method::GET, "/cookies"),
            Some(Journey::ShowCookies)
        );
    }
}
