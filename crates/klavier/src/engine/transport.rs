//! What a user sends requests through. The real one is [`crate::http::Client`];
//! the engine's own tests use one that only takes time, under tokio's paused clock.

use std::future::Future;

use klavier_plan::Request;

use crate::http::{Capture, Captured, Client, Exchanged};

/// Sends one request and waits for the whole response.
pub trait Transport {
    /// Sends `request`; every problem is reported in the result, never as a panic.
    fn send(&mut self, request: &Request) -> impl Future<Output = Exchanged>;

    /// Opens the connection ahead of the first request, so the open model's first
    /// arrivals do not pay for it. Transports without one to open do nothing.
    fn preconnect(&mut self) -> impl Future<Output = ()> {
        std::future::ready(())
    }

    /// When the next request may start, if the transport is pacing reconnects after
    /// connections that failed at once. Transports without that say `None`.
    fn backoff_until(&self) -> Option<tokio::time::Instant> {
        None
    }

    /// Gives up the exchange in flight (it was cut off from outside) and returns the
    /// bytes it had sent and received. Transports that count nothing return zeros.
    fn abandon(&mut self) -> (u64, u64) {
        (0, 0)
    }

    /// Another transport of the same user, to send a `parallel` list's requests beside
    /// this one: its own HTTP/1.1 connections.
    fn lane(&self) -> Self
    where
        Self: Sized;

    /// Before a `parallel` list: lets `lane` carry its requests as streams of this
    /// transport's HTTP/2 connections. Transports without any do nothing.
    fn share_with(&self, lane: &mut Self) {
        let _ = lane;
    }

    /// Sends `request`, keeping what `capture` asks for of the response in `captured`.
    /// Transports that cannot keep anything just send.
    fn send_keeping<'a>(
        &'a mut self,
        request: &'a Request,
        capture: Capture,
        captured: &'a mut Captured,
    ) -> impl Future<Output = Exchanged> + 'a {
        let _ = (capture, captured);
        self.send(request)
    }
}

impl Transport for Client {
    fn lane(&self) -> Self {
        Client::lane(self)
    }

    fn share_with(&self, lane: &mut Self) {
        Client::share_with(self, lane);
    }

    fn preconnect(&mut self) -> impl Future<Output = ()> {
        Client::preconnect(self)
    }

    fn abandon(&mut self) -> (u64, u64) {
        Client::abandon(self)
    }

    fn backoff_until(&self) -> Option<tokio::time::Instant> {
        Client::backoff_until(self)
    }

    fn send(&mut self, request: &Request) -> impl Future<Output = Exchanged> {
        Client::send(self, request)
    }

    fn send_keeping<'a>(
        &'a mut self,
        request: &'a Request,
        capture: Capture,
        captured: &'a mut Captured,
    ) -> impl Future<Output = Exchanged> + 'a {
        let keep = capture.any().then_some((capture, captured));
        Client::send_keeping(self, request, keep)
    }
}
