//! What a user sends requests through. The real one is [`crate::http::Client`];
//! the engine's own tests use one that only takes time, under tokio's paused clock.

use std::future::Future;

use klavier_plan::Request;

use crate::http::{Client, Exchanged};

/// Sends one request and waits for the whole response.
pub trait Transport {
    /// Sends `request`; every problem is reported in the result, never as a panic.
    fn send(&mut self, request: &Request) -> impl Future<Output = Exchanged>;
}

impl Transport for Client {
    fn send(&mut self, request: &Request) -> impl Future<Output = Exchanged> {
        Client::send(self, request)
    }
}
