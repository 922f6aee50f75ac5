//! The root context's token cache: one credential, the fetches in flight and the requests
//! waiting on them. Host-free: the shell passes the time in and applies what comes out.
//!
//! - A request with a usable credential goes on at once ([`Lookup::Ready`]).
//! - Otherwise it joins the fetch in flight ([`Lookup::Joined`]) or starts one
//!   ([`Lookup::Start`]); `coalesce: false` (Kong, where only a request's own dispatch can
//!   resume it) always starts one.
//! - Each answer moves its fetch on ([`TokenCache::answer`]): another call, or the credential
//!   with the waiters to resume, or an error with the waiters to fail.
//! - [`TokenCache::tick`] starts a refresh before expiry (the old credential keeps serving
//!   until then) and fails the waiters of a fetch past its deadline.

use std::rc::Rc;

use super::flow::{Answer, Flow, Step, TokenCall};
use super::{Credential, IdentityError, IdentitySpec};

/// Grace added to the host's own call timeout before a fetch is given up by [`TokenCache::tick`].
const DEADLINE_GRACE_MS: u64 = 1_000;
/// After a failed refresh, wait this long before the next try.
const REFRESH_BACKOFF_MS: u64 = 2_000;

/// A request waiting for a credential, with what the shell needs to finish it (`J`).
#[derive(Debug, Clone, PartialEq)]
pub struct Waiter<J> {
    /// The host's HTTP context id.
    pub context_id: u32,
    /// The request's pending work, once it is known (`None`: the request has not reached the
    /// point where it needs the credential; it will find it in the cache).
    pub job: Option<J>,
}

#[derive(Debug)]
struct Fetch<J> {
    id: u64,
    flow: Flow,
    deadline_ms: u64,
    waiters: Vec<Waiter<J>>,
}

/// What a request does about its credential.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Use it.
    Ready(Credential),
    /// Wait for fetch `id` (already in flight).
    Joined(u64),
    /// Dispatch `call` for fetch `id` and wait.
    Start(u64, TokenCall),
    /// No credential can be had (the first step failed without a call).
    Failed(IdentityError),
}

/// What an answer led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<J> {
    /// Dispatch the next call of the same fetch.
    Next(TokenCall),
    /// The credential is cached: finish these waiters.
    Ready(Credential, Vec<Waiter<J>>),
    /// The fetch failed: answer these waiters with the error.
    Failed(IdentityError, Vec<Waiter<J>>),
    /// No such fetch (timed out already).
    Unknown,
}

/// Work from a tick.
#[derive(Debug, Clone, PartialEq)]
pub struct TickWork<J> {
    /// A refresh to dispatch from the root context: (fetch id, call).
    pub refresh: Option<(u64, TokenCall)>,
    /// Fetches given up: the error and their waiters.
    pub timed_out: Vec<(IdentityError, Vec<Waiter<J>>)>,
}

/// The cache of one identity.
#[derive(Debug)]
pub struct TokenCache<J> {
    spec: Rc<IdentitySpec>,
    cred: Option<(Credential, u64)>,
    fetches: Vec<Fetch<J>>,
    next_id: u64,
    refresh_failed_ms: Option<u64>,
}

fn lifetime_ms(cred: &Credential, obtained_ms: u64) -> u64 {
    cred.expires_at()
        .saturating_mul(1000)
        .saturating_sub(obtained_ms)
}

impl<J> TokenCache<J> {
    /// An empty cache for `spec`.
    pub fn new(spec: Rc<IdentitySpec>) -> TokenCache<J> {
        TokenCache {
            spec,
            cred: None,
            fetches: Vec::new(),
            next_id: 1,
            refresh_failed_ms: None,
        }
    }

    /// The spec.
    pub fn spec(&self) -> &IdentitySpec {
        &self.spec
    }

    /// The cached credential if it can still be used at `now_ms` (a margin of a tenth of its
    /// lifetime, at most 10 s, before its expiry).
    pub fn usable(&self, now_ms: u64) -> Option<&Credential> {
        let (cred, obtained) = self.cred.as_ref()?;
        let skew = (lifetime_ms(cred, *obtained) / 10).min(10_000);
        let expires_ms = cred.expires_at().saturating_mul(1000);
        (now_ms.saturating_add(skew) < expires_ms).then_some(cred)
    }

    /// Whether the cached credential is due for a refresh at `now_ms` (in its last quarter of
    /// life, or its last 5 minutes, whichever is shorter).
    fn refresh_due(&self, now_ms: u64) -> bool {
        let Some((cred, obtained)) = self.cred.as_ref() else {
            return false;
        };
        let margin = (lifetime_ms(cred, *obtained) / 4).min(300_000);
        now_ms.saturating_add(margin) >= cred.expires_at().saturating_mul(1000)
    }

    /// Number of fetches in flight.
    pub fn in_flight(&self) -> usize {
        self.fetches.len()
    }

