//! The HTTP client side: one connection per virtual user, over TCP or rustls.
//!
//! The engine hands in a plan [`Request`](klavier_plan::Request) and gets back an
//! [`Exchanged`] outcome. HTTP/1.1 is spoken by a small codec on the user's own task
//! (`h1.rs`): no channel, no per-connection task, one reused buffer each way.

mod capture;
mod client;
mod conn;
mod connector;
mod content;
mod failure;
mod h1;
mod h2;
mod keeper;
mod origin;
mod pool;
mod stream;
mod tls;

pub use capture::{Capture, Captured};
pub use client::{Client, Exchanged};
pub use conn::Protocol;
pub use connector::Connector;
