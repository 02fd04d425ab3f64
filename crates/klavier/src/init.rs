//! `klavier init`: writes a commented starter profile to edit, check and run.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::exit::BadInput;

/// The starter profile; `@NAME@` marks the values `init` fills in.
const STARTER: &str = include_str!("init/starter.toml");

/// Where the starter points without `--url`: the built-in target (`klavier target`).
const DEFAULT_URL: &str = "http://127.0.0.1:8080/api/health";

/// `klavier init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The URL the starter's request goes to (its origin becomes the base URL).
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    pub url: String,
    /// The file to write.
    #[arg(short, long, value_name = "FILE", default_value = "klavier.toml")]
    pub output: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Writes the starter profile, refusing to replace a file without `--force`.
pub fn init(args: &InitArgs) -> anyhow::Result<()> {
    let text = starter(&args.url)?;
    if args.output.exists() && !args.force {
        return Err(BadInput(format!(
            "{} exists; pass --force to replace it, or -o another file",
            args.output.display()
        ))
        .into());
    }
    std::fs::write(&args.output, text)
        .map_err(|e| BadInput(format!("cannot write {}: {e}", args.output.display())))?;
    eprintln!("{}", next_steps(&args.output));
    Ok(())
}

fn next_steps(path: &Path) -> String {
    format!(
        "klavier init: wrote {0}; next: klavier check {0} && klavier run {0}",
        path.display()
    )
}

/// The starter profile for `url`.
fn starter(url: &str) -> anyhow::Result<String> {
    let (origin, path) =
        crate::quick::split_url(url).map_err(|message| BadInput(format!("--url: {message}")))?;
    Ok(STARTER
        .replace("@BASE_URL@", &crate::quick::quote(&origin))
        .replace("@METHOD@", "\"GET\"")
        .replace("@PATH@", &crate::quick::quote(&path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_compiles_for_any_url() {
        for url in [DEFAULT_URL, "https://example.test/a?b=1", "http://[::1]:9/"] {
            let text = starter(url).expect("an http URL");
            klavier_plan::compile(&text, "klavier.toml", &klavier_plan::Overrides::default())
                .unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        assert!(starter("ftp://example.test/").is_err());
    }
}