    /// A request (HTTP context `ctx`) needs the credential.
    pub fn get(&mut self, now_ms: u64, ctx: u32, coalesce: bool) -> Lookup {
        if let Some(c) = self.usable(now_ms) {
            return Lookup::Ready(c.clone());
        }
        if coalesce {
            if let Some(f) = self.fetches.first_mut() {
                f.waiters.push(Waiter {
                    context_id: ctx,
                    job: None,
                });
                return Lookup::Joined(f.id);
            }
        }
        let waiters = vec![Waiter {
            context_id: ctx,
            job: None,
        }];
        match self.start(now_ms, waiters) {
            Ok((id, call)) => Lookup::Start(id, call),
            Err(Ok(cred)) => Lookup::Ready(cred),
            Err(Err(e)) => Lookup::Failed(e),
        }
    }

    /// Starts a fetch. `Err(Ok)` / `Err(Err)`: it finished without a call.
    #[allow(clippy::type_complexity)]
    fn start(
        &mut self,
        now_ms: u64,
        waiters: Vec<Waiter<J>>,
    ) -> Result<(u64, TokenCall), Result<Credential, IdentityError>> {
        let mut flow = Flow::new(self.spec.clone());
        match flow.start(now_ms / 1000) {
            Step::Call(call) => {
                let id = self.next_id;
                self.next_id += 1;
                self.fetches.push(Fetch {
                    id,
                    flow,
                    deadline_ms: self.deadline(now_ms),
                    waiters,
                });
                Ok((id, call))
            }
            Step::Done(cred) => {
                self.cred = Some((cred.clone(), now_ms));
                Err(Ok(cred))
            }
            Step::Fail(e) => Err(Err(e)),
        }
    }

    fn deadline(&self, now_ms: u64) -> u64 {
        now_ms
            .saturating_add(u64::from(self.spec.timeout_ms))
            .saturating_add(DEADLINE_GRACE_MS)
    }

    /// Attaches the pending work of `ctx` to its fetch. Returns it back when the fetch is
    /// gone (then the caller looks at the cache again).
    pub fn set_job(&mut self, fetch: u64, ctx: u32, job: J) -> Result<(), J> {
        let Some(f) = self.fetches.iter_mut().find(|f| f.id == fetch) else {
            return Err(job);
        };
        match f.waiters.iter_mut().find(|w| w.context_id == ctx) {
            Some(w) => w.job = Some(job),
            None => f.waiters.push(Waiter {
                context_id: ctx,
                job: Some(job),
            }),
        }
        Ok(())
    }

    /// HTTP context `ctx` is gone: it waits no more.
    pub fn forget(&mut self, ctx: u32) {
        for f in &mut self.fetches {
            f.waiters.retain(|w| w.context_id != ctx);
        }
    }

    /// The answer to the call in flight of fetch `fetch`.
    pub fn answer(&mut self, fetch: u64, now_ms: u64, a: &Answer) -> Outcome<J> {
        let deadline = self.deadline(now_ms);
        let Some(pos) = self.fetches.iter().position(|f| f.id == fetch) else {
            return Outcome::Unknown;
        };
        let step = match self.fetches.get_mut(pos) {
            Some(f) => {
                f.deadline_ms = deadline;
                f.flow.answer(now_ms / 1000, a)
            }
            None => return Outcome::Unknown,
        };
        match step {
            Step::Call(c) => Outcome::Next(c),
            Step::Done(cred) => {
                let f = self.fetches.remove(pos);
                self.cred = Some((cred.clone(), now_ms));
                self.refresh_failed_ms = None;
                Outcome::Ready(cred, f.waiters)
            }
            Step::Fail(e) => {
                let f = self.fetches.remove(pos);
                if self.cred.is_some() {
                    self.refresh_failed_ms = Some(now_ms);
                }
                Outcome::Failed(e, f.waiters)
            }
        }
    }

    /// Periodic work: refresh before expiry, give up fetches past their deadline.
    pub fn tick(&mut self, now_ms: u64) -> TickWork<J> {
        let mut timed_out = Vec::new();
        let mut i = 0;
        while let Some(f) = self.fetches.get(i) {
            if now_ms > f.deadline_ms {
                let f = self.fetches.remove(i);
                let e = IdentityError::unreachable(format!(
                    "{}: token endpoint did not answer within {} ms",
                    self.spec.source.kind(),
                    self.spec.timeout_ms
                ));
                timed_out.push((e, f.waiters));
                if self.cred.is_some() {
                    self.refresh_failed_ms = Some(now_ms);
                }
            } else {
                i += 1;
            }
        }
        let backing_off = self
            .refresh_failed_ms
            .is_some_and(|t| now_ms < t.saturating_add(REFRESH_BACKOFF_MS));
        let mut refresh = None;
        if self.fetches.is_empty() && !backing_off && self.refresh_due(now_ms) {
            match self.start(now_ms, Vec::new()) {
                Ok(r) => refresh = Some(r),
                Err(Ok(_)) => {}
                Err(Err(_)) => self.refresh_failed_ms = Some(now_ms),
            }
        }
        TickWork { refresh, timed_out }
    }
}
