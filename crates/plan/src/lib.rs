//! Klavier profiles, from TOML text to a validated [`Plan`].
//!
//! Pure and synchronous: the only I/O is reading the profile file it is given.
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
//! ```

mod pick;
mod plan;
pub mod segment;

pub use pick::ScenarioPicker;
pub use plan::{Load, Plan, Request, Scenario, Target, Timings, Weight};
