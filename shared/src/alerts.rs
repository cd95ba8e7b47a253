//! Alerts (SPEC §4.2, §6): the only writer of `alert` rows. A sale raises
//! them inside its own statement ([`push_raise`]), jobs and the sync worker
//! one at a time ([`raise`]), the sweep in one set-based statement
//! ([`sweep_multi_pharmacy`]). Inspectors and admins read and resolve them
//! through the `alerts` group.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::Statement;

crate::text_enum! {
    // The values of `alert.kind`: its check constraint lists exactly these (a
    // test compares).
    /// What an alert is about.
    pub enum AlertKind {
        /// A sale to a minor was tried.
        MinorAttempt = "MINOR_ATTEMPT",
        /// The rolling purchase limit was breached.
        WindowLimit = "WINDOW_LIMIT",
        /// The same buyer at 3 or more pharmacies within 24 h.
        MultiPharmacy = "MULTI_PHARMACY",
        /// A data centre lags behind.
        SyncLag = "SYNC_LAG",
        /// Records could not be delivered.
        DeadLetter = "DEAD_LETTER",
        /// WeChat's daily quota (e.g. OCR) is used up: scans by photo fail
        /// until it renews or more is bought.
        WechatQuota = "WECHAT_QUOTA",
        /// WeChat refuses our appid or secret: every WeChat call fails.
        WechatConfig = "WECHAT_CONFIG",
    }
}

crate::text_enum! {
    /// Whether an alert is still open (`alert.status`).
    pub enum AlertStatus {
        Open = "open",
        Resolved = "resolved",
    }
}

/// One alert to raise. `district_code` decides who sees it: an alert
/// without a district (sync) is the city admins' alone.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub kind: AlertKind,
    pub district_code: Option<String>,
    pub pharmacy_id: Option<Uuid>,
    pub buyer_id_index: Option<Vec<u8>>,
    pub registration_id: Option<Uuid>,
    pub refused_attempt_id: Option<Uuid>,
    /// Ids, codes and counts only.
    pub detail: Value,
}

impl NewAlert {
    /// An alert about the platform (no district, pharmacy or buyer).
    pub fn platform(kind: AlertKind, detail: Value) -> NewAlert {
        NewAlert {
            kind,
            district_code: None,
            pharmacy_id: None,
            buyer_id_index: None,
            registration_id: None,
            refused_attempt_id: None,
            detail,
        }
    }
}

/// Raises `alert` in the caller's transaction; returns its id.
pub async fn raise(conn: &mut PgConnection, alert: NewAlert) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query!("INSERT INTO alert (alert_id, kind, district_code, pharmacy_id, buyer_id_index, registration_id, refused_attempt_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", id, alert.kind.as_str(), alert.district_code, alert.pharmacy_id, alert.buyer_id_index, alert.registration_id, alert.refused_attempt_id, alert.detail)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Whether an open alert of `kind` for the sync target `target` exists (so a
/// lagging target raises one alert, not one per run).
pub async fn open_for_target(
    conn: &mut PgConnection,
    kind: AlertKind,
    target: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM alert WHERE kind = $1 AND status = 'open' AND detail->>'target' = $2) AS "open!""#, kind.as_str(), target)
    .fetch_one(conn)
    .await
}

/// Raises a platform alert of `kind` unless one is open already (so an
/// outage that every request meets raises one alert, not thousands).
/// Returns whether it raised one.
pub async fn raise_once(
    conn: &mut PgConnection,
    kind: AlertKind,
    detail: Value,
) -> Result<bool, sqlx::Error> {
    let raised = sqlx::query_scalar!(
        r#"INSERT INTO alert (alert_id, kind, detail)
           SELECT $1, $2, $3
           WHERE NOT EXISTS (SELECT 1 FROM alert WHERE kind = $2 AND status = 'open')
           RETURNING true AS "raised!""#,
        Uuid::now_v7(),
        kind.as_str(),
        detail
    )
    .fetch_optional(conn)
    .await?;
    Ok(raised.is_some())
}

/// The alerts of one sale or refused attempt, which share its pharmacy,
/// district and buyer, as a part of its statement.
pub fn push_raise(
    stmt: &mut Statement<'_>,
    district_code: &str,
    pharmacy_id: Uuid,
    buyer_id_index: &[u8],
    registration_id: Option<Uuid>,
    refused_attempt_id: Option<Uuid>,
    alerts: Vec<(AlertKind, Value)>,
) {
    if alerts.is_empty() {
        return;
    }
    let ids: Vec<Uuid> = alerts.iter().map(|_| Uuid::now_v7()).collect();
    let (kinds, details): (Vec<AlertKind>, Vec<Value>) = alerts.into_iter().unzip();
    let kinds: Vec<&'static str> = kinds.into_iter().map(AlertKind::as_str).collect();
    let (district_code, buyer_id_index) = (district_code.to_owned(), buyer_id_index.to_vec());
    stmt.part("alerts_raised", |qb| {
        qb.push(
            "INSERT INTO alert (alert_id, kind, district_code, pharmacy_id, buyer_id_index, registration_id, refused_attempt_id, detail)
             SELECT a.id, a.kind, ",
        )
        .push_bind(district_code)
        .push(", ")
        .push_bind(pharmacy_id)
        .push(", ")
        .push_bind(buyer_id_index)
        .push(", ")
        .push_bind(registration_id)
        .push(", ")
        .push_bind(refused_attempt_id)
        .push(", a.detail FROM unnest(")
        .push_bind(ids)
        .push("::uuid[], ")
        .push_bind(kinds)
        .push("::text[], ")
        .push_bind(details)
        .push("::jsonb[]) AS a(id, kind, detail)");
    });
}

/// `MULTI_PHARMACY` for every buyer seen at `threshold` or more pharmacies
/// within 24 h who has no such alert in that time; one statement. Returns
/// how many were raised.
pub async fn sweep_multi_pharmacy(
    conn: &mut PgConnection,
    threshold: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!("INSERT INTO alert (alert_id, kind, district_code, pharmacy_id, buyer_id_index, detail)
         SELECT gen_random_uuid(), 'MULTI_PHARMACY', last.district_code, last.pharmacy_id, b.buyer_id_index,
                jsonb_build_object('pharmacies', b.pharmacies, 'source', 'sweep')
         FROM (SELECT buyer_id_index, count(DISTINCT pharmacy_id) AS pharmacies FROM registration
               WHERE created_at > now() - interval '24 hours' GROUP BY buyer_id_index HAVING count(DISTINCT pharmacy_id) >= $1) b
         CROSS JOIN LATERAL (SELECT district_code, pharmacy_id FROM registration r WHERE r.buyer_id_index = b.buyer_id_index
                             ORDER BY created_at DESC LIMIT 1) last
         WHERE NOT EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'MULTI_PHARMACY' AND a.buyer_id_index = b.buyer_id_index
                           AND a.created_at > now() - interval '24 hours')", threshold)
    .execute(conn)
    .await?
    .rows_affected())
}
