//! The one scope mechanism: a caller's scope becomes the first predicate of
//! every list query built with `scoped_select`.

use shared::auth::{
    Caller, Role, Scope,
    scope::{ScopeColumns, scoped_select},
};
use uuid::Uuid;

use crate::helpers::*;

const COLS: ScopeColumns = ScopeColumns::pharmacy("p.pharmacy_id", "p.district_code");

fn caller(role: Role, pharmacy: Option<Uuid>, district: Option<&str>) -> Caller {
    Caller {
        user_id: Uuid::new_v4(),
        role,
        pharmacy_id: pharmacy,
        district_code: district.map(str::to_owned),
        organisation_id: None,
        department_id: None,
        must_change_password: false,
        session_key: String::new(),
    }
}

async fn visible(app: &TestApp, scope: &Scope, extra_district: Option<&str>) -> Vec<Uuid> {
    let mut qb = scoped_select(scope, COLS, "SELECT p.pharmacy_id FROM pharmacy p");
    if let Some(d) = extra_district {
        qb.push(" AND p.district_code = ").push_bind(d.to_owned());
    }
    qb.push(" ORDER BY p.pharmacy_id");
    qb.build_query_scalar().fetch_all(&app.db).await.unwrap()
}

#[tokio::test]
async fn each_role_sees_its_own_rows_only() {
    let app = spawn_app().await;
    let clerk = caller(Role::Clerk, Some(PHARMACY_A), None);
    assert_eq!(clerk.scope(), Scope::Pharmacy(PHARMACY_A));
    assert_eq!(visible(&app, &clerk.scope(), None).await, vec![PHARMACY_A]);

    let inspector = caller(Role::Inspector, None, Some("420102"));
    assert_eq!(
        visible(&app, &inspector.scope(), None).await,
        vec![PHARMACY_A, PHARMACY_B]
    );
    // A filter for another district cannot widen the scope.
    assert!(
        visible(&app, &inspector.scope(), Some("420106"))
            .await
            .is_empty()
    );

    let admin = caller(Role::CityAdmin, None, None);
    assert_eq!(
        visible(&app, &admin.scope(), None).await,
        vec![PHARMACY_A, PHARMACY_B, PHARMACY_C]
    );

    for nobody in [
        caller(Role::Approver, None, None),
        caller(Role::Enterprise, None, None),
        caller(Role::Inspector, None, None),
        caller(Role::Clerk, None, None),
    ] {
        assert_eq!(nobody.scope(), Scope::Nothing);
        assert!(visible(&app, &nobody.scope(), None).await.is_empty());
    }
}
