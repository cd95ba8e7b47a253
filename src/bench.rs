//! Data for `scripts/bench` (`yaojian dev bench-data`): pharmacies, one clerk
//! each with a real session token, an inspector, and N registrations with
//! valid synthetic identities, encrypted and blind-indexed exactly as the
//! application writes them, loaded with COPY.

use std::io::Write;

use chrono::{Duration, NaiveDate, Utc};
use rand::Rng;
use shared::{
    AppState,
    auth::{Caller, Role},
};
use uuid::Uuid;

use crate::seed::DEMO_DRUGS;

const DISTRICTS: &[&str] = &[
    "420102", "420103", "420104", "420105", "420106", "420107", "420111", "420112", "420113",
    "420114", "420115", "420116", "420117",
];

/// A valid resident ID number for sequence `n` (distinct for distinct `n`).
pub fn synthetic_id(n: u64) -> String {
    let birth =
        NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + Duration::days((n / 999 % 18_000) as i64);
    let seq = n % 999 + 1;
    let region = DISTRICTS[(n / 999 / 18_000) as usize % DISTRICTS.len()];
    let base = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
    let check = shared::domain::ResidentIdNumber::check_character(&base).expect("17 digits");
    format!("{base}{check}")
}

fn hex(b: &[u8]) -> String {
    format!("\\\\x{}", ::hex::encode(b))
}

pub struct BenchData {
    pub clerk_tokens: Vec<String>,
    pub inspector_token: String,
    pub inspector_district: String,
}

/// Writes everything; returns the tokens the load generator uses.
pub async fn generate(
    state: &AppState,
    pharmacies: usize,
    registrations: u64,
    progress: impl Fn(u64),
) -> anyhow::Result<BenchData> {
    let mut tx = state.db.begin().await?;
    crate::seed::drugs(&mut tx).await?;
    let mut clerks = Vec::with_capacity(pharmacies);
    for i in 0..pharmacies {
        let pharmacy = Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("bench-pharmacy-{i}").as_bytes(),
        );
        let district = DISTRICTS[i % DISTRICTS.len()];
        sqlx::query!("INSERT INTO pharmacy (pharmacy_id, name, licence_number, district_code) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", pharmacy, format!("压测药店{i}"), format!("BENCH-{i:05}"), district)
            .execute(&mut *tx)
            .await?;
        let clerk = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("bench-clerk-{i}").as_bytes());
        sqlx::query!("INSERT INTO app_user (user_id, role, display_name, pharmacy_id) VALUES ($1, 'clerk', $2, $3) ON CONFLICT DO NOTHING", clerk, format!("压测店员{i}"), pharmacy)
            .execute(&mut *tx)
            .await?;
        clerks.push((clerk, pharmacy, district));
    }
    let inspector = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"bench-inspector");
    sqlx::query!("INSERT INTO app_user (user_id, role, display_name, district_code) VALUES ($1, 'inspector', '压测检查员', '420102') ON CONFLICT DO NOTHING", inspector)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let drug_ids: Vec<(Uuid, String)> =
        sqlx::query!("SELECT drug_id, barcode FROM drug WHERE active AND NOT rx_only")
            .fetch_all(&state.db)
            .await?
            .into_iter()
            .map(|d| (d.drug_id, d.barcode))
            .collect();
    let _ = DEMO_DRUGS;
    let mut conn = state.db.acquire().await?;
    let now = Utc::now();
    let chunk = 50_000u64;
    let mut written = 0u64;
    // Per-day counts are recomputed once after the load
    // (`registration_count_rebuild()`, as their migration did) instead of
    // upserted by the trigger for every chunk: half the loading time, and no
    // table of dead row versions.
    sqlx::query!("ALTER TABLE registration DISABLE TRIGGER registration_counted")
        .execute(&mut *conn)
        .await?;
    let loaded: anyhow::Result<()> = async {
        while written < registrations {
            let n = chunk.min(registrations - written);
            let mut regs = Vec::with_capacity(n as usize * 400);
            let mut items = Vec::with_capacity(n as usize * 120);
            let mut rng = rand::thread_rng();
            for k in written..written + n {
                let (clerk, pharmacy, district) = clerks[(k as usize) % clerks.len()];
                let id_number = synthetic_id(k + 10_000_000);
                let id = Uuid::now_v7();
                let at = now - Duration::seconds(rng.gen_range(0..365 * 86_400));
                let (drug, barcode) = &drug_ids[(k as usize) % drug_ids.len()];
                writeln!(
                    regs,
                    "{id}\t{pharmacy}\t{district}\t{clerk}\t{}\t{}\t{}\tid_card\tcard_reader\t1\tf\t{}",
                    hex(&state.pii.blind_index("buyer_id", &id_number)),
                    hex(&state.pii.encrypt(&id_number, b"registration.buyer_id")),
                    hex(&state.pii.encrypt("压测购买人", b"registration.buyer_name")),
                    at.to_rfc3339()
                )?;
                writeln!(items, "{id}\t0\t{drug}\t{barcode}\t1\tB2026")?;
            }
            let mut copy = conn
                .copy_in_raw(
                    "COPY registration (registration_id, pharmacy_id, district_code, clerk_user_id, buyer_id_index, buyer_id_enc, buyer_name_enc, source, method, total_packages, needs_review, created_at) FROM STDIN",
                )
                .await?;
            copy.send(regs).await?;
            copy.finish().await?;
            let mut copy = conn.copy_in_raw("COPY registration_item (registration_id, line_no, drug_id, barcode, quantity, batch_no) FROM STDIN").await?;
            copy.send(items).await?;
            copy.finish().await?;
            written += n;
            progress(written);
        }
        Ok(())
    }
    .await;
    // Re-enabled whatever happened: the table is the application's.
    sqlx::query!("ALTER TABLE registration ENABLE TRIGGER registration_counted")
        .execute(&mut *conn)
        .await?;
    loaded?;
    sqlx::query!("SELECT registration_count_rebuild()")
        .execute(&mut *conn)
        .await?;
    // The steady state autovacuum keeps in production: visibility map set
    // (index-only scans), statistics current.
    sqlx::query!("VACUUM (ANALYZE) registration, registration_item, registration_count")
        .execute(&mut *conn)
        .await?;
    drop(conn);

    let mut clerk_tokens = Vec::new();
    for (clerk, pharmacy, _) in &clerks {
        let caller = Caller {
            user_id: *clerk,
            role: Role::Clerk,
            pharmacy_id: Some(*pharmacy),
            district_code: None,
            organisation_id: None,
            department_id: None,
            must_change_password: false,
            session_key: String::new(),
        };
        clerk_tokens.push(state.sessions.issue(&caller).await?.token);
    }
    let caller = Caller {
        user_id: inspector,
        role: Role::Inspector,
        pharmacy_id: None,
        district_code: Some("420102".into()),
        organisation_id: None,
        department_id: None,
        must_change_password: false,
        session_key: String::new(),
    };
    let inspector_token = state.sessions.issue(&caller).await?.token;
    Ok(BenchData {
        clerk_tokens,
        inspector_token,
        inspector_district: "420102".into(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_ids_are_valid_and_distinct() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut seen = std::collections::HashSet::new();
        for n in (0..200_000u64).step_by(997) {
            let id = super::synthetic_id(n);
            assert!(
                shared::domain::ResidentIdNumber::parse_on(&id, today).is_ok(),
                "{id}"
            );
            assert!(seen.insert(id));
        }
    }
}
