//! What a caller may see, applied to SQL by one helper.
//!
//! Every list or detail query over pharmacy-owned rows starts from
//! [`scoped_select`], which writes the scope predicate first, with bound
//! parameters, before any other filter: a repository function cannot build such
//! a query without it. Rows outside the scope are simply not found (404).

use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{Caller, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Clerks and managers: their own pharmacy.
    Pharmacy(Uuid),
    /// Inspectors: pharmacies of their own district.
    District(String),
    /// City admins.
    All,
    /// A role that sees no pharmacy data (approver, enterprise), or a staff
    /// account missing its pharmacy: sees nothing.
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
            Role::Approver | Role::Enterprise => Scope::Nothing,
        }
    }
}

/// The columns of a query that decide visibility, e.g.
/// `ScopeColumns { pharmacy_id: "r.pharmacy_id", district_code: "p.district_code" }`.
/// Both are code, never input.
#[derive(Debug, Clone, Copy)]
pub struct ScopeColumns {
    pub pharmacy_id: &'static str,
    pub district_code: &'static str,
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
    match scope {
        Scope::Pharmacy(id) => {
            qb.push(cols.pharmacy_id).push(" = ").push_bind(*id);
        }
        Scope::District(code) => {
            qb.push(cols.district_code)
                .push(" = ")
                .push_bind(code.clone());
        }
        Scope::All => {
            qb.push("TRUE");
        }
        Scope::Nothing => {
            qb.push("FALSE");
        }
    }
}
