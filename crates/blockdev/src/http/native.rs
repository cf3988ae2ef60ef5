//! [`UreqFetcher`]: the native [`RangeFetcher`], on ureq (blocking, rustls).
//!
//! Timeouts are bounded (see the constants) so a dead server turns into a
//! retried transport error rather than a hung read. Proxies come from the
//! usual environment variables (ureq's default) unless an agent is given.

use std::io::Read;
use std::time::Duration;

use super::{HttpResponse, RangeFetcher, TransportError};

/// Connect timeout: 10 s is far above any healthy connect, even over a
/// mobile link, and short enough that retries still finish in under a minute.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whole-request timeout: 60 s fits the largest request (32 chunks of
/// 256 KiB = 8 MiB) on a ~1 Mbit/s link.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Ranged GETs and HEADs against one URL.
#[derive(Debug)]
pub struct UreqFetcher {
    agent: ureq::Agent,
    url: String,
}

impl UreqFetcher {
    /// A fetcher with its own agent: statuses are returned, not errors;
    /// timeouts as above.
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_agent(url, ureq::Agent::new_with_config(Self::config_builder().build()))
    }

    /// A fetcher over a caller-built agent; it must be configured with
    /// `http_status_as_error(false)` (see [`config_builder`](Self::config_builder)).
    pub fn with_agent(url: impl Into<String>, agent: ureq::Agent) -> Self {
        Self { agent, url: url.into() }
    }

    /// The configuration [`new`](Self::new) uses, to adjust (e.g. the proxy).
    pub fn config_builder() -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
    }
}

fn header(r: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn meta(r: &ureq::http::Response<ureq::Body>) -> HttpResponse {
    HttpResponse {
        status: r.status().as_u16(),
        content_length: header(r, "content-length").and_then(|v| v.trim().parse().ok()),
        content_range: header(r, "content-range"),
        etag: header(r, "etag"),
        body: Vec::new(),
    }
}

fn transport(e: impl std::fmt::Display) -> TransportError {
    TransportError(e.to_string())
}

impl RangeFetcher for UreqFetcher {
    fn url(&self) -> &str {
        &self.url
    }

    fn head(&mut self) -> Result<HttpResponse, TransportError> {
        let r = self.agent.head(&self.url).call().map_err(transport)?;
        Ok(meta(&r))
    }

    fn get_range(&mut self, start: u64, end_inclusive: u64) -> Result<HttpResponse, TransportError> {
        let mut r = self
            .agent
            .get(&self.url)
            .header("Range", format!("bytes={start}-{end_inclusive}"))
            .call()
            .map_err(transport)?;
        let mut out = meta(&r);
        if out.status == 206 {
            // One byte more than asked for, so an oversized body is detected
            // without reading an unbounded one.
            let want = end_inclusive.saturating_sub(start).saturating_add(2);
            r.body_mut().as_reader().take(want).read_to_end(&mut out.body).map_err(transport)?;
        }
        Ok(out)
    }
}
