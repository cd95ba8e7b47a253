//! Applying parsed import rows, in one transaction each: plain functions,
//! so tests call them without HTTP (the handlers in `api.rs` parse the
//! upload, call these and answer).

use std::collections::HashMap;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use shared::{
    ApiError,
    audit::{Action, Entry, Stream},
    auth::Caller,
    codes,
    error::FieldError,
};

use super::{DistrictRef, DrugRecord, PharmacyRecord, RejectedRow};

/// What an import did (or would do, in a dry run).
#[derive(Debug)]
pub struct Applied {
    pub created: u64,
    pub updated: u64,
    /// The parser's rejected rows and those refused while applying.
    pub rejected: Vec<RejectedRow>,
}

/// Ends an import's transaction: rolled back for a dry run, else audited
/// (created, updated and rejected counts) and committed.
async fn finish(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    caller: &Caller,
    action: Action,
    inserted: &[bool],
    rejected: Vec<RejectedRow>,
    dry_run: bool,
) -> Result<Applied, ApiError> {
    // `xmax = 0`: the upsert inserted the row rather than updating it.
    let created = inserted.iter().filter(|i| **i).count() as u64;
    let updated = inserted.len() as u64 - created;
    if dry_run {
        tx.rollback().await?;
    } else {
        Entry::by(caller, action)
            .on(Stream::City)
            .detail(json!({ "created": created, "updated": updated, "rejected": rejected.len() }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
    }
    Ok(Applied {
        created,
        updated,
        rejected,
    })
}

/// Upserts pharmacies by licence number, resolving each row's district
/// (a row naming no district of the city is rejected); audits unless
/// `dry_run`, which rolls back.
pub async fn pharmacies(
    db: &PgPool,
    caller: &Caller,
    records: Vec<(usize, PharmacyRecord)>,
    rejected: Vec<RejectedRow>,
    dry_run: bool,
) -> Result<Applied, ApiError> {
    let mut rejected_rows = rejected;
    let mut tx = db.begin().await?;
    let districts: Vec<(String, String)> = sqlx::query!("SELECT district_code, name FROM district")
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|d| (d.district_code, d.name))
        .collect();
    let by_name: HashMap<&str, &str> = districts
        .iter()
        .map(|(c, n)| (n.as_str(), c.as_str()))
        .collect();
    let known = |c: &str| districts.iter().any(|(code, _)| code == c);

    let (
        mut ids,
        mut names,
        mut licences,
        mut usccs,
        mut flagged,
        mut district_codes,
        mut addresses,
        mut phones,
        mut statuses,
    ) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for (row, p) in records {
        let code = match &p.district {
            DistrictRef::Code(c) if known(c) => Some(c.clone()),
            DistrictRef::Name(n) => by_name.get(n.as_str()).map(|c| c.to_string()),
            _ => None,
        };
        let Some(code) = code else {
            let field = if matches!(p.district, DistrictRef::Code(_)) {
                "district_code"
            } else {
                "district"
            };
            rejected_rows.push(RejectedRow {
                row,
                errors: vec![FieldError::new(
                    field,
                    codes::DISTRICT_UNKNOWN,
                    "本市没有这个区，请填写正确的区划代码或区名（如 420106 或 武昌区）",
                )],
            });
            continue;
        };
        ids.push(Uuid::now_v7());
        names.push(p.name);
        licences.push(p.licence_number);
        usccs.push(p.uscc);
        flagged.push(p.uscc_flagged);
        district_codes.push(code);
        addresses.push(p.address);
        phones.push(p.contact_phone);
        statuses.push(p.status.as_str().to_owned());
    }
    let inserted: Vec<bool> = sqlx::query_scalar!(r#"INSERT INTO pharmacy (pharmacy_id, name, licence_number, uscc, uscc_flagged, district_code, address, contact_phone, status)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[])
         ON CONFLICT (licence_number) DO UPDATE SET name = excluded.name, uscc = excluded.uscc, uscc_flagged = excluded.uscc_flagged,
             district_code = excluded.district_code, address = excluded.address, contact_phone = excluded.contact_phone, status = excluded.status
         RETURNING (xmax = 0) AS "inserted!""#, &ids, &names, &licences, &usccs as &[Option<String>], &flagged, &district_codes, &addresses, &phones, &statuses)
    .fetch_all(&mut *tx)
    .await?;
    finish(
        tx,
        caller,
        Action::PharmacyImport,
        &inserted,
        rejected_rows,
        dry_run,
    )
    .await
}

/// Upserts drugs by barcode; audits unless `dry_run`, which rolls back.
pub async fn drugs(
    db: &PgPool,
    caller: &Caller,
    records: Vec<(usize, DrugRecord)>,
    rejected: Vec<RejectedRow>,
    dry_run: bool,
) -> Result<Applied, ApiError> {
    let (
        mut ids,
        mut barcodes,
        mut approvals,
        mut names,
        mut strengths,
        mut makers,
        mut units,
        mut categories,
        mut rx,
        mut caps,
        mut active,
    ) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for (_, d) in records {
        ids.push(Uuid::now_v7());
        barcodes.push(d.barcode);
        approvals.push(d.approval_number);
        names.push(d.name);
        strengths.push(d.strength);
        makers.push(d.manufacturer);
        units.push(d.package_unit);
        categories.push(d.special_category.to_owned());
        rx.push(d.rx_only);
        caps.push(d.max_per_purchase);
        active.push(d.active);
    }
    let mut tx = db.begin().await?;
    let inserted: Vec<bool> = sqlx::query_scalar!(r#"INSERT INTO drug (drug_id, barcode, approval_number, name, strength, manufacturer, package_unit, special_category, rx_only, max_per_purchase, active)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[], $10::int4[], $11::bool[])
         ON CONFLICT (barcode) DO UPDATE SET approval_number = excluded.approval_number, name = excluded.name, strength = excluded.strength,
             manufacturer = excluded.manufacturer, package_unit = excluded.package_unit, special_category = excluded.special_category,
             rx_only = excluded.rx_only, max_per_purchase = excluded.max_per_purchase, active = excluded.active
         RETURNING (xmax = 0) AS "inserted!""#, &ids, &barcodes, &approvals, &names, &strengths, &makers, &units, &categories, &rx, &caps as &[Option<i32>], &active)
    .fetch_all(&mut *tx)
    .await?;
    finish(tx, caller, Action::DrugImport, &inserted, rejected, dry_run).await
}
