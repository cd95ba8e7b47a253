//! What a caller may see, applied to SQL by one helper.
//!
//! Every list or detail query over owned rows — rows of a pharmacy (sales,
//! inspections, alerts) or of an organisation (approval cases, licences) —
//! starts from [`scoped_select`], which writes the scope predicate first, with
//! bound parameters, before any other filter: a repository function cannot
//! build such a query without it. Rows outside the scope are simply not found
//! (404). A query names the columns that decide ownership ([`ScopeColumns`]);
//! a scope whose column the rows lack sees none of them.

use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{Caller, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Clerks and managers: their own pharmacy.
    Pharmacy(Uuid),
    /// Inspectors: pharmacies of their own district.
    District(String),
    /// Approvers (and supervisors of an organisation): rows of the
    /// organisation and of the organisations under it.
    Organisation(Uuid),
    /// Supervisors of a department: rows of the department (reserved: set by
    /// the approvals group from supervisor marks).
    Department(Uuid),
    /// City admins.
    All,
    /// An enterprise, an approver without a department, or a staff account
    /// missing its pharmacy: sees nothing.
    Nothing,
}

impl Scope {
    pub fn of(caller: &Caller) -> Scope {
        match caller.role {
            Role::Clerk | Role::PharmacyManager => caller
                .pharmacy_id
                .map(Scope::Pharmacy)
                .unwrap_or(Scope::Nothing),
            Role::Inspector => caller
                .district_code
                .clone()
                .map(Scope::District)
                .unwrap_or(Scope::Nothing),
            Role::CityAdmin => Scope::All,
            Role::Approver => caller
                .organisation_id
                .map(Scope::Organisation)
                .unwrap_or(Scope::Nothing),
            Role::Enterprise => Scope::Nothing,
        }
    }
}

/// The columns of a query that decide visibility, e.g.
/// `ScopeColumns::pharmacy("r.pharmacy_id", "r.district_code")`. They are
/// code, never input.
#[derive(Debug, Clone, Copy)]
pub struct ScopeColumns {
    pub pharmacy_id: Option<&'static str>,
    pub district_code: Option<&'static str>,
    pub organisation_id: Option<&'static str>,
    pub department_id: Option<&'static str>,
}

impl ScopeColumns {
    /// Rows owned by a pharmacy, in its district.
    pub const fn pharmacy(pharmacy_id: &'static str, district_code: &'static str) -> Self {
        ScopeColumns {
            pharmacy_id: Some(pharmacy_id),
            district_code: Some(district_code),
            organisation_id: None,
            department_id: None,
        }
    }

    /// Rows owned by an organisation, and by one of its departments when
    /// `department_id` is given.
    pub const fn organisation(
        organisation_id: &'static str,
        department_id: Option<&'static str>,
    ) -> Self {
        ScopeColumns {
            pharmacy_id: None,
            district_code: None,
            organisation_id: Some(organisation_id),
            department_id,
        }
    }
}

/// `{select_from} WHERE <scope predicate>`; append further filters with
/// `AND ...` and `push_bind`.
pub fn scoped_select<'a>(
    scope: &Scope,
    cols: ScopeColumns,
    select_from: &'static str,
) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::new(select_from);
    qb.push(" WHERE ");
    push_scope(&mut qb, scope, cols);
    qb
}

/// The scope predicate alone, for queries that need it more than once.
pub fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: &Scope, cols: ScopeColumns) {
    match (scope, cols) {
        (
            Scope::Pharmacy(id),
            ScopeColumns {
                pharmacy_id: Some(col),
                ..
            },
        ) => {
            qb.push(col).push(" = ").push_bind(*id);
        }
        (
            Scope::District(code),
            ScopeColumns {
                district_code: Some(col),
                ..
            },
        ) => {
            qb.push(col).push(" = ").push_bind(code.clone());
        }
        (
            Scope::Organisation(id),
            ScopeColumns {
                organisation_id: Some(col),
                ..
            },
        ) => {
            qb.push(col)
                .push(" IN (SELECT organisation_subtree(")
                .push_bind(*id)
                .push("))");
        }
        (
            Scope::Department(id),
            ScopeColumns {
                department_id: Some(col),
                ..
            },
        ) => {
            qb.push(col).push(" = ").push_bind(*id);
        }
        (Scope::All, _) => {
            qb.push("TRUE");
        }
        // Nothing, or a scope the rows have no column for.
        _ => {
            qb.push("FALSE");
        }
    }
}
