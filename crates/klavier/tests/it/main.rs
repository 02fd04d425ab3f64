//! Klavier's integration tests: the real `klavier` binary against real servers on
//! loopback port 0 (the built-in target, misbehaving servers, TLS, nginx). Every JSON
//! result a test reads is checked against `schema/result.v1.json` on the way in.

mod demo;
mod dispatch;
mod failures;
mod journey;
mod nginx;
mod profile_errors;
mod run;
mod signals;
mod support;
mod tls;
mod traffic;
