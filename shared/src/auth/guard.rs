//! Security schemes: an endpoint declares who may call it by the guard it takes.
//!
//! Each guard is a bearer scheme whose OpenAPI name says which roles it admits;
//! the checker authenticates the token against Redis and checks the role
//! (401 without a valid token, 403 with a role the guard does not admit).
//! An endpoint without a guard must be listed in `PUBLIC_OPERATIONS`; a test
//! walks the OpenAPI document and fails on any operation that is neither.

use crate::codes;
use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

use super::{Caller, Role};
use crate::{error::ApiError, state::AppState};

/// Operations anyone may call (each is rate limited). Their declaration.
pub const PUBLIC_OPERATIONS: &[&str] = &["auth_login", "auth_wechat_login", "auth_wechat_bind"];

/// Operations systems we do not own call, each request signed with the
/// caller's configured key ([`crate::inbound`]) instead of a bearer token.
pub const SIGNED_OPERATIONS: &[&str] = &[
    "approval_intake",
    "approval_intake_supplement",
    "approval_intake_withdraw",
];

/// Which roles the guard of OpenAPI scheme `scheme` admits.
pub fn roles_of(scheme: &str) -> Option<&'static [Role]> {
    GUARDS.iter().find(|(n, _)| *n == scheme).map(|(_, r)| *r)
}

async fn authorize(
    req: &Request,
    bearer: Bearer,
    scheme: &str,
    allowed: &[Role],
) -> poem::Result<Caller> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing from request")))?;
    let caller = state.sessions.authenticate(&bearer.token).await?;
    tracing::Span::current().record("user_id", tracing::field::display(caller.user_id));
    if caller.must_change_password && scheme != "any_user" {
        return Err(ApiError::forbidden()
            .with_code(
                codes::PASSWORD_CHANGE_REQUIRED,
                "首次登录或密码已重置，请先修改密码",
            )
            .into());
    }
    if !allowed.contains(&caller.role) {
        return Err(ApiError::forbidden().into());
    }
    Ok(caller)
}

/// Declares every guard once: its type, its OpenAPI scheme name and the
/// roles it admits; [`GUARDS`] lists them for the tests and the docs.
macro_rules! guards {
    ($($(#[$doc:meta])* $name:ident = $scheme:literal => $roles:expr;)+) => {
        /// Which roles each guard admits, by its OpenAPI scheme name.
        pub const GUARDS: &[(&str, &[Role])] = &[$(($scheme, $roles)),+];

        $(
            $(#[$doc])*
            #[derive(SecurityScheme)]
            #[oai(rename = $scheme, ty = "bearer", checker = "Self::check")]
            pub struct $name(pub Caller);

            impl $name {
                async fn check(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
                    authorize(req, bearer, $scheme, $roles).await
                }
            }

            impl std::ops::Deref for $name {
                type Target = Caller;
                fn deref(&self) -> &Caller {
                    &self.0
                }
            }
        )+
    };
}

guards! {
    /// Any signed-in user (all roles).
    AnyUser = "any_user" => Role::ALL;
    /// Pharmacy staff: clerk, pharmacy_manager (own pharmacy only).
    PharmacyStaff = "pharmacy_staff" => &[Role::Clerk, Role::PharmacyManager];
    /// Pharmacy manager (own pharmacy only).
    PharmacyManager = "pharmacy_manager" => &[Role::PharmacyManager];
    /// District inspector (own district only).
    Inspector = "inspector" => &[Role::Inspector];
    /// Inspector (own district) or city admin (all).
    InspectorOrAdmin = "inspector_or_admin" => &[Role::Inspector, Role::CityAdmin];
    /// Readers of registrations: pharmacy staff (own pharmacy), inspector (own district), city admin (all).
    RegistrationReader = "registration_reader" => &[Role::Clerk, Role::PharmacyManager, Role::Inspector, Role::CityAdmin];
    /// City admin (all).
    CityAdmin = "city_admin" => &[Role::CityAdmin];
    /// Approver.
    Approver = "approver" => &[Role::Approver];
    /// Approver (own organisation, granted items) or city admin (all).
    ApproverOrAdmin = "approver_or_admin" => &[Role::Approver, Role::CityAdmin];
}
