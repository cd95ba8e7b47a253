//! Security schemes: an endpoint declares who may call it by the guard it takes.
//!
//! Each guard is a bearer scheme whose OpenAPI name says which roles it admits;
//! the checker authenticates the token against Redis and checks the role
//! (401 without a valid token, 403 with a role the guard does not admit).
//! An endpoint without a guard must be listed in `PUBLIC_OPERATIONS`; a test
//! walks the OpenAPI document and fails on any operation that is neither.

use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

use super::{Caller, Role};
use crate::{error::ApiError, state::AppState};

/// Operations anyone may call (each is rate limited). Their declaration.
pub const PUBLIC_OPERATIONS: &[&str] = &["auth_login", "auth_wechat_login", "auth_wechat_bind"];

/// Which roles each guard admits, by its OpenAPI scheme name.
pub const GUARDS: &[(&str, &[Role])] = &[
    ("any_user", &Role::ALL),
    ("pharmacy_staff", &[Role::Clerk, Role::PharmacyManager]),
    ("pharmacy_manager", &[Role::PharmacyManager]),
    ("inspector", &[Role::Inspector]),
    ("inspector_or_admin", &[Role::Inspector, Role::CityAdmin]),
    (
        "registration_reader",
        &[
            Role::Clerk,
            Role::PharmacyManager,
            Role::Inspector,
            Role::CityAdmin,
        ],
    ),
    ("city_admin", &[Role::CityAdmin]),
    ("approver", &[Role::Approver]),
];

pub fn roles_of(scheme: &str) -> Option<&'static [Role]> {
    GUARDS.iter().find(|(n, _)| *n == scheme).map(|(_, r)| *r)
}

async fn authorize(req: &Request, bearer: Bearer, scheme: &str) -> poem::Result<Caller> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing from request")))?;
    let caller = state.sessions.authenticate(&bearer.token).await?;
    tracing::Span::current().record("user_id", tracing::field::display(caller.user_id));
    if caller.must_change_password && scheme != "any_user" {
        return Err(ApiError::forbidden()
            .with_code(
                "PASSWORD_CHANGE_REQUIRED",
                "首次登录或密码已重置，请先修改密码",
            )
            .into());
    }
    let allowed = roles_of(scheme).unwrap_or(&[]);
    if !allowed.contains(&caller.role) {
        return Err(ApiError::forbidden().into());
    }
    Ok(caller)
}

macro_rules! guard {
    ($(#[$doc:meta])* $name:ident, $scheme:literal, $checker:ident, $checker_name:literal) => {
        $(#[$doc])*
        #[derive(SecurityScheme)]
        #[oai(rename = $scheme, ty = "bearer", checker = $checker_name)]
        pub struct $name(pub Caller);

        async fn $checker(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
            authorize(req, bearer, $scheme).await
        }

        impl std::ops::Deref for $name {
            type Target = Caller;
            fn deref(&self) -> &Caller {
                &self.0
            }
        }
    };
}

guard!(
    /// Any signed-in user (all roles).
    AnyUser, "any_user", check_any_user, "check_any_user"
);
guard!(
    /// Pharmacy staff: clerk, pharmacy_manager (own pharmacy only).
    PharmacyStaff, "pharmacy_staff", check_pharmacy_staff, "check_pharmacy_staff"
);
guard!(
    /// Pharmacy manager (own pharmacy only).
    PharmacyManager, "pharmacy_manager", check_pharmacy_manager, "check_pharmacy_manager"
);
guard!(
    /// District inspector (own district only).
    Inspector, "inspector", check_inspector, "check_inspector"
);
guard!(
    /// Inspector (own district) or city admin (all).
    InspectorOrAdmin, "inspector_or_admin", check_inspector_or_admin, "check_inspector_or_admin"
);
guard!(
    /// Readers of registrations: pharmacy staff (own pharmacy), inspector (own district), city admin (all).
    RegistrationReader, "registration_reader", check_registration_reader, "check_registration_reader"
);
guard!(
    /// City admin (all).
    CityAdmin, "city_admin", check_city_admin, "check_city_admin"
);
guard!(
    /// Approver.
    Approver, "approver", check_approver, "check_approver"
);
