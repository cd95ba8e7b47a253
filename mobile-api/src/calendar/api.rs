//! `/admin/calendar`: city admins only; every change audited on the city's stream.

use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::CityAdmin,
    body::JsonBody,
    codes,
};

pub struct CalendarApi;

/// A day the calendar lists: a holiday on a weekday, or a worked weekend day.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub working: bool,
    /// 春节, 国庆节调休上班…
    pub name: String,
}

/// One year of the calendar.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CalendarYear {
    pub year: i32,
    /// False: time limits cannot be counted into this year yet.
    pub covered: bool,
    /// The notice the year's holidays come from.
    pub source: Option<String>,
    /// The days that differ from Monday–Friday working.
    pub days: Vec<CalendarDay>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct DayChange {
    pub working: bool,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct NewYear {
    pub year: i32,
    /// The notice its holidays come from.
    pub source: String,
}

#[derive(ApiResponse)]
pub enum Removed {
    /// The day is back to its weekday default.
    #[oai(status = 204)]
    Removed,
}

#[derive(ApiResponse)]
pub enum AddedYear {
    /// The year is covered (its days are then added one by one).
    #[oai(status = 201)]
    Added(Json<CalendarYear>),
}

async fn year_of(conn: &mut sqlx::PgConnection, year: i32) -> Result<CalendarYear, ApiError> {
    let source = sqlx::query_scalar!("SELECT source FROM calendar_year WHERE year = $1", year)
        .fetch_optional(&mut *conn)
        .await?;
    let days = sqlx::query_as!(
        CalendarDay,
        "SELECT day, working, name FROM calendar_day WHERE year = $1 ORDER BY day",
        year
    )
    .fetch_all(conn)
    .await?;
    Ok(CalendarYear {
        year,
        covered: source.is_some(),
        source,
        days,
    })
}

#[OpenApi]
impl CalendarApi {
    /// One year of the working-day calendar
    #[oai(
        path = "/admin/calendar",
        method = "get",
        operation_id = "admin_calendar"
    )]
    async fn year(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        #[oai(validator(minimum(value = "2000"), maximum(value = "2100")))] year: Query<i32>,
    ) -> Result<Json<CalendarYear>, ApiError> {
        let mut conn = state.db.acquire().await?;
        Ok(Json(year_of(&mut conn, year.0).await?))
    }

    /// Cover another year (its holidays are then set day by day)
    #[oai(
        path = "/admin/calendar/years",
        method = "post",
        operation_id = "admin_calendar_year_add"
    )]
    #[tracing::instrument(name = "admin.calendar_year_add", skip_all)]
    async fn add_year(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        body: JsonBody<NewYear>,
    ) -> Result<AddedYear, ApiError> {
        if !(2000..=2100).contains(&body.year) {
            return Err(ApiError::of(codes::VALIDATION_FAILED).field(
                "year",
                codes::INVALID_RANGE,
                "年份应在 2000–2100 之间",
            ));
        }
        let source = shared::body::text(&body.source, "source", 200)?;
        let mut tx = state.db.begin().await?;
        sqlx::query!(
            "INSERT INTO calendar_year (year, source) VALUES ($1, $2) ON CONFLICT (year) DO UPDATE SET source = excluded.source",
            body.year,
            source
        )
        .execute(&mut *tx)
        .await?;
        Entry::by(&auth.0, Action::CalendarChange)
            .on(Stream::City)
            .object(body.year)
            .detail(json!({ "year": body.year }))
            .append(&mut tx)
            .await?;
        let year = year_of(&mut tx, body.year).await?;
        tx.commit().await?;
        Ok(AddedYear::Added(Json(year)))
    }

    /// Mark a day as a holiday or a worked day
    #[oai(
        path = "/admin/calendar/:day",
        method = "put",
        operation_id = "admin_calendar_day_set"
    )]
    #[tracing::instrument(name = "admin.calendar_day_set", skip_all)]
    async fn set_day(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        day: Path<NaiveDate>,
        body: JsonBody<DayChange>,
    ) -> Result<Json<CalendarDay>, ApiError> {
        let name = shared::body::text(&body.name, "name", 50)?;
        let mut tx = state.db.begin().await?;
        // A day of a year the calendar does not cover is refused by the
        // `calendar_day_covered` key: 422 CALENDAR_YEAR_NOT_COVERED.
        let row = sqlx::query_as!(
            CalendarDay,
            "INSERT INTO calendar_day (day, working, name, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (day) DO UPDATE SET working = excluded.working, name = excluded.name,
                 updated_by = excluded.updated_by, updated_at = now()
             RETURNING day, working, name",
            day.0,
            body.working,
            name,
            auth.user_id
        )
        .fetch_one(&mut *tx)
        .await?;
        Entry::by(&auth.0, Action::CalendarChange)
            .on(Stream::City)
            .object(day.0)
            .detail(json!({ "day": day.0, "working": body.working }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Json(row))
    }

    /// Put a day back to its weekday default
    #[oai(
        path = "/admin/calendar/:day",
        method = "delete",
        operation_id = "admin_calendar_day_reset"
    )]
    #[tracing::instrument(name = "admin.calendar_day_reset", skip_all)]
    async fn reset_day(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        day: Path<NaiveDate>,
    ) -> Result<Removed, ApiError> {
        let mut tx = state.db.begin().await?;
        let gone = sqlx::query!("DELETE FROM calendar_day WHERE day = $1", day.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone > 0 {
            Entry::by(&auth.0, Action::CalendarChange)
                .on(Stream::City)
                .object(day.0)
                .detail(json!({ "day": day.0, "reset": true }))
                .append(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Removed::Removed)
    }
}
