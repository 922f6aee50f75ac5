//! Clock and id source handed to the core: the shell backs them with the host's clock, tests
//! use fixed values so golden outputs need no normalisation.

/// Time and ids for one request.
pub trait Env {
    /// Unix time in seconds.
    fn now_unix(&self) -> u64;
    /// Unix time in milliseconds.
    fn now_millis(&self) -> u64 {
        self.now_unix().saturating_mul(1000)
    }
    /// A fresh id with the given prefix, e.g. `chatcmpl-…`.
    fn new_id(&self, prefix: &str) -> String;
}

/// A fixed environment for tests and benchmarks.
#[derive(Debug, Clone)]
pub struct FixedEnv {
    /// Returned by `now_unix`.
    pub now: u64,
    /// Appended to every prefix.
    pub id: String,
}

impl Default for FixedEnv {
    fn default() -> Self {
        FixedEnv {
            now: 1_700_000_000,
            id: "test".to_string(),
        }
    }
}

impl Env for FixedEnv {
    fn now_unix(&self) -> u64 {
        self.now
    }
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.id)
    }
}

/// Builds an id from a time-and-counter seed: 24 lowercase hex-ish characters, no randomness
/// needed (ids only have to be unique per gateway, like Kong's).
pub fn id_from_seed(prefix: &str, nanos: u64, counter: u64) -> String {
    let mut x = nanos ^ counter.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15;
    let mut out = String::with_capacity(prefix.len() + 24);
    out.push_str(prefix);
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    for _ in 0..24 {
        // splitmix64 step
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let idx = (z % 36) as usize;
        if let Some(c) = ALPHABET.get(idx) {
            out.push(*c as char);
        }
    }
    out
}
