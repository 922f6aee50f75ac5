//! The profile table of the OpenAI-compatible family.

use super::Compat;
use crate::config::ProviderName;

/// One provider's data.
pub struct Profile {
    /// Kong's provider name.
    pub name: ProviderName,
}

static OPENAI: Compat = Compat {
    profile: &Profile {
        name: ProviderName::Openai,
    },
};

/// The implementation for `name`.
pub fn compat(_name: ProviderName) -> &'static Compat {
    &OPENAI
}
