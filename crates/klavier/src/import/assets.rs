//! Static assets in a recording: images, style sheets, scripts, fonts and media, which
//! a load test of an application usually leaves to a CDN and the browser's cache.
//! Known by the response's type or, failing that, the path's extension.

/// Whether a request for `path` answered with `mime` (may be empty) fetched a static asset.
pub fn is_asset(path: &str, mime: &str) -> bool {
    let essence = super::body::essence(mime);
    if !essence.is_empty() && is_asset_type(&essence) {
        return true;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let file = path.rsplit('/').next().unwrap_or("");
    match file.rsplit_once('.') {
        Some((_, extension)) => EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()),
        None => false,
    }
}

fn is_asset_type(essence: &str) -> bool {
    let (kind, subtype) = essence.split_once('/').unwrap_or((essence, ""));
    match kind {
        "image" | "font" | "video" | "audio" => true,
        "text" => matches!(subtype, "css" | "javascript" | "ecmascript"),
        "application" => {
            matches!(
                subtype,
                "javascript" | "x-javascript" | "ecmascript" | "wasm" | "font-woff"
            ) || subtype.starts_with("font-")
                || subtype.starts_with("x-font-")
                || subtype == "vnd.ms-fontobject"
        }
        _ => false,
    }
}

const EXTENSIONS: [&str; 24] = [
    "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "css", "js", "mjs", "map",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "wav", "ogg", "wasm",
];

#[cfg(test)]
mod tests {
    use super::is_asset;

    #[test]
    fn assets_by_type_or_extension() {
        assert!(is_asset("/logo", "image/png"));
        assert!(is_asset("/app", "text/css; charset=utf-8"));
        assert!(is_asset("/x", "application/javascript"));
        assert!(is_asset("/f", "font/woff2"));
        assert!(is_asset("/static/app.JS?v=3", ""));
        assert!(is_asset("/fonts/a.woff2", "application/octet-stream"));
        assert!(!is_asset("/api/items", "application/json"));
        assert!(!is_asset("/", "text/html"));
        assert!(
            !is_asset("/v1.2/items", ""),
            "a dot in a directory is no extension"
        );
        assert!(!is_asset("/download.csv", "text/csv"));
    }
}
