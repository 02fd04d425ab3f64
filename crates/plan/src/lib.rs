//! Klavier profiles, from TOML text to a validated [`Plan`].
//!
//! Pure and synchronous: the only I/O is reading the profile file it is given.
//! [`load()`] reads a file, [`compile`] takes its text; both apply command-line
//! [`Overrides`] and either return a plan the engine can run without further checks, or a
//! [`ProfileError`] listing every problem as `{path}:{line}:{column}: {field}: {message}`
//! (plus a `  help:` line where there is a fix to suggest). `Display` on a [`Plan`] describes
//! it for `klavier check`.
//!
//! ```
//! let source = r#"
//! [target]
//! base_url = "http://127.0.0.1:8080"
//! [scenarios.health]
//! weight = 1
//! [[scenarios.health.requests]]
//! method = "GET"
//! path = "/api/health"
//! [timings]
//! test_duration_seconds = 5
//! "#;
//! let plan = klavier_plan::compile(source, "example.toml", &klavier_plan::Overrides::default()).unwrap();
//! assert_eq!(plan.scenarios[0].requests[0].name, "GET /api/health");
//!
//! let error = klavier_plan::compile(&source.replace("weight = 1", "weight = 0"), "example.toml", &Default::default()).unwrap_err();
//! assert_eq!(error.to_string(), "example.toml:5:10: scenarios.health.weight: weight must be a positive integer, found 0");
//! ```

// Tests state their expectations with unwrap(); the library itself never does.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod checks;
mod compile;
pub mod data;
mod describe;
mod document;
pub mod dynamic;
pub mod encode;
mod error;
pub mod extract;
pub mod load;
mod locate;
mod pick;
mod plan;
pub mod preview;
mod profile;
pub mod redact;
pub mod schema;
pub mod segment;
pub mod template;
mod think;

pub use compile::{compile, load, Overrides};
pub use dynamic::{Dynamic, SessionPlan};
pub use error::{Diagnostic, ProfileError};
pub use load::{Arrivals, Load, Ramp, Stage};
pub use pick::ScenarioPicker;
pub use plan::{
    ClientOptions, HttpVersion, Plan, Proxy, Request, Resolve, Scenario, Target, Thresholds,
    Timings, TlsVersion, Weight, WrittenNames,
};
pub use think::Think;
