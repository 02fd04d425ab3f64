//! Klavier: layer-7 HTTP/S load testing that simulates application usage.
//!
//! The binary's runtime as a library, so integration tests and benchmarks reach the
//! same code the `klavier` command runs. Data flows one way:
//! profile → [`klavier_plan::Plan`] → [`engine`] → [`klavier_stats::Recorder`] → [`report`].

pub mod app;
pub mod cli;
pub mod engine;
pub mod exit;
pub mod http;
pub mod live;
pub mod output;
pub mod report;
pub mod session;
