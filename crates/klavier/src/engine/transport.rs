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

// `preconnect` keeps its default for now: `http::Client` connects on its first request.
// A `Client::connect` (the connecting half of `send`) plugs in here when `http/` has one.
impl Transport for Client {
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
