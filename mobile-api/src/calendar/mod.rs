//! The working-day calendar (SPEC §8.3) that approval time limits count in
//! (`shared::workdays`): city admins see a year, correct a day, and add the
//! next year once the State Council has announced its holidays.

pub mod api;

/// The `calendar` function group.
pub struct WorkingCalendar;

impl shared::group::Group for WorkingCalendar {
    const NAME: &'static str = "calendar";
    const DESCRIPTION: &'static str = "工作日历：法定节假日与调休";
    type Api = api::CalendarApi;
    fn api() -> Self::Api {
        api::CalendarApi
    }
}
