//! Real-world curl lines (browser "Copy as cURL", API documentation examples) imported
//! and compiled by `klavier_plan`, as `klavier check` would.

use base64::Engine as _;

use super::*;
use crate::import::{words, write};

/// Imports `line`, compiles the profile, and returns its text, the one request and the
/// warnings.
fn import(line: &str) -> (String, klavier_plan::Request, Vec<String>) {
    let words = words::split(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    let (draft, warnings) = draft(&words).unwrap_or_else(|e| panic!("{line}: {e}"));
    let text = write::profile(&draft);
    let plan = klavier_plan::compile(&text, "curl.toml", &klavier_plan::Overrides::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let request = plan.scenarios[0].requests[0].clone();
    (text, request, warnings)
}

fn header<'r>(request: &'r klavier_plan::Request, name: &str) -> &'r str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} in {:?}", request.headers))
}

fn body(request: &klavier_plan::Request) -> &str {
    std::str::from_utf8(&request.body).expect("UTF-8 body")
}

#[test]
fn chrome_copy_as_curl_get() {
    let line = r#"curl 'https://api.example.test/v1/search?q=klavier&page=2' \
  -H 'accept: application/json, text/plain, */*' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -H 'cookie: session=abc123; theme=dark' \
  -H 'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36' \
  --compressed"#;
    let (text, request, warnings) = import(line);
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.uri.to_string(),
        "https://api.example.test/v1/search?q=klavier&page=2"
    );
    assert_eq!(header(&request, "cookie"), "session=abc123; theme=dark");
    assert_eq!(header(&request, "accept-language"), "en-GB,en;q=0.9");
    assert!(text.contains("--compressed"), "{text}");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn chrome_copy_as_curl_post_with_ansi_c_quoting() {
    let line = r#"curl 'https://app.example.test/api/graphql' \
  -H 'content-type: application/json' \
  --data-raw $'{"query":"query { me { name } }","variables":{"note":"it\'s"}}'"#;
    let (text, request, _) = import(line);
    assert_eq!(request.method, "POST", "data means POST");
    let sent: serde_json::Value = serde_json::from_str(body(&request)).expect("JSON");
    assert_eq!(sent["variables"]["note"], "it's");
    assert_eq!(header(&request, "content-type"), "application/json");
    assert!(text.contains("json = {"), "a json table: {text}");
}

#[test]
fn github_api_example() {
    let line = r#"curl -L \
  -X POST \
  -H "Accept: application/vnd.github+json" \
  -H "Authorization: Bearer <YOUR-TOKEN>" \
  -H "X-GitHub-Api-Version: 2022-11-28" \
  https://api.github.com/repos/OWNER/REPO/issues \
  -d '{"title":"Found a bug","body":"I'\''m having a problem with this.","assignees":["octocat"],"labels":["bug"]}'"#;
    let (_, request, _) = import(line);
    assert_eq!(request.method, "POST");
    assert_eq!(header(&request, "authorization"), "Bearer <YOUR-TOKEN>");
    // Without a Content-Type, curl sends -d as a form, whatever it holds: so does Klavier.
    assert_eq!(
        header(&request, "content-type"),
        "application/x-www-form-urlencoded"
    );
    assert!(body(&request).contains(r#""body":"I'm having a problem with this.""#));
}

#[test]
fn stripe_style_basic_auth_and_form_fields() {
    let line = r#"curl https://api.stripe.com/v1/charges \
  -u sk_test_4eC39HqLyjWDarjtT1zdp7dc: \
  -d amount=2000 \
  -d currency=usd \
  -d source=tok_visa \
  -d "description=My First Test Charge (created for API docs)""#;
    let (text, request, _) = import(line);
    assert_eq!(request.method, "POST");
    assert_eq!(
        header(&request, "authorization"),
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("sk_test_4eC39HqLyjWDarjtT1zdp7dc:")
        )
    );
    assert_eq!(
        body(&request),
        "amount=2000&currency=usd&source=tok_visa&description=My+First+Test+Charge+%28created+for+API+docs%29"
    );
    assert!(text.contains("form = {"), "{text}");
    assert!(
        text.contains("-u sk_test_4eC39HqLyjWDarjtT1zdp7dc:…"),
        "{text}"
    );
}

#[test]
fn json_option_sets_both_headers() {
    let line = r#"curl --json '{"name":"klavier","tags":["load","http"]}' https://api.example.test/v1/projects"#;
    let (_, request, _) = import(line);
    assert_eq!(request.method, "POST");
    assert_eq!(header(&request, "content-type"), "application/json");
    assert_eq!(header(&request, "accept"), "application/json");
    assert_eq!(
        body(&request),
        r#"{"name":"klavier","tags":["load","http"]}"#
    );
}

#[test]
fn get_with_urlencoded_data_goes_in_the_query() {
    let line = r#"curl -G https://api.example.test/search --data-urlencode "q=hello world" --data-urlencode "lang=en" -sS"#;
    let (_, request, warnings) = import(line);
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.uri.to_string(),
        "https://api.example.test/search?q=hello+world&lang=en"
    );
    assert!(request.body.is_empty());
    assert_eq!(warnings.len(), 2, "-s and -S: {warnings:?}");
    assert!(warnings[0].contains("-s (--silent)"), "{warnings:?}");
}

