//! Who is calling, and what they may do.
//!
//! - `Role`: the six roles of SPEC §1.
//! - `sessions`: opaque bearer tokens kept in Redis, so every instance sees a
//!   logout or a revocation at once (SPEC §2 "stateless").
//! - `guard`: one poem-openapi security scheme per set of roles; an endpoint
//!   declares who may call it by the guard it takes.
//! - `scope`: the rows a caller may see (own pharmacy / own district / own
//!   organisation / all), applied to queries by one helper.
//! - `password`, `lockout`: argon2id and the failure lock of SPEC §5.

pub mod guard;
pub mod invite;
pub mod lockout;
pub mod otp;
pub mod password;
pub mod scope;
pub mod sessions;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use guard::*;
pub use scope::Scope;

crate::text_enum! {
    /// A user's role (SPEC §1); an endpoint's guard names the roles it admits.
    pub enum Role {
        /// 店员
        Clerk = "clerk",
        /// 店长
        PharmacyManager = "pharmacy_manager",
        /// 区局检查员
        Inspector = "inspector",
        /// 市局管理员
        CityAdmin = "city_admin",
        /// 审批人员
        Approver = "approver",
        /// 企业
        Enterprise = "enterprise",
    }
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// Roles bound to a pharmacy.
    pub fn is_pharmacy_staff(self) -> bool {
        matches!(self, Role::Clerk | Role::PharmacyManager)
    }

    /// Roles that sign in through WeChat (SPEC §5): the mini-program's
    /// pharmacy and district sides. Only these may hold an invite code; city
    /// admins, approvers and enterprises sign in with a password (and later
    /// single sign-on), never with a phone's WeChat account.
    pub fn signs_in_with_wechat(self) -> bool {
        matches!(self, Role::Clerk | Role::PharmacyManager | Role::Inspector)
    }
}

/// The authenticated caller, as stored with the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    pub pharmacy_id: Option<Uuid>,
    pub district_code: Option<String>,
    /// The organisation the caller works for: an inspector's district bureau,
    /// an approver's department's organisation.
    #[serde(default)]
    pub organisation_id: Option<Uuid>,
    /// An approver's department.
    #[serde(default)]
    pub department_id: Option<Uuid>,
    /// Set after an admin reset or for an initial password: only `any_user`
    /// endpoints (change password, /me, logout) are open until it is changed.
    #[serde(default)]
    pub must_change_password: bool,
    /// Hash of the bearer token (never the token itself), for logout.
    #[serde(skip)]
    pub session_key: String,
}

impl Caller {
    /// What this caller may see.
    pub fn scope(&self) -> Scope {
        Scope::of(self)
    }
}
