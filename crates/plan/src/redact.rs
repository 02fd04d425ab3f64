//! Secrets kept out of every output (the plan `check` prints, the summary, the JSON
//! result, error messages): a URL's password, and the values of query parameters and
//! headers that carry credentials — by name (`token`, `api_key`, `Authorization`, …)
//! or because `[target] redact` names them.

use std::borrow::Cow;

/// What a hidden value is shown as.
pub const MASK: &str = "***";

/// Header names whose values are always secret.
pub const HEADERS: [&str; 4] = [
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// Parts of a query parameter's name that mark its value as secret.
const SECRET_PARTS: [&str; 9] = [
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "auth",
    "sig",
    "session",
    "credential",
];

/// True if a header's value must be hidden: one of [`HEADERS`] or named in `extra`
/// (`[target] redact`), ignoring case.
pub fn is_secret_header(name: &str, extra: &[String]) -> bool {
    HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
        || extra.iter().any(|e| e.eq_ignore_ascii_case(name))
}

/// True if a query parameter's value must be hidden.
fn is_secret_parameter(name: &str, extra: &[String]) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARTS.iter().any(|part| lower.contains(part))
        || extra.iter().any(|e| e.eq_ignore_ascii_case(name))
}

/// `text` (a URL, or a path with a query) with the password of its userinfo and the
/// values of secret query parameters replaced by [`MASK`]. Templates are left alone:
/// `{{ token }}` names a secret, it is not one.
pub fn url<'a>(text: &'a str, extra: &[String]) -> Cow<'a, str> {
    let without_password = password(text);
    let Some(question) = without_password.find('?') else {
        return without_password;
    };
    let (head, query) = without_password.split_at(question + 1);
    let (query, fragment) = match query.find('#') {
        Some(hash) => query.split_at(hash),
        None => (query, ""),
    };
    let mut changed = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value))
                if is_secret_parameter(name, extra)
                    && !value.is_empty()
                    && !value.contains("{{") =>
            {
                changed = true;
                format!("{name}={MASK}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    if !changed {
        return without_password;
    }
    Cow::Owned(format!("{head}{}{fragment}", pairs.join("&")))
}

/// `text` with anything between `:` and `@` in the authority hidden.
fn password(text: &str) -> Cow<'_, str> {
    let Some(scheme) = text.find("://") else {
        return Cow::Borrowed(text);
    };
    let authority_end = text[scheme + 3..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| scheme + 3 + i);
    let authority = &text[scheme + 3..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => Cow::Owned(format!(
            "{}{}:{MASK}{}",
            &text[..scheme + 3],
            &authority[..colon],
            &text[scheme + 3 + at..]
        )),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_secret_query_values_are_hidden() {
        let none: &[String] = &[];
        assert_eq!(
            url("http://alice:hunter2@h:8/p", none),
            "http://alice:***@h:8/p"
        );
        assert_eq!(url("http://alice@h/p", none), "http://alice@h/p");
        assert_eq!(
            url("/x?page=2&access_token=abc&apiKey=k#f", none),
            "/x?page=2&access_token=***&apiKey=***#f"
        );
        assert_eq!(url("/x?token={{ token }}", none), "/x?token={{ token }}");
        assert_eq!(
            url("/x?tenant=acme", &["tenant".to_owned()]),
            "/x?tenant=***"
        );
        assert!(matches!(url("/x?page=2", none), Cow::Borrowed(_)));
    }

    #[test]
    fn credential_headers_and_named_ones_are_secret() {
        assert!(is_secret_header("Authorization", &[]));
        assert!(is_secret_header("set-cookie", &[]));
        assert!(!is_secret_header("X-Api-Key", &[]));
        assert!(is_secret_header("X-Api-Key", &["x-api-key".to_owned()]));
    }
}