#[test]
fn put_with_insecure_tls() {
    let line = r#"curl -k -X PUT https://localhost:8443/api/items/42 -H 'Content-Type: application/json' -d '{"qty": 3, "price": 9.99, "gift": false}'"#;
    let (text, request, _) = import(line);
    assert_eq!(request.method, "PUT");
    assert!(text.contains("insecure = true"), "{text}");
    let sent: serde_json::Value = serde_json::from_str(body(&request)).expect("JSON");
    assert_eq!(
        sent,
        serde_json::json!({"qty": 3, "price": 9.99, "gift": false})
    );
}

#[test]
fn head_with_agent_and_referer() {
    let line = "curl -I -A 'Mozilla/5.0' -e 'https://example.test/;auto' https://example.test/download.zip";
    let (_, request, _) = import(line);
    assert_eq!(request.method, "HEAD");
    assert_eq!(header(&request, "user-agent"), "Mozilla/5.0");
    assert_eq!(header(&request, "referer"), "https://example.test/");
}

#[test]
fn firefox_copy_as_curl_form_with_cookies() {
    let line = "curl 'https://shop.example.test/cart/add' -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' -H 'Accept: text/html' -H 'Content-Type: application/x-www-form-urlencoded' -H 'Origin: https://shop.example.test' -b 'cart=7f3a; csrftoken=Zx81' --data-raw 'csrfmiddlewaretoken=Zx81&product=1234&qty=2'";
    let (text, request, _) = import(line);
    assert_eq!(header(&request, "cookie"), "cart=7f3a; csrftoken=Zx81");
    assert_eq!(
        body(&request),
        "csrfmiddlewaretoken=Zx81&product=1234&qty=2"
    );
    assert!(
        !text.contains("Content-Type"),
        "the form's type is Klavier's own: {text}"
    );
}

#[test]
fn scripted_delete_with_output_options() {
    let line = r#"curl -sS -o /dev/null -w '%{http_code}\n' -X DELETE 'http://127.0.0.1:8080/api/items/7?force=true' -H "Authorization: Bearer $TOKEN""#;
    let (_, request, warnings) = import(line);
    assert_eq!(request.method, "DELETE");
    assert_eq!(header(&request, "authorization"), "Bearer $TOKEN");
    assert_eq!(warnings.len(), 4, "-s, -S, -o, -w: {warnings:?}");
    assert!(warnings[2].contains("-o (--output)"), "{warnings:?}");
}

#[test]
fn transport_options_become_target_keys() {
    let line = "curl --http1.1 --max-time 2.5 --connect-timeout 1 \\\n   --resolve api.example.test:443:127.0.0.1 --max-redirs 3 \\\n   https://api.example.test/health";
    let (text, request, _) = import(line);
    for key in [
        r#"http = "1.1""#,
        r#"timeout = "2500ms""#,
        r#"connect_timeout = "1000ms""#,
        r#"resolve = { "api.example.test:443" = "127.0.0.1:443" }"#,
        "redirects = 3",
    ] {
        assert!(text.contains(key), "{key} in {text}");
    }
    assert_eq!(request.redirects, 3);
}

#[test]
fn what_cannot_be_imported_is_named() {
    let cases = [
        ("curl -F file=@a.png https://x.test/", "-F (--form)"),
        ("curl --frobnicate https://x.test/", "--frobnicate"),
        ("curl -Z https://x.test/", "-Z"),
        ("curl -d @body.json https://x.test/", "@body.json"),
        ("curl -u admin https://x.test/", "-u admin: no password"),
        ("curl https://x.test/a https://x.test/b", "2 URLs"),
        ("curl -X", "-X (--request) needs a value"),
        ("curl -s", "no URL"),
        ("curl -b cookies.txt https://x.test/", "from a file"),
    ];
    for (line, named) in cases {
        let words = words::split(line).expect("splits");
        let error = draft(&words).expect_err(line);
        assert!(error.contains(named), "{line}: {error}");
    }
}

#[test]
fn attached_values_and_clusters() {
    let words = words::split("curl -sXPOST -H'X-A: 1' -dq=1 http://x.test/p").expect("splits");
    let (draft, warnings) = draft(&words).expect("imports");
    let request = &draft.scenarios[0].requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.headers[0].0, "X-A");
    assert_eq!(warnings.len(), 1);
}
