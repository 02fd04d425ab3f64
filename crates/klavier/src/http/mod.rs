//! The HTTP client side: one connection per virtual user, over TCP or rustls.
//!
//! No hyper type leaks out of this module: the engine hands in a plan
//! [`Request`](klavier_plan::Request) and gets back an [`Exchanged`] outcome.

mod capture;
mod client;
mod failure;
mod tls;

pub use capture::{Capture, Captured};
pub use client::{Client, Connector, Exchanged};
pub use tls::TlsSetupError;
