//! Klavier's integration tests: the real `klavier` binary against real servers on
//! loopback port 0 (the built-in target, misbehaving servers, TLS, nginx, and in
//! `conformance` servers we did not write). Every JSON result a test reads is checked
//! against `schema/result.v1.json` on the way in.

mod bad_input;
mod compare;
mod compression;
mod conformance;
mod connections;
mod cookbook;
mod demo;
mod dispatch;
mod dryrun;
mod failures;
mod hostile;
mod html;
mod http2;
mod http2_faults;
mod import;
mod init;
mod journey;
mod k8s;
mod keepalive;
mod merge;
mod nginx;
mod origins;
mod outputs;
mod parallel;
mod profile_errors;
mod prometheus;
mod quick;
mod redirects;
mod rendered_paths;
mod run;
mod schema;
mod search;
mod secrets;
mod segments;
mod setup_teardown;
mod shell;
mod signals;
mod source_addresses;
mod support;
mod thresholds;
mod tls;
mod traffic;
mod tui;
mod typed;
