//! The statuses stored in enumerated columns: each decodes from its column
//! (an unknown value is an error, never a default) and is one schema of the
//! OpenAPI document.

use serde::{Deserialize, Serialize};

// `pharmacy.status`.
/// Whether a pharmacy may register sales.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    poem_openapi::Enum,
    sqlx::Type,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum PharmacyStatus {
    /// 正常营业.
    #[default]
    Active,
    /// 停业: no sale can be registered.
    Suspended,
}

impl PharmacyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PharmacyStatus::Active => "active",
            PharmacyStatus::Suspended => "suspended",
        }
    }
}

// `app_user.status`.
/// Whether an account may sign in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum, sqlx::Type,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Deactivated: cannot sign in.
    Inactive,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
        }
    }
}
